"""Entering evaluations and results (SPEC E2): rules, permissions, bad input, lock and audit, grid helpers."""

import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from livret import evaluations
from livret.errors import PermissionDenied, ValidationError
from livret.ui import entry_grid

from .conftest import ROOT, snapshot


def criteria_of(db, *codes):
    """Ids of the criteria of some competencies of the MELEC référentiel, in order."""
    marks = ",".join("?" * len(codes))
    return [r[0] for r in db.execute(
        f"SELECT cr.id FROM criteria cr JOIN competencies c ON c.id = cr.competency_id "
        f"WHERE c.diploma = 'BACPRO-MELEC' AND c.code IN ({marks}) ORDER BY c.position, cr.position", codes)]


def learners_of(db, class_id):
    return [r[0] for r in db.execute("SELECT id FROM learners WHERE class_id = ? ORDER BY last_name, first_name",
                                     [class_id])]


@pytest.fixture
def new_eval(demo_db, roles):
    """A fresh school evaluation of the teacher's class on the criteria of C4."""
    return evaluations.create_evaluation(demo_db, roles["teacher"], roles["class_id"], title="Câblage d'un coffret",
                                   eval_date="2026-11-30", complexity="Int", criterion_ids=criteria_of(demo_db, "C4"))


def locked_evaluation(db, class_id):
    """A demo evaluation of the class already taken into account by the December bilans."""
    return db.execute(
        "SELECT e.id FROM evaluations e WHERE e.class_id = ? AND e.context = 'school' AND e.modified_at < '2025-12-01' "
        "AND EXISTS (SELECT 1 FROM results r WHERE r.evaluation_id = e.id) ORDER BY e.modified_at DESC LIMIT 1",
        [class_id]).fetchone()[0]


# ---------------------------------------------------------------- creating


def test_create_school_evaluation(demo_db, roles, new_eval):
    row = demo_db.execute("SELECT class_id, learner_id, title, eval_date, context, complexity, created_at, modified_at, "
                          "author_id FROM evaluations WHERE id = ?", [new_eval]).fetchone()
    assert row[:6] == (roles["class_id"], None, "Câblage d'un coffret", "2026-11-30", "school", "Int")
    assert row[6] == row[7] and row[8] == roles["teacher"].id
    stored = {r[0] for r in demo_db.execute("SELECT criterion_id FROM evaluation_criteria WHERE evaluation_id = ?",
                                            [new_eval])}
    assert stored == set(criteria_of(demo_db, "C4"))
    listing = evaluations.class_evaluations(demo_db, roles["teacher"], roles["class_id"])
    assert listing.iloc[0]["id"] == new_eval and listing.iloc[0]["code"] == "Int"
    assert listing.iloc[0]["results"] == 0


def test_create_company_evaluation_concerns_one_learner(demo_db, roles):
    learner = learners_of(demo_db, roles["class_id"])[3]
    evaluation = evaluations.create_evaluation(demo_db, roles["teacher"], roles["class_id"], title="Bilan PFMP 3",
                                         eval_date="2026-06-01", complexity="E",
                                         criterion_ids=criteria_of(demo_db, "C1"), learner_id=learner)
    row = demo_db.execute("SELECT context, complexity, learner_id FROM evaluations WHERE id = ?", [evaluation]).fetchone()
    assert row == ("company", None, learner)
    table = evaluations.result_table(demo_db, roles["teacher"], evaluation)
    assert list(table["learner_id"]) == [learner]
    detail = evaluations.evaluation_detail(demo_db, roles["teacher"], evaluation)
    assert detail.code == "E" and detail.learner_name


def test_company_evaluation_needs_a_learner_of_the_class(demo_db, roles):
    before = snapshot(demo_db)
    with pytest.raises(ValidationError, match="choisissez lequel"):
        evaluations.create_evaluation(demo_db, roles["teacher"], roles["class_id"], title="PFMP", eval_date="2026-06-01",
                                complexity="E", criterion_ids=criteria_of(demo_db, "C1"))
    other_class_learner = demo_db.execute("SELECT id FROM learners WHERE class_id <> ? LIMIT 1",
                                          [roles["class_id"]]).fetchone()[0]
    with pytest.raises(ValidationError, match="pas dans la classe"):
        evaluations.create_evaluation(demo_db, roles["teacher"], roles["class_id"], title="PFMP", eval_date="2026-06-01",
                                complexity="E", criterion_ids=criteria_of(demo_db, "C1"),
                                learner_id=other_class_learner)
    assert snapshot(demo_db) == before


