"""Who may do what (SPEC §6). Every service function calls one of these with the signed-in user."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlite_utils

from livret.errors import NotFound, PermissionDenied

STAFF_ROLES = ("teacher", "ddfpt")


@dataclass(frozen=True)
class User:
    id: int
    name: str
    email: str
    role: str
    learner_id: int | None = None
    class_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_ddfpt(self) -> bool:
        return self.role == "ddfpt"


def load_user(db: sqlite_utils.Database, user_id: int) -> User | None:
    """The user with that id if the account exists and is active."""
    row = db.execute(
        "SELECT id, name, email, role, learner_id FROM users WHERE id = ? AND active = 1", [user_id]
    ).fetchone()
    if row is None:
        return None
    class_ids = frozenset(
        r[0] for r in db.execute("SELECT class_id FROM teacher_classes WHERE user_id = ?", [user_id])
    )
    return User(id=row[0], name=row[1], email=row[2], role=row[3], learner_id=row[4], class_ids=class_ids)


def require_user(user: User | None) -> User:
    if user is None:
        raise PermissionDenied("Vous devez être connecté.")
    return user


def require_role(user: User | None, *roles: str) -> User:
    user = require_user(user)
    if user.role not in roles:
        raise PermissionDenied("Votre profil ne permet pas cette action.")
    return user


def can_see_class(user: User, class_id: int) -> bool:
    if user.role == "ddfpt":
        return True
    return user.role == "teacher" and class_id in user.class_ids


def require_class(db: sqlite_utils.Database, user: User | None, class_id: int) -> int:
    """A staff member's access to a class (teachers: their own classes only)."""
    user = require_role(user, *STAFF_ROLES)
    exists = db.execute("SELECT 1 FROM classes WHERE id = ?", [class_id]).fetchone()
    if not exists:
        raise NotFound("Cette classe n'existe pas.")
    if not can_see_class(user, class_id):
        raise PermissionDenied("Cette classe n'est pas l'une des vôtres.")
    return class_id


def learner_class(db: sqlite_utils.Database, learner_id: int) -> int:
    row = db.execute("SELECT class_id FROM learners WHERE id = ?", [learner_id]).fetchone()
    if row is None:
        raise NotFound("Cet apprenant n'existe pas.")
    return row[0]


def require_learner_staff(db: sqlite_utils.Database, user: User | None, learner_id: int) -> int:
    """Staff access to one learner's data (dashboard, drafts, grades): via the learner's class."""
    user = require_role(user, *STAFF_ROLES)
    class_id = learner_class(db, learner_id)
    if not can_see_class(user, class_id):
        raise PermissionDenied("Cet apprenant n'est pas dans l'une de vos classes.")
    return class_id


def require_bilan_reader(db: sqlite_utils.Database, user: User | None, learner_id: int) -> User:
    """Reading validated bilans: staff of the learner's class, or the learner themself."""
    user = require_user(user)
    if user.role == "learner":
        learner_class(db, learner_id)
        if user.learner_id != learner_id:
            raise PermissionDenied("Vous ne pouvez consulter que vos propres bilans.")
        return user
    require_learner_staff(db, user, learner_id)
    return user
