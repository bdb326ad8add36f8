"""The storage module: the one place that knows whether the school's database is SQLite or PostgreSQL.

LIVRET_DB names the database: a file path (or nothing: data/livret.db) keeps the embedded SQLite; a
``postgresql://`` URL selects PostgreSQL, shared by several Livret servers. Services write their SQL once,
in SQLite's spelling with ``?`` placeholders, and call the `Database` methods below; where the two engines
differ, both forms sit side by side here (POSTGRES_FORMS, the write lock, the snapshot read, the change
marker) or in livret/schema.py (the DDL).

SQLite: foreign keys on, WAL, busy timeout, one transaction per logical write (BEGIN IMMEDIATE).
PostgreSQL: one transaction per logical write too, which first takes a transaction-level advisory lock, so
writers queue exactly as on SQLite (a write is a few milliseconds; readers never wait, MVCC).
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import pandas as pd

from livret.errors import LivretError

DEFAULT_DB_PATH = Path(__file__).resolve().parent.parent / "data" / "livret.db"
BUSY_TIMEOUT_MS = 10_000
# A long import holds the write lock for longer than one busy timeout: a teacher's write waits (in
# several attempts) up to this long before being told, in French, to try again.
WRITE_WAIT_SECONDS = 30.0
BUSY_MESSAGE = ("La base est occupée par une autre écriture (un import, par exemple) : réessayez dans un "
                "instant. Ce que vous avez saisi est conservé à l'écran ; rien n'a été enregistré.")
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
# The key of PostgreSQL's advisory lock that every write transaction takes: one writer at a time per
# database, as SQLite's BEGIN IMMEDIATE gives (any number of readers meanwhile).
WRITE_LOCK_KEY = 0x4C495652  # "LIVR"

SQLITE, POSTGRESQL = "sqlite", "postgresql"

_local = threading.local()


class IntegrityError(Exception):
    """A constraint refused a write, on either engine. The message starts as SQLite's does (« UNIQUE
    constraint failed », « CHECK constraint failed », « FOREIGN KEY constraint failed », « NOT NULL
    constraint failed »), so a caller can tell the kind without knowing the engine."""

    @property
    def unique(self) -> bool:
        return str(self).startswith("UNIQUE")


def is_postgres(location: str | Path) -> bool:
    return str(location).startswith(POSTGRES_SCHEMES)


def db_location() -> str:
    """LIVRET_DB: a PostgreSQL URL or a SQLite file path, by default data/livret.db."""
    return os.environ.get("LIVRET_DB") or str(DEFAULT_DB_PATH)


def shown_location(location: str | Path) -> str:
    """The location as it may be printed or logged: a URL without its password."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", str(location))


# ---------------------------------------------------------------- SQL in each engine's spelling

# SQLite's form → PostgreSQL's form, for the few spellings the services share and the engines do not.
POSTGRES_FORMS = (
    # NOCASE folds ASCII letters only; lower() does the same in a "C" database, and the whole alphabet
    # in a French one (a shared instance sorts « Élodie » beside « Eloïse », not after « Zoé »).
    (re.compile(r"([\w.]+) COLLATE NOCASE"), r"lower(\1)"),
    (re.compile(r"\bgroup_concat\("), "string_agg("),
)
_PG_TOKENS = re.compile(r"'(?:[^']|'')*'|\?|%|(?<!:):([A-Za-z_]\w*)")


@functools.lru_cache(maxsize=2048)
def postgres_sql(sql: str) -> str:
    """The statement in PostgreSQL's spelling: %s and %(name)s placeholders for ? and :name (a literal %
    doubled), and POSTGRES_FORMS."""
    def token(match: re.Match) -> str:
        text = match.group(0)
        if match.group(1):
            return f"%({match.group(1)})s"
        return "%s" if text == "?" else text.replace("%", "%%")

    sql = _PG_TOKENS.sub(token, sql)
    for pattern, replacement in POSTGRES_FORMS:
        sql = pattern.sub(replacement, sql)
    return sql


def _sqlite_integrity(error: sqlite3.IntegrityError) -> IntegrityError:
    return IntegrityError(str(error))


