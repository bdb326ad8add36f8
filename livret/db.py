"""SQLite connections: foreign keys on, WAL, busy timeout, one transaction per logical write."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

DEFAULT_DB_PATH = Path(__file__).resolve().parent.parent / "data" / "livret.db"
BUSY_TIMEOUT_MS = 10_000

_local = threading.local()


def db_path() -> Path:
    """Database path from LIVRET_DB, defaulting to data/livret.db."""
    return Path(os.environ.get("LIVRET_DB") or DEFAULT_DB_PATH)


def connect(path: str | Path) -> sqlite_utils.Database:
    """Open a new connection with the pragmas every connection of the app needs."""
    is_memory = str(path) == ":memory:"
    if not is_memory:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        str(path),
        timeout=BUSY_TIMEOUT_MS / 1000,
        isolation_level=None,  # transactions are opened explicitly by transaction()
        check_same_thread=False,
    )
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if not is_memory:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    return sqlite_utils.Database(conn)


def thread_db(path: str | Path | None = None) -> sqlite_utils.Database:
    """The calling thread's connection to path (SQLite objects must not cross threads)."""
    key = str(path or db_path())
    cache = getattr(_local, "connections", None)
    if cache is None:
        cache = _local.connections = {}
    db = cache.get(key)
    if db is None:
        db = cache[key] = connect(key)
    return db


def close_thread_connections() -> None:
    for db in getattr(_local, "connections", {}).values():
        db.close()
    _local.connections = {}


@contextlib.contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One logical write. The outermost level takes the write lock at once (BEGIN IMMEDIATE)
    so that two sessions writing together wait for each other instead of failing to upgrade."""
    conn = db.conn
    if conn.in_transaction:
        with db.atomic():
            yield db
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


def data_version(db: sqlite_utils.Database) -> int:
    """A counter bumped by every write of the app; cache keys include it."""
    row = db.execute("SELECT value FROM settings WHERE key = 'data_version'").fetchone()
    return int(row[0]) if row else 0


def bump_data_version(db: sqlite_utils.Database) -> None:
    db.execute(
        "INSERT INTO settings(key, value) VALUES ('data_version', '1') "
        "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
    )


def open_existing(path: str | Path) -> sqlite_utils.Database:
    """A connection to a database that must already exist (the command line never creates one by accident)."""
    from livret import schema
    from livret.errors import ValidationError

    if not Path(path).exists():
        raise ValidationError(f"La base {path} n'existe pas : créez-la d'abord (python -m livret init).")
    db = connect(path)
    schema.migrate(db)
    return db
