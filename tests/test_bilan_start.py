"""Starting a bilan from earlier work (issue 13): the proposition recorded beside each positioning and
shown in the audit trail, « Reprendre les positionnements du dernier bilan » and « Appliquer les
propositions » (only what is still « ? » is filled; nothing is confirmed)."""

from __future__ import annotations

import pytest

from livret import bilans, evidence, proposition, schema
from livret.db import IntegrityError, connect, transaction
from livret.errors import PermissionDenied, ValidationError

from .conftest import snapshot


def competency_ids(db) -> dict[str, int]:
    return dict(db.execute("SELECT code, id FROM competencies WHERE diploma = 'BACPRO-MELEC'"))


def draft_rows(db, learner_id) -> dict[str, tuple]:
    return {code: (level, objective, proposed) for code, level, objective, proposed in db.execute(
        "SELECT c.code, p.level, p.objective, p.proposed_level FROM positionings p JOIN bilans b ON b.id = p.bilan_id "
        "JOIN competencies c ON c.id = p.competency_id WHERE b.learner_id = ? AND b.status = 'draft'", [learner_id])}


@pytest.fixture
def learner(demo_db, roles):
    """A learner of the teacher's class with two validated bilans, a draft cleared of any positioning."""
    learner_id = roles["learner"].learner_id
    with transaction(demo_db):
        demo_db.execute("DELETE FROM bilans WHERE learner_id = ? AND status = 'draft'", [learner_id])
    return learner_id


def test_a_positioning_records_the_level_proposed_at_that_moment(demo_db, roles, learner):
    teacher, ids = roles["teacher"], competency_ids(demo_db)
    proposed = evidence.learner_propositions(demo_db, teacher, learner)
    with_level = next(code for code, cid in ids.items() if proposed[cid].level is not None)
    bilans.save_draft_positioning(demo_db, teacher, learner, ids[with_level], bilans.Positioning(1, "terminal"))
    assert draft_rows(demo_db, learner)[with_level] == (1, "terminal", proposed[ids[with_level]].level)


def test_the_audit_trail_shows_where_the_teacher_departed_from_the_proposition(demo_db, roles, learner):
    teacher, ids = roles["teacher"], competency_ids(demo_db)
    proposed = evidence.learner_propositions(demo_db, teacher, learner)
    codes = [code for code, cid in sorted(ids.items(), key=lambda item: item[1]) if proposed[cid].level is not None]
    same, other = codes[0], codes[1]
    bilans.save_draft_positioning(demo_db, teacher, learner, ids[same],
                                  bilans.Positioning(proposed[ids[same]].level, "intermediate"))
    departed = 1 if proposed[ids[other]].level != 1 else 4
    bilans.save_draft_positioning(demo_db, teacher, learner, ids[other], bilans.Positioning(departed, "terminal"))
    draft = bilans.read_draft(demo_db, teacher, learner)
    created = bilans.confirm_bilan(demo_db, teacher, learner, "CONFIRMATION", draft_id=draft.bilan_id)
    text = bilans.audit_trail(demo_db, teacher, created).iloc[0]["after_text"]
    assert f"{same} {bilans.Positioning(proposed[ids[same]].level, 'intermediate').text} [= proposition]" in text
    assert f"[proposition : {proposed[ids[other]].short}]" in text


def test_taking_up_the_latest_bilan_fills_only_what_is_still_unpositioned(demo_db, roles, learner):
    teacher, ids = roles["teacher"], competency_ids(demo_db)
    latest = bilans.latest_validated_bilan(demo_db, teacher, learner)
    earlier = bilans.bilan_positionings(demo_db, teacher, latest.id)
    bilans.save_draft_positioning(demo_db, teacher, learner, ids["C1"], bilans.Positioning(1, "intermediate"))
    bilans.save_draft_positioning(demo_db, teacher, learner, ids["C2"], bilans.NOT_EVALUATED)
    with transaction(demo_db):  # C3 was not evaluated in the latest bilan: it stays « ? »
        demo_db.execute("UPDATE positionings SET level = NULL, objective = NULL WHERE bilan_id = ? AND competency_id = ?",
                        [latest.id, ids["C3"]])

    report = bilans.fill_from_latest_bilan(demo_db, teacher, learner)

    rows = draft_rows(demo_db, learner)
    assert rows["C1"][:2] == (1, "intermediate") and rows["C2"][:2] == (None, None)  # untouched
    assert "C3" not in rows and "C3 (non évaluée au dernier bilan)" in report.left
    expected_filled = [code for code, cid in ids.items() if code not in ("C1", "C2", "C3") and earlier[cid].evaluated]
    assert len(expected_filled) >= 5
    for code in expected_filled:
        assert rows[code][:2] == (earlier[ids[code]].level, earlier[ids[code]].objective)
    left = [code for code in ids if code not in expected_filled and code not in ("C1", "C2")]
    assert [item.split(" ")[0] for item in report.left] == sorted(left, key=lambda code: ids[code])
    assert len(report.filled) == len(expected_filled) and report.filled[0].startswith("C4 : ")
    assert f"{len(expected_filled)} compétence(s) positionnée(s)" in report.text
    assert demo_db.execute("SELECT count(*) FROM bilans WHERE learner_id = ? AND status = 'draft'",
                           [learner]).fetchone()[0] == 1  # a draft, not a bilan
    again = bilans.fill_from_latest_bilan(demo_db, teacher, learner)
    assert again.filled == () and again.left == report.left