def _postgres_integrity(error) -> IntegrityError:
    from psycopg import errors

    kinds = ((errors.UniqueViolation, "UNIQUE"), (errors.CheckViolation, "CHECK"),
             (errors.ForeignKeyViolation, "FOREIGN KEY"), (errors.NotNullViolation, "NOT NULL"))
    kind = next((name for cls, name in kinds if isinstance(error, cls)), "INTEGRITY")
    detail = error.diag.constraint_name or error.diag.message_primary or ""
    return IntegrityError(f"{kind} constraint failed: {detail}")


class Database:
    """A connection to the school's database, with the same methods on both engines."""

    def __init__(self, conn, dialect: str, location: str):
        self._conn, self.dialect, self.location = conn, dialect, location
        self._savepoints = 0

    @property
    def conn(self):
        return self._conn

    @property
    def is_postgres(self) -> bool:
        return self.dialect == POSTGRESQL

    # -- statements

    def execute(self, sql: str, params: Sequence | dict | None = None):
        """Run one statement; the cursor answers fetchone(), fetchall(), iteration and rowcount."""
        if self.is_postgres:
            from psycopg import errors

            try:
                return self.conn.execute(postgres_sql(sql), params or ())
            except errors.IntegrityError as error:
                raise _postgres_integrity(error) from error
        try:
            return self.conn.execute(sql, params or ())
        except sqlite3.IntegrityError as error:
            raise _sqlite_integrity(error) from error

    def executemany(self, sql: str, rows: Iterable[Sequence]) -> None:
        if self.is_postgres:
            from psycopg import errors

            rows = list(rows)
            if not rows:
                return
            try:
                with self.conn.cursor() as cursor:
                    cursor.executemany(postgres_sql(sql), rows)
            except errors.IntegrityError as error:
                raise _postgres_integrity(error) from error
            return
        try:
            self.conn.executemany(sql, rows)
        except sqlite3.IntegrityError as error:
            raise _sqlite_integrity(error) from error

    def insert(self, sql: str, params: Sequence | dict | None = None) -> int:
        """Run an INSERT into a table with an id column and return the new row's id."""
        if self.is_postgres:
            return self.execute(sql + " RETURNING id", params).fetchone()[0]
        return self.execute(sql, params).lastrowid

    def query(self, sql: str, params: Sequence | dict | None = None) -> Iterator[dict]:
        """Rows as dicts keyed by column name."""
        cursor = self.execute(sql, params)
        rows = cursor.fetchall()  # first: in a pipelined read the columns are known once the rows are there
        names = [d[0] for d in cursor.description]
        for row in rows:
            yield dict(zip(names, row))

    def frame(self, sql: str, params: Sequence | dict | None = None) -> pd.DataFrame:
        """The rows as a DataFrame (as pandas.read_sql_query builds it, on either engine)."""
        return self._frame_of(self.execute(sql, params))

    def frames(self, *statements: tuple[str, Sequence | dict | None]) -> list[pd.DataFrame]:
        """Several (sql, params) statements' rows as DataFrames. All are sent before any is read: in a
        PostgreSQL snapshot (reading(), pipelined) they cost one round trip together instead of one each."""
        cursors = [self.execute(sql, params) for sql, params in statements]
        return [self._frame_of(cursor) for cursor in cursors]

    @staticmethod
    def _frame_of(cursor) -> pd.DataFrame:
        rows = cursor.fetchall()  # first: in a pipelined read the columns are known once the rows are there
        return pd.DataFrame.from_records(rows, columns=[d[0] for d in cursor.description], coerce_float=True)

    # -- transactions

    @property
    def in_transaction(self) -> bool:
        if self.is_postgres:
            from psycopg.pq import TransactionStatus

            return self.conn.info.transaction_status != TransactionStatus.IDLE
        return self.conn.in_transaction

    def change_marker(self) -> int:
        """A number that changes when another connection may have written since it was last read (it
        never changes for this connection's own writes). SQLite: its data_version. PostgreSQL: the next
        transaction id of the snapshot, which every writing transaction of the server advances — so it
        may change without a write to this database, never the other way."""
        if self.is_postgres:
            return int(self.execute("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint").fetchone()[0])
        return self.execute("PRAGMA data_version").fetchone()[0]

    # -- the database as a whole

    def tables(self) -> list[str]:
        """The app's tables, by name (neither engine's own nor the migrations' bookkeeping)."""
        if self.is_postgres:
            sql = ("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                   "AND table_type = 'BASE TABLE' AND table_name <> 'livret_migrations' ORDER BY table_name")
        else:
            sql = ("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                   "AND name <> '_sqlite_migrations' ORDER BY name")
        return [r[0] for r in self.execute(sql)]

    def columns(self, table: str) -> list[str]:
        if self.is_postgres:
            return [r[0] for r in self.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND table_name = ? ORDER BY ordinal_position", [table])]
        return [r[1] for r in self.execute(f"PRAGMA table_info({table})")]

    def restart_ids(self, table: str) -> None:
        """After rows were written with their ids: the next new row of the table takes the next id.
        (SQLite takes max(id) + 1 by itself; a PostgreSQL identity column counts on its own.)"""
        if self.is_postgres:
            self.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 0) + 1, false) "
                         f"FROM {table}")

    def close(self) -> None:
        self._conn.close()


