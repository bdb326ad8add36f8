import os
import re
import sqlite3
import threading
import time

import pytest

from livret.db import IntegrityError, close_pools, connect, pool_size, thread_db, transaction
from livret.errors import LivretError


def test_connection_pragmas(demo_db):
    if demo_db.is_postgres:  # statements outside a transaction() see the latest commit; writes take the lock
        assert demo_db.conn.autocommit and not demo_db.in_transaction
        return
    assert demo_db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert demo_db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert demo_db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000


def _evaluation(db, **overrides):
    class_id = db.insert("INSERT INTO classes(name, diploma) VALUES ('2MELEC', 'BACPRO-MELEC')")
    row = {"class_id": class_id, "title": "TP 1", "eval_date": "2026-01-10", "context": "school",
           "complexity": "D", "created_at": "2026-01-10 08:00:00", "modified_at": "2026-01-10 08:00:00"}
    row.update(overrides)
    cols = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    return db.insert(f"INSERT INTO evaluations({cols}) VALUES ({marks})", list(row.values()))


@pytest.mark.parametrize("overrides", [
    {"complexity": "X"},
    {"context": "home"},
    {"context": "company"},  # a company evaluation has no complexity
    {"eval_date": "10/01/2026"},
    {"title": "  "},
])
def test_evaluation_checks_refuse_bad_rows(empty_db, overrides):
    with pytest.raises(IntegrityError):
        _evaluation(empty_db, **overrides)


def test_result_code_check_and_orphan_result(empty_db):
    db = empty_db
    eval_id = _evaluation(db)
    learner = db.insert("INSERT INTO learners(class_id, last_name, first_name) VALUES (1, 'DUPONT', 'Léa')")
    criterion, other = [r[0] for r in db.execute("SELECT id FROM criteria ORDER BY id LIMIT 2")]
    db.execute("INSERT INTO evaluation_criteria VALUES (?, ?)", [eval_id, criterion])
    db.execute("INSERT INTO results VALUES (?, ?, ?, 'RT')", [eval_id, learner, criterion])
    with pytest.raises(IntegrityError, match="CHECK"):
        db.execute("INSERT INTO results VALUES (?, ?, ?, 'XX')", [eval_id, learner, criterion])
    with pytest.raises(IntegrityError, match="FOREIGN KEY"):  # criterion not assessed by that evaluation
        db.execute("INSERT INTO results VALUES (?, ?, ?, 'RT')", [eval_id, learner, other])
    with pytest.raises(IntegrityError, match="FOREIGN KEY"):
        db.execute("INSERT INTO results VALUES (?, 9999, ?, 'RT')", [eval_id, criterion])
    with pytest.raises(IntegrityError, match="UNIQUE|PRIMARY"):
        db.execute("INSERT INTO results VALUES (?, ?, ?, 'NA')", [eval_id, learner, criterion])


def test_duplicates_refused(empty_db):
    db = empty_db
    _evaluation(db)
    with pytest.raises(IntegrityError, match="UNIQUE"):
        db.execute("INSERT INTO classes(name, diploma) VALUES ('2MELEC', 'BACPRO-MELEC')")
    db.execute("INSERT INTO learners(class_id, last_name, first_name) VALUES (1, 'DUPONT', 'Léa')")
    with pytest.raises(IntegrityError, match="UNIQUE"):
        db.execute("INSERT INTO learners(class_id, last_name, first_name) VALUES (1, 'DUPONT', 'Léa')")
    with pytest.raises(IntegrityError, match="UNIQUE"):
        _evaluation_same = db.execute(
            "INSERT INTO evaluations(class_id, title, eval_date, context, complexity, created_at, modified_at) "
            "SELECT class_id, title, eval_date, context, complexity, created_at, modified_at FROM evaluations")
        assert _evaluation_same


