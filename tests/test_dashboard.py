"""The dashboard's queries, access checks and caches (livret/dashboard.py), and the page's logic (AppTest)."""

import re

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from livret import dashboard
from livret.db import connect, transaction
from livret.errors import PermissionDenied
from livret.render import grid
from livret.ui import grid_element

from .conftest import ROOT, first_user

PAGE = str(ROOT / "views" / "tableau_de_bord.py")


def fullest_learner(db) -> int:
    return db.execute("SELECT learner_id FROM results GROUP BY learner_id "
                      "ORDER BY count(DISTINCT evaluation_id) DESC, learner_id LIMIT 1").fetchone()[0]


def staff_of(db, learner_id):
    return first_user(db, "teacher", "id IN (SELECT user_id FROM teacher_classes WHERE class_id = "
                                     "(SELECT class_id FROM learners WHERE id = ?))", [learner_id])


def add_draft(db, learner_id, positionings):
    """A draft bilan with {competency code: (level or None, objective or None)}."""
    with transaction(db):
        bilan_id = db.insert("INSERT INTO bilans(learner_id, status, created_at, modified_at) "
                              "VALUES (?, 'draft', '2026-05-01 10:00:00', '2026-05-01 10:00:00')",
                              [learner_id])
        for code, (level, objective) in positionings.items():
            db.execute("INSERT INTO positionings(bilan_id, competency_id, level, objective) "
                       "SELECT ?, id, ?, ? FROM competencies WHERE code = ?", [bilan_id, level, objective, code])


def test_learner_data_holds_the_referentiel_results_and_bilans(demo_db):
    learner = fullest_learner(demo_db)
    data = dashboard.learner_data(demo_db, staff_of(demo_db, learner), learner)
    assert data.referentiel["competency"].nunique() == 13
    assert data.referentiel["criterion_id"].notna().all()
    stored = demo_db.execute("SELECT count(*) FROM results WHERE learner_id = ?", [learner]).fetchone()[0]
    assert len(data.results) == stored
    assert set(data.results["result"]) <= {"NA", "PR", "RA", "RT", "NV", "AB"}
    assert data.bilans["bilan_id"].nunique() == 2 and (data.bilans["status"] == "validated").all()
    assert data.drafts.empty


def test_complexity_counts_are_the_learners_evaluations_by_code(demo_db):
    learner = fullest_learner(demo_db)
    data = dashboard.learner_data(demo_db, staff_of(demo_db, learner), learner)
    counts = dashboard.complexity_counts(data.results)
    expected = dict(demo_db.execute(
        "SELECT CASE WHEN e.context = 'company' THEN 'E' ELSE e.complexity END, count(DISTINCT e.id) "
        "FROM evaluations e JOIN results r ON r.evaluation_id = e.id WHERE r.learner_id = ? GROUP BY 1",
        [learner]).fetchall())
    assert counts == {code: expected.get(code, 0) for code in ("D", "Int", "B", "E")}
    assert sum(counts.values()) == 132


def test_only_staff_of_the_learners_class_read_the_dashboard(demo_db, roles):
    learner = int(demo_db.execute("SELECT id FROM learners WHERE class_id = ? ORDER BY id LIMIT 1",
                                  [roles["class_id"]]).fetchone()[0])
    assert not dashboard.learner_data(demo_db, roles["teacher"], learner).results.empty
    assert not dashboard.learner_data(demo_db, roles["ddfpt"], learner).results.empty
    reads = (dashboard.learner_data, dashboard.draft_positionings, dashboard.cached_bilan_sheet,
             lambda db, user, learner_id: dashboard.cached_blocks(db, user, learner_id, grid.GridOptions()))
    for who in ("other_teacher", "learner", "admin"):
        for read in reads:
            with pytest.raises(PermissionDenied):
                read(demo_db, roles[who], learner)
    for read in reads:
        with pytest.raises(PermissionDenied):
            read(demo_db, None, learner)


