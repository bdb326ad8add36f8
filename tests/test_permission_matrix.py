"""The adversarial permission matrix (SPEC §6 A1, A3): every role against every service operation,
one test per cell. An allowed cell must succeed and write what it should; a refused cell must raise
PermissionDenied and change nothing at all in the database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from livret import accounts, bilans, dashboard, evaluations, grading, imports
from livret.errors import NotFound, PermissionDenied

from .conftest import ROOT

ROLES = ("learner", "other_teacher", "teacher", "ddfpt", "admin", "signed_out")
STAFF = {"teacher", "ddfpt"}

# Who may do each operation on a learner of the teacher's class, as SPEC §6 says.
ALLOWED: dict[str, set[str]] = {
    "read_dashboard": STAFF,
    "read_draft": STAFF,
    "create_bilan": STAFF,
    "confirm_bilan": STAFF,
    "unlock_bilan": {"ddfpt"},
    "withdraw_bilan": {"ddfpt"},
    "edit_unlocked_bilan": STAFF,
    "grade": STAFF,
    "export_grades": STAFF,
    "read_own_bilan": STAFF | {"learner"},
    "read_own_unlocked_bilan": STAFF,  # being corrected: not shown to the learner
    "export_bilan_document": STAFF | {"learner"},
    "read_other_learner_bilan": STAFF,
    "list_class_bilans": STAFF,
    "create_evaluation": STAFF,
    "edit_evaluation": STAFF,
    "enter_results": STAFF,
    "read_evaluation_results": STAFF,
    "delete_evaluation": STAFF,
    "set_rounding_step": {"ddfpt"},
    "import_results": {"ddfpt"},  # A1: imports are the DDFPT's; results are pedagogical data
    "import_learners": {"ddfpt", "admin"},  # the admin sets up classes, learners and their accounts
    "import_referentiel": {"ddfpt", "admin"},  # A1: the référentiel is also the admin's
    "manage_accounts": {"admin"},
}

FINGERPRINT_TABLES = ("users", "learners", "classes", "evaluations", "evaluation_criteria", "results", "bilans",
                      "positionings", "grades", "audit_log", "teacher_classes", "sessions", "diplomas", "criteria")


def fingerprint(db) -> dict:
    """Everything a write could change: row counts, every learner's version, bilan states and texts."""
    counts = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in FINGERPRINT_TABLES}
    versions = [r[0] for r in db.execute("SELECT version FROM learners ORDER BY id")]
    states = db.execute("SELECT id, status, constats, modified_at FROM bilans ORDER BY id").fetchall()
    settings = db.execute("SELECT key, value FROM settings ORDER BY key").fetchall()
    titles = db.execute("SELECT title, modified_at FROM evaluations ORDER BY id").fetchall()
    return {**counts, "versions": versions, "bilans_state": states, "settings": settings,
            "evaluations_state": titles}


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
    evaluation = demo_db.execute(
        "SELECT e.id, e.title, e.eval_date, e.complexity FROM evaluations e WHERE e.class_id = ? "
        "AND e.context = 'school' ORDER BY e.modified_at DESC LIMIT 1", [roles["class_id"]]).fetchone()
    criteria = [r[0] for r in demo_db.execute(
        "SELECT criterion_id FROM evaluation_criteria WHERE evaluation_id = ? ORDER BY criterion_id", [evaluation[0]])]
    return {"db": demo_db, "users": users, "target": target, "other": other, "validated": validated,
            "other_validated": other_validated, "competency": competency, "class_id": roles["class_id"],
            "identity": identity, "ddfpt": roles["ddfpt"], "evaluation": evaluation, "criteria": criteria,
            "teacher_id": roles["teacher"].id}


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
    # set-up by the DDFPT, outside the fingerprint: a draft with one positioning, confirmed by its id
    draft_id = bilans.save_draft_positioning(w["db"], w["ddfpt"], w["target"], w["competency"], bilans.CHOICES[0])
    w["before"] = fingerprint(w["db"])
    bilan_id = bilans.confirm_bilan(w["db"], user, w["target"], "CONFIRMATION", draft_id=draft_id,
                                    constats="Constat de la matrice")
    assert bilans.bilan_detail(w["db"], w["ddfpt"], bilan_id).status == "validated"