# ---------------------------------------------------------------- connections


def connect(location: str | Path) -> Database:
    """Open a new connection with the settings every connection of the app needs."""
    if is_postgres(location):
        return _connect_postgres(str(location))
    is_memory = str(location) == ":memory:"
    if not is_memory:
        Path(location).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        str(location),
        timeout=BUSY_TIMEOUT_MS / 1000,
        isolation_level=None,  # transactions are opened explicitly by transaction()
        check_same_thread=False,
    )
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if not is_memory:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    return Database(conn, SQLITE, str(location))


def _connect_postgres(url: str) -> Database:
    import psycopg

    try:
        # autocommit: transactions are opened explicitly, as on SQLite; a statement outside one sees the
        # latest committed state.
        conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as error:
        raise _unreachable(url, error) from error
    _configure_postgres(conn)
    return Database(conn, POSTGRESQL, url)


def _configure_postgres(conn) -> None:
    from psycopg.types.numeric import FloatLoader

    # sums and averages come back as floats, as on SQLite, not Decimals
    conn.adapters.register_loader("numeric", FloatLoader)


def _unreachable(url: str, error: Exception) -> LivretError:
    first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return LivretError(f"Connexion impossible à la base PostgreSQL {shown_location(url)} : {first_line}")


# PostgreSQL: each Livret process borrows its connections from one pool per database (psycopg_pool), so a
# script run costs no new connection and the server's connection count stays bounded by the number of
# processes × the pool size, however many sessions come and go. A connection goes back to the pool when the
# script's thread ends. The pool's size is the most script runs of one process that read or write at the
# same moment (a run takes a few tens of milliseconds); a run beyond it waits up to WRITE_WAIT_SECONDS.
DEFAULT_POOL_SIZE = 10
_pools: dict[str, object] = {}
_pools_lock = threading.Lock()


def pool_size() -> int:
    """LIVRET_PG_POOL_SIZE, or DEFAULT_POOL_SIZE; anything but a whole number from 1 up is refused in French."""
    text = os.environ.get("LIVRET_PG_POOL_SIZE", "").strip()
    if not text:
        return DEFAULT_POOL_SIZE
    if not text.isdigit() or int(text) < 1:
        raise LivretError(f"LIVRET_PG_POOL_SIZE doit être un nombre entier de connexions, au moins 1 "
                          f"(« {text} » reçu).")
    return int(text)


def _pool(url: str):
    with _pools_lock:
        pool = _pools.get(url)
        if pool is None:
            from psycopg_pool import ConnectionPool

            pool = _pools[url] = ConnectionPool(
                url, min_size=1, max_size=pool_size(), timeout=WRITE_WAIT_SECONDS, open=True,
                kwargs={"autocommit": True, "connect_timeout": 10}, configure=_configure_postgres,
                # one round trip per lending, so that a connection cut by a restart of the server is
                # replaced instead of failing the run that borrows it
                check=ConnectionPool.check_connection, name="livret")
        return pool


def close_pools(url: str | None = None) -> None:
    """Close this process's pooled connections (to url, or to every database; SQLite's idle ones too): before
    the database is dropped or copied as a template, and when a test ends."""
    with _pools_lock:
        closing = [_pools.pop(key) for key in list(_pools) if url is None or key == str(url)]
    for pool in closing:
        pool.close()
    with _idle_lock:
        idle = [conn for key in list(_idle_sqlite) if url is None or key == str(url) for conn in _idle_sqlite.pop(key)]
    for conn in idle:
        with contextlib.suppress(Exception):
            conn.close()


