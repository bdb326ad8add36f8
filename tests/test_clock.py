"""The one clock: writes of every module made in the same second carry the same stored time."""

from datetime import UTC, datetime

from livret import accounts, bilans, clock
from livret.bilans import Positioning


def test_an_account_creation_and_a_bilan_confirmation_in_the_same_second_are_stored_alike(demo_db, roles,
                                                                                         monkeypatch):
    moment = datetime(2026, 3, 27, 17, 0, 5, tzinfo=UTC)  # 18:00:05 in Paris
    monkeypatch.setattr(clock, "now", lambda: moment)
    accounts.create_account(demo_db, roles["admin"], name="NOUVEAU Professeur", email="nouveau@lycee-demo.fr",
                            role="teacher")
    learner_id = demo_db.execute("SELECT id FROM learners WHERE class_id = ? ORDER BY id LIMIT 1",
                                 [roles["class_id"]]).fetchone()[0]
    competency_id = demo_db.execute("SELECT id FROM competencies ORDER BY position LIMIT 1").fetchone()[0]
    draft_id = bilans.save_draft_positioning(demo_db, roles["teacher"], learner_id, competency_id,
                                             Positioning(3, "intermediate"))
    bilan_id = bilans.confirm_bilan(demo_db, roles["teacher"], learner_id, "CONFIRMATION", draft_id=draft_id)
    lines = demo_db.execute(
        "SELECT entity, at FROM audit_log WHERE (entity = 'user' AND action = 'account_create') OR "
        "(entity = 'bilan' AND entity_id = ?)", [bilan_id]).fetchall()
    assert {entity for entity, _ in lines} == {"user", "bilan"}
    assert {at for _, at in lines} == {"2026-03-27 17:00:05"}
    assert demo_db.execute("SELECT validated_at FROM bilans WHERE id = ?", [bilan_id]).fetchone()[0] == \
        "2026-03-27 17:00:05"
