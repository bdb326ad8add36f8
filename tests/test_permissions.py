import pytest

from livret import accounts, school
from livret.errors import NotFound, PermissionDenied
from livret.permissions import require_bilan_reader, require_class, require_learner_staff


def test_teacher_sees_only_own_classes(demo_db, roles):
    teacher = roles["teacher"]
    names = set(school.visible_classes(demo_db, teacher)["id"])
    assert names == set(teacher.class_ids)
    foreign_id = next(i for (i,) in demo_db.execute("SELECT id FROM classes") if i not in teacher.class_ids)
    with pytest.raises(PermissionDenied, match="n'est pas l'une des vôtres"):
        school.class_learners(demo_db, teacher, foreign_id)
    assert len(school.visible_classes(demo_db, roles["ddfpt"])) == 3


@pytest.mark.parametrize("role", ["learner", "admin", None])
def test_non_staff_cannot_list_class_learners(demo_db, roles, role):
    with pytest.raises(PermissionDenied):
        school.class_learners(demo_db, roles.get(role), roles["class_id"])


def test_unknown_class_and_learner(demo_db, roles):
    with pytest.raises(NotFound, match="Cette classe n'existe pas"):
        require_class(demo_db, roles["ddfpt"], 999)
    with pytest.raises(NotFound, match="Cet apprenant n'existe pas"):
        require_learner_staff(demo_db, roles["ddfpt"], 99999)


def test_learner_reads_only_own_bilans(demo_db, roles):
    learner = roles["learner"]
    assert require_bilan_reader(demo_db, learner, learner.learner_id) is learner
    other = demo_db.execute("SELECT id FROM learners WHERE id != ? LIMIT 1", [learner.learner_id]).fetchone()[0]
    with pytest.raises(PermissionDenied, match="propres bilans"):
        require_bilan_reader(demo_db, learner, other)
    with pytest.raises(PermissionDenied):
        require_learner_staff(demo_db, learner, learner.learner_id)


def test_demo_sign_in_refused_on_school_database(empty_db, monkeypatch):
    monkeypatch.delenv("LIVRET_DEMO", raising=False)
    assert not accounts.demo_mode_enabled(empty_db)
    with pytest.raises(PermissionDenied, match="démonstration"):
        accounts.demo_accounts(empty_db)
    monkeypatch.setenv("LIVRET_DEMO", "1")
    assert accounts.demo_mode_enabled(empty_db)
