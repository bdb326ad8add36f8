"""The adversarial permission matrix (SPEC §6 A1, A3): every role against every service operation,
one test per cell. An allowed cell must succeed and write what it should; a refused cell must raise
PermissionDenied and change nothing at all in the database."""

from __future__ import annotations

import pytest

from livret import bilans, dashboard, grading, importers
from livret.errors import PermissionDenied

ROLES = ("learner", "other_teacher", "teacher", "ddfpt", "admin", "signed_out")
STAFF = {"teacher", "ddfpt"}

# Who may do each operation on a learner of the teacher's class, as SPEC §6 says.
ALLOWED: dict[str, set[str]] = {
    "read_dashboard": STAFF,
    "read_draft": STAFF,
    "create_bilan": STAFF,
    "confirm_bilan": STAFF,
    "unlock_bilan": {"ddfpt"},
    "edit_unlocked_bilan": STAFF,
    "grade": STAFF,
    "export_grades": STAFF,
    "read_own_bilan": STAFF | {"learner"},
    "export_bilan_document": STAFF | {"learner"},
    "read_other_learner_bilan": STAFF,
    "list_class_bilans": STAFF,
    "import_results": {"ddfpt"},
    "import_learners": {"ddfpt", "admin"},
}

FINGERPRINT_TABLES = ("users", "learners", "classes", "evaluations", "evaluation_criteria", "results", "bilans",
                      "positionings", "grades", "audit_log", "teacher_classes", "sessions")


def fingerprint(db) -> dict:
    """Everything a write could change: row counts, every learner's version, bilan states and texts."""
    counts = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in FINGERPRINT_TABLES}
    versions = db.execute("SELECT group_concat(version) FROM (SELECT version FROM learners ORDER BY id)").fetchone()
    states = db.execute("SELECT group_concat(id || status || constats || modified_at, '|') FROM "
                        "(SELECT * FROM bilans ORDER BY id)").fetchone()
    return {**counts, "versions": versions[0], "bilans_state": states[0]}


@pytest.fixture
def world(demo_db, roles):
    """The target: a learner of the teacher's class (not taught by other_teacher), their latest
    validated bilan, and another learner of the same class."""
    learner = roles["learner"]
    target = learner.learner_id
    other = demo_db.execute("SELECT id FROM learners WHERE class_id = ? AND id != ? ORDER BY id LIMIT 1",
                            [roles["class_id"], target]).fetchone()[0]
    validated = demo_db.execute("SELECT id FROM bilans WHERE learner_id = ? AND status = 'validated' "
                                "ORDER BY validated_at DESC LIMIT 1", [target]).fetchone()[0]
    other_validated = demo_db.execute("SELECT id FROM bilans WHERE learner_id = ? AND status = 'validated' "
                                      "ORDER BY validated_at DESC LIMIT 1", [other]).fetchone()[0]
    competency = int(bilans.learner_competencies(demo_db, roles["ddfpt"], target)["competency_id"].iloc[0])
    identity = demo_db.execute("SELECT l.last_name, l.first_name, c.name FROM learners l JOIN classes c "
                               "ON c.id = l.class_id WHERE l.id = ?", [target]).fetchone()
    users = {role: roles.get(role) for role in ROLES}  # signed_out -> None
    return {"db": demo_db, "users": users, "target": target, "other": other, "validated": validated,
            "other_validated": other_validated, "competency": competency, "class_id": roles["class_id"],
            "identity": identity, "ddfpt": roles["ddfpt"]}


def results_file(world) -> bytes:
    last, first, class_name = world["identity"]
    return ("Classe;Nom;Prénom;Évaluation;Date;Complexité;Compétence;Critère;Résultat\n"
            f"{class_name};{last};{first};Contrôle matrice;02/12/2026;B;C1;1;RT\n").encode()


def learners_file(world) -> bytes:
    return f"Nom;Prénom;Classe\nNOUVELLE;Lina;{world['identity'][2]}\n".encode()