@pytest.mark.parametrize("fields, message", [
    ({"title": "   "}, "Donnez un titre"),
    ({"title": "x" * 201}, "trop long"),
    ({"criterion_ids": []}, "au moins un critère"),
    ({"eval_date": "02/03/2026"}, "Date invalide : « 02/03/2026 »"),
    ({"eval_date": "2026-02-30"}, "Date invalide"),
    ({"complexity": "X"}, "Niveau de complexité inconnu"),
    ({"criterion_ids": [999_999]}, "Critère inconnu"),
])
def test_create_refuses_bad_input_and_changes_nothing(demo_db, roles, fields, message):
    before = snapshot(demo_db)
    arguments = {"title": "Essai", "eval_date": "2026-03-02", "complexity": "D",
                 "criterion_ids": criteria_of(demo_db, "C2"), **fields}
    with pytest.raises(ValidationError, match=message):
        evaluations.create_evaluation(demo_db, roles["teacher"], roles["class_id"], **arguments)
    assert snapshot(demo_db) == before


def test_same_title_and_date_twice_is_refused(demo_db, roles, new_eval):
    before = snapshot(demo_db)
    with pytest.raises(ValidationError, match="existe déjà"):
        evaluations.create_evaluation(demo_db, roles["teacher"], roles["class_id"], title="Câblage d'un coffret",
                                eval_date="2026-11-30", complexity="B", criterion_ids=criteria_of(demo_db, "C1"))
    assert snapshot(demo_db) == before


# ---------------------------------------------------------------- permissions


def _calls(db, evaluation, learner, criterion):
    return {
        "create": lambda u, c: evaluations.create_evaluation(db, u, c, title="T", eval_date="2026-01-05", complexity="D",
                                                       criterion_ids=[criterion]),
        "list": lambda u, c: evaluations.class_evaluations(db, u, c),
        "criteria": lambda u, c: evaluations.class_criteria(db, u, c),
        "detail": lambda u, c: evaluations.evaluation_detail(db, u, evaluation),
        "table": lambda u, c: evaluations.result_table(db, u, evaluation),
        "save": lambda u, c: evaluations.save_results(db, u, evaluation, {(learner, criterion): "RT"}),
        "fill": lambda u, c: evaluations.fill_criterion(db, u, evaluation, criterion, "RA"),
        "absent": lambda u, c: evaluations.mark_absent(db, u, evaluation, learner),
        "update": lambda u, c: evaluations.update_evaluation(db, u, evaluation, title="Autre", eval_date="2026-01-05",
                                                       complexity="D", criterion_ids=[criterion]),
        "delete": lambda u, c: evaluations.delete_evaluation(db, u, evaluation, confirmed=True),
    }


@pytest.mark.parametrize("who", ["learner", "admin", "other_teacher"])
@pytest.mark.parametrize("action", ["create", "list", "criteria", "detail", "table", "save", "fill", "absent",
                                    "update", "delete"])
def test_only_staff_of_the_class_may_enter(demo_db, roles, new_eval, who, action):
    criterion = criteria_of(demo_db, "C4")[0]
    learner = learners_of(demo_db, roles["class_id"])[0]
    before = snapshot(demo_db)
    with pytest.raises(PermissionDenied):
        _calls(demo_db, new_eval, learner, criterion)[action](roles[who], roles["class_id"])
    assert snapshot(demo_db) == before


def test_ddfpt_may_enter_in_every_class(demo_db, roles, new_eval):
    criterion = criteria_of(demo_db, "C4")[0]
    learner = learners_of(demo_db, roles["class_id"])[0]
    assert evaluations.save_results(demo_db, roles["ddfpt"], new_eval, {(learner, criterion): "RT"}) == 1
    other_class = demo_db.execute("SELECT id FROM classes WHERE id <> ? LIMIT 1", [roles["class_id"]]).fetchone()[0]
    assert evaluations.create_evaluation(demo_db, roles["ddfpt"], other_class, title="DDFPT", eval_date="2026-01-05",
                                   complexity="B", criterion_ids=[criterion]) > 0


# ---------------------------------------------------------------- results


def test_save_results_writes_changes_and_touches_modified_at(demo_db, roles, new_eval):
    c1, c2 = criteria_of(demo_db, "C4")[:2]
    a, b = learners_of(demo_db, roles["class_id"])[:2]
    demo_db.execute("UPDATE evaluations SET modified_at = '2026-01-01 08:00:00' WHERE id = ?", [new_eval])
    version = demo_db.execute("SELECT version FROM learners WHERE id = ?", [a]).fetchone()[0]
    assert evaluations.save_results(demo_db, roles["teacher"], new_eval, {(a, c1): "RT", (a, c2): "pr", (b, c1): "NA"}) == 3
    assert evaluations.evaluation_results(demo_db, roles["teacher"], new_eval) == {(a, c1): "RT", (a, c2): "PR", (b, c1): "NA"}
    modified = demo_db.execute("SELECT modified_at FROM evaluations WHERE id = ?", [new_eval]).fetchone()[0]
    assert modified > "2026-01-01 08:00:00"
    assert demo_db.execute("SELECT version FROM learners WHERE id = ?", [a]).fetchone()[0] > version
    table = evaluations.result_table(demo_db, roles["teacher"], new_eval)
    assert table.loc[table["learner_id"] == a, c2].item() == "PR"
    assert pd.isna(table.loc[table["learner_id"] == b, c2].item())
    # Clearing a cell deletes its result.
    assert evaluations.save_results(demo_db, roles["teacher"], new_eval, {(b, c1): None}) == 1
    assert (b, c1) not in evaluations.evaluation_results(demo_db, roles["teacher"], new_eval)


