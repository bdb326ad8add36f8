"""Classes and learners, as each signed-in user may see them."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from livret import audit
from livret.codes import DEFAULT_PROPOSITION_METHOD, PROPOSITION_METHODS
from livret.db import Database, bump_data_version, transaction
from livret.errors import ValidationError
from livret.permissions import User, can, require, require_bilan_reader, require_class, require_user
from livret.proposition import check_method

PROPOSITION_SETTING = "proposition_method"


def visible_classes(db: Database, user: User | None) -> pd.DataFrame:
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
    return db.frame(sql, params=params)


def class_learners(db: Database, user: User | None, class_id: int) -> pd.DataFrame:
    """Learners of a class, sorted by last name then first name."""
    require_class(db, user, class_id)
    return db.frame(
        "SELECT id, last_name, first_name, last_name || ' ' || first_name AS full_name, email "
        "FROM learners WHERE class_id = ? ORDER BY last_name COLLATE NOCASE, first_name COLLATE NOCASE, id", params=[class_id],
    )


def learner_identity(db: Database, user: User | None, learner_id: int) -> dict:
    """Name and class of a learner the user may read (staff of the class, or the learner themself)."""
    require_bilan_reader(db, user, learner_id)
    row = db.execute(
        "SELECT l.id, l.last_name, l.first_name, l.class_id, c.name, c.diploma, l.version "
        "FROM learners l JOIN classes c ON c.id = l.class_id WHERE l.id = ?", [learner_id]
    ).fetchone()
    keys = ("id", "last_name", "first_name", "class_id", "class_name", "diploma", "version")
    return dict(zip(keys, row))


def school_summary(db: Database, user: User | None) -> pd.DataFrame:
    """Per visible class: learners, evaluations and validated bilans (the home page)."""
    user = require(user, "read_school")
    classes = visible_classes(db, user)
    if classes.empty:
        return classes
    ids = ",".join(str(int(i)) for i in classes["id"])
    counts = db.frame(
        f"SELECT c.id, (SELECT count(*) FROM evaluations e WHERE e.class_id = c.id) AS evaluations, "
        f"(SELECT count(*) FROM bilans b JOIN learners l ON l.id = b.learner_id "
        f" WHERE l.class_id = c.id AND b.status = 'validated' AND b.withdrawn_at IS NULL) AS bilans "
        f"FROM classes c WHERE c.id IN ({ids})",
    )
    return classes.merge(counts, on="id")


def proposition_method(db: Database) -> str:
    """How the school computes proposed levels: a key of PROPOSITION_METHODS, « Moyenne décroissante »
    unless the DDFPT chose another (any user may know which method a proposition used)."""
    row = db.execute("SELECT value FROM settings WHERE key = ?", [PROPOSITION_SETTING]).fetchone()
    return row[0] if row and row[0] in PROPOSITION_METHODS else DEFAULT_PROPOSITION_METHOD


def set_proposition_method(db: Database, user: User | None, method: str) -> str:
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


# ---------------------------------------------------------------- the school's name and year (on its documents)

SCHOOL_NAME_SETTING, SCHOOL_YEAR_SETTING = "school_name", "school_year"
SCHOOL_NAME_MAX = 120


@dataclass(frozen=True)
class SchoolIdentity:
    """What heads every document the school hands out: its name and the academic year."""

    name: str
    year: str


def school_identity(db: Database) -> SchoolIdentity:
    """The DDFPT's setting; until it is set, no name and the school year of the newest class."""
    stored = dict(db.execute("SELECT key, value FROM settings WHERE key IN (?, ?)",
                             [SCHOOL_NAME_SETTING, SCHOOL_YEAR_SETTING]).fetchall())
    year = stored.get(SCHOOL_YEAR_SETTING)
    if not year:
        row = db.execute("SELECT school_year FROM classes WHERE school_year IS NOT NULL AND school_year <> '' "
                         "ORDER BY school_year DESC LIMIT 1").fetchone()
        year = row[0] if row else ""
    return SchoolIdentity(stored.get(SCHOOL_NAME_SETTING, ""), year)


def check_school_year(text: str) -> str:
    """« 2025-2026 »: two consecutive years; a French refusal otherwise."""
    value = str(text).strip().replace("/", "-").replace(" ", "")
    parts = value.split("-")
    if len(parts) != 2 or not all(p.isdigit() and len(p) == 4 for p in parts) or int(parts[1]) != int(parts[0]) + 1:
        raise ValidationError(f"L'année scolaire s'écrit comme « 2025-2026 » (« {text} » saisi).")
    return value


def set_school_identity(db: Database, user: User | None, name: str, year: str) -> SchoolIdentity:
    """Only the DDFPT names the school and its year on the documents; both are checked, then audited."""
    user = require(user, "set_school_identity")
    name = " ".join(str(name).split())
    if not name:
        raise ValidationError("Indiquez le nom de l'établissement, tel qu'il doit figurer sur les documents.")
    if len(name) > SCHOOL_NAME_MAX:
        raise ValidationError(f"Le nom de l'établissement ne peut pas dépasser {SCHOOL_NAME_MAX} caractères.")
    year = check_school_year(year)
    with transaction(db):
        before = school_identity(db)
        after = SchoolIdentity(name, year)
        if after != before:
            db.executemany("INSERT INTO settings(key, value) VALUES (?, ?) "
                                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                                [(SCHOOL_NAME_SETTING, name), (SCHOOL_YEAR_SETTING, year)])
            audit.write(db, user, "update", "setting", None, None,
                        {"school_name": before.name, "school_year": before.year}, {"school_name": name, "school_year": year})
    return after
