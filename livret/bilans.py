"""Bilans intermédiaires de compétences (SPEC B1–B4).

A learner has at most one draft bilan, written one positioning at a time from the dashboard. Confirming
it with the word CONFIRMATION turns it, in one transaction, into a validated, dated, locked bilan. Only
the DDFPT unlocks a validated bilan; an unlocked bilan can be edited and is locked again when
re-confirmed. Creation, unlock, edits and re-lock are written to audit_log with before/after."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field

import pandas as pd
import sqlite_utils

from livret import audit, clock
from livret.codes import (
    ACQUISITION_BY_LEVEL,
    BILAN_STATUSES,
    NOT_EVALUATED_LABEL,
    OBJECTIVES,
    positioning_short,
)
from livret.db import transaction
from livret.errors import NotFound, PermissionDenied, ValidationError
from livret.french import date_text, moment_text
from livret.permissions import (
    User,
    bilan_statuses_readable,
    can,
    learner_class,
    require,
    require_bilan_reader,
    require_class,
    require_learner_staff,
    require_user,
)
from livret.render import bilan_document, radar
from livret.school import learner_identity

CONFIRMATION_WORD = "CONFIRMATION"
AUDIT_ENTITY = "bilan"
AUDIT_ACTIONS = {
    "create": "Création du bilan",
    "unlock": "Déverrouillage",
    "edit": "Modification",
    "relock": "Nouvelle confirmation (verrouillage)",
    "withdraw": "Retrait du bilan",
}
FIELD_LABELS = {"status": "Statut", "constats": "Constats", "conseils": "Conseils", "positionings": "Positionnements"}
LOCKED_MESSAGE = "Ce bilan est verrouillé : seul le DDFPT peut le déverrouiller pour le modifier."
NOTHING_POSITIONED_MESSAGE = (
    "Aucune compétence n'est positionnée : choisissez un niveau d'acquisition pour au moins une compétence "
    "(bouton « ? » au bout de sa ligne bleue, sur le tableau de bord) avant de confirmer le bilan."
)
ALREADY_CONFIRMED_MESSAGE = "Ce brouillon vient d'être confirmé ou modifié par ailleurs : rouvrez le bilan."
WITHDRAWAL_REASON_MESSAGE = "Indiquez la raison du retrait du bilan (par exemple : « bilan créé par erreur »)."
# Every reader of bilans leaves out the withdrawn ones (SQL fragment on the alias b).
NOT_WITHDRAWN = "b.withdrawn_at IS NULL"


@dataclass(frozen=True)
class Positioning:
    """One competency's place in a bilan: an acquisition level 1–4 against an objective, or NE."""

    level: int | None = None
    objective: str | None = None

    def __post_init__(self):
        if (self.level is None) != (self.objective is None):
            raise ValidationError("Un positionnement demande à la fois un niveau et un type d'objectifs.")
        if self.level is not None and (self.level not in ACQUISITION_BY_LEVEL or self.objective not in OBJECTIVES):
            raise ValidationError("Ce niveau d'acquisition n'existe pas.")

    @property
    def evaluated(self) -> bool:
        return self.level is not None

    @property
    def short(self) -> str:
        return positioning_short(self.level)

    @property
    def label(self) -> str:
        """« Compétence partiellement acquise — objectifs terminaux », or « Compétence non évaluée »."""
        if self.level is None:
            return NOT_EVALUATED_LABEL
        return f"{ACQUISITION_BY_LEVEL[self.level].label} — {OBJECTIVES[self.objective].lower()}"

    @property
    def text(self) -> str:
        """Short form used in the audit trail: « + (objectifs terminaux) » or « NE »."""
        return self.short if self.level is None else f"{self.short} ({OBJECTIVES[self.objective].lower()})"

    def to_json(self):
        return None if self.level is None else [self.level, self.objective]


NOT_EVALUATED = Positioning()

# The 8 choices of the positioning dialog, strongest first, then NE (SPEC B1).
CHOICES: tuple[Positioning, ...] = tuple(
    Positioning(level, objective) for level in (4, 3, 2, 1) for objective in OBJECTIVES
) + (NOT_EVALUATED,)


@dataclass(frozen=True)
class Draft:
    """A learner's bilan in preparation. bilan_id is None while nothing has been saved yet;
    positionings holds only the competencies already positioned (the others show « ? »)."""

    learner_id: int
    bilan_id: int | None
    positionings: dict[int, Positioning] = field(default_factory=dict)
    constats: str = ""
    conseils: str = ""


def _now() -> str:
    return clock.stamp()


def _format_date(stamp: str) -> str:
    return date_text(stamp)