def test_saving_the_same_grid_again_writes_nothing(demo_db, roles, new_eval):
    c1 = criteria_of(demo_db, "C4")[0]
    a = learners_of(demo_db, roles["class_id"])[0]
    evaluations.save_results(demo_db, roles["teacher"], new_eval, {(a, c1): "RA"})
    demo_db.execute("UPDATE evaluations SET modified_at = '2026-01-01 08:00:00' WHERE id = ?", [new_eval])
    before = snapshot(demo_db)
    assert evaluations.save_results(demo_db, roles["teacher"], new_eval, {(a, c1): "RA"}) == 0
    assert evaluations.save_results(demo_db, roles["teacher"], new_eval, {}) == 0
    assert snapshot(demo_db) == before


@pytest.mark.parametrize("bad, message", [
    ("unknown_code", "Code de résultat inconnu : « XX »"),
    ("other_class_learner", "pas dans la classe"),
    ("criterion_not_assessed", "n'est pas évalué par cette évaluation"),
])
def test_save_results_refuses_bad_cells_and_changes_nothing(demo_db, roles, new_eval, bad, message):
    c1 = criteria_of(demo_db, "C4")[0]
    a = learners_of(demo_db, roles["class_id"])[0]
    other = demo_db.execute("SELECT id FROM learners WHERE class_id <> ? LIMIT 1", [roles["class_id"]]).fetchone()[0]
    changes = {(a, c1): "RT"}  # a valid cell too: the whole batch is refused
    changes |= {
        "unknown_code": {(learners_of(demo_db, roles["class_id"])[1], c1): "XX"},
        "other_class_learner": {(other, c1): "RT"},
        "criterion_not_assessed": {(a, criteria_of(demo_db, "C1")[0]): "RT"},
    }[bad]
    before = snapshot(demo_db)
    with pytest.raises(ValidationError, match=message):
        evaluations.save_results(demo_db, roles["teacher"], new_eval, changes)
    assert snapshot(demo_db) == before


def test_company_evaluation_refuses_another_learner(demo_db, roles):
    evaluation, learner = demo_db.execute(
        "SELECT id, learner_id FROM evaluations WHERE class_id = ? AND context = 'company' ORDER BY id DESC LIMIT 1",
        [roles["class_id"]]).fetchone()
    other = next(i for i in learners_of(demo_db, roles["class_id"]) if i != learner)
    criterion = demo_db.execute("SELECT criterion_id FROM evaluation_criteria WHERE evaluation_id = ?",
                                [evaluation]).fetchone()[0]
    before = snapshot(demo_db)
    with pytest.raises(ValidationError, match="autre apprenant"):
        evaluations.save_results(demo_db, roles["teacher"], evaluation, {(other, criterion): "RT"}, confirm_locked=True)
    assert snapshot(demo_db) == before


def test_fill_criterion_and_mark_absent(demo_db, roles, new_eval):
    c1, c2 = criteria_of(demo_db, "C4")[:2]
    learners = learners_of(demo_db, roles["class_id"])
    evaluations.save_results(demo_db, roles["teacher"], new_eval, {(learners[0], c1): "NA"})
    assert evaluations.fill_criterion(demo_db, roles["teacher"], new_eval, c1, "RT") == len(learners) - 1
    results = evaluations.evaluation_results(demo_db, roles["teacher"], new_eval)
    assert results[(learners[0], c1)] == "NA" and all(results[(i, c1)] == "RT" for i in learners[1:])
    assert evaluations.fill_criterion(demo_db, roles["teacher"], new_eval, c1, "RA", only_empty=False) == len(learners)
    assert evaluations.mark_absent(demo_db, roles["teacher"], new_eval, learners[2],
                             confirm_replace=True) == len(criteria_of(demo_db, "C4"))
    results = evaluations.evaluation_results(demo_db, roles["teacher"], new_eval)
    assert {results[(learners[2], c)] for c in criteria_of(demo_db, "C4")} == {"AB"}
    assert results[(learners[1], c1)] == "RA" and (learners[1], c2) not in results
    before = snapshot(demo_db)
    with pytest.raises(ValidationError, match="Code de résultat inconnu"):
        evaluations.fill_criterion(demo_db, roles["teacher"], new_eval, c1, "ZZ")
    assert snapshot(demo_db) == before