def test_draft_positionings_are_read_with_not_evaluated_as_null(demo_db):
    learner = fullest_learner(demo_db)
    add_draft(demo_db, learner, {"C1": (4, "terminal"), "C3": (None, None)})
    drafts = dashboard.draft_positionings(demo_db, staff_of(demo_db, learner), learner)
    assert list(drafts["competency"]) == ["C1", "C3"]
    assert drafts.iloc[0]["level"] == 4 and drafts.iloc[0]["objective"] == "terminal"
    assert pd.isna(drafts.iloc[1]["level"])
    # A draft is not a validated bilan: it moves neither the blue line nor the black line.
    data = dashboard.learner_data(demo_db, staff_of(demo_db, learner), learner)
    assert data.bilans["bilan_id"].nunique() == 2


def test_fullest_learner_chronological_grid_stays_small(demo_db):
    learner = fullest_learner(demo_db)
    data = dashboard.learner_data(demo_db, staff_of(demo_db, learner), learner)
    sizes = {}
    for name, options in {"chronologique": grid.GridOptions(), "condensé": grid.GridOptions(condensed=True),
                          "compact": grid.GridOptions(compact=True)}.items():
        html = grid.render_grid(data.referentiel, data.results, data.bilans, options)
        sizes[name] = len(html.encode())
    assert sizes["chronologique"] <= 300_000, sizes
    assert sizes["compact"] < sizes["condensé"] < sizes["chronologique"]


def test_cached_blocks_follow_the_learner_version(demo_db):
    learner = fullest_learner(demo_db)
    user = staff_of(demo_db, learner)
    before = dashboard.cached_blocks(demo_db, user, learner, grid.GridOptions())
    assert dashboard.cached_blocks(demo_db, user, learner, grid.GridOptions()) == before
    evaluation, criterion = demo_db.execute(
        "SELECT evaluation_id, criterion_id FROM results WHERE learner_id = ? AND code <> 'NV' LIMIT 1",
        [learner]).fetchone()
    with transaction(demo_db):
        demo_db.execute("UPDATE results SET code = 'NV' WHERE evaluation_id = ? AND learner_id = ? "
                        "AND criterion_id = ?", [evaluation, learner, criterion])
    after = dashboard.cached_blocks(demo_db, user, learner, grid.GridOptions())
    count = sum(b.html.count('data-level="NV"') for b in after)
    assert count == sum(b.html.count('data-level="NV"') for b in before) + 1
    add_draft(demo_db, learner, {"C2": (2, "intermediate")})
    c2 = next(b for b in dashboard.cached_blocks(demo_db, user, learner, grid.GridOptions()) if b.code == "C2")
    assert 'class="lv-ask lv-acq-2 lv-half" data-competency="C2"' in c2.html


def test_cached_blocks_follow_a_change_of_the_referentiel(demo_db):
    learner = fullest_learner(demo_db)
    user = staff_of(demo_db, learner)
    before = dashboard.cached_blocks(demo_db, user, learner, grid.GridOptions())
    with transaction(demo_db):
        demo_db.execute("UPDATE criteria SET text = 'Les informations sont recueillies et vérifiées' "
                        "WHERE id = (SELECT cr.id FROM criteria cr JOIN competencies c ON c.id = cr.competency_id "
                        "WHERE c.code = 'C1' ORDER BY cr.position LIMIT 1)")
    after = dashboard.cached_blocks(demo_db, user, learner, grid.GridOptions())
    assert "Les informations sont recueillies et vérifiées" in after[0].html
    assert "Les informations sont recueillies et vérifiées" not in before[0].html


def test_summary_gives_the_filters_choices_and_counts(demo_db):
    learner = fullest_learner(demo_db)
    user = staff_of(demo_db, learner)
    summary = dashboard.cached_summary(demo_db, user, learner)
    data = dashboard.learner_data(demo_db, user, learner)
    assert summary.unit_codes == ("U2", "U31", "U32")
    assert dict(summary.complexity_counts) == dashboard.complexity_counts(data.results)
    assert summary.has_results