def _clean_text(value: str | None) -> str:
    return (value or "").replace("\r\n", "\n").strip()


def check_confirmation(word: str | None) -> None:
    """The typed word must be exactly CONFIRMATION (uppercase, nothing around it)."""
    if not word:
        raise ValidationError(f"Saisissez le mot {CONFIRMATION_WORD} pour confirmer le bilan.")
    if word != CONFIRMATION_WORD:
        raise ValidationError(
            f"Bilan non confirmé : saisissez exactement {CONFIRMATION_WORD}, en lettres majuscules, sans espace."
        )


# ---------------------------------------------------------------- référentiel of a learner


def _competencies(db: sqlite_utils.Database, learner_id: int) -> pd.DataFrame:
    return pd.read_sql_query(
        "SELECT c.id AS competency_id, c.code, c.title, c.position, u.code AS unit, u.id AS unit_id, "
        "d.code AS domain, d.title AS domain_title, d.radar_order AS domain_order "
        "FROM learners l JOIN classes cl ON cl.id = l.class_id "
        "JOIN competencies c ON c.diploma = cl.diploma "
        "JOIN units u ON u.id = c.unit_id JOIN domains d ON d.id = c.domain_id "
        "WHERE l.id = ? ORDER BY c.position, c.id",
        db.conn, params=[learner_id],
    )


def learner_competencies(db: sqlite_utils.Database, user: User | None, learner_id: int) -> pd.DataFrame:
    """The competencies of the learner's diploma, in référentiel order, with unit and domain."""
    require_bilan_reader(db, user, learner_id)
    return _competencies(db, learner_id)


def learner_name(db: sqlite_utils.Database, user: User | None, learner_id: int) -> str:
    """« NOM Prénom » of a learner the user may read."""
    require_bilan_reader(db, user, learner_id)
    identity = learner_identity(db, user, learner_id)
    return f"{identity['last_name']} {identity['first_name']}"


# ---------------------------------------------------------------- draft (B1)


def _draft_row(db, learner_id: int):
    return db.execute(
        "SELECT id, constats, conseils FROM bilans WHERE learner_id = ? AND status = 'draft'", [learner_id]
    ).fetchone()


def _ensure_draft(db, user: User, learner_id: int) -> int:
    row = _draft_row(db, learner_id)
    if row is not None:
        return row[0]
    now = _now()
    cursor = db.execute(
        "INSERT INTO bilans(learner_id, status, author_id, created_at, modified_at) VALUES (?, 'draft', ?, ?, ?)",
        [learner_id, user.id, now, now],
    )
    return cursor.lastrowid


def _positionings(db, bilan_id: int) -> dict[int, Positioning]:
    rows = db.execute("SELECT competency_id, level, objective FROM positionings WHERE bilan_id = ?", [bilan_id])
    return {competency_id: Positioning(level, objective) for competency_id, level, objective in rows}


def read_draft(db: sqlite_utils.Database, user: User | None, learner_id: int) -> Draft:
    """The learner's draft bilan (staff only): positionings chosen so far, Constats and Conseils."""
    require_learner_staff(db, user, learner_id)
    row = _draft_row(db, learner_id)
    if row is None:
        return Draft(learner_id, None)
    return Draft(learner_id, row[0], _positionings(db, row[0]), row[1], row[2])


def save_draft_positioning(
    db: sqlite_utils.Database, user: User | None, learner_id: int, competency_id: int, positioning: Positioning
) -> int:
    """Write one positioning of the learner's draft at once (creating the draft if needed).
    Returns the draft's id."""
    require_learner_staff(db, user, learner_id)
    if not isinstance(positioning, Positioning):
        raise ValidationError("Ce niveau d'acquisition n'existe pas.")
    if competency_id not in set(_competencies(db, learner_id)["competency_id"]):
        raise NotFound("Cette compétence n'appartient pas au diplôme de l'apprenant.")
    with transaction(db):
        bilan_id = _ensure_draft(db, user, learner_id)
        db.execute(
            "INSERT INTO positionings(bilan_id, competency_id, level, objective) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(bilan_id, competency_id) DO UPDATE SET level = excluded.level, objective = excluded.objective",
            [bilan_id, competency_id, positioning.level, positioning.objective],
        )
        db.execute("UPDATE bilans SET modified_at = ? WHERE id = ?", [_now(), bilan_id])
    return bilan_id


