"""Accounts and sign-in modes."""

from __future__ import annotations

import os

import pandas as pd
import sqlite_utils

from livret.codes import ROLES
from livret.errors import PermissionDenied
from livret.permissions import User, load_user


def database_kind(db: sqlite_utils.Database) -> str:
    row = db.execute("SELECT value FROM settings WHERE key = 'database_kind'").fetchone()
    return row[0] if row else "school"


def demo_mode_enabled(db: sqlite_utils.Database) -> bool:
    """Demo sign-in (no password) is on for a demo database, or when LIVRET_DEMO=1."""
    return database_kind(db) == "demo" or os.environ.get("LIVRET_DEMO") == "1"


def demo_accounts(db: sqlite_utils.Database) -> pd.DataFrame:
    """Active accounts offered by the demo sign-in, staff first, learners by class and name."""
    if not demo_mode_enabled(db):
        raise PermissionDenied("Le mode démonstration n'est pas activé sur cette base.")
    frame = pd.read_sql_query(
        "SELECT u.id, u.name, u.role, c.name AS class_name FROM users u "
        "LEFT JOIN learners l ON l.id = u.learner_id LEFT JOIN classes c ON c.id = l.class_id "
        "WHERE u.active = 1 ORDER BY CASE u.role WHEN 'ddfpt' THEN 0 WHEN 'teacher' THEN 1 "
        "WHEN 'admin' THEN 2 ELSE 3 END, c.name, u.name",
        db.conn,
    )
    frame["role_label"] = frame["role"].map(ROLES)
    frame["label"] = frame.apply(
        lambda r: f"{r['role_label']} — {r['name']}" + (f" ({r['class_name']})" if r["class_name"] else ""), axis=1
    )
    return frame


def demo_sign_in(db: sqlite_utils.Database, user_id: int) -> User:
    if not demo_mode_enabled(db):
        raise PermissionDenied("Le mode démonstration n'est pas activé sur cette base.")
    user = load_user(db, user_id)
    if user is None:
        raise PermissionDenied("Ce compte n'existe pas ou est désactivé.")
    return user
