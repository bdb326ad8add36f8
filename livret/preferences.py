"""Each user's own display choices (issue 16), kept in the database so they follow the user from device to
device: whether the dashboard's legend is open, and the « Mode contrasté » (a colour-blind-safe palette
with a pattern per level, in the grid, the badges and the documents). A user reads and writes only theirs."""

from __future__ import annotations

from dataclasses import dataclass

from livret.db import Database, transaction
from livret.errors import ValidationError
from livret.permissions import User, require_user

DEFAULTS = {"legend_open": True, "contrast": False}


@dataclass(frozen=True)
class Preferences:
    legend_open: bool = True
    contrast: bool = False


def read(db: Database, user: User | None) -> Preferences:
    user = require_user(user)
    stored = dict(db.execute("SELECT key, value FROM user_preferences WHERE user_id = ?", [user.id]).fetchall())
    return Preferences(**{key: stored.get(key, "1" if default else "0") == "1" for key, default in DEFAULTS.items()})


def choose(db: Database, user: User | None, key: str, value: bool) -> Preferences:
    """Keep one of the user's own choices."""
    user = require_user(user)
    if key not in DEFAULTS:
        raise ValidationError("Ce réglage n'existe pas.")
    with transaction(db):
        db.execute("INSERT INTO user_preferences(user_id, key, value) VALUES (?, ?, ?) "
                   "ON CONFLICT(user_id, key) DO UPDATE SET value = excluded.value", [user.id, key, "1" if value else "0"])
    return read(db, user)
