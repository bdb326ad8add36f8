"""SQLite connections: foreign keys on, WAL, busy timeout, one transaction per logical write."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

from livret.errors import LivretError

DEFAULT_DB_PATH = Path(__file__).resolve().parent.parent / "data" / "livret.db"
BUSY_TIMEOUT_MS = 10_000
# A long import holds the write lock for longer than one busy timeout: a teacher's write waits (in
# several attempts) up to this long before being told, in French, to try again.
WRITE_WAIT_SECONDS = 30.0
BUSY_MESSAGE = ("La base est occupée par une autre écriture (un import, par exemple) : réessayez dans un "
                "instant. Ce que vous avez saisi est conservé à l'écran ; rien n'a été enregistré.")

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
    _begin_immediate(conn)
    try:
        yield db
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


def _is_busy(error: sqlite3.OperationalError) -> bool:
    text = str(error).lower()
    return "locked" in text or "busy" in text


def _begin_immediate(conn: sqlite3.Connection) -> None:
    """Take the write lock, waiting through another writer's long transaction (each attempt waits one
    busy timeout) with a growing pause between attempts, at most WRITE_WAIT_SECONDS in all."""
    deadline = time.monotonic() + WRITE_WAIT_SECONDS
    pause = 0.05
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as error:
            if not _is_busy(error):
                raise
            left = deadline - time.monotonic()
            if left <= 0:
                raise LivretError(BUSY_MESSAGE) from error
            time.sleep(min(pause, left))
            pause = min(pause * 2, 1.0)


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
