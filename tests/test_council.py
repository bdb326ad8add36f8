"""« Conseil de classe » (issue 14): the class read in one set of queries, the to-do line and its filters,
the sort, the distribution, the exports read back, and who may see it."""

from __future__ import annotations

import csv
import io
from datetime import date

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from livret import bilans, council, evidence, grading
from livret.db import transaction
from livret.errors import NotFound, PermissionDenied
from livret.render import council as render

from .conftest import ROOT, first_user, snapshot

PAGE = str(ROOT / "views" / "conseil.py")


@pytest.fixture
def setup(demo_db, roles):
    teacher, class_id = roles["teacher"], roles["class_id"]
    return demo_db, teacher, class_id


def test_every_learner_and_competency_as_the_other_pages_read_them(setup):
    db, teacher, class_id = setup
    view = council.class_council(db, teacher, class_id)
    learners = db.execute("SELECT id FROM learners WHERE class_id = ? ORDER BY last_name, first_name, id",
                          [class_id]).fetchall()
    assert [r.learner_id for r in view.rows] == [r[0] for r in learners]
    assert [c.code for c in view.competencies][:4] == ["C1", "C3", "C10", "C11"]  # grouped by unit, U2 first
    assert [c.unit for c in view.competencies] == sorted((c.unit for c in view.competencies), key=["U2", "U31", "U32"].index)
    row = view.rows[0]
    latest = bilans.latest_validated_bilan(db, teacher, row.learner_id)
    stored = bilans.bilan_positionings(db, teacher, latest.id)
    proposed = evidence.learner_propositions(db, teacher, row.learner_id)
    for competency in view.competencies:
        cell = row.cells[competency.id]
        assert (cell.validated.level, cell.validated.objective) == (stored[competency.id].level,
                                                                   stored[competency.id].objective)
        assert cell.proposition.level == proposed[competency.id].level
    assert row.bilan_at == latest.validated_at and row.draft_positioned is None and row.grade is None
    newer = db.execute("SELECT count(*) FROM results r JOIN evaluations e ON e.id = r.evaluation_id "
                       "WHERE r.learner_id = ? AND e.modified_at > ?", [row.learner_id, latest.validated_at]).fetchone()[0]
    assert row.new_results == newer > 0


def test_the_todo_line_counts_and_filters(setup, roles):
    db, teacher, class_id = setup
    view = council.class_council(db, teacher, class_id)
    first, second, third = (r.learner_id for r in view.rows[:3])
    c2 = db.execute("SELECT id FROM competencies WHERE code = 'C2'").fetchone()[0]
    bilans.save_draft_positioning(db, teacher, first, c2, bilans.Positioning(3, "terminal"))
    bilan = grading.latest_validated_bilan(db, teacher, second)
    grading.save_grades(db, teacher, grading.model_weights(db, teacher, bilan), [bilan.id])
    withdrawn = bilans.latest_validated_bilan(db, teacher, third)
    bilans.withdraw_bilan(db, roles["ddfpt"], withdrawn.id, "erreur")
    view = council.class_council(db, teacher, class_id, since=date(2026, 1, 1))
    todo = view.todo()
    assert todo[council.FILTER_DRAFTS] == [first]
    assert second not in todo[council.FILTER_UNGRADED] and first in todo[council.FILTER_UNGRADED]
    assert todo[council.FILTER_WITHOUT_BILAN] == [third]  # its latest bilan is now the one of December
    assert view.todo_text() == (f"1 apprenant sans bilan depuis le 01/01/2026 · 1 brouillon en cours · "
                                f"{len(view.rows) - 1} bilans non notés")
    assert [r.learner_id for r in view.shown(council.FILTER_DRAFTS)] == [first]
    assert view.rows[0].draft_positioned == 1
    graded = view.shown(sort="Note")
    assert graded[0].learner_id == second and graded[0].grade is not None
    by_new = view.shown(sort="Nouveaux résultats")
    assert [r.new_results for r in by_new] == sorted((r.new_results for r in view.rows), reverse=True)


def test_the_default_date_is_the_day_after_the_previous_round(setup):
    db, teacher, class_id = setup
    assert council.default_since_for(db, teacher, class_id) == date(2025, 12, 13)  # rounds: 12/12/2025, 27/03/2026
    with transaction(db):
        db.execute("DELETE FROM bilans WHERE learner_id IN (SELECT id FROM learners WHERE class_id = ?)", [class_id])
    assert council.default_since(db, class_id).month == 9  # no bilan yet: the start of the school year


