"""`python -m livret copy`: a whole school from SQLite to PostgreSQL and back, nothing lost or changed."""

import itertools

import pytest

from livret import copying, dashboard, demo
from livret.db import connect, is_postgres, transaction
from livret.errors import ValidationError
from livret.tools import cli

from .conftest import first_user, snapshot

_names = itertools.count(1)


def _sqlite_demo(tmp_path, databases, demo_template) -> str:
    """The demo school as a SQLite file, whatever the suite's backend."""
    if is_postgres(demo_template):
        path = str(tmp_path / "source.db")
        copying.copy_school(demo_template, path)
        return path
    return databases.copy(demo_template, "source", tmp_path)


def _contents(location) -> dict:
    db = connect(location)
    try:
        return snapshot(db)
    finally:
        db.close()


def test_a_school_goes_to_postgresql_and_back_unchanged(tmp_path, databases, demo_template, postgres):
    source = _sqlite_demo(tmp_path, databases, demo_template)
    shared = postgres.create(f"copy_{next(_names)}")
    counts = copying.copy_school(source, shared)
    assert counts["results"] > 40_000 and counts["bilans"] > 0
    assert _contents(shared) == _contents(source)  # every row of every table, ids and versions included

    back = str(tmp_path / "back.db")
    copying.copy_school(shared, back)
    assert _contents(back) == _contents(source)


def test_the_copied_school_works_on_postgresql(tmp_path, databases, demo_template, postgres):
    shared = postgres.create(f"copy_{next(_names)}")
    copying.copy_school(_sqlite_demo(tmp_path, databases, demo_template), shared)
    db = connect(shared)
    teacher = first_user(db, "teacher")
    learner_id = db.execute("SELECT id FROM learners WHERE class_id = ? ORDER BY id", [min(teacher.class_ids)]
                            ).fetchone()[0]
    before = db.execute("SELECT max(id) FROM classes").fetchone()[0]
    # New rows take ids after the copied ones (the identity columns restart after the copy).
    with transaction(db):
        new_id = db.insert("INSERT INTO classes(name, diploma) VALUES ('3MELEC', 'BACPRO-MELEC')")
    assert new_id == before + 1
    data = dashboard.learner_data(db, teacher, learner_id)
    assert not data.results.empty
    db.close()


def test_a_target_that_is_not_empty_is_refused_and_left_as_it_was(tmp_path, databases, demo_template, postgres):
    shared = postgres.create(f"copy_{next(_names)}")
    demo.build_empty_database(shared)  # the référentiel is already there
    before = _contents(shared)
    with pytest.raises(ValidationError, match="n'est pas vide"):
        copying.copy_school(_sqlite_demo(tmp_path, databases, demo_template), shared)
    assert _contents(shared) == before


def test_the_command_copies_and_says_so(tmp_path, databases, demo_template, postgres, capsys):
    source = _sqlite_demo(tmp_path, databases, demo_template)
    shared = postgres.create(f"copy_{next(_names)}")
    assert cli.main(["copy", source, shared]) == 0
    out = capsys.readouterr().out
    assert "Établissement copié" in out and "chaque compte vérifié" in out
    assert cli.main(["copy", source, shared]) == 2
    assert "n'est pas vide" in capsys.readouterr().err


def test_a_source_that_does_not_exist_is_refused(tmp_path, capsys):
    assert cli.main(["copy", str(tmp_path / "nowhere.db"), str(tmp_path / "target.db")]) == 2
    assert "n'existe pas" in capsys.readouterr().err
    assert not (tmp_path / "target.db").exists()
