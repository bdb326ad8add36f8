"""Local accounts (argon2, lockout, sessions, password change), account management, the user CLI, the
matching of an OpenID Connect identity, demo mode, and the sign-in pages."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import pytest
from streamlit.testing.v1 import AppTest

from livret import accounts, auth, clock
from livret.errors import NotFound, PermissionDenied, ValidationError
from livret.permissions import load_user
from livret.tools import cli
from livret.ui import markdown_text

from .conftest import ROOT, first_user, snapshot

PASSWORD = "correct-horse-battery"


@pytest.fixture
def school(demo_db, roles, monkeypatch):
    """The demo school run as a real one (demo sign-in off) with a password on the teacher's account."""
    monkeypatch.setenv("LIVRET_DEMO", "0")
    accounts.operator_set_password(demo_db, email=roles["teacher"].email, password=PASSWORD)
    return demo_db


def stored(db, user_id, column):
    return db.execute(f"SELECT {column} FROM users WHERE id = ?", [user_id]).fetchone()[0]


# ---------------------------------------------------------------- passwords and lockout


def test_right_password_signs_in_and_hash_is_argon2(school, roles):
    teacher = roles["teacher"]
    user = auth.authenticate(school, f"  {teacher.email.upper()} ", PASSWORD)
    assert user == teacher
    password_hash = stored(school, teacher.id, "password_hash")
    assert password_hash.startswith("$argon2id$") and PASSWORD not in password_hash
    assert stored(school, teacher.id, "last_login_at") is not None


def test_wrong_password_and_unknown_email_get_the_same_refusal(school, roles):
    teacher = roles["teacher"]
    with pytest.raises(PermissionDenied) as wrong:
        auth.authenticate(school, teacher.email, "not-the-password")
    with pytest.raises(PermissionDenied) as unknown:
        auth.authenticate(school, "personne@nulle-part.fr", PASSWORD)
    with pytest.raises(PermissionDenied) as no_password:  # demo accounts have no password
        auth.authenticate(school, roles["ddfpt"].email, "")
    assert str(wrong.value) == str(unknown.value) == str(no_password.value) == "Adresse e-mail ou mot de passe incorrect."
    assert stored(school, teacher.id, "failed_logins") == 1


def test_five_failures_lock_the_account_even_for_the_right_password(school, roles):
    teacher, now = roles["teacher"], clock.now()
    for attempt in range(auth.MAX_FAILED_LOGINS):
        with pytest.raises(PermissionDenied, match="^Adresse e-mail ou mot de passe incorrect.$"):
            auth.authenticate(school, teacher.email, f"wrong-{attempt}", now=now)
    assert stored(school, teacher.id, "locked_until") == clock.stamp(now + auth.LOCKOUT)
    # Locked, the right password gets the same answer as a wrong one (it would otherwise tell the account exists).
    with pytest.raises(PermissionDenied, match="^Adresse e-mail ou mot de passe incorrect.$"):
        auth.authenticate(school, teacher.email, PASSWORD, now=now + timedelta(minutes=5))
    assert stored(school, teacher.id, "locked_until") == clock.stamp(now + auth.LOCKOUT)
    assert auth.authenticate(school, teacher.email, PASSWORD, now=now + timedelta(minutes=16)) == teacher
    assert stored(school, teacher.id, "failed_logins") == 0
    assert stored(school, teacher.id, "locked_until") is None


def test_four_failures_then_the_right_password_signs_in_and_starts_the_count_again(school, roles):
    teacher, now = roles["teacher"], clock.now()
    for attempt in range(auth.MAX_FAILED_LOGINS - 1):
        with pytest.raises(PermissionDenied):
            auth.authenticate(school, teacher.email, f"wrong-{attempt}", now=now)
    assert auth.authenticate(school, teacher.email, PASSWORD, now=now) == teacher
    assert stored(school, teacher.id, "failed_logins") == 0
    with pytest.raises(PermissionDenied):
        auth.authenticate(school, teacher.email, "wrong-again", now=now)
    assert stored(school, teacher.id, "locked_until") is None