# ---------------------------------------------------------------- evaluations already in a bilan


def test_editing_results_of_an_evaluation_in_a_validated_bilan(demo_db, roles):
    evaluation = locked_evaluation(demo_db, roles["class_id"])
    assert evaluations.taken_into_account(demo_db, evaluation) == "2026-03-27 17:00:00"  # the 18:00 council in Paris, stored in UTC
    (learner, criterion, code), = demo_db.execute(
        "SELECT learner_id, criterion_id, code FROM results WHERE evaluation_id = ? AND code <> 'NV' LIMIT 1",
        [evaluation]).fetchall()
    new_code = "NV"
    before = snapshot(demo_db)
    with pytest.raises(evaluations.ConfirmationRequired, match="déjà prise en compte dans un bilan validé le 27/03/2026"):
        evaluations.save_results(demo_db, roles["teacher"], evaluation, {(learner, criterion): new_code})
    assert snapshot(demo_db) == before
    assert evaluations.save_results(demo_db, roles["teacher"], evaluation, {(learner, criterion): new_code},
                              confirm_locked=True) == 1
    audit = evaluations.evaluation_audit(demo_db, roles["teacher"], evaluation)
    assert list(audit["action"]) == ["evaluation.results"] and audit.iloc[0]["user_name"] == roles["teacher"].name
    old, new = json.loads(audit.iloc[0]["before"]), json.loads(audit.iloc[0]["after"])
    assert old["results"][0]["code"] == code and new["results"][0]["code"] == new_code
    assert old["modified_at"] < "2025-12-01" < new["modified_at"]
    # Modified after the bilan, it now sits right of the black line: no more confirmation needed.
    assert evaluations.taken_into_account(demo_db, evaluation) is None


def test_updating_an_evaluation_in_a_validated_bilan_needs_confirmation_and_is_audited(demo_db, roles):
    evaluation = locked_evaluation(demo_db, roles["class_id"])
    detail = evaluations.evaluation_detail(demo_db, roles["teacher"], evaluation)
    ids = list(detail.criteria["id"])
    arguments = {"title": detail.title + " (corrigé)", "eval_date": detail.eval_date,
                 "complexity": detail.complexity, "criterion_ids": ids}
    before = snapshot(demo_db)
    with pytest.raises(evaluations.ConfirmationRequired):
        evaluations.update_evaluation(demo_db, roles["teacher"], evaluation, **arguments)
    assert snapshot(demo_db) == before
    assert evaluations.update_evaluation(demo_db, roles["teacher"], evaluation, **arguments, confirm_locked=True)
    audit = evaluations.evaluation_audit(demo_db, roles["teacher"], evaluation)
    row = audit.iloc[-1]
    assert row["action"] == "evaluation.update"
    assert json.loads(row["before"])["title"] == detail.title
    assert json.loads(row["after"])["title"] == detail.title + " (corrigé)"


def test_audit_trail_reads_as_french_lines_newest_first(demo_db, roles):
    teacher = roles["teacher"]
    evaluation = locked_evaluation(demo_db, roles["class_id"])
    learner, criterion, code = demo_db.execute(
        "SELECT learner_id, criterion_id, code FROM results WHERE evaluation_id = ? LIMIT 1", [evaluation]).fetchone()
    changed = "NV" if code != "NV" else "AB"
    evaluations.save_results(demo_db, teacher, evaluation, {(learner, criterion): changed}, confirm_locked=True)
    # Now modified after the bilan, later edits of this evaluation are not audited: the log holds one line.
    evaluations.save_results(demo_db, teacher, evaluation, {(learner, criterion): code})
    trail = evaluations.audit_trail(demo_db, teacher, evaluation)
    assert list(trail.columns) == ["Date", "Par", "Action", "Détail"]
    name = demo_db.execute("SELECT last_name || ' ' || first_name FROM learners WHERE id = ?", [learner]).fetchone()[0]
    assert list(trail["Action"]) == ["Résultats modifiés"] and list(trail["Par"]) == [teacher.name]
    assert trail.iloc[0]["Détail"].endswith(f"· {name} : {code} → {changed}")

    other = locked_evaluation(demo_db, roles["class_id"])
    detail = evaluations.evaluation_detail(demo_db, teacher, other)
    evaluations.update_evaluation(demo_db, teacher, other, title=detail.title + " (corrigé)",
                            eval_date=detail.eval_date, complexity=detail.complexity,
                            criterion_ids=list(detail.criteria["id"]), confirm_locked=True)
    trail = evaluations.audit_trail(demo_db, teacher, other)
    assert list(trail["Action"]) == ["Évaluation modifiée"]
    assert trail.iloc[0]["Détail"] == f"Titre : « {detail.title} » → « {detail.title} (corrigé) »"
    with pytest.raises(PermissionDenied):
        evaluations.audit_trail(demo_db, roles["other_teacher"], other)