def test_prefetch_renders_the_neighbours_the_user_may_read(demo_db, roles):
    ids = [int(i) for (i,) in demo_db.execute("SELECT id FROM learners WHERE class_id = ? ORDER BY id LIMIT 2",
                                              [roles["class_id"]]).fetchall()]
    taught = ",".join(str(i) for i in roles["teacher"].class_ids)
    foreign = int(demo_db.execute(f"SELECT id FROM learners WHERE class_id NOT IN ({taught}) LIMIT 1").fetchone()[0])
    options = grid.GridOptions(condensed=True)
    dashboard.clear_caches()
    dashboard.prefetch(demo_db, roles["teacher"], [*ids, foreign], options)
    dashboard.wait_for_prefetches()
    assert [dashboard.is_rendered(demo_db, i, options) for i in [*ids, foreign]] == [True, True, False]
    data = dashboard.learner_data(demo_db, roles["teacher"], ids[0])
    assert dashboard.cached_blocks(demo_db, roles["teacher"], ids[0], options) == tuple(
        grid.render_blocks(data.referentiel, data.results, data.bilans, options, data.drafts))
    with pytest.raises(PermissionDenied):
        dashboard.cached_blocks(demo_db, roles["teacher"], foreign, options)


def test_unit_filter_choices():
    assert dashboard.chosen_units([dashboard.ALL_UNITS]) == ()
    assert dashboard.chosen_units([]) == () and dashboard.chosen_units(None) == ()
    assert dashboard.chosen_units(["U32", "U2"]) == ("U2", "U32")
    # « Tout afficher » and single units exclude each other: the last click wins.
    assert dashboard.exclusive_units([dashboard.ALL_UNITS, "U2"], [dashboard.ALL_UNITS]) == ["U2"]
    assert dashboard.exclusive_units(["U2", "U31"], ["U2"]) == ["U2", "U31"]
    assert dashboard.exclusive_units(["U2", dashboard.ALL_UNITS], ["U2"]) == [dashboard.ALL_UNITS]
    assert dashboard.exclusive_units([], ["U2"]) == [dashboard.ALL_UNITS]


# ---------------------------------------------------------------- the page (AppTest)


def run_page(app_env, user_id) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["user_id"] = user_id
    return at.run()


def bilan_sheet_data(at: AppTest) -> dict:
    """What the « BI » element of the page carries (components v2: its data as JSON)."""
    import json

    from livret.ui import bilan_sheet

    return next(json.loads(b.proto.json) for b in at.get("bidi_component")
                if b.proto.component_name == bilan_sheet.COMPONENT)


def grid_html(at: AppTest) -> str:
    """The HTML of the page, without the stylesheet: st.html elements and the grid's blocks
    (components v2 elements whose data is the block's HTML)."""
    blocks = [grid_element.grid_html(b) for b in at.get("bidi_component") if b.proto.component_name == grid_element.COMPONENT]
    return "".join([*(h.proto.body for h in at.html if not h.proto.body.startswith("<style>")), *blocks])


def asks(at: AppTest) -> dict[str, str]:
    """Competency code → what the button ending its blue line shows."""
    return dict(re.findall(r'<button type="button" class="lv-ask[^"]*" data-competency="([^"]+)"[^>]*>([^<]*)</button>',
                           grid_html(at)))


def test_page_shows_selection_filters_grid_and_buttons(app_env):
    db = connect(app_env)
    teacher = first_user(db, "teacher")
    at = run_page(app_env, teacher.id)
    assert not at.exception
    assert [s.label for s in at.selectbox] == ["Classe", "Apprenant"]
    learner = db.execute("SELECT id FROM learners WHERE last_name || ' ' || first_name = ? AND class_id IN "
                         "(SELECT class_id FROM teacher_classes WHERE user_id = ?)",
                         [at.selectbox[1].value, teacher.id]).fetchone()[0]
    counts = dashboard.complexity_counts(dashboard.learner_data(db, teacher, learner).results)
    assert [t.label for t in at.toggle] == [f"{code} ({counts[code]})" for code in ("D", "Int", "B", "E")]
    bi = bilan_sheet_data(at)
    assert bi["help"] == "Créer le bilan intermédiaire de compétences" and bi["sheet"]["title"].startswith("Bilan de ")
    assert asks(at) == {f"C{n}": "?" for n in range(1, 14)}
    assert [p.label for p in at.segmented_control] == ["Affichage", "Titres", "Vue"]
    html = grid_html(at)
    assert "C1 - Analyser les conditions de l&#x27;opération et son contexte" in html
    assert '<option value="lv-C13">C13 - ' in html and "Aller à la compétence" in html
    assert "Objectifs intermédiaires" in html  # the legend
    assert 'data-complexity="B"' in html or 'data-complexity="D"' in html


