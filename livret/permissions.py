"""Who may do what (SPEC §6): every role rule of Livret, in one table of abilities.

Every service function checks the signed-in user here (require(user, ability), then the class or the
learner it concerns), and app.py's navigation reads the same table. No other module compares roles."""

from __future__ import annotations

from dataclasses import dataclass, field

from livret.db import Database
from livret.errors import NotFound, PermissionDenied

STAFF_ROLES = ("teacher", "ddfpt")
_STAFF = frozenset(STAFF_ROLES)


@dataclass(frozen=True)
class Ability:
    roles: frozenset[str]
    refusal: str = "Votre profil ne permet pas cette action."


# ability → the roles that have it, and what the others are told. Teachers are further limited to the
# classes they teach (require_class, require_learner_staff), learners to their own bilans.
ABILITIES: dict[str, Ability] = {
    # pages (the menu of app.py)
    "open_dashboard": Ability(_STAFF),
    "open_home": Ability(frozenset({"teacher", "ddfpt", "admin"})),
    "open_bilans": Ability(frozenset({"teacher", "ddfpt", "learner"})),
    "open_grading": Ability(_STAFF),
    "open_entry": Ability(_STAFF),
    "open_class_council": Ability(_STAFF),
    "open_accounts": Ability(frozenset({"admin"})),
    "open_imports": Ability(frozenset({"ddfpt", "admin"})),
    # the school
    "read_school": Ability(frozenset({"teacher", "ddfpt", "admin"})),
    "see_every_class": Ability(frozenset({"ddfpt", "admin"})),
    "work_with_learners": Ability(_STAFF),  # dashboards, drafts, evaluations, grades (their classes)
    # bilans
    "read_validated_bilan": Ability(frozenset({"teacher", "ddfpt", "learner"})),
    "read_unlocked_bilan": Ability(_STAFF),
    "read_bilan_audit": Ability(_STAFF),
    "unlock_bilan": Ability(frozenset({"ddfpt"}), "Seul le DDFPT peut déverrouiller un bilan."),
    "withdraw_bilan": Ability(frozenset({"ddfpt"}), "Seul le DDFPT peut retirer un bilan."),
    "download_class_livrets": Ability(frozenset({"ddfpt"}), "Seul le DDFPT télécharge les livrets d'une classe."),
    # settings
    "set_rounding_step": Ability(frozenset({"ddfpt"})),
    "set_school_identity": Ability(frozenset({"ddfpt"}), "Seul le DDFPT peut renseigner l'établissement."),
    "set_proposition_method": Ability(frozenset({"ddfpt"}),
                                      "Seul le DDFPT peut choisir la méthode de proposition des niveaux."),
    # imports: evaluation results are pedagogical data, the DDFPT's (SPEC A1); the admin sets up
    # classes, learners (and their accounts) and the référentiel.
    "import_learners": Ability(frozenset({"ddfpt", "admin"})),
    "import_referentiel": Ability(frozenset({"ddfpt", "admin"})),
    "import_results": Ability(frozenset({"ddfpt"})),
    # accounts
    "manage_accounts": Ability(frozenset({"admin"})),
}


def can(user: User | None, ability: str) -> bool:
    """Whether the user's role has the ability (an unknown ability is a programming error)."""
    return user is not None and user.role in ABILITIES[ability].roles


def require(user: User | None, ability: str) -> User:
    """The signed-in user, if their role has the ability; a French refusal otherwise."""
    user = require_user(user)
    if not can(user, ability):
        raise PermissionDenied(ABILITIES[ability].refusal)
    return user


def roles_with(ability: str) -> tuple[str, ...]:
    return tuple(sorted(ABILITIES[ability].roles))


@dataclass(frozen=True)
class User:
    id: int
    name: str
    email: str
    role: str
    learner_id: int | None = None
    class_ids: frozenset[int] = field(default_factory=frozenset)


def load_user(db: Database, user_id: int) -> User | None:
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


def can_see_class(user: User, class_id: int) -> bool:
    """Staff see a class when they see every class (the DDFPT) or teach it."""
    if not can(user, "work_with_learners"):
        return False
    return can(user, "see_every_class") or class_id in user.class_ids


def require_class(db: Database, user: User | None, class_id: int) -> int:
    """A staff member's access to a class (teachers: their own classes only)."""
    user = require(user, "work_with_learners")
    exists = db.execute("SELECT 1 FROM classes WHERE id = ?", [class_id]).fetchone()
    if not exists:
        raise NotFound("Cette classe n'existe pas.")
    if not can_see_class(user, class_id):
        raise PermissionDenied("Cette classe n'est pas l'une des vôtres.")
    return class_id


def learner_class(db: Database, learner_id: int) -> int:
    row = db.execute("SELECT class_id FROM learners WHERE id = ?", [learner_id]).fetchone()
    if row is None:
        raise NotFound("Cet apprenant n'existe pas.")
    return row[0]


def require_learner_staff(db: Database, user: User | None, learner_id: int) -> int:
    """Staff access to one learner's data (dashboard, drafts, grades): via the learner's class."""
    user = require(user, "work_with_learners")
    class_id = learner_class(db, learner_id)
    if not can_see_class(user, class_id):
        raise PermissionDenied("Cet apprenant n'est pas dans l'une de vos classes.")
    return class_id


def require_bilan_reader(db: Database, user: User | None, learner_id: int) -> User:
    """Reading validated bilans: staff of the learner's class, or the learner themself."""
    user = require(user, "read_validated_bilan")
    if not can(user, "work_with_learners"):  # a learner: their own bilans only
        learner_class(db, learner_id)
        if user.learner_id != learner_id:
            raise PermissionDenied("Vous ne pouvez consulter que vos propres bilans.")
        return user
    require_learner_staff(db, user, learner_id)
    return user


def bilan_statuses_readable(user: User) -> tuple[str, ...]:
    """The bilan statuses the user may read: a learner sees a bilan only once it is validated (an
    unlocked bilan is being corrected)."""
    return ("validated", "unlocked") if can(user, "read_unlocked_bilan") else ("validated",)