def test_update_evaluation_rules(demo_db, roles, new_eval):
    teacher, c4 = roles["teacher"], criteria_of(demo_db, "C4")
    learner = learners_of(demo_db, roles["class_id"])[0]
    same = {"title": "Câblage d'un coffret", "eval_date": "2026-11-30", "complexity": "Int", "criterion_ids": c4}
    demo_db.execute("UPDATE evaluations SET modified_at = '2026-01-01 08:00:00' WHERE id = ?", [new_eval])
    assert evaluations.update_evaluation(demo_db, teacher, new_eval, **same) is False
    assert demo_db.execute("SELECT modified_at FROM evaluations WHERE id = ?", [new_eval]).fetchone()[0] == \
        "2026-01-01 08:00:00"
    assert evaluations.update_evaluation(demo_db, teacher, new_eval, **{**same, "complexity": "B",
                                                                   "criterion_ids": c4 + criteria_of(demo_db, "C5")})
    row = demo_db.execute("SELECT complexity, modified_at FROM evaluations WHERE id = ?", [new_eval]).fetchone()
    assert row[0] == "B" and row[1] > "2026-01-01 08:00:00"
    evaluations.save_results(demo_db, teacher, new_eval, {(learner, c4[0]): "RT"})
    before = snapshot(demo_db)
    with pytest.raises(evaluations.ConfirmationRequired, match="supprime 1 résultat"):
        evaluations.update_evaluation(demo_db, teacher, new_eval, **{**same, "criterion_ids": c4[1:]})
    with pytest.raises(ValidationError, match="contexte"):
        evaluations.update_evaluation(demo_db, teacher, new_eval, **{**same, "complexity": "E"})
    with pytest.raises(ValidationError, match="Date invalide"):
        evaluations.update_evaluation(demo_db, teacher, new_eval, **{**same, "eval_date": "30/11/2026"})
    assert snapshot(demo_db) == before
    assert evaluations.update_evaluation(demo_db, teacher, new_eval, **{**same, "criterion_ids": c4[1:]},
                                   confirm_drop_results=True)
    assert evaluations.evaluation_results(demo_db, teacher, new_eval) == {}


def test_delete_evaluation_asks_confirmation_and_is_audited(demo_db, roles, new_eval):
    c1 = criteria_of(demo_db, "C4")[0]
    a = learners_of(demo_db, roles["class_id"])[0]
    evaluations.save_results(demo_db, roles["teacher"], new_eval, {(a, c1): "PR"})
    before = snapshot(demo_db)
    with pytest.raises(evaluations.ConfirmationRequired, match="Confirmez la suppression"):
        evaluations.delete_evaluation(demo_db, roles["teacher"], new_eval)
    assert snapshot(demo_db) == before
    evaluations.delete_evaluation(demo_db, roles["teacher"], new_eval, confirmed=True)
    assert demo_db.execute("SELECT count(*) FROM evaluations WHERE id = ?", [new_eval]).fetchone()[0] == 0
    assert demo_db.execute("SELECT count(*) FROM results WHERE evaluation_id = ?", [new_eval]).fetchone()[0] == 0
    audit = demo_db.execute("SELECT action, user_name, before FROM audit_log WHERE entity = 'evaluation' "
                            "AND entity_id = ?", [new_eval]).fetchall()
    assert audit[0][:2] == ("evaluation.delete", roles["teacher"].name)
    assert json.loads(audit[0][2])["results"] == [{"learner_id": a, "criterion": "C4.1", "code": "PR"}]


def test_deleting_an_evaluation_in_a_validated_bilan_needs_the_lock_confirmation(demo_db, roles):
    evaluation = locked_evaluation(demo_db, roles["class_id"])
    before = snapshot(demo_db)
    with pytest.raises(evaluations.ConfirmationRequired, match="déjà prise en compte"):
        evaluations.delete_evaluation(demo_db, roles["teacher"], evaluation, confirmed=True)
    assert snapshot(demo_db) == before
    evaluations.delete_evaluation(demo_db, roles["teacher"], evaluation, confirmed=True, confirm_locked=True)
    assert demo_db.execute("SELECT count(*) FROM evaluations WHERE id = ?", [evaluation]).fetchone()[0] == 0


# ---------------------------------------------------------------- grid helpers


def test_grid_frame_names_criterion_columns(demo_db, roles, new_eval):
    c1, c2 = criteria_of(demo_db, "C4")[:2]
    evaluations.save_results(demo_db, roles["teacher"], new_eval, {(learners_of(demo_db, roles["class_id"])[0], c1): "RT"})
    frame = entry_grid.grid_frame(evaluations.result_table(demo_db, roles["teacher"], new_eval))
    assert f"c{c1}" in frame.columns and frame.loc[0, f"c{c1}"] == "RT" and frame.loc[0, f"c{c2}"] is None


