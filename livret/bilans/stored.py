"""What the database holds of bilans, read without any permission check: the lifecycle and the readers
share these, and check the user themselves before calling them."""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from livret.bilans.positioning import Positioning
from livret.db import Database
from livret.errors import NotFound

AUDIT_ENTITY = "bilan"
# Every reader of bilans leaves out the withdrawn ones (SQL fragment on the alias b).
NOT_WITHDRAWN = "b.withdrawn_at IS NULL"


class BilanState(NamedTuple):
    id: int
    learner_id: int
    status: str
    validated_at: str | None


def competencies(db: Database, learner_id: int) -> pd.DataFrame:
    """The competencies of the learner's diploma, in référentiel order, with unit and domain."""
    return db.frame(
        "SELECT c.id AS competency_id, c.code, c.title, c.position, u.code AS unit, u.id AS unit_id, "
        "d.code AS domain, d.title AS domain_title, d.radar_order AS domain_order "
        "FROM learners l JOIN classes cl ON cl.id = l.class_id "
        "JOIN competencies c ON c.diploma = cl.diploma "
        "JOIN units u ON u.id = c.unit_id JOIN domains d ON d.id = c.domain_id "
        "WHERE l.id = ? ORDER BY c.position, c.id", params=[learner_id],
    )


def positionings(db: Database, bilan_id: int) -> dict[int, Positioning]:
    rows = db.execute("SELECT competency_id, level, objective FROM positionings WHERE bilan_id = ?", [bilan_id])
    return {competency_id: Positioning(level, objective) for competency_id, level, objective in rows}


def draft_row(db: Database, learner_id: int):
    """(id, constats, conseils) of the learner's draft, or None."""
    return db.execute(
        "SELECT id, constats, conseils FROM bilans WHERE learner_id = ? AND status = 'draft'", [learner_id]
    ).fetchone()


# The learner's unlocked bilan being corrected (the newest, should the DDFPT have unlocked two): id, validated_at.
UNLOCKED_BILAN_SQL = (f"SELECT id, validated_at FROM bilans b WHERE learner_id = ? AND status = 'unlocked' AND "
                      f"{NOT_WITHDRAWN} ORDER BY validated_at DESC, id DESC LIMIT 1")


def unlocked_bilan_id(db: Database, learner_id: int) -> int | None:
    """The learner's unlocked bilan being corrected (the newest, should the DDFPT have unlocked two)."""
    row = db.execute(UNLOCKED_BILAN_SQL, [learner_id]).fetchone()
    return None if row is None else row[0]


def bilan_state(db: Database, bilan_id: int) -> BilanState:
    """A bilan that was not withdrawn; a withdrawn bilan no longer exists for anyone but the audit trail."""
    row = db.execute("SELECT id, learner_id, status, validated_at FROM bilans b WHERE id = ? AND "
                     f"{NOT_WITHDRAWN}", [bilan_id]).fetchone()
    if row is None:
        raise NotFound("Ce bilan n'existe pas.")
    return BilanState(*row)