def save_draft_texts(
    db: sqlite_utils.Database, user: User | None, learner_id: int, *, constats: str | None = None,
    conseils: str | None = None, draft_id: int | None = None,
) -> int | None:
    """Keep Constats / Conseils typed in the bilan dialog in the draft, so closing it loses nothing.
    draft_id is the draft the texts were typed into (None: there was none yet); if it has been
    confirmed meanwhile, nothing is written. Returns the draft's id (None when nothing was typed)."""
    require_learner_staff(db, user, learner_id)
    with transaction(db):
        row = _draft_row(db, learner_id)
        if draft_id is not None and (row is None or row[0] != draft_id):
            raise ValidationError("Ce brouillon vient d'être confirmé par ailleurs : rouvrez le bilan.")
        if row is None and not _clean_text(constats) and not _clean_text(conseils):
            return None  # nothing typed: no empty draft
        bilan_id = _ensure_draft(db, user, learner_id)
        if constats is not None:
            db.execute("UPDATE bilans SET constats = ? WHERE id = ?", [_clean_text(constats), bilan_id])
        if conseils is not None:
            db.execute("UPDATE bilans SET conseils = ? WHERE id = ?", [_clean_text(conseils), bilan_id])
        db.execute("UPDATE bilans SET modified_at = ? WHERE id = ?", [_now(), bilan_id])
    return bilan_id


# ---------------------------------------------------------------- audit


def _snapshot(db, bilan_id: int) -> dict:
    """What a bilan says, as stored in the audit log (competency codes, not ids)."""
    status, constats, conseils = db.execute(
        "SELECT status, constats, conseils FROM bilans WHERE id = ?", [bilan_id]).fetchone()
    rows = db.execute(
        "SELECT c.code, p.level, p.objective FROM positionings p JOIN competencies c ON c.id = p.competency_id "
        "WHERE p.bilan_id = ? ORDER BY c.position", [bilan_id])
    positionings = {code: Positioning(level, objective).to_json() for code, level, objective in rows}
    return {"status": status, "constats": constats, "conseils": conseils, "positionings": positionings}


def _changes(before: dict, after: dict) -> tuple[dict, dict]:
    """Only what differs between two snapshots (positionings compared competency by competency)."""
    old, new = {}, {}
    for key in ("status", "constats", "conseils"):
        if before.get(key) != after.get(key):
            old[key], new[key] = before.get(key), after.get(key)
    old_pos, new_pos = before.get("positionings", {}), after.get("positionings", {})
    changed = [code for code in new_pos if old_pos.get(code) != new_pos.get(code)]
    if changed:
        old["positionings"] = {code: old_pos.get(code) for code in changed}
        new["positionings"] = {code: new_pos.get(code) for code in changed}
    return old, new


def _audit(db, user: User, action: str, bilan_id: int, learner_id: int, before: dict | None, after: dict | None):
    audit.write(db, user, action, AUDIT_ENTITY, bilan_id, learner_id, before, after)


def _describe(values: str | None) -> str:
    """An audit snapshot as a teacher reads it: « Conseils : … ; C1 : + (objectifs terminaux) »."""
    if not values:
        return ""
    data = json.loads(values)
    parts = []
    if "validated_at" in data:
        parts.append(f"Validé le {_format_date(data['validated_at'])}")
    if "reason" in data:
        parts.append(f"Retiré : « {data['reason']} »")
    if "status" in data:
        parts.append(f"{FIELD_LABELS['status']} : {BILAN_STATUSES.get(data['status'], data['status'])}")
    for key in ("constats", "conseils"):
        if key in data:
            parts.append(f"{FIELD_LABELS[key]} : « {data[key]} »" if data[key] else f"{FIELD_LABELS[key]} : (vide)")
    positions = data.get("positionings") or {}
    if positions:
        texts = [f"{code} {Positioning(*(value or (None, None))).text}" for code, value in positions.items()]
        parts.append(f"{FIELD_LABELS['positionings']} : " + ", ".join(texts))
    return " ; ".join(parts)


def audit_trail(db: sqlite_utils.Database, user: User | None, bilan_id: int) -> pd.DataFrame:
    """Every creation, unlock, edit, re-lock and withdrawal of a bilan, oldest first (staff only); a
    withdrawn bilan keeps its trail."""
    row = db.execute("SELECT learner_id FROM bilans WHERE id = ?", [bilan_id]).fetchone()
    if row is None:
        raise NotFound("Ce bilan n'existe pas.")
    learner_id = row[0]
    require_learner_staff(db, user, learner_id)
    frame = pd.read_sql_query(
        "SELECT at, user_name, action, before, after FROM audit_log WHERE entity = ? AND entity_id = ? ORDER BY id",
        db.conn, params=[AUDIT_ENTITY, bilan_id],
    )
    frame["action_label"] = frame["action"].map(AUDIT_ACTIONS).fillna(frame["action"])
    frame["when"] = frame["at"].map(lambda s: moment_text(s, " "))
    frame["before_text"] = frame["before"].map(_describe)
    frame["after_text"] = frame["after"].map(_describe)
    return frame