def test_admin_unlocks_a_locked_account(school, roles):
    teacher, now = roles["teacher"], clock.now()
    for attempt in range(auth.MAX_FAILED_LOGINS):
        with pytest.raises(PermissionDenied):
            auth.authenticate(school, teacher.email, f"wrong-{attempt}", now=now)
    assert accounts.list_accounts(school, roles["admin"]).set_index("id").loc[teacher.id, "locked"]
    accounts.unlock(school, roles["admin"], teacher.id)
    assert auth.authenticate(school, teacher.email, PASSWORD) == teacher


def test_disabled_account_is_refused_and_signed_out_everywhere(school, roles):
    teacher, admin = roles["teacher"], roles["admin"]
    token = auth.open_session(school, teacher, "local")
    accounts.set_active(school, admin, teacher.id, False)
    assert auth.session_user(school, token) is None
    # Even the right password does not tell that the account exists but is disabled.
    with pytest.raises(PermissionDenied, match="^Adresse e-mail ou mot de passe incorrect.$"):
        auth.authenticate(school, teacher.email, PASSWORD)
    with pytest.raises(PermissionDenied, match="^Adresse e-mail ou mot de passe incorrect.$"):
        auth.authenticate(school, teacher.email, "wrong-password")
    accounts.set_active(school, admin, teacher.id, True)
    assert auth.authenticate(school, teacher.email, PASSWORD) == teacher


@pytest.mark.parametrize("new, confirmation, message", [
    ("court", "court", "au moins 10 caractères"),
    ("un-assez-long-mot", "un-autre-mot-long", "pas identiques"),
    (" espace-devant-x", " espace-devant-x", "espace"),
    (PASSWORD, PASSWORD, "différent de l'actuel"),
])
def test_password_change_refuses_bad_new_passwords_and_changes_nothing(school, roles, new, confirmation, message):
    teacher = roles["teacher"]
    before = stored(school, teacher.id, "password_hash")
    with pytest.raises(ValidationError, match=message):
        auth.change_password(school, teacher, PASSWORD, new, confirmation)
    assert stored(school, teacher.id, "password_hash") == before


def test_password_change_needs_the_current_password(school, roles):
    teacher = roles["teacher"]
    with pytest.raises(ValidationError, match="Le mot de passe actuel est incorrect"):
        auth.change_password(school, teacher, "wrong-current", "un-nouveau-mot-long", "un-nouveau-mot-long")
    assert stored(school, teacher.id, "failed_logins") == 1
    with pytest.raises(PermissionDenied):
        auth.change_password(school, None, PASSWORD, "un-nouveau-mot-long", "un-nouveau-mot-long")


def test_password_change_keeps_this_session_and_closes_the_others(school, roles):
    teacher = roles["teacher"]
    here, elsewhere = auth.open_session(school, teacher, "local"), auth.open_session(school, teacher, "local")
    auth.change_password(school, teacher, PASSWORD, "un-nouveau-mot-long", "un-nouveau-mot-long", keep_token=here)
    assert auth.session_user(school, here) == teacher
    assert auth.session_user(school, elsewhere) is None
    assert auth.authenticate(school, teacher.email, "un-nouveau-mot-long") == teacher
    with pytest.raises(PermissionDenied):
        auth.authenticate(school, teacher.email, PASSWORD)


# ---------------------------------------------------------------- sessions


def test_session_token_is_stored_only_as_a_hash(school, roles, demo_path):
    token = auth.open_session(school, roles["teacher"], "local")
    assert auth.session_user(school, token) == roles["teacher"]
    (token_hash,) = school.execute("SELECT token_hash FROM sessions").fetchone()
    assert token not in token_hash and len(token_hash) == 64
    stored = str(snapshot(school))
    assert token not in stored and PASSWORD not in stored
    if not school.is_postgres:  # and not in the file either, WAL included
        school.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        content = Path(demo_path).read_bytes()
        assert token.encode() not in content and PASSWORD.encode() not in content


