"""Accounts: demo sign-in, and the administrator's management of accounts (page « Comptes »).

Every function that reads or changes accounts takes the signed-in user and requires the admin role,
except the operator commands (python -m livret user …): whoever can run them already holds the
database file."""

from __future__ import annotations

import pandas as pd

from livret import auth, clock
from livret.auth import database_kind, demo_mode_enabled
from livret.codes import ROLES
from livret.db import Database, IntegrityError, transaction
from livret.errors import NotFound, PermissionDenied, ValidationError
from livret.permissions import User, load_user, require

__all__ = [
    "NAME_MAX_LENGTH", "check_name", "database_kind", "demo_mode_enabled", "demo_accounts", "demo_sign_in", "list_accounts", "create_account",
    "account_classes", "check_can_disable", "set_active", "reset_password", "unlock", "set_teacher_classes", "link_learner", "learners_for_linking",
    "operator_add_account", "operator_set_password", "operator_list_accounts",
]


# ---------------------------------------------------------------- demo


def demo_accounts(db: Database) -> pd.DataFrame:
    """Active accounts offered by the demo sign-in, staff first, learners by class and name."""
    if not demo_mode_enabled(db):
        raise PermissionDenied("Le mode démonstration n'est pas activé sur cette base.")
    frame = db.frame(
        "SELECT u.id, u.name, u.role, c.name AS class_name FROM users u "
        "LEFT JOIN learners l ON l.id = u.learner_id LEFT JOIN classes c ON c.id = l.class_id "
        "WHERE u.active = 1 ORDER BY CASE u.role WHEN 'ddfpt' THEN 0 WHEN 'teacher' THEN 1 "
        "WHEN 'admin' THEN 2 ELSE 3 END, c.name, u.name",
    )
    frame["role_label"] = frame["role"].map(ROLES)
    frame["label"] = frame.apply(
        lambda r: f"{r['role_label']} — {r['name']}" + (f" ({r['class_name']})" if r["class_name"] else ""), axis=1
    )
    return frame


def demo_sign_in(db: Database, user_id: int) -> User:
    if not demo_mode_enabled(db):
        raise PermissionDenied("Le mode démonstration n'est pas activé sur cette base.")
    user = load_user(db, user_id)
    if user is None:
        raise PermissionDenied("Ce compte n'existe pas ou est désactivé.")
    return user


# ---------------------------------------------------------------- reading


def list_accounts(db: Database, actor: User | None) -> pd.DataFrame:
    """Every account with its role, classes (teachers), learner (learners) and sign-in state."""
    require(actor, "manage_accounts")
    frame = db.frame(
        "SELECT u.id, u.name, u.email, u.role, u.active, u.password_hash IS NOT NULL AS has_password, "
        "u.locked_until, u.must_change_password, u.last_login_at, u.learner_id, "
        "l.last_name || ' ' || l.first_name AS learner_name, lc.name AS learner_class, "
        "(SELECT group_concat(name, ', ') FROM (SELECT c.name FROM teacher_classes t JOIN classes c "
        "  ON c.id = t.class_id WHERE t.user_id = u.id ORDER BY c.name) AS named) AS classes "
        "FROM users u LEFT JOIN learners l ON l.id = u.learner_id LEFT JOIN classes lc ON lc.id = l.class_id "
        "ORDER BY CASE u.role WHEN 'admin' THEN 0 WHEN 'ddfpt' THEN 1 WHEN 'teacher' THEN 2 ELSE 3 END, "
        "u.name COLLATE NOCASE, u.id",
    )
    now = clock.stamp()
    frame["role_label"] = frame["role"].map(ROLES)
    frame["locked"] = frame["locked_until"].fillna("").map(lambda until: until > now)
    frame["active"] = frame["active"].astype(bool)
    frame["has_password"] = frame["has_password"].astype(bool)
    frame["must_change_password"] = frame["must_change_password"].astype(bool)
    frame["classes"] = frame["classes"].fillna("")
    frame["learner"] = [f"{n} ({c})" if isinstance(n, str) else "" for n, c in
                        zip(frame["learner_name"], frame["learner_class"])]
    return frame.drop(columns=["locked_until", "learner_name", "learner_class"])


