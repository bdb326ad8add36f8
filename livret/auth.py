"""Sign-in (SPEC A2): local accounts with argon2 password hashes and a lockout, sessions that survive a
browser reload, and the matching of an OpenID Connect identity to a Livret account.

Nothing here talks to Streamlit: livret/ui/__init__.py carries the session token in a cookie and calls these."""

from __future__ import annotations

import hashlib
import math
import os
import re
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from livret import audit, clock
from livret.db import Database, transaction
from livret.errors import PermissionDenied, ValidationError
from livret.permissions import User, load_user, require_user

PASSWORD_MIN_LENGTH = 10
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
SESSION_IDLE = timedelta(hours=12)
SESSION_LIFETIME = timedelta(days=14)
SESSION_TOUCH = timedelta(minutes=5)  # last_seen_at is rewritten at most this often
SESSION_COOKIE = "livret_session"

BAD_CREDENTIALS = "Adresse e-mail ou mot de passe incorrect."
DISABLED = "Ce compte est désactivé. Adressez-vous à l'administrateur de Livret de l'établissement."

_hasher = PasswordHasher()  # argon2id with the library's recommended cost (about 0.1 s per hash)
_dummy_hash: str | None = None
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AccountLocked(PermissionDenied):
    pass


# ---------------------------------------------------------------- sign-in modes


def database_kind(db: Database) -> str:
    row = db.execute("SELECT value FROM settings WHERE key = 'database_kind'").fetchone()
    return row[0] if row else "school"


def demo_mode_enabled(db: Database) -> bool:
    """Demo sign-in (no password) is on for a demo database unless LIVRET_DEMO=0, and on any other
    database only when LIVRET_DEMO=1."""
    setting = os.environ.get("LIVRET_DEMO", "").strip()
    if setting in ("0", "1"):
        return setting == "1"
    return database_kind(db) == "demo"


def audit_account(db: Database, actor: User | None, action: str, user_id: int,
                  before: dict | None, after: dict | None) -> None:
    """One line of audit_log for a change to an account (never a password or a hash)."""
    audit.write(db, actor, action, "user", user_id, before=before, after=after)


# ---------------------------------------------------------------- passwords


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_new_password(password: str, confirmation: str | None = None) -> None:
    """The rules a new password must follow, with the French message of the first one broken."""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise ValidationError(f"Le mot de passe doit compter au moins {PASSWORD_MIN_LENGTH} caractères.")
    if password.strip() != password:
        raise ValidationError("Le mot de passe ne peut pas commencer ni finir par une espace.")
    if confirmation is not None and confirmation != password:
        raise ValidationError("Les deux mots de passe saisis ne sont pas identiques.")