def test_session_expires_when_idle_or_too_old_and_closes_on_sign_out(school, roles):
    teacher, now = roles["teacher"], clock.now()
    token = auth.open_session(school, teacher, "local", now=now)
    assert auth.session_user(school, token, now=now + timedelta(hours=11)) == teacher  # also touches it
    assert auth.session_user(school, token, now=now + timedelta(hours=22)) == teacher
    assert auth.session_user(school, token, now=now + timedelta(hours=35)) is None  # idle for 13 h
    old = auth.open_session(school, teacher, "local", now=now)
    for hours in range(11, 14 * 24, 11):  # used every 11 hours: never idle, but two weeks old at the end
        assert auth.session_user(school, old, now=now + timedelta(hours=hours)) == teacher
    assert auth.session_user(school, old, now=now + timedelta(days=14, minutes=1)) is None
    live = auth.open_session(school, teacher, "local")
    auth.close_session(school, live)
    assert auth.session_user(school, live) is None
    for forged in ("", "x" * 500, None, 12, "AAAA"):
        assert auth.session_user(school, forged) is None


def test_demo_sessions_end_when_demo_mode_is_turned_off(demo_db, roles, monkeypatch):
    monkeypatch.delenv("LIVRET_DEMO", raising=False)
    token = auth.open_session(demo_db, roles["learner"], "demo")
    assert auth.session_user(demo_db, token) == roles["learner"]
    monkeypatch.setenv("LIVRET_DEMO", "0")
    assert auth.session_user(demo_db, token) is None


def test_demo_mode_follows_the_database_and_livret_demo(demo_db, empty_db, monkeypatch):
    monkeypatch.delenv("LIVRET_DEMO", raising=False)
    assert auth.demo_mode_enabled(demo_db) and not auth.demo_mode_enabled(empty_db)
    monkeypatch.setenv("LIVRET_DEMO", "0")
    assert not auth.demo_mode_enabled(demo_db)
    with pytest.raises(PermissionDenied, match="démonstration"):
        accounts.demo_sign_in(demo_db, first_user(demo_db, "teacher").id)
    monkeypatch.setenv("LIVRET_DEMO", "1")
    assert auth.demo_mode_enabled(empty_db)


# ---------------------------------------------------------------- OpenID Connect matching


def test_oidc_identity_is_matched_by_email(demo_db, roles):
    teacher = roles["teacher"]
    assert auth.oidc_account(demo_db, teacher.email.upper(), True) == teacher
    with pytest.raises(PermissionDenied, match="Aucun compte Livret ne correspond à l'adresse intrus@ailleurs.fr"):
        auth.oidc_account(demo_db, "intrus@ailleurs.fr", True)
    with pytest.raises(PermissionDenied, match="n'est pas vérifiée"):
        auth.oidc_account(demo_db, teacher.email, False)
    with pytest.raises(PermissionDenied, match="pas transmis d'adresse e-mail"):
        auth.oidc_account(demo_db, None)
    accounts.set_active(demo_db, roles["admin"], teacher.id, False)
    with pytest.raises(PermissionDenied, match="désactivé"):
        auth.oidc_account(demo_db, teacher.email, True)


# ---------------------------------------------------------------- account management