def test_page_filters_and_modes_change_the_grid(app_env):
    db = connect(app_env)
    at = run_page(app_env, first_user(db, "ddfpt").id)
    at.toggle(key="tdb_E").set_value(False).run()
    assert 'data-complexity="E"' not in grid_html(at) and 'data-complexity="D"' in grid_html(at)
    at.pills(key="tdb_unites").set_value(["U32"]).run()
    assert asks(at) == {"C8": "?", "C9": "?"}
    at.segmented_control(key="tdb_affichage").set_value("Condensé").run()
    assert 'class="lv-grid lv-condensed"' in grid_html(at) and "lv-chrono" not in grid_html(at)
    at.segmented_control(key="tdb_vue").set_value("Compact").run()
    assert "<table" not in grid_html(at)
    assert not at.exception


def test_page_question_mark_shows_the_draft_positioning(app_env):
    db = connect(app_env)
    teacher = first_user(db, "teacher")
    at = run_page(app_env, teacher.id)
    learner = db.execute("SELECT id FROM learners WHERE last_name || ' ' || first_name = ?",
                         [at.selectbox[1].value]).fetchone()[0]
    add_draft(db, learner, {"C1": (3, "intermediate"), "C4": (None, None)})
    at.run()
    shown = asks(at)
    assert (shown["C1"], shown["C4"], shown["C2"]) == ("+", "NE", "?")
    assert 'class="lv-ask lv-acq-3 lv-half" data-competency="C1"' in grid_html(at)


def test_page_refuses_a_learner_role(app_env):
    db = connect(app_env)
    at = run_page(app_env, first_user(db, "learner").id)
    assert not at.exception
    assert at.error or at.info
    assert not asks(at)


def test_an_unlocked_bilan_is_what_the_blue_lines_edit(demo_db, roles):
    from livret import bilans

    teacher, ddfpt, learner_id = roles["teacher"], roles["ddfpt"], roles["learner"].learner_id
    c1 = demo_db.execute("SELECT id FROM competencies WHERE code = 'C1'").fetchone()[0]
    bilans.save_draft_positioning(demo_db, teacher, learner_id, c1, bilans.Positioning(4, "terminal"))
    assert dashboard.learner_data(demo_db, teacher, learner_id).editing is None
    latest = bilans.latest_validated_bilan(demo_db, teacher, learner_id)
    bilans.unlock_bilan(demo_db, ddfpt, latest.id)
    data = dashboard.learner_data(demo_db, teacher, learner_id)
    assert data.editing.bilan_id == latest.id and data.editing.date_label == "27/03/2026"
    stored = bilans.bilan_positionings(demo_db, teacher, latest.id)
    assert len(data.drafts) == 13
    assert data.drafts.set_index("competency_id").loc[c1, "level"] == stored[c1].level  # not the draft's ++
    summary = dashboard.cached_summary(demo_db, teacher, learner_id)
    assert summary.editing == data.editing
    html = "".join(b.html for b in dashboard.cached_blocks(demo_db, teacher, learner_id, dashboard.grid.GridOptions()))
    assert "dans le bilan déverrouillé du 27/03/2026" in html and "lv-editing" in html
    bilans.save_unlocked_positioning(demo_db, teacher, latest.id, c1, bilans.Positioning(1, "terminal"))
    assert dashboard.learner_data(demo_db, teacher, learner_id).drafts.set_index("competency_id").loc[c1, "level"] == 1
    bilans.reconfirm_bilan(demo_db, ddfpt, latest.id, "CONFIRMATION")
    assert dashboard.cached_summary(demo_db, teacher, learner_id).editing is None