def test_one_draft_per_learner_and_positioning_checks(empty_db):
    db = empty_db
    db.execute("INSERT INTO classes(name, diploma) VALUES ('1MELEC', 'BACPRO-MELEC')")
    learner = db.insert("INSERT INTO learners(class_id, last_name, first_name) VALUES (1, 'A', 'B')")
    stamp = "2026-01-01 10:00:00"
    bilan = db.insert("INSERT INTO bilans(learner_id, status, created_at, modified_at) VALUES (?, 'draft', ?, ?)",
                       [learner, stamp, stamp])
    with pytest.raises(IntegrityError, match="UNIQUE"):
        db.execute("INSERT INTO bilans(learner_id, status, created_at, modified_at) VALUES (?, 'draft', ?, ?)",
                   [learner, stamp, stamp])
    with pytest.raises(IntegrityError, match="CHECK"):  # a validated bilan has a validation date
        db.execute("INSERT INTO bilans(learner_id, status, created_at, modified_at) VALUES (?, 'validated', ?, ?)",
                   [learner, stamp, stamp])
    competency = db.execute("SELECT id FROM competencies LIMIT 1").fetchone()[0]
    for level, objective in ((5, "terminal"), (3, None), (None, "terminal"), (2, "final")):
        with pytest.raises(IntegrityError, match="CHECK"):
            db.execute("INSERT INTO positionings(bilan_id, competency_id, level, objective) VALUES (?, ?, ?, ?)", [bilan, competency, level, objective])
    db.execute("INSERT INTO positionings(bilan_id, competency_id, level, objective) VALUES (?, ?, NULL, NULL)", [bilan, competency])


def test_learner_version_bumped_by_triggers(demo_db):
    learner, version = demo_db.execute("SELECT id, version FROM learners ORDER BY id LIMIT 1").fetchone()
    evaluation, criterion = demo_db.execute(
        "SELECT evaluation_id, criterion_id FROM results WHERE learner_id = ? LIMIT 1", [learner]).fetchone()
    demo_db.execute("UPDATE results SET code = 'NV' WHERE learner_id = ? AND evaluation_id = ? AND criterion_id = ?",
                    [learner, evaluation, criterion])
    assert demo_db.execute("SELECT version FROM learners WHERE id = ?", [learner]).fetchone()[0] > version


def test_referentiel_and_class_changes_bump_the_versions_of_the_learners_they_touch(demo_db):
    def versions():
        return dict(demo_db.execute("SELECT id, version FROM learners").fetchall())

    before = versions()
    with transaction(demo_db):
        demo_db.execute("UPDATE criteria SET text = text || ' (révisé)' WHERE id = (SELECT min(id) FROM criteria)")
    after = versions()
    assert all(after[i] > before[i] for i in before)  # every demo class prepares the same diploma
    mover, other_class = demo_db.execute(
        "SELECT l.id, (SELECT min(c.id) FROM classes c WHERE c.id <> l.class_id) FROM learners l LIMIT 1").fetchone()
    with transaction(demo_db):
        demo_db.execute("UPDATE learners SET class_id = ? WHERE id = ?", [other_class, mover])
    moved = versions()
    assert moved[mover] > after[mover]
    assert sum(moved[i] != after[i] for i in moved) == 1


def test_transaction_rolls_back_everything(empty_db):
    with pytest.raises(IntegrityError):
        with transaction(empty_db):
            empty_db.execute("INSERT INTO classes(name, diploma) VALUES ('X', 'BACPRO-MELEC')")
            empty_db.execute("INSERT INTO classes(name, diploma) VALUES ('X', 'BACPRO-MELEC')")
    assert empty_db.execute("SELECT count(*) FROM classes").fetchone()[0] == 0