# ---------------------------------------------------------------- confirm, unlock, edit (B2, B3)


def _bilan_row(db, bilan_id: int):
    """(id, learner_id, status, validated_at) of a bilan that was not withdrawn; a withdrawn bilan no
    longer exists for anyone but the audit trail."""
    row = db.execute("SELECT id, learner_id, status, validated_at FROM bilans b WHERE id = ? AND "
                     f"{NOT_WITHDRAWN}", [bilan_id]).fetchone()
    if row is None:
        raise NotFound("Ce bilan n'existe pas.")
    return row


def _bilan_learner(db, bilan_id: int) -> int:
    return _bilan_row(db, bilan_id)[1]


def _has_acquisition_level(db, bilan_id: int) -> bool:
    return db.execute("SELECT 1 FROM positionings WHERE bilan_id = ? AND level IS NOT NULL LIMIT 1",
                      [bilan_id]).fetchone() is not None


@dataclass(frozen=True)
class ConfirmationReview:
    """What the user is told before typing CONFIRMATION: the draft confirmed, and the competencies
    still « ? » (stored NE) as « C4 - Réaliser une installation », in référentiel order."""

    draft_id: int | None
    unpositioned: tuple[str, ...]
    has_level: bool

    @property
    def problem(self) -> str | None:
        """Why the draft cannot be confirmed, None when it can."""
        return None if self.has_level else NOTHING_POSITIONED_MESSAGE


def confirmation_review(db: sqlite_utils.Database, user: User | None, learner_id: int) -> ConfirmationReview:
    """The draft the user is about to confirm, and what in it is still not positioned."""
    require_learner_staff(db, user, learner_id)
    row = _draft_row(db, learner_id)
    stored = _positionings(db, row[0]) if row else {}
    unpositioned = tuple(f"{c.code} - {c.title}" for c in _competencies(db, learner_id).itertuples()
                         if int(c.competency_id) not in stored)
    return ConfirmationReview(row[0] if row else None, unpositioned, any(p.evaluated for p in stored.values()))


def confirm_bilan(
    db: sqlite_utils.Database, user: User | None, learner_id: int, word: str | None, *, draft_id: int | None,
    constats: str | None = None, conseils: str | None = None,
) -> int:
    """Create the learner's validated bilan from the draft draft_id (SPEC B2), in one transaction: dated
    now, locked, every competency not positioned stored as NE. Returns the bilan's id.

    draft_id names exactly the draft the user reviewed: it must still be a draft of this learner, so a
    draft another session just created is never locked unseen, and a second confirmation of the same
    draft (two clicks, two sessions) is refused. A draft without any acquisition level is refused."""
    require_learner_staff(db, user, learner_id)
    check_confirmation(word)
    if draft_id is None:
        raise ValidationError(NOTHING_POSITIONED_MESSAGE)
    with transaction(db):
        row = db.execute("SELECT learner_id, status FROM bilans b WHERE id = ? AND " + NOT_WITHDRAWN,
                         [draft_id]).fetchone()
        if row is None or row[0] != learner_id:
            raise NotFound("Ce brouillon n'existe pas pour cet apprenant.")
        if row[1] != "draft":
            raise ValidationError(ALREADY_CONFIRMED_MESSAGE)
        if not _has_acquisition_level(db, draft_id):
            raise ValidationError(NOTHING_POSITIONED_MESSAGE)
        db.conn.executemany(
            "INSERT OR IGNORE INTO positionings(bilan_id, competency_id, level, objective) VALUES (?, ?, NULL, NULL)",
            [(draft_id, int(c)) for c in _competencies(db, learner_id)["competency_id"]],
        )
        if constats is not None:
            db.execute("UPDATE bilans SET constats = ? WHERE id = ?", [_clean_text(constats), draft_id])
        if conseils is not None:
            db.execute("UPDATE bilans SET conseils = ? WHERE id = ?", [_clean_text(conseils), draft_id])
        now = _now()
        changed = db.execute(
            "UPDATE bilans SET status = 'validated', validated_at = ?, modified_at = ?, author_id = ? "
            "WHERE id = ? AND learner_id = ? AND status = 'draft'",
            [now, now, user.id, draft_id, learner_id]).rowcount
        if changed != 1:  # cannot happen inside BEGIN IMMEDIATE; kept so a future change cannot lock twice
            raise ValidationError(ALREADY_CONFIRMED_MESSAGE)
        _audit(db, user, "create", draft_id, learner_id, None, _snapshot(db, draft_id))
    return draft_id


