"""Page « Notation » driven by AppTest on a private demo school (SPEC N1–N7)."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from livret import grade_arithmetic as arithmetic
from livret import grading
from livret.db import connect

from .conftest import ROOT, first_user, user_by_email

PAGE = str(ROOT / "views" / "notation.py")
OPEN = "Noter le dernier bilan des apprenants"


@pytest.fixture
def db(app_env):
    database = connect(app_env)
    yield database
    database.close()


@pytest.fixture
def teacher(db):
    return user_by_email(db, "marc.lefebvre@lycee-demo.fr")


def run(user_id: int) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.session_state["user_id"] = user_id
    return at.run()


def button(at: AppTest, label: str):
    matches = [b for b in at.button if b.label.startswith(label)]
    assert matches, [b.label for b in at.button]
    return matches[0]


def markdown(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown]


def first_learner(db, teacher):
    """The learner the page opens on: first class by name, first learner by name."""
    class_id = db.execute("SELECT c.id FROM classes c JOIN teacher_classes t ON t.class_id = c.id "
                          "WHERE t.user_id = ? ORDER BY c.name LIMIT 1", [teacher.id]).fetchone()[0]
    learner_id = db.execute("SELECT id FROM learners WHERE class_id = ? ORDER BY last_name COLLATE NOCASE, "
                            "first_name COLLATE NOCASE, id LIMIT 1", [class_id]).fetchone()[0]
    return class_id, learner_id


def opened(teacher) -> AppTest:
    at = run(teacher.id)
    assert not at.exception
    button(at, OPEN).click().run()
    assert not at.exception
    return at


def test_opening_shows_the_grid_of_the_latest_bilan_and_what_remains(db, teacher):
    at = opened(teacher)
    _, learner_id = first_learner(db, teacher)
    bilan = grading.latest_validated_bilan(db, teacher, learner_id)
    assert at.subheader[0].value == f"Notation du bilan du 27/03/2026 — {bilan.full_name}"
    assert "##### Reste à répartir : 100 %" in markdown(at)
    grid = at.dataframe[0].value
    assert list(grid["Positionnement"]) == [line.short for line in bilan.lines]
    assert grid["Pondération (%)"].sum() == 0
    assert not at.metric  # no grade before the 100 % are distributed
    assert button(at, "Enregistrer les notes").disabled
    assert any(arithmetic.FORMULA in c.value for c in at.caption)


def test_model_weighting_proposes_the_grade_and_reset_clears_it(db, teacher):
    at = opened(teacher)
    _, learner_id = first_learner(db, teacher)
    bilan = grading.latest_validated_bilan(db, teacher, learner_id)
    button(at, "Pondération modèle").click().run()
    model = arithmetic.model_weighting(bilan.lines)
    assert list(at.dataframe[0].value["Pondération (%)"]) == [model[line.id] for line in bilan.lines]
    assert "##### Reste à répartir : 0 %" in markdown(at)
    expected = arithmetic.format_grade(arithmetic.exact_grade(bilan, model), "0.1")
    assert at.metric[0].value == f"{expected} / 20"
    assert f"**Calcul :** {arithmetic.developed_formula(bilan, model, '0.1')}" in markdown(at)
    assert not button(at, "Enregistrer les notes").disabled
    button(at, "Remise à zéro").click().run()
    assert "##### Reste à répartir : 100 %" in markdown(at)
    assert not at.metric and at.dataframe[0].value["Pondération (%)"].sum() == 0


def test_duplicate_then_save_grades_three_learners(db, teacher):
    at = opened(teacher)
    class_id, learner_id = first_learner(db, teacher)
    bilan = grading.latest_validated_bilan(db, teacher, learner_id)
    button(at, "Pondération modèle").click().run()
    button(at, "Dupliquer la pondération").click().run()
    others = grading.same_profile_bilans(db, teacher, bilan)
    model = arithmetic.model_weighting(bilan.lines)
    expected = {f"{o.full_name} — {arithmetic.format_grade(arithmetic.exact_grade(o, model), '0.1')} / 20": o
                for o in others}
    assert sorted(c.label for c in at.checkbox) == sorted(expected)
    tick = [label for label in expected if expected[label] in (others[0], others[2])]
    for label in tick:
        next(c for c in at.checkbox if c.label == label).check().run()
    assert button(at, "Enregistrer les notes").label == "Enregistrer les notes (3 apprenants)"
    button(at, "Enregistrer les notes").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("3 notes enregistrées : ")
    stored = db.execute("SELECT b.learner_id FROM grades g JOIN bilans b ON b.id = g.bilan_id ORDER BY g.id").fetchall()
    assert [r[0] for r in stored] == [learner_id, others[0].learner_id, others[2].learner_id]
    table = at.dataframe[-1].value
    assert len(table) == 3 and set(table["Par"]) == {teacher.name}
    assert not any(c.value for c in at.checkbox)  # ticks cleared once saved
    # Graded again: a second version, the caption says so.
    button(at, "Enregistrer les notes").click().run()
    assert any("2 versions" in c.value for c in at.caption)
    assert db.execute("SELECT count(*) FROM grades").fetchone()[0] == 4


def test_a_learner_without_validated_bilan_gets_a_clear_message(db, teacher):
    _, learner_id = first_learner(db, teacher)
    db.execute("UPDATE bilans SET status = 'unlocked' WHERE learner_id = ?", [learner_id])
    at = opened(teacher)
    assert "n'a encore aucun bilan validé : il n'y a rien à noter." in at.warning[0].value
    assert not at.dataframe or "Pondération (%)" not in at.dataframe[0].value.columns


def test_ddfpt_sets_the_rounding_step_and_teachers_see_it(db, teacher):
    ddfpt = first_user(db, "ddfpt")
    at = opened(ddfpt)
    button(at, "Pondération modèle").click().run()
    at.selectbox(key="notation_step").set_value("0.5").run()
    assert not at.exception
    assert grading.rounding_step(db, ddfpt) == grading.Decimal("0.5")
    value = at.metric[0].value.removesuffix(" / 20")
    assert value.endswith((",0", ",5"))
    at = opened(teacher)
    assert not [s for s in at.selectbox if s.label == "Pas d'arrondi de la note"]
    assert any("arrondie au pas de 0,5" in c.value for c in at.caption)


def test_page_refuses_a_learner_account(db):
    at = run(first_user(db, "learner").id)
    assert not at.exception
    assert at.error[0].value == "Votre profil ne permet pas cette action."
    assert not [b for b in at.button if b.label == OPEN]


def test_export_button_offers_the_class_csv(db, teacher):
    at = opened(teacher)
    button(at, "Pondération modèle").click().run()
    button(at, "Enregistrer les notes").click().run()
    class_id, _ = first_learner(db, teacher)
    download = [d for d in at.get("download_button")]
    assert download, "no download button"
    assert download[0].proto.label == "Exporter CSV"
    assert grading.export_csv(db, teacher, class_id).decode("utf-8-sig").count("\r\n") == 2


def test_a_saved_weighting_reopens_as_saved(db, teacher):
    at = opened(teacher)
    button(at, "Pondération modèle").click().run()
    button(at, "Enregistrer les notes").click().run()
    _, learner_id = first_learner(db, teacher)
    bilan = grading.latest_validated_bilan(db, teacher, learner_id)
    model = arithmetic.model_weighting(bilan.lines)
    again = opened(teacher)  # a new session, e.g. the next day
    assert list(again.dataframe[0].value["Pondération (%)"]) == [model[line.id] for line in bilan.lines]
    grade = arithmetic.format_grade(arithmetic.exact_grade(bilan, model), "0.1")
    assert any(c.value.startswith(f"Note enregistrée : {grade} / 20, le ") and teacher.name in c.value
               for c in again.caption)


def test_names_are_shown_literally(db, teacher):
    _, learner_id = first_learner(db, teacher)
    db.execute("UPDATE learners SET last_name = '*GRAS* [lien](http://x.example)' WHERE id = ?", [learner_id])
    at = opened(teacher)
    assert not at.exception
    assert r"\*GRAS\* \[lien\](http:" + "\u2060//x.example)" in at.subheader[0].value  # the address is not linked


RECOVERED = "Pondération en cours retrouvée (non enregistrée, modifiée le "


def type_weights(at: AppTest, by_row: dict[int, int]) -> AppTest:
    """Edit the weights grid as the browser reports a teacher's typing (the editor's edit state)."""
    grid = at.data_editor[0]
    at.session_state[grid.key] = {"edited_rows": {row: {"Pondération (%)": weight} for row, weight in by_row.items()},
                                  "added_rows": [], "deleted_rows": []}
    return at.run()


def test_typed_weights_are_found_again_by_a_new_session(db, teacher):
    at = opened(teacher)
    assert not [c for c in at.caption if c.value.startswith(RECOVERED)]
    type_weights(at, {0: 40, 2: 30})
    assert not at.exception
    assert "##### Reste à répartir : 30 %" in markdown(at)
    assert db.execute("SELECT count(*) FROM grades").fetchone()[0] == 0

    again = opened(teacher)  # a reload, a closed tab or another device: nothing of the session is left
    weights = list(again.dataframe[0].value["Pondération (%)"])
    assert weights[:3] == [40, 0, 30] and sum(weights) == 70
    assert "##### Reste à répartir : 30 %" in markdown(again)
    recovered = [c.value for c in again.caption if c.value.startswith(RECOVERED)]
    assert len(recovered) == 1
    assert re.fullmatch(r"Pondération en cours retrouvée \(non enregistrée, modifiée le "
                        r"\d\d/\d\d/\d{4} à \d\d:\d\d\)\.", recovered[0]), recovered[0]
    # Found again, then changed: still kept, and « Remise à zéro » forgets it.
    type_weights(again, {1: 30})
    assert "##### Reste à répartir : 0 %" in markdown(again)
    assert not [c for c in again.caption if c.value.startswith(RECOVERED)]
    assert list(opened(teacher).dataframe[0].value["Pondération (%)"])[:3] == [40, 30, 30]
    button(again, "Remise à zéro").click().run()
    fresh = opened(teacher)
    assert "##### Reste à répartir : 100 %" in markdown(fresh)
    assert not [c for c in fresh.caption if c.value.startswith(RECOVERED)]


def test_a_refused_edit_keeps_the_last_accepted_draft(db, teacher):
    at = opened(teacher)
    type_weights(at, {0: 40})
    at = opened(teacher)
    at = type_weights(at, {0: 40, 1: 70})  # 110 %: refused
    assert any("Saisie refusée" in e.value for e in at.error)
    assert "##### Reste à répartir : 60 %" in markdown(opened(teacher))


def test_the_model_weighting_is_kept_until_the_grades_are_saved(db, teacher):
    at = opened(teacher)
    _, learner_id = first_learner(db, teacher)
    bilan = grading.latest_validated_bilan(db, teacher, learner_id)
    model = [arithmetic.model_weighting(bilan.lines)[line.id] for line in bilan.lines]
    button(at, "Pondération modèle").click().run()
    again = opened(teacher)
    assert list(again.dataframe[0].value["Pondération (%)"]) == model
    assert [c.value for c in again.caption if c.value.startswith(RECOVERED)]
    button(again, "Enregistrer les notes").click().run()
    assert again.success[0].value.startswith("1 note enregistrée")
    assert not [c for c in again.caption if c.value.startswith(RECOVERED)]
    saved = opened(teacher)  # opens on the saved weighting, with nothing left in progress
    assert list(saved.dataframe[0].value["Pondération (%)"]) == model
    assert not [c for c in saved.caption if c.value.startswith(RECOVERED)]
    assert db.execute("SELECT count(*) FROM grading_drafts").fetchone()[0] == 0
