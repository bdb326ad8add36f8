"""Confirmation races (issues 11 and 18): a confirmation names exactly the draft it confirms."""

import threading

import pytest

from livret import bilans
from livret.bilans import Positioning
from livret.db import connect
from livret.errors import NotFound, ValidationError

PLUS_TERMINAL = Positioning(3, "terminal")


def competency_id(db, code):
    return db.execute("SELECT id FROM competencies WHERE code = ?", [code]).fetchone()[0]


def bilans_of(db, learner_id):
    return db.execute("SELECT id, status FROM bilans WHERE learner_id = ? ORDER BY id", [learner_id]).fetchall()


def test_two_simultaneous_confirmations_of_one_draft_create_one_bilan(demo_path, demo_db, roles):
    teacher, ddfpt, learner_id = roles["teacher"], roles["ddfpt"], roles["learner"].learner_id
    draft_id = bilans.save_draft_positioning(demo_db, teacher, learner_id, competency_id(demo_db, "C1"),
                                             PLUS_TERMINAL)
    validated_before = sum(status == "validated" for _, status in bilans_of(demo_db, learner_id))
    start = threading.Barrier(2)
    outcomes: list = []

    def session(user):
        db = connect(demo_path)  # each session has its own connection, as two browsers would
        try:
            start.wait()
            outcomes.append(bilans.confirm_bilan(db, user, learner_id, "CONFIRMATION", draft_id=draft_id))
        except ValidationError as refusal:
            outcomes.append(refusal)
        finally:
            db.close()

    threads = [threading.Thread(target=session, args=(user,)) for user in (teacher, ddfpt)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(type(o).__name__ for o in outcomes) == ["ValidationError", "int"]
    refusal = next(o for o in outcomes if isinstance(o, ValidationError))
    assert "vient d'être confirmé" in str(refusal)
    after = bilans_of(demo_db, learner_id)
    assert sum(status == "validated" for _, status in after) == validated_before + 1
    assert (draft_id, "validated") in after and not any(status == "draft" for _, status in after)
    assert demo_db.execute("SELECT count(*) FROM audit_log WHERE entity = 'bilan' AND action = 'create' "
                           "AND entity_id = ?", [draft_id]).fetchone()[0] == 1


def test_a_second_confirmation_of_the_same_draft_is_refused_in_french(demo_db, roles):
    teacher, learner_id = roles["teacher"], roles["learner"].learner_id
    draft_id = bilans.save_draft_positioning(demo_db, teacher, learner_id, competency_id(demo_db, "C1"),
                                             PLUS_TERMINAL)
    assert bilans.confirm_bilan(demo_db, teacher, learner_id, "CONFIRMATION", draft_id=draft_id) == draft_id
    before = bilans_of(demo_db, learner_id)
    with pytest.raises(ValidationError, match="Ce brouillon vient d'être confirmé ou modifié par ailleurs"):
        bilans.confirm_bilan(demo_db, teacher, learner_id, "CONFIRMATION", draft_id=draft_id)
    assert bilans_of(demo_db, learner_id) == before


def test_a_draft_created_by_another_session_is_not_locked_unseen(demo_path, demo_db, roles):
    """Session A opened the bilan with no draft; session B then creates one: A's confirmation (no draft
    id) must not lock B's draft."""
    teacher, ddfpt, learner_id = roles["teacher"], roles["ddfpt"], roles["learner"].learner_id
    seen_by_a = bilans.confirmation_review(demo_db, teacher, learner_id).draft_id
    assert seen_by_a is None
    other = connect(demo_path)
    b_draft = bilans.save_draft_positioning(other, ddfpt, learner_id, competency_id(other, "C2"), PLUS_TERMINAL)
    other.close()
    before = bilans_of(demo_db, learner_id)
    with pytest.raises(ValidationError, match="Aucune compétence n'est positionnée"):
        bilans.confirm_bilan(demo_db, teacher, learner_id, "CONFIRMATION", draft_id=seen_by_a)
    assert bilans_of(demo_db, learner_id) == before
    assert bilans.read_draft(demo_db, ddfpt, learner_id).bilan_id == b_draft


def test_a_draft_of_another_learner_or_a_validated_bilan_cannot_be_confirmed(demo_db, roles):
    teacher, learner_id = roles["teacher"], roles["learner"].learner_id
    other_learner = demo_db.execute("SELECT id FROM learners WHERE class_id = ? AND id <> ? ORDER BY id LIMIT 1",
                                    [roles["class_id"], learner_id]).fetchone()[0]
    foreign_draft = bilans.save_draft_positioning(demo_db, teacher, other_learner, competency_id(demo_db, "C1"),
                                                  PLUS_TERMINAL)
    validated = bilans.latest_validated_bilan(demo_db, teacher, learner_id).id
    before = (bilans_of(demo_db, learner_id), bilans_of(demo_db, other_learner))
    with pytest.raises(NotFound, match="Ce brouillon n'existe pas pour cet apprenant"):
        bilans.confirm_bilan(demo_db, teacher, learner_id, "CONFIRMATION", draft_id=foreign_draft)
    with pytest.raises(ValidationError, match="vient d'être confirmé"):
        bilans.confirm_bilan(demo_db, teacher, learner_id, "CONFIRMATION", draft_id=validated)
    assert (bilans_of(demo_db, learner_id), bilans_of(demo_db, other_learner)) == before