def confirmation_notice(db: sqlite_utils.Database, user: User | None, bilan_id: int) -> str:
    """« Bilan de NOM Prénom validé le 03/12/2026 », said once a confirmation succeeded."""
    detail = bilan_detail(db, user, bilan_id)
    return f"Bilan de {detail['learner_name']} validé le {detail['date_label']}"


def unlock_bilan(db: sqlite_utils.Database, user: User | None, bilan_id: int) -> None:
    """Make a validated bilan editable again: the DDFPT only (SPEC B3)."""
    user = require(user, "unlock_bilan")
    _, learner_id, status, _ = _bilan_row(db, bilan_id)
    require_learner_staff(db, user, learner_id)
    if status == "draft":
        raise NotFound("Ce bilan n'existe pas.")
    if status == "unlocked":
        raise ValidationError("Ce bilan est déjà déverrouillé.")
    with transaction(db):
        changed = db.execute(
            "UPDATE bilans SET status = 'unlocked', modified_at = ? WHERE id = ? AND status = 'validated' "
            "AND withdrawn_at IS NULL",
            [_now(), bilan_id]).rowcount
        if changed != 1:
            raise ValidationError("Ce bilan vient d'être modifié par ailleurs : rechargez la page.")
        _audit(db, user, "unlock", bilan_id, learner_id, {"status": "validated"}, {"status": "unlocked"})


def _require_unlocked(db, user: User | None, bilan_id: int) -> int:
    _, learner_id, status, _ = _bilan_row(db, bilan_id)
    require_learner_staff(db, user, learner_id)
    if status == "draft":
        raise NotFound("Ce bilan n'existe pas.")
    if status != "unlocked":
        raise PermissionDenied(LOCKED_MESSAGE)
    return learner_id


def edit_unlocked_bilan(
    db: sqlite_utils.Database, user: User | None, bilan_id: int, *,
    positionings: dict[int, Positioning] | None = None, constats: str | None = None, conseils: str | None = None,
) -> bool:
    """Change the positionings, Constats or Conseils of an unlocked bilan. A locked bilan is refused.
    Returns whether anything changed (an edit that changes nothing leaves no audit entry)."""
    learner_id = _require_unlocked(db, user, bilan_id)
    known = set(int(c) for c in _competencies(db, learner_id)["competency_id"])
    for competency_id, positioning in (positionings or {}).items():
        if competency_id not in known:
            raise NotFound("Cette compétence n'appartient pas au diplôme de l'apprenant.")
        if not isinstance(positioning, Positioning):
            raise ValidationError("Ce niveau d'acquisition n'existe pas.")
    with transaction(db):
        status = db.execute(f"SELECT status FROM bilans b WHERE id = ? AND {NOT_WITHDRAWN}", [bilan_id]).fetchone()
        if status is None:
            raise NotFound("Ce bilan n'existe pas.")
        if status[0] != "unlocked":
            raise PermissionDenied(LOCKED_MESSAGE)
        before = _snapshot(db, bilan_id)
        for competency_id, positioning in (positionings or {}).items():
            db.execute(
                "INSERT INTO positionings(bilan_id, competency_id, level, objective) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(bilan_id, competency_id) DO UPDATE SET level = excluded.level, "
                "objective = excluded.objective",
                [bilan_id, competency_id, positioning.level, positioning.objective],
            )
        if constats is not None:
            db.execute("UPDATE bilans SET constats = ? WHERE id = ?", [_clean_text(constats), bilan_id])
        if conseils is not None:
            db.execute("UPDATE bilans SET conseils = ? WHERE id = ?", [_clean_text(conseils), bilan_id])
        old, new = _changes(before, _snapshot(db, bilan_id))
        if not new:
            return False
        db.execute("UPDATE bilans SET modified_at = ? WHERE id = ?", [_now(), bilan_id])
        _audit(db, user, "edit", bilan_id, learner_id, old, new)
    return True


def reconfirm_bilan(
    db: sqlite_utils.Database, user: User | None, bilan_id: int, word: str | None, *,
    positionings: dict[int, Positioning] | None = None, constats: str | None = None, conseils: str | None = None,
) -> None:
    """Save the last edits of an unlocked bilan and lock it again, keeping its validation date. A bilan
    left without any acquisition level is refused, as at its first confirmation."""
    learner_id = _require_unlocked(db, user, bilan_id)
    check_confirmation(word)
    with transaction(db):
        edit_unlocked_bilan(db, user, bilan_id, positionings=positionings, constats=constats, conseils=conseils)
        if not _has_acquisition_level(db, bilan_id):
            raise ValidationError(NOTHING_POSITIONED_MESSAGE)
        db.execute("UPDATE bilans SET status = 'validated', modified_at = ? WHERE id = ?", [_now(), bilan_id])
        _audit(db, user, "relock", bilan_id, learner_id, {"status": "unlocked"}, {"status": "validated"})