def temporary_password() -> str:
    """A random password an administrator hands over; it must be changed at the first sign-in."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


def _dummy_check(password: str) -> None:
    """An argon2 check of the same cost as a real one, against a hash nobody's password matches: every
    refusal costs the same work, so the answer time does not tell which e-mails have an account or
    which accounts are locked."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_hex(32))
    try:
        _hasher.verify(_dummy_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        pass


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _lock_message(locked_until: datetime, now: datetime) -> str:
    minutes = max(1, math.ceil((locked_until - now).total_seconds() / 60))
    return (f"Trop d'essais infructueux : ce compte est bloqué pendant encore {minutes} minute"
            f"{'s' if minutes > 1 else ''}. Réessayez plus tard ou demandez à l'administrateur de le débloquer.")


# An attempt is counted in failed_logins when it is claimed, BEFORE its slow argon2 check, in one write:
# attempts that run together each take their own number, and once MAX_FAILED_LOGINS of them are counted
# (failed, or still being checked) no further guess is checked until the lock ends, however many arrive
# at once. A success gives its number back by resetting the count, unless a lock was earned meanwhile.
# The first attempt after a lock has ended starts the count again.
_CLAIM = (
    "UPDATE users SET "
    "failed_logins = CASE WHEN locked_until IS NOT NULL THEN 1 ELSE failed_logins + 1 END, "
    "locked_until = NULL "
    "WHERE {where} AND password_hash IS NOT NULL AND (locked_until IS NULL OR locked_until <= :now) "
    "AND (failed_logins < :max OR locked_until IS NOT NULL) "
    "RETURNING id, password_hash, active, failed_logins"
)
# A refused attempt, or the check that fails with the count full, arms the lock (if not already armed):
# a burst larger than the allowance locks the account even while its first guesses are still checked.
_ARM_LOCK = ("UPDATE users SET locked_until = :until WHERE {where} AND password_hash IS NOT NULL "
             "AND failed_logins >= :max AND (locked_until IS NULL OR locked_until <= :now)")


def _claim_attempt(db: Database, where: str, key: object, now: datetime) -> tuple | None:
    """(id, password hash, active) of the account whose password may be checked now, its attempt
    already counted; None when there is no such account with a password, or it is locked."""
    params = {"key": key, "now": clock.stamp(now), "max": MAX_FAILED_LOGINS, "until": clock.stamp(now + LOCKOUT)}
    with transaction(db):
        row = db.execute(_CLAIM.format(where=where), params).fetchone()
        if row is None:
            db.execute(_ARM_LOCK.format(where=where), params)
            return None
    return row[:3]


def _register_failure(db: Database, user_id: int, now: datetime) -> None:
    """The attempt was counted when claimed; the failure that fills the count locks the account."""
    with transaction(db):
        db.execute(_ARM_LOCK.format(where="id = :key"),
                   {"key": user_id, "now": clock.stamp(now), "max": MAX_FAILED_LOGINS,
                    "until": clock.stamp(now + LOCKOUT)})


def _register_success(db: Database, user_id: int, now: datetime, changes: str = "",
                      params: tuple = ()) -> bool:
    """Reset the count (and apply `changes`, SQL assignments) unless the account was locked while this
    attempt was checked: then the lock stands, and the attempt is refused like any other."""
    with transaction(db):
        row = db.execute(
            f"UPDATE users SET failed_logins = 0, locked_until = NULL{changes} "
            "WHERE id = ? AND (locked_until IS NULL OR locked_until <= ?) RETURNING id",
            [*params, user_id, clock.stamp(now)],
        ).fetchone()
    return row is not None


def authenticate(db: Database, email: str, password: str, now: datetime | None = None) -> User:
    """The account of that e-mail and password, or one refusal, BAD_CREDENTIALS, whatever the reason
    (unknown e-mail, wrong password, account locked or disabled), after the same argon2 work."""
    now = now or clock.now()
    password = password or ""
    account = _claim_attempt(db, "lower(email) = lower(:key)", (email or "").strip(), now)
    if account is None:
        _dummy_check(password)
        raise PermissionDenied(BAD_CREDENTIALS)
    user_id, password_hash, active = account
    if not _verify(password_hash, password):
        _register_failure(db, user_id, now)
        raise PermissionDenied(BAD_CREDENTIALS)
    if not active:
        # Saying « désactivé » would confirm the password of an account that no longer signs in.
        raise PermissionDenied(BAD_CREDENTIALS)
    new_hash = hash_password(password) if _hasher.check_needs_rehash(password_hash) else password_hash
    if not _register_success(db, user_id, now, ", last_login_at = ?, password_hash = ?",
                             (clock.stamp(now), new_hash)):
        raise PermissionDenied(BAD_CREDENTIALS)
    return load_user(db, user_id)


def _locked_until(db: Database, user_id: int, now: datetime) -> datetime | None:
    row = db.execute("SELECT locked_until FROM users WHERE id = ?", [user_id]).fetchone()
    until = clock.parse(row[0]) if row and row[0] else None
    return until if until and until > now else None


def _locked_message(db: Database, user_id: int, now: datetime) -> str:
    return _lock_message(_locked_until(db, user_id, now) or now + LOCKOUT, now)


def must_change_password(db: Database, user: User) -> bool:
    row = db.execute("SELECT must_change_password FROM users WHERE id = ?", [user.id]).fetchone()
    return bool(row and row[0])


def has_password(db: Database, user: User) -> bool:
    return has_password_id(db, user.id)


def change_password(db: Database, user: User | None, current: str, new: str, confirmation: str,
                    keep_token: str | None = None, now: datetime | None = None) -> None:
    """The signed-in user changes their own password; their other sessions are closed."""
    user = require_user(user)
    now = now or clock.now()
    if not has_password_id(db, user.id):
        raise PermissionDenied("Ce compte n'a pas de mot de passe Livret.")
    account = _claim_attempt(db, "id = :key", user.id, now)
    if account is None:  # the user is signed in: telling them the account is locked reveals nothing
        raise AccountLocked(_locked_message(db, user.id, now))
    if not _verify(account[1], current):
        _register_failure(db, user.id, now)
        if _locked_until(db, user.id, now):
            raise AccountLocked(_locked_message(db, user.id, now))
        raise ValidationError("Le mot de passe actuel est incorrect.")
    if not _register_success(db, user.id, now):
        raise AccountLocked(_locked_message(db, user.id, now))
    check_new_password(new, confirmation)
    if new == current:
        raise ValidationError("Le nouveau mot de passe doit être différent de l'actuel.")
    new_hash = hash_password(new)
    with transaction(db):
        db.execute("UPDATE users SET password_hash = ?, must_change_password = 0, failed_logins = 0 WHERE id = ?",
                   [new_hash, user.id])
        keep = _token_hash(keep_token) if keep_token else ""
        db.execute("DELETE FROM sessions WHERE user_id = ? AND token_hash != ?", [user.id, keep])
        audit_account(db, user, "password_change", user.id, None, None)


# ---------------------------------------------------------------- sessions


def _token_hash(token: str) -> str:
    # The token is 256 random bits: a fast hash is enough, and a stolen database yields no usable cookie.
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(db: Database, user: User, kind: str, now: datetime | None = None) -> str:
    """Record a new sign-in and return its token (to be kept by the browser, never stored in clear)."""
    now = now or clock.now()
    token = secrets.token_urlsafe(32)
    with transaction(db):
        db.execute("DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?",
                   [clock.stamp(now), clock.stamp(now - SESSION_IDLE)])
        db.execute(
            "INSERT INTO sessions(token_hash, user_id, kind, created_at, last_seen_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [_token_hash(token), user.id, kind, clock.stamp(now), clock.stamp(now), clock.stamp(now + SESSION_LIFETIME)],
        )
    return token


def session_user(db: Database, token: str | None, now: datetime | None = None) -> User | None:
    """The active account a session token belongs to, if the session is still open and not expired."""
    if not isinstance(token, str) or not token or len(token) > 100:
        return None
    now = now or clock.now()
    row = db.execute("SELECT user_id, kind, last_seen_at, expires_at FROM sessions WHERE token_hash = ?",
                     [_token_hash(token)]).fetchone()
    if row is None:
        return None
    user_id, kind, last_seen, expires = row
    if clock.parse(expires) <= now or clock.parse(last_seen) <= now - SESSION_IDLE:
        return None
    if kind == "demo" and not demo_mode_enabled(db):
        return None
    if kind == "local" and not has_password_id(db, user_id):
        return None
    user = load_user(db, user_id)
    if user is not None and clock.parse(last_seen) <= now - SESSION_TOUCH:
        with transaction(db):
            db.execute("UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?", [clock.stamp(now), _token_hash(token)])
    return user


def has_password_id(db: Database, user_id: int) -> bool:
    row = db.execute("SELECT password_hash IS NOT NULL FROM users WHERE id = ?", [user_id]).fetchone()
    return bool(row and row[0])


def close_session(db: Database, token: str | None) -> None:
    if token:
        with transaction(db):
            db.execute("DELETE FROM sessions WHERE token_hash = ?", [_token_hash(token)])


def close_user_sessions(db: Database, user_id: int) -> None:
    """Sign an account out everywhere (its password was reset, or it was disabled)."""
    with transaction(db):
        db.execute("DELETE FROM sessions WHERE user_id = ?", [user_id])


# ---------------------------------------------------------------- OpenID Connect


def oidc_account(db: Database, email: str | None, email_verified: object = None) -> User:
    """The Livret account matching the e-mail the school's identity provider vouched for."""
    email = (email or "").strip()
    if not email:
        raise PermissionDenied("Votre fournisseur d'identité n'a pas transmis d'adresse e-mail : "
                               "Livret ne peut pas vous reconnaître.")
    if email_verified is False or str(email_verified).lower() == "false":
        raise PermissionDenied(f"L'adresse {email} n'est pas vérifiée par votre fournisseur d'identité.")
    row = db.execute("SELECT id, active FROM users WHERE lower(email) = lower(?)", [email]).fetchone()
    if row is None:
        raise PermissionDenied(f"Aucun compte Livret ne correspond à l'adresse {email}. "
                               "Demandez à l'administrateur de Livret de l'établissement de vous en créer un.")
    if not row[1]:
        raise PermissionDenied(DISABLED)
    with transaction(db):
        db.execute("UPDATE users SET last_login_at = ? WHERE id = ?", [clock.stamp(), row[0]])
    return load_user(db, row[0])