def op_unlock_bilan(w, user):
    bilans.unlock_bilan(w["db"], user, w["validated"])
    assert bilans.bilan_detail(w["db"], w["ddfpt"], w["validated"]).status == "unlocked"


def op_withdraw_bilan(w, user):
    bilans.withdraw_bilan(w["db"], user, w["validated"], "Bilan créé par erreur")
    assert w["validated"] not in set(bilans.learner_bilans(w["db"], w["ddfpt"], w["target"])["id"])


def op_edit_unlocked_bilan(w, user):
    bilans.unlock_bilan(w["db"], w["ddfpt"], w["validated"])  # set-up by the DDFPT, outside the fingerprint
    w["before"] = fingerprint(w["db"])
    assert bilans.edit_unlocked_bilan(w["db"], user, w["validated"], constats="Corrigé dans la matrice")
    assert bilans.bilan_detail(w["db"], w["ddfpt"], w["validated"]).constats == "Corrigé dans la matrice"


def op_grade(w, user):
    bilan = grading.latest_validated_bilan(w["db"], w["ddfpt"], w["target"])
    weights = grading.model_weights(w["db"], w["ddfpt"], bilan)
    saved = grading.save_grades(w["db"], user, weights, [bilan.id])
    assert [s.bilan_id for s in saved] == [bilan.id]


def op_export_grades(w, user):
    assert grading.export_csv(w["db"], user, w["class_id"]).startswith("\ufeff".encode())


def op_read_own_bilan(w, user):
    assert bilans.bilan_detail(w["db"], user, w["validated"]).id == w["validated"]
    assert not bilans.learner_bilans(w["db"], user, w["target"]).empty


def op_read_own_unlocked_bilan(w, user):
    bilans.unlock_bilan(w["db"], w["ddfpt"], w["validated"])  # set-up by the DDFPT, outside the fingerprint
    w["before"] = fingerprint(w["db"])
    assert bilans.bilan_detail(w["db"], user, w["validated"]).status == "unlocked"


def op_export_bilan_document(w, user):
    assert "<html" in bilans.bilan_document_html(w["db"], user, w["validated"]).lower()


def op_read_other_learner_bilan(w, user):
    assert bilans.bilan_detail(w["db"], user, w["other_validated"]).id == w["other_validated"]
    assert not bilans.learner_bilans(w["db"], user, w["other"]).empty


def op_list_class_bilans(w, user):
    assert not bilans.class_bilans(w["db"], user, w["class_id"]).empty


def op_import_results(w, user):
    imports.import_results(w["db"], user, results_file(w), "resultats.csv")
    assert w["db"].execute("SELECT count(*) FROM evaluations WHERE title = 'Contrôle matrice'").fetchone()[0] == 1


def op_import_learners(w, user):
    imports.import_learners(w["db"], user, learners_file(w), "eleves.csv")
    assert w["db"].execute("SELECT count(*) FROM learners WHERE last_name = 'NOUVELLE'").fetchone()[0] == 1


def op_create_evaluation(w, user):
    evaluation_id = evaluations.create_evaluation(w["db"], user, w["class_id"], title="Évaluation de la matrice",
                                            eval_date="2026-12-02", complexity="B", criterion_ids=w["criteria"])
    assert w["db"].execute("SELECT title FROM evaluations WHERE id = ?", [evaluation_id]).fetchone()[0] \
        == "Évaluation de la matrice"


def op_edit_evaluation(w, user):
    evaluation_id, _, day, complexity = w["evaluation"]
    assert evaluations.update_evaluation(w["db"], user, evaluation_id, title="Titre corrigé dans la matrice",
                                   eval_date=day, complexity=complexity, criterion_ids=w["criteria"],
                                   confirm_locked=True)
    assert w["db"].execute("SELECT title FROM evaluations WHERE id = ?", [evaluation_id]).fetchone()[0] \
        == "Titre corrigé dans la matrice"