def account_classes(db: Database, actor: User | None, user_id: int) -> list[int]:
    """Ids of the classes assigned to a teacher's account."""
    require(actor, "manage_accounts")
    return [r[0] for r in db.execute("SELECT class_id FROM teacher_classes WHERE user_id = ? ORDER BY class_id",
                                     [int(user_id)])]


def learners_for_linking(db: Database, actor: User | None) -> pd.DataFrame:
    """Learners with the account linked to them, if any (to create or relink learner accounts)."""
    require(actor, "manage_accounts")
    return db.frame(
        "SELECT l.id, l.last_name || ' ' || l.first_name AS full_name, c.name AS class_name, l.email, "
        "u.id AS account_id, u.email AS account_email FROM learners l JOIN classes c ON c.id = l.class_id "
        "LEFT JOIN users u ON u.learner_id = l.id ORDER BY c.name, l.last_name COLLATE NOCASE, l.first_name, l.id",
    )


# ---------------------------------------------------------------- validation


NAME_MAX_LENGTH = 120  # the one limit on a person's name: accounts, and learners (whose account takes their name)


def check_name(name: str | None, label: str = "Le nom") -> str:
    """The name with its spaces tidied (runs of blanks become one space), or the French refusal.

    `label` names the field in the message (« Le nom », « Le prénom »…) when the rule guards another one."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError(f"{label} est obligatoire.")
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(f"{label} ne peut pas dépasser {NAME_MAX_LENGTH} caractères "
                              f"(il en compte {len(name)}).")
    return name


def _clean_email(db: Database, email: str, except_id: int | None = None) -> str:
    email = (email or "").strip()
    if not auth.EMAIL_PATTERN.match(email) or len(email) > 254:
        raise ValidationError(f"L'adresse e-mail « {email} » n'est pas valide.")
    row = db.execute("SELECT id, name FROM users WHERE lower(email) = lower(?) AND id IS DISTINCT FROM ?", [email, except_id]).fetchone()
    if row:
        raise ValidationError(f"Un compte existe déjà avec l'adresse e-mail « {email} » ({row[1]}).")
    return email


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise ValidationError(f"Profil inconnu : « {role} ».")
    return role


def _check_classes(db: Database, class_ids) -> list[int]:
    ids = sorted({int(i) for i in class_ids or ()})
    for class_id in ids:
        if db.execute("SELECT 1 FROM classes WHERE id = ?", [class_id]).fetchone() is None:
            raise NotFound("Cette classe n'existe pas.")
    return ids


def _check_learner(db: Database, learner_id: int | None, except_user: int | None = None) -> int:
    if learner_id is None:
        raise ValidationError("Un compte apprenant doit être relié à un apprenant.")
    if db.execute("SELECT 1 FROM learners WHERE id = ?", [int(learner_id)]).fetchone() is None:
        raise NotFound("Cet apprenant n'existe pas.")
    owner = db.execute("SELECT id, email FROM users WHERE learner_id = ? AND id IS DISTINCT FROM ?",
                       [int(learner_id), except_user]).fetchone()
    if owner:
        raise ValidationError(f"Cet apprenant a déjà un compte ({owner[1]}).")
    return int(learner_id)


def _account(db: Database, user_id: int) -> dict:
    row = db.execute("SELECT id, name, email, role, active, learner_id FROM users WHERE id = ?",
                     [int(user_id)]).fetchone()
    if row is None:
        raise NotFound("Ce compte n'existe pas.")
    return dict(zip(("id", "name", "email", "role", "active", "learner_id"), row))


def _active_admins(db: Database) -> int:
    return db.execute("SELECT count(*) FROM users WHERE role = 'admin' AND active = 1").fetchone()[0]


# ---------------------------------------------------------------- changes


def _insert_account(db, actor, name, email, role, class_ids, learner_id, password, must_change) -> int:
    role = _check_role(role)
    class_ids = _check_classes(db, class_ids) if role == "teacher" else []
    learner_id = _check_learner(db, learner_id) if role == "learner" else None
    if learner_id is not None:  # a learner's account defaults to the learner's own name and e-mail
        learner_name, learner_email = db.execute(
            "SELECT last_name || ' ' || first_name, email FROM learners WHERE id = ?", [learner_id]).fetchone()
        name = name if (name or "").strip() else learner_name
        email = email if (email or "").strip() else (learner_email or "")
    name = check_name(name)
    email = _clean_email(db, email)
    password_hash = auth.hash_password(password) if password is not None else None
    with transaction(db):
        try:
            user_id = db.insert(
                "INSERT INTO users(name, email, role, learner_id, password_hash, must_change_password) "
                "VALUES (?, ?, ?, ?, ?, ?)", [name, email, role, learner_id, password_hash, int(must_change)],
            )
        except IntegrityError as error:  # created meanwhile by another session
            raise ValidationError("Un compte existe déjà avec cette adresse e-mail ou pour cet apprenant.") from error
        for class_id in class_ids:
            db.execute("INSERT INTO teacher_classes(user_id, class_id) VALUES (?, ?)", [user_id, class_id])
        auth.audit_account(db, actor, "account_create", user_id, None,
                           {"name": name, "email": email, "role": role, "classes": class_ids, "learner_id": learner_id})
    return user_id


def create_account(db: Database, actor: User | None, *, name: str, email: str, role: str,
                   class_ids=(), learner_id: int | None = None, with_password: bool = True) -> tuple[int, str | None]:
    """Create an account; returns its id and the temporary password to hand over (changed at first sign-in).

    Without a password (school identity provider), the account signs in through OpenID Connect only."""
    require(actor, "manage_accounts")
    password = auth.temporary_password() if with_password else None
    user_id = _insert_account(db, actor, name, email, role, class_ids, learner_id, password, with_password)
    return user_id, password


def _check_can_disable(db: Database, actor: User, account: dict) -> None:
    if account["id"] == actor.id:
        raise ValidationError("Vous ne pouvez pas désactiver votre propre compte.")
    if account["role"] == "admin" and account["active"] and _active_admins(db) <= 1:
        raise ValidationError("C'est le dernier compte administrateur actif : il ne peut pas être désactivé.")


def check_can_disable(db: Database, actor: User | None, user_id: int) -> None:
    """The refusal set_active(…, False) would give, before the administrator is asked to confirm."""
    actor = require(actor, "manage_accounts")
    _check_can_disable(db, actor, _account(db, user_id))


def set_active(db: Database, actor: User | None, user_id: int, active: bool) -> None:
    """Disable (signs the account out everywhere) or re-enable an account."""
    actor = require(actor, "manage_accounts")
    with transaction(db):
        account = _account(db, user_id)
        if not active:  # checked inside the write, so two admins cannot disable each other at once
            _check_can_disable(db, actor, account)
        db.execute("UPDATE users SET active = ? WHERE id = ?", [int(active), account["id"]])
        if not active:
            auth.close_user_sessions(db, account["id"])
        auth.audit_account(db, actor, "account_enable" if active else "account_disable", account["id"],
                           {"active": bool(account["active"])}, {"active": bool(active)})


def reset_password(db: Database, actor: User | None, user_id: int) -> str:
    """A new temporary password for the account (changed at its next sign-in); unlocks it and signs it
    out everywhere. Returns the password to hand over; only its hash is stored."""
    actor = require(actor, "manage_accounts")
    account = _account(db, user_id)
    password = auth.temporary_password()
    password_hash = auth.hash_password(password)
    with transaction(db):
        db.execute("UPDATE users SET password_hash = ?, must_change_password = 1, failed_logins = 0, "
                   "locked_until = NULL WHERE id = ?", [password_hash, account["id"]])
        auth.close_user_sessions(db, account["id"])
        auth.audit_account(db, actor, "password_reset", account["id"], None, None)
    return password


def unlock(db: Database, actor: User | None, user_id: int) -> None:
    """Lift a lockout after repeated failed sign-ins."""
    actor = require(actor, "manage_accounts")
    account = _account(db, user_id)
    with transaction(db):
        db.execute("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?", [account["id"]])
        auth.audit_account(db, actor, "account_unlock", account["id"], None, None)


def set_teacher_classes(db: Database, actor: User | None, user_id: int, class_ids) -> None:
    """The classes a teacher works with (replaces the previous list)."""
    actor = require(actor, "manage_accounts")
    account = _account(db, user_id)
    if account["role"] != "teacher":
        raise ValidationError("Seuls les comptes enseignants sont attribués à des classes.")
    ids = _check_classes(db, class_ids)
    before = [r[0] for r in db.execute("SELECT class_id FROM teacher_classes WHERE user_id = ? ORDER BY class_id",
                                       [account["id"]])]
    with transaction(db):
        db.execute("DELETE FROM teacher_classes WHERE user_id = ?", [account["id"]])
        for class_id in ids:
            db.execute("INSERT INTO teacher_classes(user_id, class_id) VALUES (?, ?)", [account["id"], class_id])
        auth.audit_account(db, actor, "teacher_classes", account["id"], {"classes": before}, {"classes": ids})


def link_learner(db: Database, actor: User | None, user_id: int, learner_id: int) -> None:
    """Link a learner account to the learner whose bilans it may read."""
    actor = require(actor, "manage_accounts")
    account = _account(db, user_id)
    if account["role"] != "learner":
        raise ValidationError("Seuls les comptes apprenants sont reliés à un apprenant.")
    learner_id = _check_learner(db, learner_id, except_user=account["id"])
    with transaction(db):
        db.execute("UPDATE users SET learner_id = ? WHERE id = ?", [learner_id, account["id"]])
        auth.close_user_sessions(db, account["id"])
        auth.audit_account(db, actor, "learner_link", account["id"], {"learner_id": account["learner_id"]},
                           {"learner_id": learner_id})


# ---------------------------------------------------------------- operator commands (CLI)


def operator_add_account(db: Database, *, name: str, email: str, role: str, password: str,
                         class_names=()) -> int:
    """python -m livret user add: typically the first DDFPT or administrator account of a new school."""
    if role == "learner":
        raise ValidationError("Les comptes apprenants se créent depuis la page « Comptes ».")
    auth.check_new_password(password)
    class_ids = []
    for class_name in class_names or ():
        row = db.execute("SELECT id FROM classes WHERE name = ?", [class_name]).fetchone()
        if row is None:
            raise NotFound(f"La classe « {class_name} » n'existe pas.")
        class_ids.append(row[0])
    return _insert_account(db, None, name, email, role, class_ids, None, password, False)


def operator_set_password(db: Database, *, email: str, password: str) -> None:
    """python -m livret user password: set a password and lift a lockout (e.g. a locked-out administrator)."""
    auth.check_new_password(password)
    row = db.execute("SELECT id FROM users WHERE lower(email) = lower(?)", [(email or "").strip()]).fetchone()
    if row is None:
        raise NotFound(f"Aucun compte n'a l'adresse « {email} ».")
    password_hash = auth.hash_password(password)
    with transaction(db):
        db.execute("UPDATE users SET password_hash = ?, must_change_password = 0, failed_logins = 0, "
                   "locked_until = NULL WHERE id = ?", [password_hash, row[0]])
        auth.close_user_sessions(db, row[0])
        auth.audit_account(db, None, "password_reset", row[0], None, None)


def operator_list_accounts(db: Database) -> pd.DataFrame:
    """python -m livret user list: staff and admin accounts (learner accounts are too many to print)."""
    return db.frame(
        "SELECT email, name, role, active, password_hash IS NOT NULL AS has_password FROM users "
        "WHERE role != 'learner' ORDER BY role, name",
    )