def save_unlocked_positioning(
    db: sqlite_utils.Database, user: User | None, bilan_id: int, competency_id: int, positioning: Positioning
) -> bool:
    """One choice of the positioning dialog written at once into an unlocked bilan (audited as an edit)."""
    return edit_unlocked_bilan(db, user, bilan_id, positionings={competency_id: positioning})


def unlocked_bilan(db: sqlite_utils.Database, user: User | None, learner_id: int) -> dict | None:
    """The learner's unlocked bilan being corrected (the newest, should the DDFPT have unlocked two):
    {"id", "validated_at", "date_label"}, or None. Staff only."""
    require_learner_staff(db, user, learner_id)
    row = db.execute(
        f"SELECT id, validated_at FROM bilans b WHERE learner_id = ? AND status = 'unlocked' AND {NOT_WITHDRAWN} "
        "ORDER BY validated_at DESC, id DESC LIMIT 1", [learner_id]).fetchone()
    if row is None:
        return None
    return {"id": row[0], "validated_at": row[1], "date_label": _format_date(row[1])}


def withdraw_bilan(db: sqlite_utils.Database, user: User | None, bilan_id: int, reason: str | None) -> None:
    """« Retirer » a bilan validated by mistake (DDFPT only), with the reason: it disappears from every
    view, grades included, but is never deleted; the audit trail keeps its whole content."""
    user = require(user, "withdraw_bilan")
    _, learner_id, status, validated_at = _bilan_row(db, bilan_id)
    require_learner_staff(db, user, learner_id)
    if status == "draft":
        raise NotFound("Ce bilan n'existe pas.")
    reason_text = _clean_text(reason)
    if not reason_text:
        raise ValidationError(WITHDRAWAL_REASON_MESSAGE)
    with transaction(db):
        before = {**_snapshot(db, bilan_id), "validated_at": validated_at}
        now = _now()
        changed = db.execute(
            "UPDATE bilans SET withdrawn_at = ?, withdrawn_by = ?, withdrawal_reason = ?, modified_at = ? "
            "WHERE id = ? AND status <> 'draft' AND withdrawn_at IS NULL",
            [now, user.id, reason_text, now, bilan_id]).rowcount
        if changed != 1:
            raise ValidationError("Ce bilan vient d'être retiré par ailleurs : rechargez la page.")
        _audit(db, user, "withdraw", bilan_id, learner_id, before, {"withdrawn_at": now, "reason": reason_text})


def withdrawn_bilans(db: sqlite_utils.Database, user: User | None, learner_id: int) -> pd.DataFrame:
    """The learner's withdrawn bilans, newest withdrawal first, with who withdrew them and why (staff only)."""
    require_learner_staff(db, user, learner_id)
    frame = pd.read_sql_query(
        "SELECT b.id, b.validated_at, b.withdrawn_at, b.withdrawal_reason AS reason, "
        "coalesce(u.name, '') AS withdrawn_by FROM bilans b LEFT JOIN users u ON u.id = b.withdrawn_by "
        "WHERE b.learner_id = ? AND b.withdrawn_at IS NOT NULL ORDER BY b.withdrawn_at DESC, b.id DESC",
        db.conn, params=[learner_id],
    )
    frame["date_label"] = frame["validated_at"].map(_format_date)
    frame["withdrawn_label"] = frame["withdrawn_at"].map(lambda s: moment_text(s, " "))
    return frame


# ---------------------------------------------------------------- reading bilans (B2, B4)


def _visible_statuses(user: User) -> tuple[str, ...]:
    return bilan_statuses_readable(user)


def learner_bilans(db: sqlite_utils.Database, user: User | None, learner_id: int) -> pd.DataFrame:
    """The learner's bilans the user may read, newest first (no drafts)."""
    user = require_bilan_reader(db, user, learner_id)
    statuses = _visible_statuses(user)
    marks = ",".join("?" * len(statuses))
    frame = pd.read_sql_query(
        "SELECT b.id, b.status, b.validated_at, b.modified_at, b.constats, b.conseils, "
        "coalesce(u.name, '') AS author_name FROM bilans b LEFT JOIN users u ON u.id = b.author_id "
        f"WHERE b.learner_id = ? AND b.status IN ({marks}) AND {NOT_WITHDRAWN} "
        "ORDER BY b.validated_at DESC, b.id DESC",
        db.conn, params=[learner_id, *statuses],
    )
    frame["status_label"] = frame["status"].map(BILAN_STATUSES)
    frame["label"] = _column_labels(frame["validated_at"].tolist())
    return frame