@pytest.mark.parametrize("role", ["teacher", "other_teacher", "ddfpt", "learner", None])
def test_only_the_admin_manages_accounts(demo_db, roles, role):
    actor, target = roles.get(role), roles["teacher"].id
    for call in (
        lambda: accounts.list_accounts(demo_db, actor),
        lambda: accounts.learners_for_linking(demo_db, actor),
        lambda: accounts.create_account(demo_db, actor, name="X Y", email="x@y.fr", role="admin"),
        lambda: accounts.set_active(demo_db, actor, target, False),
        lambda: accounts.check_can_disable(demo_db, actor, target),
        lambda: accounts.reset_password(demo_db, actor, target),
        lambda: accounts.unlock(demo_db, actor, target),
        lambda: accounts.set_teacher_classes(demo_db, actor, target, []),
        lambda: accounts.link_learner(demo_db, actor, roles["learner"].id, 1),
        lambda: accounts.account_classes(demo_db, actor, target),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert demo_db.execute("SELECT count(*) FROM users WHERE email = 'x@y.fr'").fetchone()[0] == 0
    assert load_user(demo_db, target) is not None


def test_admin_creates_a_teacher_with_a_temporary_password(demo_db, roles, monkeypatch):
    monkeypatch.setenv("LIVRET_DEMO", "0")
    admin, class_id = roles["admin"], roles["class_id"]
    user_id, password = accounts.create_account(demo_db, admin, name="  MARTIN   Léa ", email="lea.martin@lycee.fr",
                                                role="teacher", class_ids=[class_id])
    user = auth.authenticate(demo_db, "lea.martin@lycee.fr", password)
    assert (user.id, user.name, user.class_ids) == (user_id, "MARTIN Léa", frozenset({class_id}))
    assert auth.must_change_password(demo_db, user)
    auth.change_password(demo_db, user, password, "mon-mot-de-passe", "mon-mot-de-passe")
    assert not auth.must_change_password(demo_db, user)
    row = demo_db.execute("SELECT user_name, action, after FROM audit_log WHERE entity = 'user' AND entity_id = ? "
                          "ORDER BY id", [user_id]).fetchall()
    assert [r[1] for r in row] == ["account_create", "password_change"] and row[0][0] == admin.name
    assert password not in str(row)


@pytest.mark.parametrize("fields, message", [
    ({"name": " ", "email": "a@b.fr", "role": "teacher"}, "Le nom est obligatoire"),
    ({"name": "N" * 121, "email": "a@b.fr", "role": "teacher"}, "Le nom ne peut pas dépasser 120 caractères"),
    ({"name": "A B", "email": "pas-une-adresse", "role": "teacher"}, "n'est pas valide"),
    ({"name": "A B", "email": "a@b.fr", "role": "chef"}, "Profil inconnu"),
    ({"name": "A B", "email": "a@b.fr", "role": "learner"}, "doit être relié à un apprenant"),
    ({"name": "A B", "email": "a@b.fr", "role": "teacher", "class_ids": [999]}, "Cette classe n'existe pas"),
])
def test_account_creation_refuses_bad_input_and_creates_nothing(demo_db, roles, fields, message):
    before = demo_db.execute("SELECT count(*) FROM users").fetchone()[0]
    with pytest.raises((ValidationError, NotFound), match=message):
        accounts.create_account(demo_db, roles["admin"], **fields)
    assert demo_db.execute("SELECT count(*) FROM users").fetchone()[0] == before


def test_one_name_rule_tidies_spaces_and_caps_the_length():
    assert accounts.NAME_MAX_LENGTH == 120
    assert accounts.check_name("  MARTIN \t  Léa ") == "MARTIN Léa"
    assert accounts.check_name("N" * 120) == "N" * 120
    with pytest.raises(ValidationError, match=r"^Le prénom ne peut pas dépasser 120 caractères \(il en compte 121\)\.$"):
        accounts.check_name("N" * 121, "Le prénom")
    with pytest.raises(ValidationError, match="^Le nom est obligatoire.$"):
        accounts.check_name(None)


def test_duplicate_email_and_second_account_for_a_learner_are_refused(demo_db, roles):
    admin, learner = roles["admin"], roles["learner"]
    with pytest.raises(ValidationError, match="Un compte existe déjà avec l'adresse"):
        accounts.create_account(demo_db, admin, name="X", email=roles["teacher"].email.upper(), role="ddfpt")
    with pytest.raises(ValidationError, match="Cet apprenant a déjà un compte"):
        accounts.create_account(demo_db, admin, name="X", email="x@y.fr", role="learner",
                                learner_id=learner.learner_id)


def test_learner_account_defaults_to_the_learner_and_can_be_relinked(demo_db, roles):
    admin, learner = roles["admin"], roles["learner"]
    free = demo_db.insert("INSERT INTO learners(class_id, last_name, first_name, email) "
                           "VALUES (?, 'NOUVEAU', 'Nino', 'nino@eleve.fr')", [roles["class_id"]])
    user_id, _ = accounts.create_account(demo_db, admin, name="", email="", role="learner", learner_id=free)
    assert load_user(demo_db, user_id).name == "NOUVEAU Nino" and load_user(demo_db, user_id).learner_id == free
    with pytest.raises(ValidationError, match="déjà un compte"):
        accounts.link_learner(demo_db, admin, user_id, learner.learner_id)
    demo_db.execute("DELETE FROM users WHERE id = ?", [learner.id])
    accounts.link_learner(demo_db, admin, user_id, learner.learner_id)
    assert load_user(demo_db, user_id).learner_id == learner.learner_id
    with pytest.raises(ValidationError, match="Seuls les comptes apprenants"):
        accounts.link_learner(demo_db, admin, roles["teacher"].id, free)


def test_teacher_classes_are_replaced(demo_db, roles):
    admin, teacher = roles["admin"], roles["teacher"]
    all_classes = [r[0] for r in demo_db.execute("SELECT id FROM classes ORDER BY id")]
    accounts.set_teacher_classes(demo_db, admin, teacher.id, all_classes)
    assert load_user(demo_db, teacher.id).class_ids == frozenset(all_classes)
    accounts.set_teacher_classes(demo_db, admin, teacher.id, [])
    assert load_user(demo_db, teacher.id).class_ids == frozenset()
    with pytest.raises(ValidationError, match="Seuls les comptes enseignants"):
        accounts.set_teacher_classes(demo_db, admin, roles["ddfpt"].id, all_classes)


def test_admin_cannot_lock_the_school_out(demo_db, roles):
    admin = roles["admin"]
    with pytest.raises(ValidationError, match="votre propre compte"):
        accounts.set_active(demo_db, admin, admin.id, False)
    second, _ = accounts.create_account(demo_db, admin, name="B Admin", email="b.admin@lycee.fr", role="admin")
    accounts.set_active(demo_db, admin, second, False)
    assert load_user(demo_db, admin.id) is not None


def test_reset_password_gives_a_new_temporary_password(school, roles):
    teacher, admin = roles["teacher"], roles["admin"]
    token = auth.open_session(school, teacher, "local")
    temporary = accounts.reset_password(school, admin, teacher.id)
    assert auth.session_user(school, token) is None
    with pytest.raises(PermissionDenied):
        auth.authenticate(school, teacher.email, PASSWORD)
    user = auth.authenticate(school, teacher.email, temporary)
    assert auth.must_change_password(school, user)


# ---------------------------------------------------------------- command line


def run_cli(db_path, *args, stdin=""):
    """python -m livret --db DB user ARGS, in this process (one subprocess smoke test is in test_cli_import)."""
    out, err = io.StringIO(), io.StringIO()
    with mock.patch("sys.stdin", io.StringIO(stdin)), redirect_stdout(out), redirect_stderr(err):
        try:
            code = cli.main(["--db", str(db_path), "user", *args])
        except SystemExit as exit_:  # argparse's refusals
            code = exit_.code
    return SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())


