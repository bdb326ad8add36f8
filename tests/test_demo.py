import hashlib

from livret import demo
from livret.db import connect

DOMAIN_TABLES = ("classes", "learners", "users", "teacher_classes", "evaluations", "evaluation_criteria",
                 "results", "bilans", "positionings")


def _digest(path):
    db = connect(path)
    h = hashlib.sha256()
    for table in DOMAIN_TABLES:
        for row in sorted(db.execute(f"SELECT * FROM {table}").fetchall(), key=repr):
            h.update(repr(row).encode())
    db.close()
    return h.hexdigest()


def test_same_seed_gives_identical_content(tmp_path, demo_template):
    demo.build_demo_database(tmp_path / "again.db")
    assert _digest(tmp_path / "again.db") == _digest(demo_template)
    demo.build_demo_database(tmp_path / "other.db", seed=7)
    assert _digest(tmp_path / "other.db") != _digest(demo_template)


def test_demo_school_shape(demo_db):
    db = demo_db
    classes = [r[0] for r in db.execute("SELECT name FROM classes ORDER BY id")]
    assert classes == ["2MELEC", "1MELEC", "TMELEC"]
    sizes = [r[0] for r in db.execute("SELECT count(*) FROM learners GROUP BY class_id")]
    assert all(22 <= s <= 26 for s in sizes)
    codes = {r[0] for r in db.execute("SELECT DISTINCT code FROM results")}
    assert codes == {"NA", "PR", "RA", "RT", "NV", "AB"}
    complexities = {r[0] for r in db.execute("SELECT DISTINCT complexity FROM evaluations WHERE context = 'school'")}
    assert complexities == {"D", "Int", "B"}
    fullest = db.execute("SELECT max(n) FROM (SELECT count(DISTINCT evaluation_id) n FROM results GROUP BY learner_id) AS counted")
    assert fullest.fetchone()[0] >= 120
    per_learner = db.execute(
        "SELECT min(c), max(c) FROM (SELECT l.id, (SELECT count(*) FROM evaluations e WHERE e.learner_id = l.id "
        "AND e.context = 'company') c FROM learners l) AS counted").fetchone()
    assert per_learner == (2, 2)
    bilans = db.execute("SELECT min(c), max(c) FROM (SELECT count(*) c FROM bilans WHERE status = 'validated' "
                        "GROUP BY learner_id) AS counted").fetchone()
    assert bilans == (2, 2)
    roles = dict(db.execute("SELECT role, count(*) FROM users GROUP BY role").fetchall())
    assert roles == {"ddfpt": 1, "teacher": 3, "admin": 1, "learner": 73}
    assert db.execute("SELECT count(*) FROM teacher_classes").fetchone()[0] == 6


def test_scale_multiplies_classes(tmp_path):
    demo.build_demo_database(tmp_path / "s2.db", scale=2)
    db = connect(tmp_path / "s2.db")
    assert db.execute("SELECT count(*) FROM classes").fetchone()[0] == 6
    assert db.execute("SELECT count(*) FROM learners").fetchone()[0] == 146
    db.close()
