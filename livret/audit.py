"""The one audit writer: every create, change and refusal worth keeping goes to audit_log from here."""

from __future__ import annotations

import json
from typing import Any

from livret import clock
from livret.db import Database
from livret.permissions import User

COMMAND_LINE = "Ligne de commande"


def _json(values: Any) -> str | None:
    return None if values is None else json.dumps(values, ensure_ascii=False)


def write(db: Database, actor: User | None, action: str, entity: str, entity_id: int | None = None,
          learner_id: int | None = None, before: Any = None, after: Any = None) -> None:
    """One line of audit_log, stamped by the one clock, inside the caller's transaction. The actor's
    id is kept only when it is an account of this database (the command line acts as no account)."""
    actor_id = None
    if actor is not None and db.execute("SELECT 1 FROM users WHERE id = ?", [actor.id]).fetchone():
        actor_id = actor.id
    db.execute(
        "INSERT INTO audit_log(at, user_id, user_name, action, entity, entity_id, learner_id, before, after) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [clock.stamp(), actor_id, actor.name if actor else COMMAND_LINE, action, entity, entity_id, learner_id,
         _json(before), _json(after)],
    )