def test_cli_creates_the_first_admin_of_an_empty_school(tmp_path, monkeypatch):
    monkeypatch.delenv("LIVRET_DEMO", raising=False)
    path = tmp_path / "ecole.db"
    assert cli.main(["--db", str(path), "init"]) == 0
    refused = run_cli(path, "add", "--email", "admin@lycee.fr", "--name", "ROUSSEL Alain", "--role", "admin",
                      "--password-stdin", stdin="court\n")
    assert refused.returncode == 2 and "au moins 10 caractères" in refused.stderr
    created = run_cli(path, "add", "--email", "admin@lycee.fr", "--name", "ROUSSEL Alain", "--role", "admin",
                      "--password-stdin", stdin=f"{PASSWORD}\n")
    assert created.returncode == 0, created.stderr
    again = run_cli(path, "add", "--email", "ADMIN@lycee.fr", "--name", "X", "--role", "ddfpt",
                    "--password-stdin", stdin=f"{PASSWORD}\n")
    assert again.returncode == 2 and "existe déjà" in again.stderr
    listing = run_cli(path, "list")
    assert "admin@lycee.fr\tROUSSEL Alain\tadmin\tactif\tmot de passe" in listing.stdout
    from livret.db import connect

    db = connect(path)
    user = auth.authenticate(db, "admin@lycee.fr", PASSWORD)
    assert user.role == "admin" and not auth.must_change_password(db, user)
    assert run_cli(path, "password", "--email", "nobody@lycee.fr", "--password-stdin",
                   stdin=f"{PASSWORD}\n").returncode == 2
    db.close()