def test_pending_edits_writes_each_edit_of_the_journal_once():
    journal = {"mount": "m1", "edits": [[7, "c3", "RA"], [8, "c3", "NA"]]}
    changes, applied = entry_grid.pending_edits(journal, None)
    assert changes == {(7, 3): "RA", (8, 3): "NA"} and applied == ("m1", 2)
    # The same report again (a rerun that carries it twice) writes nothing.
    assert entry_grid.pending_edits(journal, applied) == ({}, ("m1", 2))
    # Two reports merged into one by Streamlit: the later one holds both edits, both are written.
    later = {"mount": "m1", "edits": journal["edits"] + [[9, "c3", "RT"], [7, "c3", ""], [10, "c4", None]]}
    changes, applied = entry_grid.pending_edits(later, applied)
    assert changes == {(9, 3): "RT", (7, 3): None, (10, 4): None} and applied == ("m1", 5)
    # A grid mounted again starts a journal of its own.
    assert entry_grid.pending_edits({"mount": "m2", "edits": [[7, "c3", "PR"]]}, applied) == (
        {(7, 3): "PR"}, ("m2", 1))
    # The last edit of a cell wins; a report that is not a journal writes nothing.
    assert entry_grid.pending_edits({"mount": "m3", "edits": [[7, "c3", "PR"], [7, "c3", "RT"]]}, None)[0] == {
        (7, 3): "RT"}
    assert entry_grid.pending_edits(None, applied) == ({}, applied)


class _Interrupted(Exception):
    """Stands for Streamlit's RerunException, raised at a read of st.session_state when a newer report
    arrives while a callback runs."""


def test_an_edit_whose_callback_is_cut_off_is_written_by_the_next_call(demo_db, roles, new_eval, monkeypatch):
    state: dict = {}
    teacher = roles["teacher"]
    calls = {"user": 0}

    def current_user():
        calls["user"] += 1
        if calls["user"] == 1:
            raise _Interrupted()  # the first callback is stopped after it read what was already written
        return teacher

    monkeypatch.setattr(entry_grid.st, "session_state", state)
    monkeypatch.setattr(entry_grid.ui, "database", lambda: demo_db)
    monkeypatch.setattr(entry_grid.ui, "current_user", current_user)
    learner = int(evaluations.evaluation_learners(demo_db, teacher, new_eval).iloc[0]["id"])
    criterion = criteria_of(demo_db, "C4")[0]
    report = {"mount": "m1", "edits": [[learner, entry_grid.criterion_field(criterion), "RT"]]}
    arguments = {"evaluation_id": new_eval, "key": "grid", "confirm_locked": False}

    with pytest.raises(_Interrupted):
        entry_grid._write_pending(report, **arguments)
    assert evaluations.evaluation_results(demo_db, teacher, new_eval) == {}
    # The next call sees the same journal (the page's call after the grid, or a newer report): RT is written.
    assert entry_grid._write_pending(report, **arguments) is True
    assert evaluations.evaluation_results(demo_db, teacher, new_eval) == {(learner, criterion): "RT"}
    assert state[entry_grid.status_key(new_eval)].startswith("Enregistré à")
    assert entry_grid._write_pending(report, **arguments) is False  # written once


@pytest.mark.parametrize("typed, code", [("RA", "RA"), ("rt", "RT"), (" na ", "NA"), ("Ab", "AB"), ("", None),
                                         ("  ", None), (None, None)])
def test_a_whole_code_is_accepted_in_any_case(typed, code):
    assert evaluations.clean_code(typed) == code


@pytest.mark.parametrize("typed", ["R", "A", "N", "RTX", "T", "1", "XX", "R A", "RA.", "NAN"])
def test_a_partial_or_unknown_code_is_refused_with_the_six_codes(typed):
    with pytest.raises(ValidationError) as refused:
        evaluations.clean_code(typed)
    assert str(refused.value) == evaluations.unknown_code_message(typed.strip())
    assert "codes possibles : NA, PR, RA, RT, NV, AB" in str(refused.value)


@pytest.mark.parametrize("typed", ["R", "A", "N", "RTX", "T", "XX"])
def test_saving_a_partial_code_stores_nothing(demo_db, roles, new_eval, typed):
    c1 = criteria_of(demo_db, "C4")[0]
    a = learners_of(demo_db, roles["class_id"])[0]
    evaluations.save_results(demo_db, roles["teacher"], new_eval, {(a, c1): "PR"})
    before = snapshot(demo_db)
    with pytest.raises(ValidationError, match="Code de résultat inconnu"):
        evaluations.save_results(demo_db, roles["teacher"], new_eval, {(a, c1): typed})
    assert snapshot(demo_db) == before