def latest_validated_bilan(db: sqlite_utils.Database, user: User | None, learner_id: int) -> dict | None:
    """The learner's most recent bilan (validated, or unlocked for staff), or None."""
    frame = learner_bilans(db, user, learner_id)
    if frame.empty:
        return None
    row = frame.iloc[0]
    return {"id": int(row["id"]), "status": row["status"], "validated_at": row["validated_at"],
            "constats": row["constats"], "conseils": row["conseils"]}


def class_bilans(db: sqlite_utils.Database, user: User | None, class_id: int) -> pd.DataFrame:
    """Per learner of the class: number of bilans, date of the latest, whether one is unlocked or drafted."""
    require_class(db, user, class_id)
    frame = pd.read_sql_query(
        "SELECT l.id AS learner_id, l.last_name || ' ' || l.first_name AS full_name, "
        "sum(b.status IN ('validated', 'unlocked')) AS bilans, max(b.validated_at) AS latest, "
        "sum(b.status = 'unlocked') AS unlocked, sum(b.status = 'draft') AS drafts "
        f"FROM learners l LEFT JOIN bilans b ON b.learner_id = l.id AND {NOT_WITHDRAWN} WHERE l.class_id = ? "
        "GROUP BY l.id ORDER BY l.last_name COLLATE NOCASE, l.first_name COLLATE NOCASE, l.id",
        db.conn, params=[class_id],
    )
    for column in ("bilans", "unlocked", "drafts"):
        frame[column] = frame[column].fillna(0).astype(int)
    frame["latest_label"] = frame["latest"].map(lambda s: _format_date(s) if isinstance(s, str) else "")
    return frame


def bilan_detail(db: sqlite_utils.Database, user: User | None, bilan_id: int) -> dict:
    """One bilan as the user may read it: status, date, Constats, Conseils, learner and author."""
    user = require_user(user)
    _, learner_id, status, _ = _bilan_row(db, bilan_id)
    require_bilan_reader(db, user, learner_id)
    if status not in _visible_statuses(user):
        raise NotFound("Ce bilan n'existe pas.")
    row = db.execute(
        "SELECT b.id, b.learner_id, b.status, b.validated_at, b.modified_at, b.constats, b.conseils, "
        "coalesce(u.name, '') FROM bilans b LEFT JOIN users u ON u.id = b.author_id WHERE b.id = ?", [bilan_id],
    ).fetchone()
    keys = ("id", "learner_id", "status", "validated_at", "modified_at", "constats", "conseils", "author_name")
    detail = dict(zip(keys, row))
    identity = learner_identity(db, user, learner_id)
    detail.update(
        status_label=BILAN_STATUSES[detail["status"]], date_label=_format_date(detail["validated_at"]),
        learner_name=f"{identity['last_name']} {identity['first_name']}", class_name=identity["class_name"],
        diploma=identity["diploma"], version=identity["version"],
    )
    return detail


def bilan_positionings(db: sqlite_utils.Database, user: User | None, bilan_id: int) -> dict[int, Positioning]:
    """{competency_id: positioning} of a bilan the user may read."""
    bilan_detail(db, user, bilan_id)
    return _positionings(db, bilan_id)


def learner_class_id(db: sqlite_utils.Database, user: User | None, learner_id: int) -> int:
    """The class of a learner the user may read."""
    require_bilan_reader(db, user, learner_id)
    return learner_class(db, learner_id)


def document_file_name(detail: dict) -> str:
    """« bilan_EGREVE_Jean-Rene_2025-12-12.html »: ASCII only, so every browser and OS keeps it."""
    plain = unicodedata.normalize("NFKD", detail["learner_name"]).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9-]+", "_", plain).strip("_") or "apprenant"
    return f"bilan_{slug}_{detail['validated_at'][:10]}.html"


def _column_labels(stamps: list[str]) -> list[str]:
    """dd/mm/yyyy per bilan; the time is added when two bilans share a day, and a number when even
    the second is shared, so every column of a table has its own label."""
    days = [_format_date(s) for s in stamps]
    labels = [f"{day} {stamp[11:16]}" if days.count(day) > 1 else day for day, stamp in zip(days, stamps)]
    labels = [f"{day} {stamp[11:19]}" if labels.count(label) > 1 else label
              for label, day, stamp in zip(labels, days, stamps)]
    seen: dict[str, int] = {}
    unique = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        unique.append(label if labels.count(label) == 1 else f"{label} ({seen[label]})")
    return unique


