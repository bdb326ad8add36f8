"""Classes and learners, as each signed-in user may see them."""

from __future__ import annotations

import pandas as pd
import sqlite_utils

from livret import audit
from livret.codes import DEFAULT_PROPOSITION_METHOD, PROPOSITION_METHODS
from livret.db import bump_data_version, transaction
from livret.permissions import User, can, require, require_bilan_reader, require_class, require_user
from livret.proposition import check_method

PROPOSITION_SETTING = "proposition_method"


def visible_classes(db: sqlite_utils.Database, user: User | None) -> pd.DataFrame:
    """Classes the user works with (a teacher's own, all for the DDFPT; a learner's own class)."""
    user = require_user(user)
    columns = "c.id, c.name, c.diploma, c.school_year, (SELECT count(*) FROM learners l WHERE l.class_id = c.id) AS learners"
    if can(user, "see_every_class"):
        sql, params = f"SELECT {columns} FROM classes c ORDER BY c.name", []
    elif can(user, "work_with_learners"):
        sql = (f"SELECT {columns} FROM classes c JOIN teacher_classes t ON t.class_id = c.id "
               "WHERE t.user_id = ? ORDER BY c.name")
        params = [user.id]
    else:
        sql = f"SELECT {columns} FROM classes c JOIN learners l2 ON l2.class_id = c.id WHERE l2.id = ?"
        params = [user.learner_id]
    return pd.read_sql_query(sql, db.conn, params=params)


def class_learners(db: sqlite_utils.Database, user: User | None, class_id: int) -> pd.DataFrame:
    """Learners of a class, sorted by last name then first name."""
    require_class(db, user, class_id)
    return pd.read_sql_query(
        "SELECT id, last_name, first_name, last_name || ' ' || first_name AS full_name, email "
        "FROM learners WHERE class_id = ? ORDER BY last_name COLLATE NOCASE, first_name COLLATE NOCASE, id",
        db.conn, params=[class_id],
    )


def learner_identity(db: sqlite_utils.Database, user: User | None, learner_id: int) -> dict:
    """Name and class of a learner the user may read (staff of the class, or the learner themself)."""
    require_bilan_reader(db, user, learner_id)
    row = db.execute(
        "SELECT l.id, l.last_name, l.first_name, l.class_id, c.name, c.diploma, l.version "
        "FROM learners l JOIN classes c ON c.id = l.class_id WHERE l.id = ?", [learner_id]
    ).fetchone()
    keys = ("id", "last_name", "first_name", "class_id", "class_name", "diploma", "version")
    return dict(zip(keys, row))


def school_summary(db: sqlite_utils.Database, user: User | None) -> pd.DataFrame:
    """Per visible class: learners, evaluations and validated bilans (the home page)."""
    user = require(user, "read_school")
    classes = visible_classes(db, user)
    if classes.empty:
        return classes
    ids = ",".join(str(int(i)) for i in classes["id"])
    counts = pd.read_sql_query(
        f"SELECT c.id, (SELECT count(*) FROM evaluations e WHERE e.class_id = c.id) AS evaluations, "
        f"(SELECT count(*) FROM bilans b JOIN learners l ON l.id = b.learner_id "
        f" WHERE l.class_id = c.id AND b.status = 'validated' AND b.withdrawn_at IS NULL) AS bilans "
        f"FROM classes c WHERE c.id IN ({ids})",
        db.conn,
    )
    return classes.merge(counts, on="id")


def proposition_method(db: sqlite_utils.Database) -> str:
    """How the school computes proposed levels: a key of PROPOSITION_METHODS, « Moyenne décroissante »
    unless the DDFPT chose another (any user may know which method a proposition used)."""
    row = db.execute("SELECT value FROM settings WHERE key = ?", [PROPOSITION_SETTING]).fetchone()
    return row[0] if row and row[0] in PROPOSITION_METHODS else DEFAULT_PROPOSITION_METHOD


def set_proposition_method(db: sqlite_utils.Database, user: User | None, method: str) -> str:
    """Only the DDFPT chooses the school's method, given by its key or its French name."""
    user = require(user, "set_proposition_method")
    key = check_method(method)
    with transaction(db):
        before = proposition_method(db)
        if key != before:
            db.execute("INSERT INTO settings(key, value) VALUES (?, ?) "
                       "ON CONFLICT(key) DO UPDATE SET value = excluded.value", [PROPOSITION_SETTING, key])
            audit.write(db, user, "update", "setting", None, None,
                        {PROPOSITION_SETTING: before}, {PROPOSITION_SETTING: key})
            bump_data_version(db)
    return key
