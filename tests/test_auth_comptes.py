"""Page « Comptes » (AppTest): a refused creation keeps what the administrator typed, with the French
message and nothing stored; disabling an account and resetting a password wait for a confirmation, and
« Annuler » changes nothing."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from livret import accounts, auth
from livret.db import connect
from livret.permissions import load_user
from livret.ui import markdown_text

from .conftest import ROOT

PASSWORD = "correct-horse-battery"


@pytest.fixture
def page(app_env, monkeypatch, roles):
    monkeypatch.setenv("LIVRET_DEMO", "0")
    db = connect(app_env)
    at = AppTest.from_file(str(ROOT / "views/comptes.py"), default_timeout=30)
    at.session_state["user_id"] = roles["admin"].id
    at.run()
    assert not at.exception
    yield at, db
    db.close()


def button(at, label):
    return next(b for b in at.button if b.label == label)


def labels(at):
    return [b.label for b in at.button]


def fill(at, **values):
    inputs = {t.label: t for t in at.text_input}
    for label, value in values.items():
        inputs[label].input(value)


def typed(at):
    inputs = {t.label: t.value for t in at.text_input}
    return inputs["Nom (NOM Prénom)"], inputs["Adresse e-mail"]


def state(db, user_id):
    """What the confirmations protect: activity, password, sessions, and the audit trail."""
    return (db.execute("SELECT active, password_hash, must_change_password FROM users WHERE id = ?",
                       [user_id]).fetchone(),
            db.execute("SELECT count(*) FROM sessions WHERE user_id = ?", [user_id]).fetchone()[0],
            db.execute("SELECT count(*) FROM audit_log").fetchone()[0])


@pytest.mark.parametrize("name, email, message", [
    ("PETIT Jeanne", "jeanne.petit@lycee", "L'adresse e-mail « jeanne.petit@lycee » n'est pas valide."),
    ("PETIT Jeanne", "DUPLICATE", "Un compte existe déjà avec l'adresse e-mail"),
    ("P" * 121, "jeanne.petit@lycee.fr", "Le nom ne peut pas dépasser 120 caractères (il en compte 121)."),
])
def test_a_refused_account_keeps_what_was_typed(page, roles, name, email, message):
    at, db = page
    if email == "DUPLICATE":
        email = roles["teacher"].email
    class_id = roles["class_id"]
    users = db.execute("SELECT count(*) FROM users").fetchone()[0]
    at.selectbox(key="comptes_new_role").set_value("teacher").run()
    fill(at, **{"Nom (NOM Prénom)": name, "Adresse e-mail": email})
    next(m for m in at.multiselect if m.label == "Classes").set_value([class_id])
    at = button(at, "Créer le compte").click().run()
    assert not at.exception
    assert len(at.error) == 1 and at.error[0].value.startswith(markdown_text(message))
    assert typed(at) == (name, email)
    assert at.selectbox(key="comptes_new_role").value == "teacher"
    assert next(m for m in at.multiselect if m.label == "Classes").value == [class_id]
    assert db.execute("SELECT count(*) FROM users").fetchone()[0] == users

    # Corrected, the same form creates the account, then starts empty for the next one.
    fill(at, **{"Nom (NOM Prénom)": "PETIT Jeanne", "Adresse e-mail": "jeanne.petit@lycee.fr"})
    at = button(at, "Créer le compte").click().run()
    assert at.success[0].value == markdown_text("Compte créé : jeanne.petit@lycee.fr.")
    created = db.execute("SELECT id FROM users WHERE email = 'jeanne.petit@lycee.fr'").fetchone()[0]
    assert load_user(db, created).class_ids == frozenset({class_id})
    assert typed(at) == ("", "") and next(m for m in at.multiselect if m.label == "Classes").value == []
    assert not at.error


def test_a_refused_learner_account_keeps_the_chosen_learner(page, roles):
    at, db = page
    free = db.insert("INSERT INTO learners(class_id, last_name, first_name, email) "
                      "VALUES (?, 'NOUVEAU', 'Nino', NULL)", [roles["class_id"]])
    at = at.run()
    at.selectbox(key="comptes_new_role").set_value("learner").run()
    next(s for s in at.selectbox if s.label == "Apprenant").set_value(free)
    at = button(at, "Créer le compte").click().run()  # the learner has no e-mail of their own
    assert [e.value for e in at.error] == [markdown_text("L'adresse e-mail «  » n'est pas valide.")]
    assert next(s for s in at.selectbox if s.label == "Apprenant").value == free
    assert db.execute("SELECT count(*) FROM users WHERE learner_id = ?", [free]).fetchone()[0] == 0


def test_disabling_asks_first_and_cancelling_changes_nothing(page, roles):
    at, db = page
    teacher = roles["teacher"]
    accounts.operator_set_password(db, email=teacher.email, password=PASSWORD)
    auth.open_session(db, teacher, "local")
    before = state(db, teacher.id)
    at.selectbox(key="comptes_account").set_value(teacher.id).run()
    at = button(at, "Désactiver le compte").click().run()
    assert state(db, teacher.id) == before
    assert "Désactiver le compte de" in at.warning[0].value and teacher.email in at.warning[0].value.replace(
        "\u2060", "")
    assert "Oui, désactiver le compte" in labels(at)
    at = button(at, "Annuler").click().run()
    assert state(db, teacher.id) == before and not at.warning and not at.success
    assert "Oui, désactiver le compte" not in labels(at)

    at = button(at, "Désactiver le compte").click().run()
    at = button(at, "Oui, désactiver le compte").click().run()
    assert at.success[0].value == markdown_text(f"Compte désactivé : {teacher.email}.")
    assert load_user(db, teacher.id) is None and state(db, teacher.id)[1] == 0


def test_resetting_a_password_asks_first_and_cancelling_changes_nothing(page, roles):
    at, db = page
    teacher = roles["teacher"]
    accounts.operator_set_password(db, email=teacher.email, password=PASSWORD)
    auth.open_session(db, teacher, "local")
    before = state(db, teacher.id)
    at.selectbox(key="comptes_account").set_value(teacher.id).run()
    at = button(at, "Réinitialiser le mot de passe").click().run()
    assert state(db, teacher.id) == before and not at.code
    assert "Réinitialiser le mot de passe de" in at.warning[0].value
    at = button(at, "Annuler").click().run()
    assert state(db, teacher.id) == before and not at.code
    assert auth.authenticate(db, teacher.email, PASSWORD).id == teacher.id  # the old password still works

    at = button(at, "Réinitialiser le mot de passe").click().run()
    at = button(at, "Oui, réinitialiser le mot de passe").click().run()
    temporary = at.code[0].value
    assert auth.must_change_password(db, auth.authenticate(db, teacher.email, temporary))
    assert db.execute("SELECT count(*) FROM sessions WHERE user_id = ?", [teacher.id]).fetchone()[0] == 0


def test_a_pending_question_does_not_follow_to_another_account(page, roles):
    at, db = page
    teacher, ddfpt = roles["teacher"], roles["ddfpt"]
    at.selectbox(key="comptes_account").set_value(teacher.id).run()
    at = button(at, "Désactiver le compte").click().run()
    at.selectbox(key="comptes_account").set_value(ddfpt.id).run()
    assert not at.warning and "Oui, désactiver le compte" not in labels(at)
    at.selectbox(key="comptes_account").set_value(teacher.id).run()
    assert not at.warning  # coming back does not bring the question back either
    assert load_user(db, teacher.id) is not None and load_user(db, ddfpt.id) is not None


def test_disabling_ones_own_account_is_refused_at_once(page, roles):
    at, db = page
    admin = roles["admin"]
    at.selectbox(key="comptes_account").set_value(admin.id).run()
    at = button(at, "Désactiver le compte").click().run()
    assert [e.value for e in at.error] == ["Vous ne pouvez pas désactiver votre propre compte."]
    assert not at.warning and "Oui, désactiver le compte" not in labels(at)
    assert load_user(db, admin.id) is not None