def thread_db(location: str | Path | None = None) -> Database:
    """The app's handle on location: each thread that uses it works through a connection of its own (a
    connection must not cross threads), opened on first use (SQLite) or borrowed from the process's pool
    (PostgreSQL), and closed or given back when that thread ends — Streamlit runs each script run in a
    thread of its own."""
    return _ThreadDatabase(str(location or db_location()))


class _ThreadDatabase(Database):
    """A handle that reaches the connection of whichever thread uses it. Streamlit runs a widget's callback
    at the start of the next run, in that run's thread, with the objects of the run that drew the widget:
    a handle bound to the previous thread's connection would find it closed (or lent to another session)."""

    def __init__(self, location: str):
        super().__init__(None, POSTGRESQL if is_postgres(location) else SQLITE, location)

    @property
    def conn(self):
        return _thread_connection(self.location)

    def close(self) -> None:
        cache = getattr(_local, "connections", None)
        if cache is not None:
            cache.close(self.location)


def _thread_connection(location: str):
    cache = getattr(_local, "connections", None)
    if cache is None:
        cache = _local.connections = _Connections()
    return cache.get(location)


class _Connections:
    """A thread's connections. The thread's local storage is released when the thread ends, and the
    finalizer closes them then; it holds only the dict of connections, never this object, which it would
    otherwise keep alive for ever (one connection and its files leaked per script run)."""

    def __init__(self):
        self.opened: dict[str, tuple] = {}  # location -> (connection, how to close it)
        weakref.finalize(self, _close_all, self.opened)

    def get(self, location: str):
        found = self.opened.get(location)
        if found is None:
            found = self.opened[location] = _open(location)
        return found[0]

    def close(self, location: str) -> None:
        found = self.opened.pop(location, None)
        if found is not None:
            _close_quietly(*found)

    def close_all(self) -> None:
        _close_all(self.opened)


# SQLite connections a finished thread gave back, by file, for the next script run: a new connection would
# parse the schema again and start with a cold page cache (the write of a positioning took 6–20 ms in the
# server against 2 ms on a connection already used). At most SQLITE_IDLE per file are kept.
SQLITE_IDLE = 4
_idle_sqlite: dict[str, list] = {}
_idle_lock = threading.Lock()


def _open(location: str) -> tuple:
    """A connection and the function that ends its use: give it back (to the SQLite idle list, or to the
    PostgreSQL pool)."""
    if not is_postgres(location):
        with _idle_lock:
            idle = _idle_sqlite.get(location)
            conn = idle.pop() if idle else None
        return conn or connect(location).conn, functools.partial(_give_back_sqlite, location)
    import psycopg
    from psycopg_pool import PoolTimeout

    pool = _pool(location)
    try:
        conn = pool.getconn()
    except PoolTimeout as error:
        raise LivretError(BUSY_MESSAGE) from error
    except psycopg.OperationalError as error:
        raise _unreachable(location, error) from error
    return conn, pool.putconn


def _give_back_sqlite(location: str, conn) -> None:
    if conn.in_transaction:  # a run that ended inside a transaction (it was stopped): nothing of it is kept
        conn.execute("ROLLBACK")
    with _idle_lock:
        idle = _idle_sqlite.setdefault(location, [])
        if len(idle) < SQLITE_IDLE:
            idle.append(conn)
            return
    conn.close()


def _close_quietly(conn, end) -> None:
    with contextlib.suppress(Exception):
        end(conn)


def _close_all(opened: dict) -> None:
    for found in list(opened.values()):
        _close_quietly(*found)
    opened.clear()


def close_thread_connections() -> None:
    cache = getattr(_local, "connections", None)
    if cache is not None:
        cache.close_all()


# ---------------------------------------------------------------- transactions


@contextlib.contextmanager
def transaction(db: Database) -> Iterator[Database]:
    """One logical write. The outermost level takes the write lock at once (SQLite: BEGIN IMMEDIATE;
    PostgreSQL: the advisory lock), so that two sessions writing together wait for each other instead of
    failing; an inner level is a savepoint."""
    if db.in_transaction:
        with _savepoint(db):
            yield db
        return
    if db.is_postgres:
        _begin_postgres_write(db)
    else:
        _begin_immediate(db.conn)
    try:
        yield db
    except BaseException:
        if db.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    else:
        db.conn.execute("COMMIT")