# Each operation: run it as `user`, return a check of what an allowed run must have done.


def op_read_dashboard(w, user):
    data = dashboard.learner_data(w["db"], user, w["target"])
    assert not data.results.empty


def op_read_draft(w, user):
    assert bilans.read_draft(w["db"], user, w["target"]).learner_id == w["target"]


def op_create_bilan(w, user):
    draft_id = bilans.save_draft_positioning(w["db"], user, w["target"], w["competency"], bilans.CHOICES[0])
    assert bilans.read_draft(w["db"], w["ddfpt"], w["target"]).bilan_id == draft_id


def op_confirm_bilan(w, user):
    bilan_id = bilans.confirm_bilan(w["db"], user, w["target"], "CONFIRMATION", constats="Constat de la matrice")
    assert bilans.bilan_detail(w["db"], w["ddfpt"], bilan_id)["status"] == "validated"


def op_unlock_bilan(w, user):
    bilans.unlock_bilan(w["db"], user, w["validated"])
    assert bilans.bilan_detail(w["db"], w["ddfpt"], w["validated"])["status"] == "unlocked"


def op_edit_unlocked_bilan(w, user):
    bilans.unlock_bilan(w["db"], w["ddfpt"], w["validated"])  # set-up by the DDFPT, outside the fingerprint
    w["before"] = fingerprint(w["db"])
    assert bilans.edit_unlocked_bilan(w["db"], user, w["validated"], constats="Corrigé dans la matrice")
    assert bilans.bilan_detail(w["db"], w["ddfpt"], w["validated"])["constats"] == "Corrigé dans la matrice"


def op_grade(w, user):
    bilan = grading.latest_validated_bilan(w["db"], w["ddfpt"], w["target"])
    weights = grading.model_weights(w["db"], w["ddfpt"], bilan)
    saved = grading.save_grades(w["db"], user, weights, [bilan.id])
    assert [s.bilan_id for s in saved] == [bilan.id]


def op_export_grades(w, user):
    assert grading.export_csv(w["db"], user, w["class_id"]).startswith("\ufeff".encode())


def op_read_own_bilan(w, user):
    assert bilans.bilan_detail(w["db"], user, w["validated"])["id"] == w["validated"]
    assert not bilans.learner_bilans(w["db"], user, w["target"]).empty


def op_export_bilan_document(w, user):
    assert "<html" in bilans.bilan_document_html(w["db"], user, w["validated"]).lower()


def op_read_other_learner_bilan(w, user):
    assert bilans.bilan_detail(w["db"], user, w["other_validated"])["id"] == w["other_validated"]
    assert not bilans.learner_bilans(w["db"], user, w["other"]).empty


def op_list_class_bilans(w, user):
    assert not bilans.class_bilans(w["db"], user, w["class_id"]).empty


def op_import_results(w, user):
    importers.import_results(w["db"], user, results_file(w), "resultats.csv")
    assert w["db"].execute("SELECT count(*) FROM evaluations WHERE title = 'Contrôle matrice'").fetchone()[0] == 1


def op_import_learners(w, user):
    importers.import_learners(w["db"], user, learners_file(w), "eleves.csv")
    assert w["db"].execute("SELECT count(*) FROM learners WHERE last_name = 'NOUVELLE'").fetchone()[0] == 1


OPERATIONS = {name: globals()[f"op_{name}"] for name in ALLOWED}
CELLS = [pytest.param(role, op, id=f"{role}-{op}") for op in OPERATIONS for role in ROLES]


@pytest.mark.parametrize("role, operation", CELLS)
def test_permission_matrix(world, role, operation):
    user = world["users"][role]
    world["before"] = fingerprint(world["db"])
    if role in ALLOWED[operation]:
        OPERATIONS[operation](world, user)
        return
    with pytest.raises(PermissionDenied):
        OPERATIONS[operation](world, user)
    assert fingerprint(world["db"]) == world["before"], "a refused operation changed the database"