def test_two_threads_writing_at_once_lose_nothing(empty_db):
    path = empty_db.location
    errors = []

    def writer(prefix):
        db = connect(path)
        try:
            for n in range(50):
                with transaction(db):
                    db.execute("INSERT INTO classes(name, diploma) VALUES (?, 'BACPRO-MELEC')", [f"{prefix}{n}"])
                    db.execute("INSERT INTO audit_log(at, user_name, action, entity) VALUES ('t', 'x', 'w', 'c')")
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            db.close()

    threads = [threading.Thread(target=writer, args=(p,)) for p in "AB"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert empty_db.execute("SELECT count(*) FROM classes").fetchone()[0] == 100
    assert empty_db.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 100


def test_grading_drafts_migration_applies_on_an_existing_database(tmp_path):
    from livret import schema
    from livret.imports import referentiel

    db = connect(tmp_path / "before-drafts.db")
    schema.migrate(db, stop_before="m005_grading_drafts")
    referentiel.load_default_referentiel(db)
    stamp = "2026-03-27 18:00:00"
    with transaction(db):
        db.execute("INSERT INTO classes(name, diploma) VALUES ('1MELEC', 'BACPRO-MELEC')")
        learner = db.insert("INSERT INTO learners(class_id, last_name, first_name) VALUES (1, 'DUPONT', 'Léa')")
        teacher = db.insert("INSERT INTO users(name, email, role) VALUES ('MARTIN Paul', 'p.martin@lycee.fr', "
                             "'teacher')")
        bilan = db.insert("INSERT INTO bilans(learner_id, status, validated_at, created_at, modified_at) "
                           "VALUES (?, 'validated', ?, ?, ?)", [learner, stamp, stamp, stamp])
        db.execute("INSERT INTO grades(bilan_id, grade, weights, rounding_step, author_id, created_at) "
                   "VALUES (?, 13.3, '{\"C1\": 100}', 0.1, ?, ?)", [bilan, teacher, stamp])
    assert "grading_drafts" not in db.tables()

    schema.migrate(db)
    assert "m005_grading_drafts" in schema.applied_migrations(db)
    assert db.execute("SELECT bilan_id, grade, author_id FROM grades").fetchall() == [(bilan, 13.3, teacher)]
    db.execute("INSERT INTO grading_drafts(bilan_id, user_id, weights, updated_at) VALUES (?, ?, '{\"1\": 40}', ?)",
               [bilan, teacher, stamp])
    with pytest.raises(IntegrityError, match="UNIQUE"):
        db.execute("INSERT INTO grading_drafts(bilan_id, user_id, weights, updated_at) VALUES (?, ?, '{}', ?)",
                   [bilan, teacher, stamp])
    for weights in ("not json", "[40]"):
        with pytest.raises(IntegrityError, match="CHECK"):
            db.execute("INSERT INTO grading_drafts(bilan_id, user_id, weights, updated_at) VALUES (?, ?, ?, ?)",
                       [bilan, teacher, weights, stamp])
    with pytest.raises(IntegrityError, match="FOREIGN KEY"):
        db.execute("INSERT INTO grading_drafts(bilan_id, user_id, weights, updated_at) VALUES (9999, ?, '{}', ?)",
                   [teacher, stamp])
    schema.migrate(db)  # applied once: a second start changes nothing
    assert db.execute("SELECT count(*) FROM grading_drafts").fetchone()[0] == 1
    db.execute("DELETE FROM bilans WHERE id = ?", [bilan])
    assert db.execute("SELECT count(*) FROM grading_drafts").fetchone()[0] == 0
    db.close()


def test_one_clock_migration_brings_local_times_to_utc_and_leaves_account_times(tmp_path):
    from livret import schema
    from livret.imports import referentiel

    db = connect(tmp_path / "before-clock.db")
    schema.migrate(db, stop_before="m006_one_clock")
    referentiel.load_default_referentiel(db)
    db.execute("INSERT INTO classes(name, diploma) VALUES ('1MELEC', 'BACPRO-MELEC')")
    db.execute("INSERT INTO learners(class_id, last_name, first_name) VALUES (1, 'A', 'B')")
    db.execute("INSERT INTO bilans(learner_id, status, validated_at, created_at, modified_at) "
               "VALUES (1, 'validated', '2026-03-27 18:00:00', '2026-03-27 18:00:00', '2026-06-27 18:00:00')")
    db.execute("INSERT INTO audit_log(at, user_name, action, entity) VALUES ('2026-03-27 18:00:00', 'x', 'a', 'bilan')")
    db.execute("INSERT INTO audit_log(at, user_name, action, entity) VALUES ('2026-03-27 17:00:00', 'x', 'a', 'user')")
    schema.migrate(db)
    assert db.execute("SELECT validated_at, created_at, modified_at FROM bilans").fetchone() == (
        "2026-03-27 17:00:00", "2026-03-27 17:00:00", "2026-06-27 16:00:00")
    assert [r[0] for r in db.execute("SELECT at FROM audit_log ORDER BY id")] == [
        "2026-03-27 17:00:00", "2026-03-27 17:00:00"]


# ---------------------------------------------------------------- a write waiting for another


def _hold_write_lock(path, seconds, started):
    holder = connect(path)
    holder.conn.execute("BEGIN IMMEDIATE")
    holder.conn.execute("INSERT INTO settings(key, value) VALUES ('holder', '1')")
    started.set()
    threading.Event().wait(seconds)
    holder.conn.execute("COMMIT")
    holder.close()


def _write_while_held(path, hold_seconds, monkeypatch, wait_seconds):
    import livret.db as livret_db

    monkeypatch.setattr(livret_db, "BUSY_TIMEOUT_MS", 100)  # far shorter than the holder's transaction
    monkeypatch.setattr(livret_db, "WRITE_WAIT_SECONDS", wait_seconds)
    writer = connect(path)
    assert writer.execute("PRAGMA busy_timeout").fetchone()[0] == 100
    started = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(path, hold_seconds, started))
    holder.start()
    started.wait()
    try:
        with transaction(writer):
            writer.execute("INSERT INTO settings(key, value) VALUES ('teacher', 'saved')")
    finally:
        holder.join()
    return writer