@contextlib.contextmanager
def _savepoint(db: Database) -> Iterator[None]:
    db._savepoints += 1
    name = f"livret_{db._savepoints}"
    db.conn.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        db.conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
        db.conn.execute(f"RELEASE SAVEPOINT {name}")
        raise
    else:
        db.conn.execute(f"RELEASE SAVEPOINT {name}")
    finally:
        db._savepoints -= 1


@contextlib.contextmanager
def reading(db: Database) -> Iterator[Database]:
    """Several reads from one state of the database (none of them sees a write committed meanwhile), or the
    caller's transaction when there is one. Takes no write lock."""
    if db.in_transaction:
        yield db
        return
    if db.is_postgres:
        with _postgres_snapshot(db):
            yield db
        return
    db.conn.execute("BEGIN")
    db.conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()  # the snapshot starts with a read
    try:
        yield db
    finally:
        if db.in_transaction:
            db.conn.execute("ROLLBACK")


@contextlib.contextmanager
def _postgres_snapshot(db: Database) -> Iterator[None]:
    """A read-only REPEATABLE READ transaction in pipeline mode: its BEGIN travels with the first query and
    its ROLLBACK with the pipeline's last sync, so a snapshot costs the round trips of its queries only (a
    learner's page is a handful of small queries, where each round trip counts)."""
    conn = db.conn
    try:
        with conn.pipeline():
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield
            conn.execute("ROLLBACK")
    finally:
        if db.in_transaction:  # the reads were cut short by an error
            conn.execute("ROLLBACK")


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


def _begin_postgres_write(db: Database) -> None:
    """BEGIN, then the database's write lock, waiting at most WRITE_WAIT_SECONDS for another writer."""
    from psycopg import errors

    db.conn.execute("BEGIN")
    try:
        db.conn.execute(f"SET LOCAL lock_timeout = '{max(1, int(WRITE_WAIT_SECONDS * 1000))}ms'")  # 0 = no limit
        db.conn.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK_KEY])
        db.conn.execute("SET LOCAL lock_timeout = 0")
    except errors.LockNotAvailable as error:
        db.conn.execute("ROLLBACK")
        raise LivretError(BUSY_MESSAGE) from error
    except BaseException:
        db.conn.execute("ROLLBACK")
        raise


# ---------------------------------------------------------------- the school's version counter


def data_version(db: Database) -> int:
    """A counter bumped by every write of the app; cache keys include it."""
    row = db.execute("SELECT value FROM settings WHERE key = 'data_version'").fetchone()
    return int(row[0]) if row else 0


def bump_data_version(db: Database) -> None:
    db.execute(
        "INSERT INTO settings(key, value) VALUES ('data_version', '1') "
        "ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(settings.value AS INTEGER) + 1 AS TEXT)"
    )


# ---------------------------------------------------------------- databases as a whole


def database_exists(location: str | Path) -> bool:
    """SQLite: the file exists. PostgreSQL: the database has been created by Livret (its migrations ran)."""
    if not is_postgres(location):
        return Path(location).exists()
    db = connect(location)
    try:
        return db.execute("SELECT to_regclass('livret_migrations') IS NOT NULL").fetchone()[0]
    finally:
        db.close()


def remove_database(location: str | Path) -> None:
    """SQLite: delete the file. PostgreSQL: drop every table of the database's schema (the database
    itself, its owner and its rights stay as the administrator made them)."""
    if not is_postgres(location):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{location}{suffix}").unlink(missing_ok=True)
        return
    db = connect(location)
    try:
        with transaction(db):
            names = [r[0] for r in db.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")]
            for name in names:
                db.execute(f'DROP TABLE IF EXISTS "{name}" CASCADE')
            for (name,) in db.execute("SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n "
                                      "ON n.oid = p.pronamespace WHERE n.nspname = current_schema() "
                                      "AND p.proname LIKE 'livret_%'").fetchall():
                db.execute(f"DROP FUNCTION IF EXISTS {name} CASCADE")
    finally:
        db.close()
