"""A kill -9 of the process that imports, in the middle of its write transaction, leaves the database as it
was, on SQLite and on PostgreSQL (issue 17): the transaction is all or nothing whatever stops it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from livret import copying
from livret.db import connect, is_postgres
from livret.tools.serving import ROOT

from .conftest import snapshot


def big_results_file(db, path, evaluations=30) -> None:
    """Results of every learner of 2MELEC on every criterion of C1–C4, for `evaluations` new evaluations."""
    learners = db.execute("SELECT l.last_name, l.first_name FROM learners l JOIN classes c ON c.id = l.class_id "
                          "WHERE c.name = '2MELEC' ORDER BY l.id").fetchall()
    criteria = db.execute("SELECT c.code, cr.position FROM criteria cr JOIN competencies c ON c.id = cr.competency_id "
                          "WHERE c.code IN ('C1', 'C2', 'C3', 'C4') ORDER BY c.position, cr.position").fetchall()
    lines = ["Classe;Nom;Prénom;Évaluation;Date;Complexité;Compétence;Critère;Résultat"]
    for n in range(evaluations):
        for last, first in learners:
            for code, position in criteria:
                lines.append(f"2MELEC;{last};{first};Épreuve tuée n°{n};{1 + n % 28:02d}/05/2026;Int;{code};{position};RA")
    path.write_text("\n".join(lines), encoding="utf-8")


def write_lock_taken(location) -> bool:
    """Whether some other connection holds the database's write lock right now."""
    db = connect(location)
    try:
        if db.is_postgres:
            return bool(db.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                                   ).fetchone()[0])
        db.execute("PRAGMA busy_timeout = 0")
        try:
            db.execute("BEGIN IMMEDIATE")
        except Exception:  # noqa: BLE001 - « database is locked »
            return True
        db.execute("ROLLBACK")
        return False
    finally:
        db.close()


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_an_import_killed_inside_its_transaction_leaves_the_database_as_it_was(engine, tmp_path, demo_template,
                                                                                 databases, postgres):
    if engine == "postgresql" and is_postgres(demo_template):
        location = databases.copy(demo_template, "killed", tmp_path)
    else:
        location = postgres.create(f"killed_{os.getpid()}") if engine == "postgresql" else str(tmp_path / "killed.db")
        copying.copy_school(demo_template, location)
    db = connect(location)
    big_results_file(db, tmp_path / "resultats.csv")
    before = snapshot(db)
    importer = subprocess.Popen([sys.executable, "-m", "livret", "--db", location, "import", "results",
                                 str(tmp_path / "resultats.csv")], cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not write_lock_taken(location):
        assert importer.poll() is None, "the import ended before it was seen writing"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    os.kill(importer.pid, signal.SIGKILL)
    assert importer.wait(10) == -signal.SIGKILL  # killed, not finished
    assert snapshot(db) == before
    db.close()
