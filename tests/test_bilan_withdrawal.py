"""Withdrawing a bilan validated by mistake (issue 11): the DDFPT only, with a reason; the bilan leaves
every view (learner, dashboard, Notation, Bilans page) and stays, whole, in the audit trail."""

import json

import pandas as pd
import pytest

from livret import bilans, dashboard, grading, school
from livret.bilans import Positioning
from livret.errors import NotFound, PermissionDenied, ValidationError
from livret.render import grid

REASON = "Bilan créé par erreur (mauvais apprenant)"


def competency_id(db, code):
    return db.execute("SELECT id FROM competencies WHERE code = ?", [code]).fetchone()[0]


def state(db, learner_id):
    return (db.execute("SELECT * FROM bilans WHERE learner_id = ? ORDER BY id", [learner_id]).fetchall(),
            db.execute("SELECT count(*) FROM audit_log").fetchone()[0])


@pytest.fixture
def mistake(demo_db, roles):
    """A bilan just confirmed by the teacher for the learner, then graded."""
    teacher, learner_id = roles["teacher"], roles["learner"].learner_id
    draft_id = bilans.save_draft_positioning(demo_db, teacher, learner_id, competency_id(demo_db, "C1"),
                                             Positioning(4, "terminal"))
    bilan_id = bilans.confirm_bilan(demo_db, teacher, learner_id, "CONFIRMATION", draft_id=draft_id,
                                    constats="Constat du bilan erroné", conseils="Conseil du bilan erroné")
    weights = grading.model_weights(demo_db, teacher, bilan_id)
    grading.save_grades(demo_db, teacher, weights, [bilan_id])
    return bilan_id


@pytest.mark.parametrize("who", ["teacher", "other_teacher", "learner", "admin", None])
def test_only_the_ddfpt_withdraws(demo_db, roles, mistake, who):
    learner_id = roles["learner"].learner_id
    before = state(demo_db, learner_id)
    with pytest.raises(PermissionDenied):
        bilans.withdraw_bilan(demo_db, roles.get(who), mistake, REASON)
    assert state(demo_db, learner_id) == before


@pytest.mark.parametrize("reason", [None, "", "   ", "\r\n"])
def test_a_withdrawal_needs_a_reason(demo_db, roles, mistake, reason):
    learner_id = roles["learner"].learner_id
    before = state(demo_db, learner_id)
    with pytest.raises(ValidationError, match="Indiquez la raison du retrait du bilan"):
        bilans.withdraw_bilan(demo_db, roles["ddfpt"], mistake, reason)
    assert state(demo_db, learner_id) == before


def test_a_draft_an_unknown_or_an_already_withdrawn_bilan_cannot_be_withdrawn(demo_db, roles, mistake):
    ddfpt, learner_id = roles["ddfpt"], roles["learner"].learner_id
    draft = bilans.save_draft_positioning(demo_db, ddfpt, learner_id, competency_id(demo_db, "C2"),
                                          Positioning(2, "intermediate"))
    bilans.withdraw_bilan(demo_db, ddfpt, mistake, REASON)
    before = state(demo_db, learner_id)
    for bilan_id in (draft, 999_999, mistake):
        with pytest.raises(NotFound):
            bilans.withdraw_bilan(demo_db, ddfpt, bilan_id, REASON)
    assert state(demo_db, learner_id) == before