def op_enter_results(w, user):
    evaluation_id = w["evaluation"][0]
    cell = (w["target"], w["criteria"][0])
    before = w["db"].execute("SELECT code FROM results WHERE evaluation_id = ? AND learner_id = ? AND "
                             "criterion_id = ?", [evaluation_id, *cell]).fetchone()
    code = "NA" if before and before[0] == "RT" else "RT"
    assert evaluations.save_results(w["db"], user, evaluation_id, {cell: code}, confirm_locked=True) == 1


def op_read_evaluation_results(w, user):
    table = evaluations.result_table(w["db"], user, w["evaluation"][0])
    assert len(table) > 0


def op_delete_evaluation(w, user):
    evaluation_id = w["evaluation"][0]
    evaluations.delete_evaluation(w["db"], user, evaluation_id, confirmed=True, confirm_locked=True)
    assert w["db"].execute("SELECT count(*) FROM evaluations WHERE id = ?", [evaluation_id]).fetchone()[0] == 0


def op_set_rounding_step(w, user):
    current = grading.rounding_step(w["db"], w["ddfpt"])
    step = next(s for s in grading.ROUNDING_STEPS if Decimal(s) != current)
    assert grading.set_rounding_step(w["db"], user, step) == Decimal(step)


def op_import_referentiel(w, user):
    uploads = imports.read_referentiel_folder(ROOT / "tests" / "data" / "referentiel_cap_elec")
    imports.import_referentiel(w["db"], user, uploads)
    assert w["db"].execute("SELECT count(*) FROM diplomas").fetchone()[0] == 2


def op_manage_accounts(w, user):
    accounts.set_teacher_classes(w["db"], user, w["teacher_id"], [w["class_id"]])
    user_id, _ = accounts.create_account(w["db"], user, name="NOUVEAU Compte", email="nouveau@lycee.fr",
                                         role="teacher", class_ids=[w["class_id"]])
    assert not accounts.list_accounts(w["db"], user).query("id == @user_id").empty


# A bilan being corrected does not exist for its learner (NotFound), as for anyone outside the class.
REFUSALS = {"read_own_unlocked_bilan": (PermissionDenied, NotFound)}
OPERATIONS = {name: globals()[f"op_{name}"] for name in ALLOWED}
CELLS = [pytest.param(role, op, id=f"{role}-{op}") for op in OPERATIONS for role in ROLES]


@pytest.mark.parametrize("role, operation", CELLS)
def test_permission_matrix(world, role, operation):
    user = world["users"][role]
    world["before"] = fingerprint(world["db"])
    if role in ALLOWED[operation]:
        OPERATIONS[operation](world, user)
        return
    with pytest.raises(REFUSALS.get(operation, PermissionDenied)):
        OPERATIONS[operation](world, user)
    assert fingerprint(world["db"]) == world["before"], "a refused operation changed the database"


# ---------------------------------------------------------------- the query string cannot widen access


@pytest.mark.parametrize("script", ["views/tableau_de_bord.py", "views/bilans.py", "views/notation.py",
                                    "views/saisie.py"])
def test_teacher_query_string_naming_another_class_shows_only_own_classes(app_env, roles, script):
    from streamlit.testing.v1 import AppTest

    from livret.db import connect

    db = connect(app_env)
    teacher = roles["teacher"]
    foreign = db.execute(f"SELECT id, name FROM classes WHERE id NOT IN ({','.join('?' * len(teacher.class_ids))})",
                         list(teacher.class_ids)).fetchone()
    stranger = db.execute("SELECT last_name || ' ' || first_name FROM learners WHERE class_id = ? LIMIT 1",
                          [foreign[0]]).fetchone()[0]
    at = AppTest.from_file(str(ROOT / script), default_timeout=60)
    at.session_state["user_id"] = teacher.id
    at.query_params["classe"] = foreign[1]
    at.query_params["apprenant"] = stranger
    at.run()
    assert not at.exception
    classes = next(s for s in at.selectbox if s.label == "Classe")
    assert foreign[1] not in classes.options and classes.value != foreign[1]
    shown = " ".join([str(e.value) for e in [*at.selectbox, *at.markdown, *at.header, *at.subheader, *at.caption]]
                     + [str(option) for box in at.selectbox for option in box.options])
    assert stranger not in shown