def test_the_distribution_counts_every_learner_once_per_competency(setup):
    db, teacher, class_id = setup
    view = council.class_council(db, teacher, class_id)
    frame = view.distribution()
    assert set(frame.groupby("code")["count"].sum()) == {len(view.rows)}
    spec = render.distribution_chart(frame)
    assert spec["layer"][0]["mark"]["type"] == "bar" and spec["layer"][1]["mark"]["type"] == "text"


def test_only_staff_of_the_class_see_it(setup, roles):
    db, teacher, class_id = setup
    before = snapshot(db)
    for user in (roles["learner"], roles["admin"], roles["other_teacher"]):
        with pytest.raises(PermissionDenied):
            council.class_council(db, user, class_id)
    with pytest.raises(NotFound):
        council.class_council(db, roles["ddfpt"], 999)
    assert council.class_council(db, roles["ddfpt"], class_id).rows
    assert snapshot(db) == before


def test_the_table_escapes_names_and_links_each_learner_to_the_dashboard(setup):
    db, teacher, class_id = setup
    learner = db.execute("SELECT id FROM learners WHERE class_id = ? ORDER BY last_name LIMIT 1", [class_id]).fetchone()[0]
    with transaction(db):
        db.execute("UPDATE learners SET last_name = '<SCRIPT>' WHERE id = ?", [learner])
    view = council.class_council(db, teacher, class_id)
    html = render.council_html(view, view.rows)
    assert "<SCRIPT>" not in html and "&lt;SCRIPT&gt;" in html
    assert f'href="tableau-de-bord?classe={view.class_name}&amp;apprenant=%3CSCRIPT%3E+' in html
    assert html.count("<tr data-learner=") == len(view.rows)
    assert f"Classe ({len(view.rows)})" in html and "U31" in html


def test_the_exports_read_back_as_xlsx_and_french_csv(setup):
    db, teacher, class_id = setup
    view = council.class_council(db, teacher, class_id)
    header, lines = render.export_rows(view, view.rows)
    book = openpyxl.load_workbook(io.BytesIO(render.export_xlsx(view, view.rows)))
    sheet = book["Conseil de classe"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == header and rows[0][:3] == ["Classe", "Apprenant", "C1"] and rows[0][-1] == "Note sur 20"
    assert len(rows) == len(view.rows) + 1 and rows[1][1] == view.rows[0].name
    assert {value for row in rows[1:] for value in row[2:-2]} <= {"T ++", "T +", "T \u2212", "T \u2212\u2212", "I ++",
                                                                 "I +", "I \u2212", "I \u2212\u2212", "NE", None}
    assert [r[0] for r in book["Légende"].iter_rows(values_only=True)][:2] == ["T", "I"]
    text = render.export_csv(view, view.rows).decode("utf-8-sig")
    read = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert read[0] == header and len(read) == len(view.rows) + 1 and read[1][1] == view.rows[0].name


# ---------------------------------------------------------------- page (AppTest)


def run_page(user_id, **params) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["user_id"] = user_id
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def page_html(at) -> str:
    from livret.ui import trusted_html

    return "".join([*(h.proto.body for h in at.html),
                    *(trusted_html.body(b) for b in at.get("bidi_component")
                      if b.proto.component_name.startswith(trusted_html.COMPONENT))])


def test_page_shows_the_teachers_class_with_its_todo_sort_and_exports(app_env):
    from livret.db import connect

    db = connect(app_env)
    teacher = first_user(db, "teacher")
    at = run_page(teacher.id, classe="1MELEC")
    assert not at.exception
    assert [s.label for s in at.selectbox] == ["Classe"] and set(at.selectbox[0].options) == {"2MELEC", "1MELEC"}
    assert at.pills[0].label == "À faire avant le conseil"
    assert 'aria-label="Conseil de classe 1MELEC"' in page_html(at)
    assert [b.proto.label for b in at.get("download_button")] == ["Exporter (XLSX)", "Exporter (CSV)"]
    at.segmented_control(key="conseil_tri").set_value("Nouveaux résultats").run()
    assert not at.exception


def test_page_refuses_a_learner_and_a_teacher_of_another_class(app_env):
    from livret.db import connect

    db = connect(app_env)
    learner = first_user(db, "learner")
    at = run_page(learner.id, classe="1MELEC")
    assert not at.exception and not page_html(at).count("cc-name")
    other = first_user(db, "teacher", "id NOT IN (SELECT user_id FROM teacher_classes WHERE class_id = "
                                      "(SELECT id FROM classes WHERE name = 'TMELEC'))")
    at = run_page(other.id, classe="TMELEC")  # a shared link to a class that is not theirs
    assert not at.exception
    assert "TMELEC" not in page_html(at)
