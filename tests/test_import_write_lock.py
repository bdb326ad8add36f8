"""A long import must not make the other users' writes fail: its plan (parse, validate, match) is built
without the write lock, and the write transaction checks that nobody wrote since, or plans again in it."""

import pytest

from livret import db as storage
from livret import imports
from livret.db import connect, transaction
from livret.errors import FileRejected, LivretError
from livret.imports import results as result_import

from .test_importers import OPERATOR, read


@pytest.fixture
def school(empty_db, monkeypatch):
    imports.import_learners(empty_db, OPERATOR, read("eleves_utf8_bom.csv"), "eleves.csv")
    # A write that finds the write lock taken gives up at once (no wait): it would fail if the import
    # held the lock while planning.
    monkeypatch.setattr(storage, "WRITE_WAIT_SECONDS", 0)
    return empty_db


def other_session(db):
    """A second connection to the same database, which does not wait for the write lock."""
    other = connect(db.location)
    if not other.is_postgres:
        other.execute("PRAGMA busy_timeout = 0")
    return other


def spy_plans(monkeypatch, during_first_plan=None) -> list[bool]:
    """Whether each plan was built inside a write transaction (a real write lock held by this connection)."""
    built = []
    real = result_import._result_plan

    def spying(db, table, allow_locked=False):
        built.append(_holds_write_lock(db))
        if len(built) == 1 and during_first_plan:
            during_first_plan()
        return real(db, table, allow_locked)

    monkeypatch.setattr(result_import, "_result_plan", spying)
    return built


def _holds_write_lock(db) -> bool:
    probe = other_session(db)
    try:
        with transaction(probe):
            pass
    except LivretError:
        return True
    finally:
        probe.close()
    return False


def test_the_plan_is_built_outside_the_write_transaction(school, monkeypatch):
    built = spy_plans(monkeypatch)
    plan = imports.import_results(school, OPERATOR, read("resultats_long.csv"), "resultats_long.csv")
    assert plan.applied and plan.count("result", imports.ADDED) == 66
    assert built == [False]  # planned once, while other sessions could still write


def test_another_user_writes_while_the_plan_is_built(school, monkeypatch):
    other = other_session(school)

    def write_meanwhile():
        # This would raise « La base est occupée » if the import held the write lock while planning.
        with transaction(other):
            other.execute("UPDATE learners SET email = 'noah.dubois@autre.fr' WHERE last_name = 'DUBOIS'")

    built = spy_plans(monkeypatch, write_meanwhile)
    plan = imports.import_results(school, OPERATOR, read("resultats_long.csv"), "resultats_long.csv")
    # Someone wrote in between: planned again inside the write transaction, against what is there now.
    assert built == [False, True]
    assert plan.applied and plan.count("result", imports.ADDED) == 66
    assert school.execute("SELECT email FROM learners WHERE last_name = 'DUBOIS'").fetchone() == (
        "noah.dubois@autre.fr",)


def test_a_change_made_meanwhile_that_breaks_the_file_refuses_it_whole(school, monkeypatch):
    other = other_session(school)

    def remove_a_learner():
        with transaction(other):
            other.execute("DELETE FROM users WHERE learner_id IN (SELECT id FROM learners WHERE last_name = 'DUBOIS')")
            other.execute("DELETE FROM learners WHERE last_name = 'DUBOIS'")

    spy_plans(monkeypatch, remove_a_learner)
    with pytest.raises(FileRejected, match="apprenant « DUBOIS Noah » inconnu dans la classe 2MEL1"):
        imports.import_results(school, OPERATOR, read("resultats_long.csv"), "resultats_long.csv")
    assert school.execute("SELECT count(*) FROM results").fetchone() == (0,)
    assert school.execute("SELECT count(*) FROM evaluations").fetchone() == (0,)