def test_the_grid_editor_knows_only_whole_codes(demo_db, roles, new_eval):
    """The cell editor's rule is the same as clean_code's: no prefix guess, no cut to two letters."""
    detail = evaluations.evaluation_detail(demo_db, roles["teacher"], new_eval)
    column = entry_grid.grid_options(detail.criteria, editable=True)["columnDefs"][2]["children"][0]
    params = column["cellEditorParams"]
    assert [o["code"] for o in params["options"]] == ["", "NA", "PR", "RA", "RT", "NV", "AB"]
    assert params["refusal"] == evaluations.unknown_code_message("{code}")
    editor = column["cellEditor"].js_code
    assert "startsWith" not in editor and "maxlength" not in editor


def test_absent_over_entered_results_needs_confirmation(demo_db, roles, new_eval):
    c1, c2 = criteria_of(demo_db, "C4")[:2]
    a, b = learners_of(demo_db, roles["class_id"])[:2]
    evaluations.save_results(demo_db, roles["teacher"], new_eval, {(a, c1): "RT", (a, c2): "AB", (b, c1): "NA"})
    assert evaluations.absent_replacements(demo_db, roles["teacher"], new_eval, a) == 1  # an AB is not replaced
    before = snapshot(demo_db)
    with pytest.raises(evaluations.ConfirmationRequired) as asked:
        evaluations.mark_absent(demo_db, roles["teacher"], new_eval, a)
    assert str(asked.value) == ("Cet apprenant a déjà 1 résultat saisi dans cette évaluation : "
                                "« Marquer absent » le remplacerait par AB.")
    assert snapshot(demo_db) == before
    assert evaluations.mark_absent(demo_db, roles["teacher"], new_eval, a, confirm_replace=True) == 1 + (
        len(criteria_of(demo_db, "C4")) - 2)
    assert {code for (learner, _), code in evaluations.evaluation_results(demo_db, roles["teacher"], new_eval).items()
            if learner == a} == {"AB"}
    # A learner with nothing entered yet is marked absent at once.
    c = learners_of(demo_db, roles["class_id"])[2]
    assert evaluations.absent_replacements(demo_db, roles["teacher"], new_eval, c) == 0
    assert evaluations.mark_absent(demo_db, roles["teacher"], new_eval, c) == len(criteria_of(demo_db, "C4"))


def test_grid_options_group_criteria_by_competency(demo_db, roles, new_eval):
    detail = evaluations.evaluation_detail(demo_db, roles["teacher"], new_eval)
    options = entry_grid.grid_options(detail.criteria, editable=False)
    groups = [c for c in options["columnDefs"] if "children" in c]
    assert [g["headerName"] for g in groups] == ["C4"]
    assert [c["headerName"] for c in groups[0]["children"]] == list(detail.criteria["label"])
    assert not any(c["editable"] for c in groups[0]["children"])
    assert options["enterNavigatesVerticallyAfterEdit"] is True


# ---------------------------------------------------------------- page


def run_saisie(user_id):
    at = AppTest.from_file(str(ROOT / "views" / "saisie.py"), default_timeout=30)
    at.session_state["user_id"] = user_id
    return at.run()


def test_page_creates_an_evaluation(app_env, roles):
    at = run_saisie(roles["teacher"].id)
    assert not at.exception
    at.text_input(key="saisie_new_title").input("Mesures d'isolement")
    at.radio(key="saisie_new_choice").set_value("B")
    at.multiselect(key="saisie_new_competencies").select("C5").run()
    at.button[0].click().run()
    assert not at.exception
    assert "Évaluation créée" in at.success[0].value
    assert at.subheader[0].value == "Mesures d'isolement"
    from livret.db import connect
    db = connect(app_env)
    row = db.execute("SELECT complexity, (SELECT count(*) FROM evaluation_criteria WHERE evaluation_id = e.id) "
                     "FROM evaluations e WHERE title = ?", ["Mesures d'isolement"]).fetchone()
    assert row == ("B", len(criteria_of(db, "C5")))


def test_page_explains_a_refused_creation(app_env, roles):
    from livret.db import connect
    db = connect(app_env)
    before = snapshot(db)
    at = run_saisie(roles["teacher"].id)
    at.multiselect(key="saisie_new_competencies").select("C5").run()
    at.button[0].click().run()
    assert at.error[0].value == "Donnez un titre à l'évaluation."
    assert snapshot(db) == before


def test_page_asks_confirmation_for_an_evaluation_in_a_bilan(app_env, roles):
    from livret.db import connect
    db = connect(app_env)
    class_name = db.execute("SELECT name FROM classes WHERE id = ?", [roles["class_id"]]).fetchone()[0]
    evaluation = locked_evaluation(db, roles["class_id"])
    at = run_saisie(roles["teacher"].id)
    at.selectbox(key="classe").set_value(class_name).run()
    at.selectbox(key="saisie_evaluation").set_value(evaluation).run()
    assert not at.exception
    assert "déjà prise en compte dans le bilan validé le 27/03/2026" in at.warning[0].value
    assert at.checkbox(key=f"saisie_lock_{evaluation}").label == evaluations.LOCK_CONFIRM_LABEL
    assert at.button(key=f"saisie_delete_{evaluation}").disabled
    at.checkbox(key=f"saisie_lock_{evaluation}").check().run()
    assert not at.button(key=f"saisie_delete_{evaluation}").disabled