# ---------------------------------------------------------------- pages (AppTest)


def app(timeout: int = 30) -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)


def sign_in_form(at: AppTest, email: str, password: str) -> AppTest:
    inputs = {t.label: t for t in at.text_input}
    inputs["Adresse e-mail"].input(email)
    inputs["Mot de passe"].input(password)
    return at.button[0].click().run()


def test_local_sign_in_page(app_env, monkeypatch, roles):
    monkeypatch.setenv("LIVRET_DEMO", "0")
    from livret.db import connect

    db = connect(app_env)
    accounts.operator_set_password(db, email=roles["teacher"].email, password=PASSWORD)
    at = app().run()
    assert not at.selectbox and [t.label for t in at.text_input] == ["Adresse e-mail", "Mot de passe"]
    at = sign_in_form(at, roles["teacher"].email, "wrong-password")
    assert [e.value for e in at.error] == ["Adresse e-mail ou mot de passe incorrect."]
    assert not any(b.label == "Se déconnecter" for b in at.button)
    at = sign_in_form(at, roles["teacher"].email, PASSWORD)
    assert not at.exception
    assert any(b.label == "Se déconnecter" for b in at.button)
    assert any(b.label == "Changer mon mot de passe" for b in at.button)
    assert not at.warning or all("Démonstration" not in w.value for w in at.warning)
    assert db.execute("SELECT count(*) FROM sessions WHERE user_id = ?", [roles["teacher"].id]).fetchone()[0] == 1
    next(b for b in at.button if b.label == "Se déconnecter").click().run()
    assert [t.label for t in at.text_input] == ["Adresse e-mail", "Mot de passe"]
    assert db.execute("SELECT count(*) FROM sessions WHERE user_id = ?", [roles["teacher"].id]).fetchone()[0] == 0


def test_temporary_password_must_be_replaced_before_anything_else(app_env, monkeypatch, roles):
    monkeypatch.setenv("LIVRET_DEMO", "0")
    from livret.db import connect

    db = connect(app_env)
    temporary = accounts.reset_password(db, roles["admin"], roles["teacher"].id)
    at = sign_in_form(app().run(), roles["teacher"].email, temporary)
    assert at.title[0].value == "Choisissez votre mot de passe"
    inputs = {t.label: t for t in at.text_input}
    inputs["Mot de passe actuel"].input(temporary)
    inputs["Nouveau mot de passe"].input("un-mot-de-passe-choisi")
    inputs["Confirmez le nouveau mot de passe"].input("un-mot-de-passe-choisi")
    at = next(b for b in at.button if b.label == "Enregistrer le mot de passe").click().run()
    assert not at.exception
    assert at.title[0].value != "Choisissez votre mot de passe"
    assert auth.authenticate(db, roles["teacher"].email, "un-mot-de-passe-choisi").id == roles["teacher"].id


