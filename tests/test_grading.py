"""Grades stored from a bilan and a weighting (SPEC N1, N4, N7): the rules, without a browser. The
arithmetic on plain values is tested in test_grade_arithmetic.py."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from livret import grade_arithmetic as arithmetic
from livret import grading
from livret.db import transaction
from livret.errors import NotFound, PermissionDenied, ValidationError
from livret.french import moment_text


def ids(bilan, by_code: dict[str, object]) -> dict[int, object]:
    return {line.id: by_code[line.code] for line in bilan.lines if line.code in by_code}


# ---------------------------------------------------------------- the demo school


def class_learner_ids(db, class_id):
    return [r[0] for r in db.execute("SELECT id FROM learners WHERE class_id = ? ORDER BY last_name, first_name, id",
                                     [class_id])]


def set_not_evaluated(db, learner_id, codes):
    """Make codes NE in the learner's latest validated bilan (to vary the demo's profiles)."""
    bilan_id = db.execute("SELECT id FROM bilans WHERE learner_id = ? AND status = 'validated' "
                          "ORDER BY validated_at DESC LIMIT 1", [learner_id]).fetchone()[0]
    marks = ",".join("?" * len(codes))
    db.execute(f"UPDATE positionings SET level = NULL, objective = NULL WHERE bilan_id = ? AND competency_id IN "
               f"(SELECT id FROM competencies WHERE code IN ({marks}))", [bilan_id, *codes])
    return bilan_id


def test_latest_validated_bilan_of_a_demo_learner(demo_db, roles):
    learner_id = class_learner_ids(demo_db, roles["class_id"])[0]
    bilan = grading.latest_validated_bilan(demo_db, roles["teacher"], learner_id)
    assert bilan.learner_id == learner_id
    assert bilan.validated_at.startswith("2026-03-27") and bilan.bilan_date == "27/03/2026"
    assert [line.code for line in bilan.lines][:3] == ["C1", "C2", "C3"] and len(bilan.lines) == 13
    # A draft newer than the validated bilan is not what is graded.
    demo_db.execute("INSERT INTO bilans(learner_id, status, created_at, modified_at) "
                    "VALUES (?, 'draft', '2026-05-01 10:00:00', '2026-05-01 10:00:00')", [learner_id])
    assert grading.latest_validated_bilan(demo_db, roles["teacher"], learner_id).id == bilan.id


def test_learner_without_validated_bilan_has_nothing_to_grade(demo_db, roles):
    learner_id = class_learner_ids(demo_db, roles["class_id"])[0]
    demo_db.execute("UPDATE bilans SET status = 'unlocked' WHERE learner_id = ?", [learner_id])
    assert grading.latest_validated_bilan(demo_db, roles["teacher"], learner_id) is None


def test_same_profile_learners_of_the_class(demo_db, roles):
    learners = class_learner_ids(demo_db, roles["class_id"])
    set_not_evaluated(demo_db, learners[0], ["C1", "C2"])
    set_not_evaluated(demo_db, learners[3], ["C1", "C2"])
    set_not_evaluated(demo_db, learners[5], ["C2"])
    teacher = roles["teacher"]
    bilan = grading.latest_validated_bilan(demo_db, teacher, learners[0])
    matches = grading.same_profile_bilans(demo_db, teacher, bilan)
    assert [b.learner_id for b in matches] == [learners[3]]
    full = grading.latest_validated_bilan(demo_db, teacher, learners[1])
    full_matches = {b.learner_id for b in grading.same_profile_bilans(demo_db, teacher, full)}
    assert full_matches == set(learners) - {learners[0], learners[1], learners[3], learners[5]}


def test_demo_class_learners_share_profiles_for_duplication(demo_db, roles):
    """In the demo, duplicating from a learner finds other learners of the class."""
    teacher = roles["teacher"]
    bilans = grading.class_latest_bilans(demo_db, teacher, roles["class_id"])
    assert len(bilans) == len(class_learner_ids(demo_db, roles["class_id"]))
    assert len(grading.same_profile_bilans(demo_db, teacher, bilans[0])) >= 2


def grade_with_model(db, user, learner_id):
    bilan = grading.latest_validated_bilan(db, user, learner_id)
    return bilan, grading.model_weights(db, user, bilan)


def test_save_grades_stores_grade_weights_author_and_keeps_history(demo_db, roles):
    teacher = roles["teacher"]
    learners = class_learner_ids(demo_db, roles["class_id"])
    bilan, model = grade_with_model(demo_db, teacher, learners[0])
    others = grading.same_profile_bilans(demo_db, teacher, bilan)[:2]
    saved = grading.save_grades(demo_db, teacher, model, [bilan.id] + [o.id for o in others])
    assert [s.learner_id for s in saved] == [learners[0]] + [o.learner_id for o in others]
    expected = arithmetic.grade_decimal(arithmetic.exact_grade(bilan, model), "0.1")
    assert saved[0].grade == expected
    row = demo_db.execute("SELECT grade, weights, rounding_step, author_id, created_at FROM grades WHERE id = ?",
                          [saved[0].grade_id]).fetchone()
    assert row[0] == float(expected) and row[2] == 0.1 and row[3] == teacher.id and row[4]
    assert json.loads(row[1]) == {line.code: model[line.id] for line in bilan.lines if model[line.id]}
    assert grading.stored_weights(demo_db, teacher, bilan) == model
    # Graded again: the earlier grade stays, the latest is current.
    other_weights = {**arithmetic.zero_weights(bilan), bilan.lines[0].id: 100}
    again = grading.save_grades(demo_db, teacher, other_weights, [bilan.id])
    history = grading.grade_history(demo_db, teacher, learners[0])
    assert list(history["id"]) == [again[0].grade_id, saved[0].grade_id]
    assert grading.stored_weights(demo_db, teacher, bilan) == other_weights
    current = grading.class_grades(demo_db, teacher, roles["class_id"])
    assert current.set_index("learner_id").loc[learners[0], "grade"] == float(again[0].grade)
    assert len(current) == 3
    audit = demo_db.execute("SELECT count(*) FROM audit_log WHERE entity = 'grade'").fetchone()[0]
    assert audit == 4


def test_bad_weighting_saves_nothing(demo_db, roles):
    teacher = roles["teacher"]
    learners = class_learner_ids(demo_db, roles["class_id"])
    bilan, model = grade_with_model(demo_db, teacher, learners[0])
    ne = set_not_evaluated(demo_db, learners[1], ["C1"])
    partial = {**model, bilan.lines[0].id: model[bilan.lines[0].id] - 1}
    with pytest.raises(ValidationError, match="reste à répartir : 1 %"):
        grading.save_grades(demo_db, teacher, partial, [bilan.id])
    # One bilan of the batch refused (C1 is NE there): none of the batch is stored.
    with pytest.raises(ValidationError, match="C1 n'est pas évaluée"):
        grading.save_grades(demo_db, teacher, model, [bilan.id, ne])
    with pytest.raises(ValidationError, match="Aucun apprenant"):
        grading.save_grades(demo_db, teacher, model, [])
    assert demo_db.execute("SELECT count(*) FROM grades").fetchone()[0] == 0


def test_only_the_latest_validated_bilan_is_graded(demo_db, roles):
    teacher = roles["teacher"]
    learner_id = class_learner_ids(demo_db, roles["class_id"])[0]
    older = demo_db.execute("SELECT id FROM bilans WHERE learner_id = ? ORDER BY validated_at LIMIT 1",
                            [learner_id]).fetchone()[0]
    bilan, model = grade_with_model(demo_db, teacher, learner_id)
    assert older != bilan.id
    with pytest.raises(ValidationError, match="n'est plus le dernier bilan validé"):
        grading.save_grades(demo_db, teacher, {}, [older])
    with pytest.raises(NotFound):
        grading.save_grades(demo_db, teacher, model, [10**9])


def test_permissions_on_every_service(demo_db, roles):
    learner_id = class_learner_ids(demo_db, roles["class_id"])[0]
    bilan, model = grade_with_model(demo_db, roles["ddfpt"], learner_id)  # the DDFPT sees every class
    for who in ("other_teacher", "learner", "admin"):
        user = roles[who]
        with pytest.raises(PermissionDenied):
            grading.latest_validated_bilan(demo_db, user, learner_id)
        with pytest.raises(PermissionDenied):
            grading.same_profile_bilans(demo_db, user, bilan)
        with pytest.raises(PermissionDenied):
            grading.model_weights(demo_db, user, bilan)
        with pytest.raises(PermissionDenied):
            grading.save_grades(demo_db, user, model, [bilan.id])
        with pytest.raises(PermissionDenied):
            grading.export_csv(demo_db, user, roles["class_id"])
        with pytest.raises(PermissionDenied):
            grading.grade_history(demo_db, user, learner_id)
    with pytest.raises(PermissionDenied):
        grading.save_grades(demo_db, None, model, [bilan.id])
    for who in ("learner", "admin"):
        with pytest.raises(PermissionDenied):
            grading.rounding_step(demo_db, roles[who])
    assert demo_db.execute("SELECT count(*) FROM grades").fetchone()[0] == 0


def test_rounding_step_is_a_ddfpt_setting(demo_db, roles):
    assert grading.rounding_step(demo_db, roles["teacher"]) == Decimal("0.1")
    with pytest.raises(PermissionDenied):
        grading.set_rounding_step(demo_db, roles["teacher"], "0.5")
    for bad in ("0.3", "abc", "", "0"):
        with pytest.raises(ValidationError, match="0,1, 0,25, 0,5 ou 1"):
            grading.set_rounding_step(demo_db, roles["ddfpt"], bad)
    assert grading.rounding_step(demo_db, roles["teacher"]) == Decimal("0.1")
    grading.set_rounding_step(demo_db, roles["ddfpt"], "0.25")
    assert grading.rounding_step(demo_db, roles["teacher"]) == Decimal("0.25")
    learner_id = class_learner_ids(demo_db, roles["class_id"])[0]
    bilan, model = grade_with_model(demo_db, roles["teacher"], learner_id)
    saved = grading.save_grades(demo_db, roles["teacher"], model, [bilan.id])
    assert saved[0].grade % Decimal("0.25") == 0
    assert demo_db.execute("SELECT rounding_step FROM grades").fetchone()[0] == 0.25


# ---------------------------------------------------------------- the CSV export (N7)


def test_csv_export_in_the_french_spreadsheet_convention(demo_db, roles):
    teacher = roles["teacher"]
    learners = class_learner_ids(demo_db, roles["class_id"])
    demo_db.execute("UPDATE learners SET last_name = 'LEFÈVRE-ÉGRÈVE', first_name = 'Maëlys' WHERE id = ?",
                    [learners[0]])
    bilan = grading.latest_validated_bilan(demo_db, teacher, learners[0])
    levels = {line.code: line.short for line in bilan.lines}
    weights = {line.id: 0 for line in bilan.lines}
    weights[bilan.lines[0].id], weights[bilan.lines[2].id] = 70, 30
    grading.save_grades(demo_db, teacher, weights, [bilan.id])
    data = grading.export_csv(demo_db, teacher, roles["class_id"])
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    lines = text.split("\r\n")
    codes = [f"C{n}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13)]
    assert lines[0] == ("Classe;Nom;Prénom;Date du bilan;Note sur 20;Pondération;"
                        + ";".join(f"Poids {code} (%)" for code in codes) + ";Noté par;Noté le")
    value = {"++": Fraction(1), "+": Fraction(2, 3), "-": Fraction(1, 3), "--": Fraction(0)}
    exact = 20 * (70 * value[levels["C1"]] + 30 * value[levels["C3"]]) / 100
    grade = arithmetic.format_grade(exact, "0.1")
    class_name = bilan.class_name
    written = demo_db.execute("SELECT created_at FROM grades ORDER BY id DESC LIMIT 1").fetchone()[0]
    weights = {"C1": 70, "C3": 30}
    assert lines[1] == (f"{class_name};LEFÈVRE-ÉGRÈVE;Maëlys;27/03/2026;{grade};C1 70 %, C3 30 %;"
                        + ";".join(str(weights.get(code, 0)) for code in codes)
                        + f";{teacher.name};{moment_text(written, ' ')}")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert len(rows) == 2 and "," in rows[1][4] and "." not in rows[1][4]


def test_csv_text_cells_are_formula_safe(demo_db, roles):
    teacher = roles["teacher"]
    learner_id = class_learner_ids(demo_db, roles["class_id"])[0]
    demo_db.execute("UPDATE learners SET last_name = '=HYPERLINK(\"x\")' WHERE id = ?", [learner_id])
    bilan, model = grade_with_model(demo_db, teacher, learner_id)
    grading.save_grades(demo_db, teacher, model, [bilan.id])
    rows = list(csv.reader(io.StringIO(grading.export_csv(demo_db, teacher, roles["class_id"]).decode("utf-8-sig")),
                           delimiter=";"))
    assert rows[1][1] == "'=HYPERLINK(\"x\")"


# ---------------------------------------------------------------- weightings in progress (drafts)


def drafts_count(db) -> int:
    return db.execute("SELECT count(*) FROM grading_drafts").fetchone()[0]


def test_a_draft_weighting_is_kept_replaced_read_back_and_discarded(demo_db, roles):
    teacher, ddfpt = roles["teacher"], roles["ddfpt"]
    learner_id = class_learner_ids(demo_db, roles["class_id"])[0]
    bilan = grading.latest_validated_bilan(demo_db, teacher, learner_id)
    assert grading.draft_weights(demo_db, teacher, bilan) is None
    first = {bilan.lines[0].id: 40, bilan.lines[2].id: 30}
    saved = grading.save_draft_weights(demo_db, teacher, bilan.id, first)
    assert saved.weights == {**arithmetic.zero_weights(bilan), **first}
    found = grading.draft_weights(demo_db, teacher, bilan)
    assert found.weights == saved.weights and found.updated_at == saved.updated_at
    assert found.when == moment_text(saved.updated_at)
    # Upsert: the same author's next change replaces the draft; another author's draft is their own.
    second = {bilan.lines[0].id: np.float64(60)}  # as the grid gives it back
    grading.save_draft_weights(demo_db, teacher, bilan.id, second)
    grading.save_draft_weights(demo_db, ddfpt, bilan.id, {bilan.lines[1].id: 10})
    assert drafts_count(demo_db) == 2
    assert grading.draft_weights(demo_db, teacher, bilan).weights == {**arithmetic.zero_weights(bilan),
                                                                       bilan.lines[0].id: 60}
    assert grading.draft_weights(demo_db, ddfpt, bilan).weights[bilan.lines[1].id] == 10
    grading.discard_draft_weights(demo_db, teacher, bilan)
    assert grading.draft_weights(demo_db, teacher, bilan) is None
    assert grading.draft_weights(demo_db, ddfpt, bilan) is not None
    # A draft touches neither the grades nor the audit trail.
    assert demo_db.execute("SELECT count(*) FROM grades").fetchone()[0] == 0
    assert demo_db.execute("SELECT count(*) FROM audit_log WHERE entity = 'grade'").fetchone()[0] == 0


@pytest.mark.parametrize("by_code, message", [
    ({"C1": 60, "C3": 50}, "ne peut pas dépasser 100 %"),
    ({"C1": -5}, "ne peut pas être négative"),
    ({"C1": 12.5}, "doit être un nombre entier"),
])
def test_a_refused_weighting_is_never_stored_as_a_draft(demo_db, roles, by_code, message):
    teacher = roles["teacher"]
    learner_id = class_learner_ids(demo_db, roles["class_id"])[0]
    bilan = grading.latest_validated_bilan(demo_db, teacher, learner_id)
    grading.save_draft_weights(demo_db, teacher, bilan.id, {bilan.lines[0].id: 20})
    with pytest.raises(ValidationError, match=message):
        grading.save_draft_weights(demo_db, teacher, bilan.id, ids(bilan, by_code))
    assert grading.draft_weights(demo_db, teacher, bilan).weights[bilan.lines[0].id] == 20  # left as it was
    assert drafts_count(demo_db) == 1


def test_a_weight_on_a_competency_not_evaluated_is_never_stored_as_a_draft(demo_db, roles):
    teacher = roles["teacher"]
    learner_id = class_learner_ids(demo_db, roles["class_id"])[0]
    set_not_evaluated(demo_db, learner_id, ["C1"])
    bilan = grading.latest_validated_bilan(demo_db, teacher, learner_id)
    with pytest.raises(ValidationError, match="C1 n'est pas évaluée"):
        grading.save_draft_weights(demo_db, teacher, bilan.id, ids(bilan, {"C1": 10}))
    with pytest.raises(NotFound):
        grading.save_draft_weights(demo_db, teacher, 10**9, {})
    assert drafts_count(demo_db) == 0


def test_a_draft_that_no_longer_fits_its_bilan_is_not_offered(demo_db, roles):
    teacher = roles["teacher"]
    learner_id = class_learner_ids(demo_db, roles["class_id"])[0]
    bilan = grading.latest_validated_bilan(demo_db, teacher, learner_id)
    grading.save_draft_weights(demo_db, teacher, bilan.id, ids(bilan, {"C1": 50}))
    set_not_evaluated(demo_db, learner_id, ["C1"])  # e.g. the DDFPT corrected the bilan since
    bilan = grading.latest_validated_bilan(demo_db, teacher, learner_id)
    assert grading.draft_weights(demo_db, teacher, bilan) is None


def test_draft_permissions_refuse_and_write_nothing(demo_db, roles):
    learner_id = class_learner_ids(demo_db, roles["class_id"])[0]
    bilan = grading.latest_validated_bilan(demo_db, roles["teacher"], learner_id)
    weights = ids(bilan, {"C1": 40})
    grading.save_draft_weights(demo_db, roles["teacher"], bilan.id, weights)
    before = demo_db.execute("SELECT bilan_id, user_id, weights, updated_at FROM grading_drafts").fetchall()
    for user in (roles["other_teacher"], roles["learner"], roles["admin"], None):
        with pytest.raises(PermissionDenied):
            grading.save_draft_weights(demo_db, user, bilan.id, weights)
        with pytest.raises(PermissionDenied):
            grading.draft_weights(demo_db, user, bilan)
        with pytest.raises(PermissionDenied):
            grading.discard_draft_weights(demo_db, user, bilan)
    assert demo_db.execute("SELECT bilan_id, user_id, weights, updated_at FROM grading_drafts").fetchall() == before


def test_saving_grades_clears_the_drafts_of_the_bilans_graded(demo_db, roles):
    teacher, ddfpt = roles["teacher"], roles["ddfpt"]
    learners = class_learner_ids(demo_db, roles["class_id"])
    bilan, model = grade_with_model(demo_db, teacher, learners[0])
    other = grading.same_profile_bilans(demo_db, teacher, bilan)[0]
    untouched = grading.latest_validated_bilan(
        demo_db, teacher, next(i for i in learners if i not in (bilan.learner_id, other.learner_id)))
    for target in (bilan, other, untouched):
        grading.save_draft_weights(demo_db, teacher, target.id, ids(target, {"C1": 30}))
    grading.save_draft_weights(demo_db, ddfpt, bilan.id, ids(bilan, {"C1": 70}))
    grading.save_grades(demo_db, teacher, model, [bilan.id, other.id])
    assert grading.draft_weights(demo_db, teacher, bilan) is None
    assert grading.draft_weights(demo_db, teacher, other) is None
    assert grading.draft_weights(demo_db, teacher, untouched) is not None
    # Another author's weighting in progress is theirs to save or reset.
    assert grading.draft_weights(demo_db, ddfpt, bilan).weights[bilan.lines[0].id] == 70


def test_a_refused_save_keeps_the_drafts(demo_db, roles):
    teacher = roles["teacher"]
    learner_id = class_learner_ids(demo_db, roles["class_id"])[0]
    bilan, model = grade_with_model(demo_db, teacher, learner_id)
    grading.save_draft_weights(demo_db, teacher, bilan.id, ids(bilan, {"C1": 30}))
    partial = {**model, bilan.lines[0].id: model[bilan.lines[0].id] - 1}
    with pytest.raises(ValidationError, match="reste à répartir"):
        grading.save_grades(demo_db, teacher, partial, [bilan.id])
    assert grading.draft_weights(demo_db, teacher, bilan) is not None


def test_drafts_go_with_their_bilan_and_their_author(demo_db, roles):
    teacher, ddfpt = roles["teacher"], roles["ddfpt"]
    learner_id = class_learner_ids(demo_db, roles["class_id"])[0]
    bilan = grading.latest_validated_bilan(demo_db, teacher, learner_id)
    grading.save_draft_weights(demo_db, teacher, bilan.id, ids(bilan, {"C1": 30}))
    grading.save_draft_weights(demo_db, ddfpt, bilan.id, ids(bilan, {"C1": 40}))
    with transaction(demo_db):
        demo_db.execute("DELETE FROM users WHERE id = ?", [ddfpt.id])
    assert demo_db.execute("SELECT user_id FROM grading_drafts").fetchall() == [(teacher.id,)]
    with transaction(demo_db):
        demo_db.execute("DELETE FROM bilans WHERE id = ?", [bilan.id])
    assert drafts_count(demo_db) == 0


def test_a_forged_bilan_object_reads_nothing_of_another_class(demo_db, roles):
    """Issue 18: services load the bilan by its id and check that bilan's learner, not the learner_id
    a caller put in a GradingBilan."""
    import dataclasses

    teacher, ddfpt = roles["teacher"], roles["ddfpt"]
    own = grading.latest_validated_bilan(demo_db, teacher, class_learner_ids(demo_db, roles["class_id"])[0])
    marks = ",".join("?" * len(teacher.class_ids))
    foreign_learner = demo_db.execute(f"SELECT id FROM learners WHERE class_id NOT IN ({marks}) ORDER BY id LIMIT 1",
                                      list(teacher.class_ids)).fetchone()[0]
    foreign, model = grade_with_model(demo_db, ddfpt, foreign_learner)
    grading.save_grades(demo_db, ddfpt, model, [foreign.id])
    grading.save_draft_weights(demo_db, ddfpt, foreign.id, model)
    forged = dataclasses.replace(own, id=foreign.id)
    before = demo_db.execute("SELECT count(*) FROM grading_drafts").fetchone()[0]
    for service in (grading.current_grade, grading.stored_weights, grading.draft_weights,
                    grading.discard_draft_weights, grading.same_profile_bilans, grading.model_weights):
        with pytest.raises(PermissionDenied):
            service(demo_db, teacher, forged)
        with pytest.raises(PermissionDenied):
            service(demo_db, teacher, foreign.id)
    assert demo_db.execute("SELECT count(*) FROM grading_drafts").fetchone()[0] == before
    # The services take plain ids, and what they return is the stored bilan's.
    assert grading.current_grade(demo_db, ddfpt, foreign.id).grade == arithmetic.grade_decimal(
        arithmetic.exact_grade(foreign, model), "0.1")
    assert grading.stored_weights(demo_db, ddfpt, foreign.id) == model
    assert grading.current_grade(demo_db, teacher, own.id) is None
    with pytest.raises(NotFound):
        grading.current_grade(demo_db, teacher, 10**9)