def test_page_creates_a_company_bilan_for_one_learner(app_env, roles):
    from livret.db import connect
    db = connect(app_env)
    at = run_saisie(roles["teacher"].id)
    at.text_input(key="saisie_new_title").input("Bilan PFMP 3")
    at.radio(key="saisie_new_choice").set_value("E").run()
    at.multiselect(key="saisie_new_competencies").select("C1").run()
    at.button[0].click().run()
    assert at.error[0].value == "Un bilan entreprise concerne un apprenant : choisissez lequel."
    learner = at.selectbox(key="saisie_new_learner")
    assert learner.label == "Apprenant concerné"
    class_name = at.selectbox(key="classe").value
    chosen = db.execute("SELECT l.id FROM learners l JOIN classes c ON c.id = l.class_id WHERE c.name = ? "
                        "ORDER BY l.last_name LIMIT 1 OFFSET 2", [class_name]).fetchone()[0]
    learner.set_value(chosen).run()
    at.button[0].click().run()
    assert not at.exception and "Évaluation créée" in at.success[0].value
    row = db.execute("SELECT context, complexity, learner_id FROM evaluations WHERE title = 'Bilan PFMP 3'").fetchone()
    assert row == ("company", None, chosen)
    assert "bilan entreprise de" in at.caption[0].value


def test_two_grids_on_the_same_evaluation_lose_nothing(demo_db, roles, new_eval):
    """Each grid writes only the cells edited in it, so a grid opened earlier never overwrites another's entries."""
    c1, c2 = criteria_of(demo_db, "C4")[:2]
    a, b = learners_of(demo_db, roles["class_id"])[:2]
    first = {"mount": "first", "edits": [[a, f"c{c1}", "RT"]]}
    second = {"mount": "second", "edits": [[b, f"c{c2}", "NA"]]}
    for report, user in ((first, roles["teacher"]), (second, roles["ddfpt"])):
        changes, _ = entry_grid.pending_edits(report, None)
        assert evaluations.save_results(demo_db, user, new_eval, changes) == 1
    assert evaluations.evaluation_results(demo_db, roles["teacher"], new_eval) == {(a, c1): "RT", (b, c2): "NA"}


def test_page_asks_before_marking_absent_over_results(app_env, roles):
    from livret.db import connect
    db = connect(app_env)
    teacher = roles["teacher"]
    class_name = db.execute("SELECT name FROM classes WHERE id = ?", [roles["class_id"]]).fetchone()[0]
    criteria = criteria_of(db, "C4")
    evaluation = evaluations.create_evaluation(db, teacher, roles["class_id"], title="Absences", eval_date="2026-11-30",
                                         complexity="D", criterion_ids=criteria)
    learner = int(evaluations.evaluation_learners(db, teacher, evaluation).iloc[1]["id"])
    evaluations.save_results(db, teacher, evaluation, {(learner, criteria[0]): "RT", (learner, criteria[1]): "PR"})
    at = run_saisie(teacher.id)
    at.selectbox(key="classe").set_value(class_name).run()
    at.selectbox(key="saisie_evaluation").set_value(evaluation).run()
    at.selectbox(key=f"saisie_absent_learner_{evaluation}").set_value(learner).run()
    before = snapshot(db)

    next(b for b in at.button if b.label == "Marquer absent").click().run()
    assert not at.exception
    warning = next(w.value for w in at.warning if "Marquer absent" in w.value)
    assert warning.endswith("Cet apprenant a déjà 2 résultats saisis dans cette évaluation : "
                            "« Marquer absent » les remplacerait par AB.")
    assert snapshot(db) == before

    at.button(key=f"saisie_absent_cancel_{evaluation}").click().run()
    assert not any("Marquer absent" in w.value for w in at.warning)
    assert snapshot(db) == before
    assert evaluations.evaluation_results(db, teacher, evaluation) == {(learner, criteria[0]): "RT",
                                                                 (learner, criteria[1]): "PR"}

    next(b for b in at.button if b.label == "Marquer absent").click().run()
    at.button(key=f"saisie_absent_confirm_{evaluation}").click().run()
    assert not at.exception
    stored = evaluations.evaluation_results(db, teacher, evaluation)
    assert stored == {(learner, c): "AB" for c in criteria}
    assert any(f"Absence enregistrée ({len(criteria)} critère(s) en AB)" in c.value for c in at.caption)
