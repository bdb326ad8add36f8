"""The database schema, created and upgraded by the same migrations on SQLite and PostgreSQL.

Written as SQL because the constraints that keep the data right (CHECKs, composite foreign keys,
partial unique indexes, triggers) are SQL. Each migration is written once, in SQLite's spelling; on
PostgreSQL, postgres_ddl() gives each statement its PostgreSQL form (POSTGRES_DDL side by side with the
SQLite text, and each trigger as a PL/pgSQL function). Each migration runs in one transaction.

sqlite-utils keeps the list of applied migrations on SQLite (its `_sqlite_migrations` table, as every
existing school database has it); PostgreSQL keeps the same list in `livret_migrations`."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable

import sqlite_utils
from sqlite_utils.migrations import Migrations

from livret import clock
from livret.db import SQLITE, Database, connect, database_exists, shown_location
from livret.errors import ValidationError

_sqlite_migrations = Migrations("livret")
MIGRATIONS: list[Callable[[Database], None]] = []


def migration(function: Callable[[Database], None]) -> Callable[[Database], None]:
    """Register a migration (in the order of the module) for both engines."""
    MIGRATIONS.append(function)

    def on_sqlite(sdb: sqlite_utils.Database) -> None:
        function(Database(sdb.conn, SQLITE, ""))

    on_sqlite.__name__ = function.__name__
    _sqlite_migrations()(on_sqlite)
    return function

RESULT_CODES_SQL = "('NA', 'PR', 'RA', 'RT', 'NV', 'AB')"

INITIAL_SCHEMA = f"""
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE diplomas (
    code TEXT PRIMARY KEY CHECK (length(trim(code)) > 0),
    title TEXT NOT NULL CHECK (length(trim(title)) > 0),
    version TEXT NOT NULL DEFAULT ''
);
CREATE TABLE units (
    id INTEGER PRIMARY KEY,
    diploma TEXT NOT NULL REFERENCES diplomas(code) ON DELETE CASCADE,
    code TEXT NOT NULL CHECK (length(trim(code)) > 0),
    epreuve TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL,
    coefficient REAL NOT NULL CHECK (coefficient > 0),
    UNIQUE (diploma, code)
);
CREATE TABLE domains (
    id INTEGER PRIMARY KEY,
    diploma TEXT NOT NULL REFERENCES diplomas(code) ON DELETE CASCADE,
    code TEXT NOT NULL CHECK (length(trim(code)) > 0),
    title TEXT NOT NULL,
    radar_order INTEGER NOT NULL,
    UNIQUE (diploma, code)
);
CREATE TABLE competencies (
    id INTEGER PRIMARY KEY,
    diploma TEXT NOT NULL REFERENCES diplomas(code) ON DELETE CASCADE,
    code TEXT NOT NULL CHECK (length(trim(code)) > 0),
    title TEXT NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    domain_id INTEGER NOT NULL REFERENCES domains(id),
    position INTEGER NOT NULL,
    activities TEXT NOT NULL DEFAULT '',
    UNIQUE (diploma, code)
);
CREATE TABLE criteria (
    id INTEGER PRIMARY KEY,
    competency_id INTEGER NOT NULL REFERENCES competencies(id) ON DELETE CASCADE,
    position INTEGER NOT NULL CHECK (position > 0),
    text TEXT NOT NULL CHECK (length(trim(text)) > 0),
    UNIQUE (competency_id, position)
);
CREATE TABLE classes (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (length(trim(name)) > 0),
    diploma TEXT NOT NULL REFERENCES diplomas(code),
    school_year TEXT NOT NULL DEFAULT ''
);
CREATE TABLE learners (
    id INTEGER PRIMARY KEY,
    class_id INTEGER NOT NULL REFERENCES classes(id),
    last_name TEXT NOT NULL CHECK (length(trim(last_name)) > 0),
    first_name TEXT NOT NULL CHECK (length(trim(first_name)) > 0),
    email TEXT,
    birth_date TEXT,
    version INTEGER NOT NULL DEFAULT 0,
    UNIQUE (class_id, last_name, first_name)
);
CREATE INDEX learners_by_class ON learners(class_id, last_name, first_name);
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL CHECK (length(trim(name)) > 0),
    email TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (email LIKE '%_@_%'),
    role TEXT NOT NULL CHECK (role IN ('teacher', 'ddfpt', 'learner', 'admin')),
    password_hash TEXT,
    learner_id INTEGER UNIQUE REFERENCES learners(id) ON DELETE CASCADE,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    CHECK ((role = 'learner') = (learner_id IS NOT NULL))
);
CREATE TABLE teacher_classes (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    class_id INTEGER NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, class_id)
);
CREATE TABLE evaluations (
    id INTEGER PRIMARY KEY,
    class_id INTEGER NOT NULL REFERENCES classes(id),
    learner_id INTEGER REFERENCES learners(id) ON DELETE CASCADE,
    title TEXT NOT NULL CHECK (length(trim(title)) > 0),
    eval_date TEXT NOT NULL CHECK (eval_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    context TEXT NOT NULL CHECK (context IN ('school', 'company')),
    complexity TEXT CHECK (complexity IN ('D', 'Int', 'B')),
    created_at TEXT NOT NULL,
    modified_at TEXT NOT NULL,
    author_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    CHECK ((context = 'school') = (complexity IS NOT NULL))
);
CREATE UNIQUE INDEX evaluations_identity
    ON evaluations(class_id, title, eval_date, coalesce(learner_id, 0));
CREATE INDEX evaluations_by_class ON evaluations(class_id, modified_at);
CREATE TABLE evaluation_criteria (
    evaluation_id INTEGER NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
    criterion_id INTEGER NOT NULL REFERENCES criteria(id),
    PRIMARY KEY (evaluation_id, criterion_id)
);
CREATE TABLE results (
    evaluation_id INTEGER NOT NULL,
    learner_id INTEGER NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
    criterion_id INTEGER NOT NULL,
    code TEXT NOT NULL CHECK (code IN {RESULT_CODES_SQL}),
    PRIMARY KEY (evaluation_id, learner_id, criterion_id),
    FOREIGN KEY (evaluation_id, criterion_id)
        REFERENCES evaluation_criteria(evaluation_id, criterion_id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX results_by_learner ON results(learner_id, evaluation_id, criterion_id, code);
CREATE TABLE bilans (
    id INTEGER PRIMARY KEY,
    learner_id INTEGER NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('draft', 'validated', 'unlocked')),
    validated_at TEXT,
    constats TEXT NOT NULL DEFAULT '',
    conseils TEXT NOT NULL DEFAULT '',
    author_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    modified_at TEXT NOT NULL,
    CHECK ((status = 'draft') = (validated_at IS NULL))
);
CREATE UNIQUE INDEX one_draft_per_learner ON bilans(learner_id) WHERE status = 'draft';
CREATE INDEX bilans_by_learner ON bilans(learner_id, status, validated_at);
CREATE TABLE positionings (
    bilan_id INTEGER NOT NULL REFERENCES bilans(id) ON DELETE CASCADE,
    competency_id INTEGER NOT NULL REFERENCES competencies(id),
    level INTEGER CHECK (level BETWEEN 1 AND 4),
    objective TEXT CHECK (objective IN ('intermediate', 'terminal')),
    PRIMARY KEY (bilan_id, competency_id),
    CHECK ((level IS NULL) = (objective IS NULL))
);
CREATE TABLE grades (
    id INTEGER PRIMARY KEY,
    bilan_id INTEGER NOT NULL REFERENCES bilans(id) ON DELETE CASCADE,
    grade REAL NOT NULL CHECK (grade BETWEEN 0 AND 20),
    weights TEXT NOT NULL,
    rounding_step REAL NOT NULL CHECK (rounding_step > 0),
    author_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX grades_by_bilan ON grades(bilan_id, id);
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    user_name TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id INTEGER,
    learner_id INTEGER,
    before TEXT,
    after TEXT
);
CREATE INDEX audit_by_entity ON audit_log(entity, entity_id);
"""

# A learner's `version` is part of every cache key of that learner's data: these triggers bump it
# on any write that changes what the learner's dashboard or bilans show, so no caller can forget.
VERSION_TRIGGERS = """
CREATE TRIGGER results_insert_version AFTER INSERT ON results BEGIN
    UPDATE learners SET version = version + 1 WHERE id = NEW.learner_id;
END;
CREATE TRIGGER results_update_version AFTER UPDATE ON results BEGIN
    UPDATE learners SET version = version + 1 WHERE id IN (OLD.learner_id, NEW.learner_id);
END;
CREATE TRIGGER results_delete_version AFTER DELETE ON results BEGIN
    UPDATE learners SET version = version + 1 WHERE id = OLD.learner_id;
END;
CREATE TRIGGER evaluations_update_version AFTER UPDATE ON evaluations BEGIN
    UPDATE learners SET version = version + 1
    WHERE id IN (SELECT learner_id FROM results WHERE evaluation_id = NEW.id);
END;
CREATE TRIGGER evaluations_delete_version BEFORE DELETE ON evaluations BEGIN
    UPDATE learners SET version = version + 1
    WHERE id IN (SELECT learner_id FROM results WHERE evaluation_id = OLD.id);
END;
CREATE TRIGGER bilans_insert_version AFTER INSERT ON bilans BEGIN
    UPDATE learners SET version = version + 1 WHERE id = NEW.learner_id;
END;
CREATE TRIGGER bilans_update_version AFTER UPDATE ON bilans BEGIN
    UPDATE learners SET version = version + 1 WHERE id = NEW.learner_id;
END;
CREATE TRIGGER bilans_delete_version AFTER DELETE ON bilans BEGIN
    UPDATE learners SET version = version + 1 WHERE id = OLD.learner_id;
END;
CREATE TRIGGER positionings_insert_version AFTER INSERT ON positionings BEGIN
    UPDATE learners SET version = version + 1
    WHERE id = (SELECT learner_id FROM bilans WHERE id = NEW.bilan_id);
END;
CREATE TRIGGER positionings_update_version AFTER UPDATE ON positionings BEGIN
    UPDATE learners SET version = version + 1
    WHERE id = (SELECT learner_id FROM bilans WHERE id = NEW.bilan_id);
END;
CREATE TRIGGER positionings_delete_version AFTER DELETE ON positionings BEGIN
    UPDATE learners SET version = version + 1
    WHERE id = (SELECT learner_id FROM bilans WHERE id = OLD.bilan_id);
END;
"""


# SQLite's form → PostgreSQL's form of the DDL that differs; each must be found where it is used.
POSTGRES_DDL = (
    ("INTEGER PRIMARY KEY", "INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
    (" REAL ", " DOUBLE PRECISION "),  # PostgreSQL's REAL has 6 digits; SQLite's is a double
    (") WITHOUT ROWID;", ");"),
    ("email TEXT NOT NULL UNIQUE COLLATE NOCASE", "email TEXT NOT NULL"),  # unique index on lower(email) below
    ("eval_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'", "eval_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'"),
    ("json_valid(weights) AND json_type(weights) = 'object'", "livret_is_json_object(weights)"),
)
# What PostgreSQL needs after a statement to hold the same rule (the key: a piece of that statement).
POSTGRES_AFTER = {
    "CREATE TABLE users (": "CREATE UNIQUE INDEX users_email_nocase ON users (lower(email));",
}
POSTGRES_BEFORE = {
    "CREATE TABLE grading_drafts (": """
CREATE FUNCTION livret_is_json_object(value TEXT) RETURNS BOOLEAN LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN jsonb_typeof(value::jsonb) = 'object';
EXCEPTION WHEN others THEN
    RETURN FALSE;
END $$;""",
}
_TRIGGER = re.compile(r"CREATE TRIGGER (\w+) (AFTER|BEFORE) (INSERT|DELETE|UPDATE(?: OF \w+)?) ON (\w+) BEGIN\n(.*)END;\s*$",
                      re.DOTALL)


def postgres_ddl(statement: str) -> list[str]:
    """One SQLite DDL statement as the PostgreSQL statements that hold the same rules. A trigger becomes a
    PL/pgSQL function of the same body (NEW and OLD mean the same) and a row trigger calling it."""
    trigger = _TRIGGER.match(statement.strip())
    if trigger:
        name, moment, event, table, body = trigger.groups()
        returned = "OLD" if moment == "BEFORE" else "NULL"  # a BEFORE row trigger returning NULL cancels the row
        return [f"CREATE FUNCTION livret_{name}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n{body}"
                f"RETURN {returned};\nEND $$;",
                f"CREATE TRIGGER {name} {moment} {event} ON {table} FOR EACH ROW EXECUTE FUNCTION livret_{name}();"]
    before = [sql for key, sql in POSTGRES_BEFORE.items() if key in statement]
    after = [sql for key, sql in POSTGRES_AFTER.items() if key in statement and sql]
    for sqlite_form, postgres_form in POSTGRES_DDL:
        statement = statement.replace(sqlite_form, postgres_form)
    return [*before, statement, *after]


def statements(script: str) -> list[str]:
    """The statements of a script, whole (a trigger's body holds semicolons)."""
    found, statement = [], ""
    for line in script.strip().splitlines():
        statement += line + "\n"
        if sqlite3.complete_statement(statement):
            found.append(statement)
            statement = ""
    return found


def _run_statements(db: Database, script: str) -> None:
    # executescript() would COMMIT the migration's transaction, so statements go one by one.
    for statement in statements(script):
        if db.is_postgres:
            for translated in postgres_ddl(statement):
                db.conn.execute(translated)
        else:
            db.execute(statement)


@migration
def m001_initial_schema(db: Database) -> None:
    _run_statements(db, INITIAL_SCHEMA)


@migration
def m002_learner_version_triggers(db: Database) -> None:
    _run_statements(db, VERSION_TRIGGERS)


AUTH_SESSIONS = """
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('local', 'demo')),
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions(user_id);
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0
    CHECK (must_change_password IN (0, 1));
ALTER TABLE users ADD COLUMN last_login_at TEXT;
"""


@migration
def m003_auth_sessions(db: Database) -> None:
    # Sign-ins that survive a browser reload: only a hash of the cookie's random token is stored.
    _run_statements(db, AUTH_SESSIONS)


REFERENTIEL_VERSION_TRIGGERS = """
CREATE TRIGGER criteria_insert_version AFTER INSERT ON criteria BEGIN
    UPDATE learners SET version = version + 1 WHERE class_id IN (SELECT id FROM classes WHERE diploma =
        (SELECT diploma FROM competencies WHERE id = NEW.competency_id));
END;
CREATE TRIGGER criteria_update_version AFTER UPDATE ON criteria BEGIN
    UPDATE learners SET version = version + 1 WHERE class_id IN (SELECT id FROM classes WHERE diploma IN
        (SELECT diploma FROM competencies WHERE id IN (OLD.competency_id, NEW.competency_id)));
END;
CREATE TRIGGER criteria_delete_version AFTER DELETE ON criteria BEGIN
    UPDATE learners SET version = version + 1 WHERE class_id IN (SELECT id FROM classes WHERE diploma =
        (SELECT diploma FROM competencies WHERE id = OLD.competency_id));
END;
CREATE TRIGGER competencies_insert_version AFTER INSERT ON competencies BEGIN
    UPDATE learners SET version = version + 1 WHERE class_id IN (SELECT id FROM classes WHERE diploma = NEW.diploma);
END;
CREATE TRIGGER competencies_update_version AFTER UPDATE ON competencies BEGIN
    UPDATE learners SET version = version + 1
    WHERE class_id IN (SELECT id FROM classes WHERE diploma IN (OLD.diploma, NEW.diploma));
END;
CREATE TRIGGER competencies_delete_version AFTER DELETE ON competencies BEGIN
    UPDATE learners SET version = version + 1 WHERE class_id IN (SELECT id FROM classes WHERE diploma = OLD.diploma);
END;
CREATE TRIGGER units_update_version AFTER UPDATE ON units BEGIN
    UPDATE learners SET version = version + 1
    WHERE class_id IN (SELECT id FROM classes WHERE diploma IN (OLD.diploma, NEW.diploma));
END;
CREATE TRIGGER classes_diploma_version AFTER UPDATE OF diploma ON classes BEGIN
    UPDATE learners SET version = version + 1 WHERE class_id = NEW.id;
END;
CREATE TRIGGER learners_class_version AFTER UPDATE OF class_id ON learners BEGIN
    UPDATE learners SET version = version + 1 WHERE id = NEW.id;
END;
"""


@migration
def m004_referentiel_version_triggers(db: Database) -> None:
    # The dashboard's caches are keyed by learners.version: a change of the référentiel a learner is
    # graded on, or of the learner's class or diploma, must change that key too.
    _run_statements(db, REFERENTIEL_VERSION_TRIGGERS)


GRADING_DRAFTS = """
CREATE TABLE grading_drafts (
    id INTEGER PRIMARY KEY,
    bilan_id INTEGER NOT NULL REFERENCES bilans(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    weights TEXT NOT NULL CHECK (json_valid(weights) AND json_type(weights) = 'object'),
    updated_at TEXT NOT NULL,
    UNIQUE (bilan_id, user_id)
);
CREATE INDEX grading_drafts_by_user ON grading_drafts(user_id);
"""


@migration
def m005_grading_drafts(db: Database) -> None:
    # A weighting typed on « Notation » but not saved yet outlives a reload, a closed tab or a change
    # of device: one draft per bilan and author, until the grade is saved or the weighting reset.
    _run_statements(db, GRADING_DRAFTS)


# Columns that were written in the server's local time before the one clock (livret/clock.py);
# account and session times (users, sessions, audit lines of entity 'user') were UTC already.
LOCAL_TIME_COLUMNS = (
    ("bilans", "created_at", ""), ("bilans", "modified_at", ""), ("bilans", "validated_at", ""),
    ("evaluations", "created_at", ""), ("evaluations", "modified_at", ""),
    ("grades", "created_at", ""), ("grading_drafts", "updated_at", ""),
    ("audit_log", "at", "WHERE entity <> 'user'"),
)


@migration
def m006_one_clock(db: Database) -> None:
    # Every stored moment becomes UTC, so an account created and a bilan confirmed in the same second
    # carry the same time; the school's zone is used only to show them.
    from datetime import datetime

    if db.is_postgres:  # a PostgreSQL database is made by this version of Livret: every moment is UTC already
        return

    def local_to_utc(text):
        if text is None or len(text) < 19:
            return text
        return clock.stamp(datetime.strptime(text[:19], clock.STAMP_FORMAT))

    db.conn.create_function("livret_local_to_utc", 1, local_to_utc, deterministic=True)
    for table, column, where in LOCAL_TIME_COLUMNS:
        db.execute(f"UPDATE {table} SET {column} = livret_local_to_utc({column}) {where}")


BILAN_WITHDRAWAL = """
ALTER TABLE bilans ADD COLUMN withdrawn_at TEXT;
ALTER TABLE bilans ADD COLUMN withdrawn_by INTEGER REFERENCES users(id) ON DELETE SET NULL;
ALTER TABLE bilans ADD COLUMN withdrawal_reason TEXT;
"""


@migration
def m007_bilan_withdrawal(db: Database) -> None:
    # A bilan validated by mistake is withdrawn by the DDFPT, never deleted: columns rather than a new
    # status, since SQLite cannot change the status CHECK without rebuilding the table. Every reader
    # of bilans excludes withdrawn_at IS NOT NULL.
    _run_statements(db, BILAN_WITHDRAWAL)


PROPOSED_LEVEL = """
ALTER TABLE positionings ADD COLUMN proposed_level INTEGER CHECK (proposed_level BETWEEN 1 AND 4);
"""


@migration
def m008_positioning_proposition(db: Database) -> None:
    # The level proposed from the evidence when the teacher positioned a competency (NULL: none could be
    # proposed, or the positioning predates propositions), so the audit trail shows where they departed
    # from it.
    _run_statements(db, PROPOSED_LEVEL)


USER_PREFERENCES = """
CREATE TABLE user_preferences (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    key TEXT NOT NULL CHECK (key IN ('legend_open', 'contrast')),
    value TEXT NOT NULL CHECK (value IN ('0', '1')),
    PRIMARY KEY (user_id, key)
);
"""


@migration
def m009_user_preferences(db: Database) -> None:
    # What each user chose for their own screens (the dashboard's legend folded, the contrasted mode), so that
    # it follows them from device to device.
    _run_statements(db, USER_PREFERENCES)


MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS livret_migrations (
    name TEXT PRIMARY KEY,
    applied_at TEXT NOT NULL
)"""


def migrate(db: Database, stop_before: str | None = None) -> None:
    """Create or upgrade the schema to the latest version (or to the one before the migration stop_before,
    to test that migration on a database made before it)."""
    if not db.is_postgres:
        _sqlite_migrations.apply(sqlite_utils.Database(db.conn), stop_before=stop_before)
        return
    from livret.db import transaction

    with transaction(db):  # the write lock: two servers starting together migrate one after the other
        db.execute(MIGRATIONS_TABLE)
        applied = {r[0] for r in db.execute("SELECT name FROM livret_migrations")}
        for function in MIGRATIONS:
            if function.__name__ == stop_before:
                break
            if function.__name__ not in applied:
                function(db)
                db.execute("INSERT INTO livret_migrations(name, applied_at) VALUES (?, ?)",
                           [function.__name__, clock.stamp()])


def applied_migrations(db: Database) -> list[str]:
    """The names of the migrations applied to the database, in the order they were applied."""
    if db.is_postgres:
        return [r[0] for r in db.execute("SELECT name FROM livret_migrations ORDER BY applied_at, name")]
    return [m.name for m in _sqlite_migrations.applied(sqlite_utils.Database(db.conn))]


def open_existing(location: str) -> Database:
    """A migrated connection to a database that must already exist (the command line never creates one by
    accident)."""
    if not database_exists(location):
        raise ValidationError(f"La base {shown_location(location)} n'existe pas : créez-la d'abord "
                              "(python -m livret init).")
    db = connect(location)
    migrate(db)
    return db