def test_a_write_waits_for_a_long_import_beyond_the_busy_timeout(tmp_path, monkeypatch):
    from livret import schema

    path = tmp_path / "busy.db"
    schema.migrate(connect(path))
    writer = _write_while_held(path, 1.0, monkeypatch, wait_seconds=30)
    values = dict(writer.execute("SELECT key, value FROM settings WHERE key IN ('holder', 'teacher')").fetchall())
    assert values == {"holder": "1", "teacher": "saved"}


def test_a_write_blocked_too_long_gets_a_french_message_and_writes_nothing(tmp_path, monkeypatch):
    from livret import schema
    from livret.db import BUSY_MESSAGE
    from livret.errors import LivretError

    path = tmp_path / "busy.db"
    schema.migrate(connect(path))
    with pytest.raises(LivretError) as refused:
        _write_while_held(path, 2.0, monkeypatch, wait_seconds=0.3)
    assert str(refused.value) == BUSY_MESSAGE
    assert "occupée par une autre écriture" in str(refused.value) and "réessayez" in str(refused.value)
    assert not isinstance(refused.value, sqlite3.OperationalError)
    check = connect(path)
    assert check.execute("SELECT value FROM settings WHERE key = 'teacher'").fetchone() is None
    assert check.execute("SELECT value FROM settings WHERE key = 'holder'").fetchone()[0] == "1"


def _open_connections(db) -> int:
    """How many connections to db's database this process (SQLite: its open files) or anyone (PostgreSQL)
    holds."""
    if db.is_postgres:
        return db.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()").fetchone()[0]
    return sum(1 for fd in os.listdir("/proc/self/fd")
               if os.path.realpath(f"/proc/self/fd/{fd}") == os.path.realpath(db.location))