def test_a_withdrawn_bilan_leaves_every_view_and_stays_in_the_audit_trail(demo_db, roles, mistake):
    teacher, ddfpt, learner = roles["teacher"], roles["ddfpt"], roles["learner"]
    learner_id = learner.learner_id
    earlier = [b for b in bilans.learner_bilans(demo_db, teacher, learner_id)["id"] if b != mistake][0]
    summary_before = school.school_summary(demo_db, teacher).set_index("id").loc[roles["class_id"], "bilans"]
    assert bilans.latest_validated_bilan(demo_db, learner, learner_id).id == mistake

    bilans.withdraw_bilan(demo_db, ddfpt, mistake, f"  {REASON}  ")

    # never deleted: the row is there, marked, with who and why
    row = demo_db.execute("SELECT status, withdrawn_at, withdrawn_by, withdrawal_reason FROM bilans WHERE id = ?",
                          [mistake]).fetchone()
    assert row[0] == "validated" and row[1] and row[2] == ddfpt.id and row[3] == REASON
    # the learner's view and the Bilans page
    for user in (learner, teacher, ddfpt):
        assert mistake not in set(bilans.learner_bilans(demo_db, user, learner_id)["id"])
        assert bilans.latest_validated_bilan(demo_db, user, learner_id).id == earlier
        with pytest.raises(NotFound):
            bilans.bilan_detail(demo_db, user, mistake)
    assert mistake not in set(bilans.bilan_history(demo_db, teacher, learner_id)["bilan_id"])
    overview = bilans.class_bilans(demo_db, teacher, roles["class_id"]).set_index("learner_id")
    assert overview.loc[learner_id, "bilans"] == 2
    assert school.school_summary(demo_db, teacher).set_index("id").loc[roles["class_id"], "bilans"] \
        == summary_before - 1
    # the dashboard: neither the black line nor the blue line counts it
    data = dashboard.learner_data(demo_db, teacher, learner_id)
    assert mistake not in set(data.bilans["bilan_id"])
    latest = demo_db.execute("SELECT validated_at FROM bilans WHERE id = ?", [earlier]).fetchone()[0]
    assert grid.latest_bilan_at(data.bilans) == pd.Timestamp(latest)
    # Notation: the latest validated bilan is the earlier one, and the grade of the withdrawn one is gone
    assert grading.latest_validated_bilan(demo_db, teacher, learner_id).id == earlier
    assert grading.grade_history(demo_db, teacher, learner_id).empty
    assert learner_id not in set(grading.class_grades(demo_db, teacher, roles["class_id"])["learner_id"])
    with pytest.raises(NotFound):
        grading.current_grade(demo_db, teacher, mistake)
    # nothing more can be done to it
    with pytest.raises(NotFound):
        bilans.unlock_bilan(demo_db, ddfpt, mistake)
    # the audit trail keeps it whole
    trail = bilans.audit_trail(demo_db, teacher, mistake)
    assert trail["action"].tolist() == ["create", "withdraw"]
    withdrawal = trail.iloc[-1]
    assert withdrawal["user_name"] == ddfpt.name and withdrawal["action_label"] == "Retrait du bilan"
    kept = json.loads(withdrawal["before"])
    assert kept["constats"] == "Constat du bilan erroné" and kept["conseils"] == "Conseil du bilan erroné"
    assert kept["positionings"]["C1"] == [4, "terminal"] and len(kept["positionings"]) == 13
    assert kept["validated_at"] and json.loads(withdrawal["after"])["reason"] == REASON
    assert f"Retiré : « {REASON} »" in withdrawal["after_text"]
    listed = bilans.withdrawn_bilans(demo_db, teacher, learner_id)
    assert listed["id"].tolist() == [mistake] and listed.iloc[0]["reason"] == REASON
    assert listed.iloc[0]["withdrawn_by"] == ddfpt.name
    with pytest.raises(PermissionDenied):
        bilans.withdrawn_bilans(demo_db, learner, learner_id)


def test_an_unlocked_bilan_can_be_withdrawn_too(demo_db, roles, mistake):
    ddfpt, learner_id = roles["ddfpt"], roles["learner"].learner_id
    bilans.unlock_bilan(demo_db, ddfpt, mistake)
    bilans.withdraw_bilan(demo_db, ddfpt, mistake, REASON)
    assert bilans.unlocked_bilan(demo_db, ddfpt, learner_id) is None
    with pytest.raises(NotFound):
        bilans.edit_unlocked_bilan(demo_db, ddfpt, mistake, conseils="après retrait")