def bilan_history(
    db: sqlite_utils.Database, user: User | None, learner_id: int, *, upto_bilan_id: int | None = None,
    include_draft: bool = False,
) -> pd.DataFrame:
    """Positionings of the learner's bilans in long form, one row per (bilan, competency), newest bilan
    first: the draft (when asked, staff only, labelled with today's date « (à valider) »), then the
    validated bilans — only up to upto_bilan_id when given. A competency without a positioning is NE."""
    user = require_bilan_reader(db, user, learner_id)
    if include_draft:
        require_learner_staff(db, user, learner_id)
    bilans = learner_bilans(db, user, learner_id)
    if upto_bilan_id is not None:
        if upto_bilan_id not in set(bilans["id"]):
            raise NotFound("Ce bilan n'existe pas.")
        index = bilans.index[bilans["id"] == upto_bilan_id][0]
        bilans = bilans.loc[index:]
    columns = [(int(r.id), r.label, r.status, r.validated_at) for r in bilans.itertuples()]
    if include_draft:
        row = _draft_row(db, learner_id)
        today = clock.today().strftime("%d/%m/%Y")
        columns.insert(0, (row[0] if row else None, f"{today} (à valider)", "draft", None))
    competencies = _competencies(db, learner_id)
    records = []
    for order, (bilan_id, label, status, validated_at) in enumerate(columns):
        stored = _positionings(db, bilan_id) if bilan_id is not None else {}
        for comp in competencies.itertuples():
            positioning = stored.get(int(comp.competency_id), NOT_EVALUATED)
            records.append({
                "bilan_id": bilan_id, "column": label, "column_order": order, "status": status,
                "validated_at": validated_at, "competency_id": int(comp.competency_id), "code": comp.code,
                "title": comp.title, "position": comp.position, "unit": comp.unit, "domain": comp.domain,
                "domain_title": comp.domain_title, "domain_order": comp.domain_order,
                "level": positioning.level, "objective": positioning.objective, "short": positioning.short,
            })
    columns_out = ["bilan_id", "column", "column_order", "status", "validated_at", "competency_id", "code", "title",
                   "position", "unit", "domain", "domain_title", "domain_order", "level", "objective", "short"]
    frame = pd.DataFrame.from_records(records, columns=columns_out)
    frame["level"] = frame["level"].astype("Int64")
    return frame


# ---------------------------------------------------------------- pure views of a history


def history_table(history: pd.DataFrame) -> pd.DataFrame:
    """One row per competency (référentiel order), one column per bilan (newest first), short codes."""
    if history.empty:
        return pd.DataFrame()
    order = history.drop_duplicates("column").sort_values("column_order")["column"].tolist()
    table = history.pivot_table(index=["position", "code"], columns="column", values="short", aggfunc="first")
    table = table.reset_index(level="position", drop=True)[order]
    table.index.name = "Compétence"
    table.columns.name = None
    return table


def unit_view(history: pd.DataFrame, column: str | None = None) -> dict[str, list[tuple[str, str, Positioning]]]:
    """One bilan's positionings grouped by unit (U2 | U31 | U32): {unit: [(code, title, positioning)]}.
    column defaults to the newest bilan of the history."""
    if history.empty:
        return {}
    if column is None:
        column = history.sort_values("column_order")["column"].iloc[0]
    rows = history[history["column"] == column].sort_values("position")
    units: dict[str, list[tuple[str, str, Positioning]]] = {}
    for row in rows.itertuples():
        level = None if pd.isna(row.level) else int(row.level)
        units.setdefault(row.unit, []).append((row.code, row.title, Positioning(level, row.objective)))
    return units


# ---------------------------------------------------------------- the downloadable document (B4)


def bilan_document_html(db: sqlite_utils.Database, user: User | None, bilan_id: int) -> str:
    """The bilan as one standalone HTML file (prints cleanly, opens without the app)."""
    detail = bilan_detail(db, user, bilan_id)
    history = bilan_history(db, user, detail["learner_id"], upto_bilan_id=bilan_id)
    audit = audit_trail(db, user, bilan_id) if can(user, "read_bilan_audit") else None
    return bilan_document.render_document(
        detail=detail, history=history, units=unit_view(history),
        radar_svg=_radar_svg(db, detail["learner_id"], history), audit=audit,
    )


def radar_axes_of(db: sqlite_utils.Database, user: User | None, learner_id: int) -> pd.DataFrame:
    """The radar's axes for the learner's diploma (one per competency, grouped by domain)."""
    return radar.radar_axes(learner_competencies(db, user, learner_id))


def _radar_svg(db, learner_id: int, history: pd.DataFrame) -> str:
    axes = radar.radar_axes(_competencies(db, learner_id))
    return radar.radar_svg(axes, radar.radar_data(axes, history))