def test_banner_says_demo_mode_is_forced_on_a_real_database(app_env, monkeypatch):
    from livret.db import connect

    db = connect(app_env)
    db.execute("UPDATE settings SET value = 'school' WHERE key = 'database_kind'")
    monkeypatch.setenv("LIVRET_DEMO", "1")
    at = app().run()
    assert any("LIVRET_DEMO=1" in w.value for w in at.warning)
    at.session_state["user_id"] = first_user(db, "teacher").id
    at.run()
    assert any("LIVRET_DEMO=1 sur une base réelle" in w.value for w in at.warning)
    monkeypatch.delenv("LIVRET_DEMO")
    at = app().run()
    assert not at.selectbox and "Adresse e-mail" in [t.label for t in at.text_input]


def test_accounts_page_creates_an_account_and_shows_its_temporary_password(app_env, monkeypatch, roles):
    monkeypatch.setenv("LIVRET_DEMO", "0")
    from livret.db import connect

    db = connect(app_env)
    at = AppTest.from_file(str(ROOT / "views/comptes.py"), default_timeout=30)
    at.session_state["user_id"] = roles["admin"].id
    at.run()
    assert at.title[0].value == "Comptes" and not at.exception
    at.selectbox(key="comptes_new_role").set_value("ddfpt").run()
    inputs = {t.label: t for t in at.text_input}
    inputs["Nom (NOM Prénom)"].input("PETIT Jeanne")
    inputs["Adresse e-mail"].input("pas-une-adresse")
    at = next(b for b in at.button if b.label == "Créer le compte").click().run()
    assert [e.value for e in at.error] == ["L'adresse e-mail « pas-une-adresse » n'est pas valide."]
    inputs = {t.label: t for t in at.text_input}
    assert inputs["Nom (NOM Prénom)"].value == "PETIT Jeanne"  # the refused form keeps what was typed
    inputs["Adresse e-mail"].input("jeanne.petit@lycee.fr")
    at = next(b for b in at.button if b.label == "Créer le compte").click().run()
    assert not at.exception and at.success[0].value == markdown_text("Compte créé : jeanne.petit@lycee.fr.")
    temporary = at.code[0].value
    assert auth.authenticate(db, "jeanne.petit@lycee.fr", temporary).role == "ddfpt"
    assert temporary not in str(db.execute("SELECT * FROM users").fetchall())


def test_accounts_page_is_refused_to_other_roles(app_env, roles):
    at = AppTest.from_file(str(ROOT / "views/comptes.py"), default_timeout=30)
    at.session_state["user_id"] = roles["ddfpt"].id
    at.run()
    assert [e.value for e in at.error] == ["Votre profil ne permet pas cette action."]
    assert not at.dataframe


# ---------------------------------------------------------------- browser: a sign-in survives a reload


@pytest.fixture(scope="module")
def local_server(databases, tmp_path_factory, demo_template):
    """The demo school served as a real one (LIVRET_DEMO=0), LEFEBVRE Marc with a password."""

    from livret.db import connect
    from livret.tools.serving import StreamlitServer

    path = databases.copy(demo_template, "school", tmp_path_factory.mktemp("local"))
    db = connect(path)
    accounts.operator_set_password(db, email="marc.lefebvre@lycee-demo.fr", password=PASSWORD)
    db.close()
    server = StreamlitServer(path, env={"LIVRET_DEMO": "0"})
    yield server
    server.stop()