def test_the_dialogs_follow_the_schools_method_and_not_the_draft(demo_db, roles):
    from livret import bilans, school

    teacher, learner = roles["teacher"], roles["learner"].learner_id
    first = dashboard.cached_view(demo_db, teacher, learner, grid.GridOptions()).dialogs
    assert "Méthode : Moyenne décroissante" in first["C1"]["head"] and len(first) == 13
    c1 = demo_db.execute("SELECT id FROM competencies WHERE code = 'C1'").fetchone()[0]
    bilans.save_draft_positioning(demo_db, teacher, learner, c1, bilans.Positioning(4, "terminal"))
    assert dashboard.cached_view(demo_db, teacher, learner, grid.GridOptions()).dialogs is first  # same evidence
    school.set_proposition_method(demo_db, roles["ddfpt"], "latest")
    later = dashboard.cached_view(demo_db, teacher, learner, grid.GridOptions()).dialogs
    assert "Méthode : Résultat le plus récent" in later["C1"]["head"]


def test_the_bilan_sheet_shows_the_draft_and_redraws_from_its_kit(demo_db, roles):
    from livret import bilans
    from livret.render import bilan_document

    teacher, learner = roles["teacher"], roles["learner"].learner_id
    name = bilans.learner_name(demo_db, teacher, learner)
    sheet = dashboard.cached_bilan_sheet(demo_db, teacher, learner)
    assert sheet.title == f"Bilan de {name}" and sheet.draft_id is None
    assert "(à valider)" in sheet.body and 'class="radar"' in sheet.body and "Par unité" in sheet.body
    assert sheet.competencies[0] == ("C1", "C1 - Analyser les conditions de l'opération et son contexte")
    assert dashboard.cached_bilan_sheet(demo_db, teacher, learner) is sheet  # same version: from the cache
    c1 = demo_db.execute("SELECT id FROM competencies WHERE code = 'C1'").fetchone()[0]
    bilans.save_draft_positioning(demo_db, teacher, learner, c1, bilans.Positioning(3, "terminal"))
    bilans.save_draft_texts(demo_db, teacher, learner, constats="<b>Soigneux</b>")
    later = dashboard.cached_bilan_sheet(demo_db, teacher, learner)
    assert later.version > sheet.version and later.constats == "<b>Soigneux</b>"
    assert later.state["C1"] == "3-terminal" and later.state["C2"] is None
    assert later.draft_id == bilans.read_draft(demo_db, teacher, learner).bilan_id
    # What the browser redraws C1 with is exactly what the server draws for that positioning.
    assert later.kit["badges"]["3-terminal"] == bilan_document.positioning_badge(3, "terminal")
    assert f'<td data-draft="C1">{later.kit["badges"]["3-terminal"]}</td>' in later.body
    assert later.kit["radar"]["marker"]["C1"]["3-terminal"] in later.body
    assert later.kit["radar"]["marker"]["C1"]["ne"] in sheet.body
    answer = dashboard.positioned_answer(demo_db, teacher, learner, "C1")
    assert (answer["variant"], answer["draft"], answer["editing"]) == ("3-terminal", later.draft_id, False)
    assert dashboard.positioned_answer(demo_db, teacher, learner, "C2")["variant"] is None


def test_the_page_sends_the_learners_draft_to_the_bilan_dialog(app_env):
    from livret import bilans

    db = connect(app_env)
    teacher = first_user(db, "teacher")
    at = run_page(app_env, teacher.id)
    learner = db.execute("SELECT id FROM learners WHERE last_name || ' ' || first_name = ?",
                         [at.selectbox[1].value]).fetchone()[0]
    data = bilan_sheet_data(at)
    sheet = data["sheet"]
    assert sheet["title"] == f"Bilan de {bilans.learner_name(db, teacher, learner)}" and "(à valider)" in sheet["body"]
    assert sheet["state"] == {f"C{n}": None for n in range(1, 14)}  # all « ? »: « Confirmer » will refuse
    assert data["texts"]["problem"] == bilans.NOTHING_POSITIONED_MESSAGE
    assert sheet["body"].count('data-draft="C1"') == 2  # the draft's column and its unit view
    assert set(sheet["kit"]["radar"]["marker"]["C1"]) == {"ne", *(f"{lv}-{o}" for lv in range(1, 5)
                                                                  for o in ("intermediate", "terminal"))}