def test_each_script_runs_connection_is_closed_or_pooled_when_its_thread_ends(empty_db):
    """Streamlit runs every script run in a thread of its own: the connection it opened used to stay open
    for ever (a file handle on SQLite, a server connection on PostgreSQL: « too many clients » after a few
    hundred clicks)."""
    before = _open_connections(empty_db)

    def script_run():
        thread_db(empty_db.location).execute("SELECT count(*) FROM competencies").fetchone()

    for _ in range(3 * pool_size()):
        thread = threading.Thread(target=script_run)
        thread.start()
        thread.join()
    # SQLite keeps one closed connection's file open while another connection of the process holds a lock
    # on it (POSIX locks are per process), and reuses it for the next: one, not one per run.
    allowed = before + (pool_size() if empty_db.is_postgres else 1)
    assert _settled_connections(empty_db, allowed) <= allowed
    close_pools()
    if empty_db.is_postgres:
        assert _settled_connections(empty_db, before) == before


def test_a_script_run_takes_the_sqlite_connection_a_finished_run_gave_back(empty_db):
    """A new connection parses the schema again and starts with a cold cache: a finished run's connection is
    kept (SQLITE_IDLE at most) and given to the next run, without what that run left in a transaction."""
    if empty_db.is_postgres:
        pytest.skip("PostgreSQL's connections come from psycopg_pool")
    from livret import db as storage

    used = []

    def script_run(stop_inside_a_transaction=False):
        handle = thread_db(empty_db.location)
        used.append(handle.conn)
        if stop_inside_a_transaction:
            handle.execute("BEGIN IMMEDIATE")
            handle.execute("UPDATE competencies SET title = 'interrompu'")

    def in_a_thread(**options):
        thread = threading.Thread(target=script_run, kwargs=options)
        thread.start()
        thread.join()
        for _ in range(100):  # the thread's storage is released a moment after join() returns
            if storage._idle_sqlite.get(empty_db.location):
                break
            time.sleep(0.01)

    in_a_thread(stop_inside_a_transaction=True)
    in_a_thread()
    assert used[0] is used[1] and not used[1].in_transaction
    assert empty_db.execute("SELECT count(*) FROM competencies WHERE title = 'interrompu'").fetchone()[0] == 0
    many = [connect(empty_db.location).conn for _ in range(storage.SQLITE_IDLE + 2)]
    for conn in many:
        storage._give_back_sqlite(empty_db.location, conn)
    assert len(storage._idle_sqlite[empty_db.location]) == storage.SQLITE_IDLE
    close_pools(empty_db.location)
    assert not storage._idle_sqlite.get(empty_db.location)


def _settled_connections(db, expected: int) -> int:
    """The count once what was just closed has gone: the last thread's storage is released a moment
    after join() returns, and the server ends a closed connection's backend a moment later."""
    for _ in range(100):
        if _open_connections(db) <= expected:
            break
        time.sleep(0.02)
    return _open_connections(db)


def test_a_handle_of_one_script_run_works_in_the_next_runs_callback(empty_db):
    """Streamlit runs a widget's callback in the next run's thread, with the previous run's objects: the
    handle must reach that thread's connection, not the one closed (or given back) with the old thread."""
    handles, counts = [], []

    def drawing_run():
        handles.append(thread_db(empty_db.location))
        handles[0].execute("SELECT 1").fetchone()

    def callback_run():
        counts.append(handles[0].execute("SELECT count(*) FROM competencies").fetchone()[0])

    for target in (drawing_run, callback_run):
        thread = threading.Thread(target=target)
        thread.start()
        thread.join()
    assert counts == [empty_db.execute("SELECT count(*) FROM competencies").fetchone()[0]] and counts[0] > 0


@pytest.mark.parametrize("typed", ["dix", "0", "-3", "2.5"])
def test_a_wrong_pool_size_is_refused_in_french(monkeypatch, typed):
    monkeypatch.setenv("LIVRET_PG_POOL_SIZE", typed)
    with pytest.raises(LivretError, match=f"LIVRET_PG_POOL_SIZE doit être un nombre entier.*« {re.escape(typed)} »"):
        pool_size()
    monkeypatch.setenv("LIVRET_PG_POOL_SIZE", " 4 ")
    assert pool_size() == 4