@pytest.mark.browser
def test_local_sign_in_keeps_the_shared_link_and_survives_a_reload(local_server, page):
    from playwright.sync_api import expect

    from livret.db import connect

    from .conftest import wait_for_app

    page.goto(f"{local_server.url}/notation")
    wait_for_app(page)
    expect(page.get_by_label("Compte de démonstration")).to_have_count(0)
    page.get_by_label("Adresse e-mail").fill("marc.lefebvre@lycee-demo.fr")
    page.get_by_label("Mot de passe").fill("wrong-password")
    page.get_by_role("button", name="Se connecter").click()
    wait_for_app(page)
    expect(page.get_by_text("Adresse e-mail ou mot de passe incorrect.")).to_be_visible()
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    wait_for_app(page)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_role("button", name="Se déconnecter")).to_be_visible()
    assert page.url.endswith("/notation")
    expect(page.get_by_text("Démonstration")).to_have_count(0)

    # The cookie is written by a script of the sidebar, which may run just after its buttons show.
    page.wait_for_function("(name) => document.cookie.split('; ').some(c => c.startsWith(name + '='))",
                           arg=auth.SESSION_COOKIE)
    cookie = next(c for c in page.context.cookies() if c["name"] == auth.SESSION_COOKIE)
    assert cookie["sameSite"] == "Strict" and cookie["value"] not in page.url
    db = connect(local_server.db_path)
    hashes = [r[0] for r in db.execute("SELECT token_hash FROM sessions")]
    assert cookie["value"] not in hashes and auth._token_hash(cookie["value"]) in hashes

    page.reload()
    wait_for_app(page)
    expect(sidebar.get_by_text("LEFEBVRE Marc")).to_be_visible()
    assert page.url.endswith("/notation")
    page.screenshot(path="/tmp/local_reloaded.png")

    sidebar.get_by_role("button", name="Se déconnecter").click()
    wait_for_app(page)
    expect(page.get_by_label("Adresse e-mail")).to_be_visible()
    assert auth._token_hash(cookie["value"]) not in [r[0] for r in db.execute("SELECT token_hash FROM sessions")]
    page.reload()
    wait_for_app(page)
    expect(page.get_by_label("Adresse e-mail")).to_be_visible()
    expect(page.get_by_text("LEFEBVRE Marc")).to_have_count(0)
    db.close()


def test_accounts_page_disables_resets_and_assigns_classes(app_env, monkeypatch, roles):
    monkeypatch.setenv("LIVRET_DEMO", "0")
    from livret.db import connect

    db = connect(app_env)
    teacher, class_id = roles["teacher"], roles["class_id"]
    at = AppTest.from_file(str(ROOT / "views/comptes.py"), default_timeout=30)
    at.session_state["user_id"] = roles["admin"].id
    at.run()
    at.selectbox(key="comptes_account").set_value(teacher.id).run()
    at = next(b for b in at.button if b.label == "Désactiver le compte").click().run()
    assert load_user(db, teacher.id) is not None  # not before the confirmation
    at = next(b for b in at.button if b.label == "Oui, désactiver le compte").click().run()
    assert at.success[0].value == markdown_text(f"Compte désactivé : {teacher.email}.")
    assert load_user(db, teacher.id) is None
    at = next(b for b in at.button if b.label == "Réactiver le compte").click().run()
    at = next(b for b in at.button if b.label == "Réinitialiser le mot de passe").click().run()
    at = next(b for b in at.button if b.label == "Oui, réinitialiser le mot de passe").click().run()
    temporary = at.code[0].value
    assert auth.must_change_password(db, auth.authenticate(db, teacher.email, temporary))
    classes = next(m for m in at.multiselect if m.label == "Classes de l'enseignant")
    assert set(classes.value) == set(teacher.class_ids)
    classes.set_value([class_id])
    at = next(b for b in at.button if b.label == "Enregistrer les classes").click().run()
    assert not at.exception and load_user(db, teacher.id).class_ids == frozenset({class_id})
    at.selectbox(key="comptes_account").set_value(roles["admin"].id).run()
    at = next(b for b in at.button if b.label == "Désactiver le compte").click().run()
    assert [e.value for e in at.error] == ["Vous ne pouvez pas désactiver votre propre compte."]
