"""A long import must not make the other users' writes fail: its plan (parse, validate, match) is built
without the write lock, and the write transaction checks that nobody wrote since, or plans again in it."""

import sqlite3

import pytest

from livret import imports
from livret.errors import FileRejected
from livret.imports import results as result_import

from .test_importers import OPERATOR, read


@pytest.fixture
def school(empty_db):
    imports.import_learners(empty_db, OPERATOR, read("eleves_utf8_bom.csv"), "eleves.csv")
    return empty_db


def other_session(db) -> sqlite3.Connection:
    """A second connection that gives up at once when the database is locked (no busy wait)."""
    path = db.execute("PRAGMA database_list").fetchone()[2]
    return sqlite3.connect(path, timeout=0, isolation_level=None)


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
        probe.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return True
    probe.execute("ROLLBACK")
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
        # timeout=0: this would raise « database is locked » if the import held the write lock while planning.
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE learners SET email = 'noah.dubois@autre.fr' WHERE last_name = 'DUBOIS'")
        other.execute("COMMIT")

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
        other.execute("DELETE FROM users WHERE learner_id IN (SELECT id FROM learners WHERE last_name = 'DUBOIS')")
        other.execute("DELETE FROM learners WHERE last_name = 'DUBOIS'")

    spy_plans(monkeypatch, remove_a_learner)
    with pytest.raises(FileRejected, match="apprenant « DUBOIS Noah » inconnu dans la classe 2MEL1"):
        imports.import_results(school, OPERATOR, read("resultats_long.csv"), "resultats_long.csv")
    assert school.execute("SELECT count(*) FROM results").fetchone() == (0,)
    assert school.execute("SELECT count(*) FROM evaluations").fetchone() == (0,)