def test_applying_the_propositions_uses_the_latest_objective_and_leaves_the_unproposed(demo_db, roles, learner):
    teacher, ids = roles["teacher"], competency_ids(demo_db)
    proposed = evidence.learner_propositions(demo_db, teacher, learner)
    latest = bilans.bilan_positionings(demo_db, teacher, bilans.latest_validated_bilan(demo_db, teacher, learner).id)

    report = bilans.apply_propositions(demo_db, teacher, learner)

    rows = draft_rows(demo_db, learner)
    for code, cid in ids.items():
        if proposed[cid].level is None:
            assert code not in rows and f"{code} (pas assez d'éléments)" in report.left
        else:
            expected = latest[cid].objective if latest[cid].evaluated else rows[code][1]
            assert rows[code] == (proposed[cid].level, expected, proposed[cid].level)
    assert len(report.filled) == sum(p.level is not None for p in proposed.values()) > 0


def test_usual_objective_rules():
    latest = {1: (3, "terminal"), 2: (None, None), 3: (2, "terminal"), 4: (4, "intermediate")}
    assert proposition.usual_objective(latest, 1) == "terminal"
    assert proposition.usual_objective(latest, 4) == "intermediate"
    assert proposition.usual_objective(latest, 2) == "terminal"  # NE there: the bilan's most used objective
    assert proposition.usual_objective({}, 7) == "intermediate"  # no bilan yet


def test_starting_from_nothing_is_refused_and_other_roles_may_not(demo_db, roles, learner):
    teacher = roles["teacher"]
    with transaction(demo_db):
        demo_db.execute("UPDATE bilans SET withdrawn_at = '2026-05-01 10:00:00' WHERE learner_id = ? "
                        "AND status = 'validated'", [learner])
    before = snapshot(demo_db)
    with pytest.raises(ValidationError, match="pas encore de bilan validé"):
        bilans.fill_from_latest_bilan(demo_db, teacher, learner)
    for user in (roles["other_teacher"], roles["learner"], roles["admin"]):
        with pytest.raises(PermissionDenied):
            bilans.apply_propositions(demo_db, user, learner)
        with pytest.raises(PermissionDenied):
            bilans.fill_from_latest_bilan(demo_db, user, learner)
    assert snapshot(demo_db) == before


def test_the_proposition_migration_applies_on_an_existing_database(tmp_path):
    from livret.imports import referentiel

    db = connect(tmp_path / "before-propositions.db")
    schema.migrate(db, stop_before="m008_positioning_proposition")
    referentiel.load_default_referentiel(db)
    with transaction(db):
        db.execute("INSERT INTO classes(name, diploma) VALUES ('1MELEC', 'BACPRO-MELEC')")
        learner = db.insert("INSERT INTO learners(class_id, last_name, first_name) VALUES (1, 'DUPONT', 'Léa')")
        bilan = db.insert("INSERT INTO bilans(learner_id, status, created_at, modified_at) VALUES (?, 'draft', "
                           "'2026-03-27 18:00:00', '2026-03-27 18:00:00')", [learner])
        db.execute("INSERT INTO positionings(bilan_id, competency_id, level, objective) VALUES (?, 1, 3, 'terminal')",
                   [bilan])
    schema.migrate(db)
    assert db.execute("SELECT level, objective, proposed_level FROM positionings").fetchall() == [(3, "terminal", None)]

    with pytest.raises(IntegrityError, match="CHECK"):
        db.execute("UPDATE positionings SET proposed_level = 5")
    db.close()
