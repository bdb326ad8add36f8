"""The life of a bilan (SPEC B1–B3), every write: the draft written one positioning at a time, its
Constats and Conseils, the confirmation with the word CONFIRMATION (one transaction: validated, dated,
locked), the DDFPT's unlock, the edits of an unlocked bilan, its re-lock, and the withdrawal of a bilan
validated by mistake. Creation, unlock, edits, re-lock and withdrawal are written to audit_log with
before/after."""

from __future__ import annotations

from dataclasses import dataclass, field

from livret import audit, clock, evidence, school
from livret.bilans import stored
from livret.bilans.positioning import Positioning
from livret.bilans.stored import AUDIT_ENTITY, NOT_WITHDRAWN
from livret.db import Database, transaction
from livret.errors import NotFound, PermissionDenied, ValidationError
from livret.permissions import User, require, require_learner_staff
from livret.proposition import usual_objective
from livret.render.positioning_dialog import choice_label

CONFIRMATION_WORD = "CONFIRMATION"
LOCKED_MESSAGE = "Ce bilan est verrouillé : seul le DDFPT peut le déverrouiller pour le modifier."
NOTHING_POSITIONED_MESSAGE = (
    "Aucune compétence n'est positionnée : choisissez un niveau d'acquisition pour au moins une compétence "
    "(bouton « ? » au bout de sa ligne bleue, sur le tableau de bord) avant de confirmer le bilan."
)
ALREADY_CONFIRMED_MESSAGE = "Ce brouillon vient d'être confirmé ou modifié par ailleurs : rouvrez le bilan."
WITHDRAWAL_REASON_MESSAGE = "Indiquez la raison du retrait du bilan (par exemple : « bilan créé par erreur »)."
UNKNOWN_COMPETENCY_MESSAGE = "Cette compétence n'appartient pas au diplôme de l'apprenant."
UNKNOWN_LEVEL_MESSAGE = "Ce niveau d'acquisition n'existe pas."
_UPSERT_POSITIONING = (
    "INSERT INTO positionings(bilan_id, competency_id, level, objective, proposed_level) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT(bilan_id, competency_id) DO UPDATE SET level = excluded.level, objective = excluded.objective, "
    "proposed_level = excluded.proposed_level"
)


@dataclass(frozen=True)
class Draft:
    """A learner's bilan in preparation. bilan_id is None while nothing has been saved yet;
    positionings holds only the competencies already positioned (the others show « ? »)."""

    learner_id: int
    bilan_id: int | None
    positionings: dict[int, Positioning] = field(default_factory=dict)
    constats: str = ""
    conseils: str = ""


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


def _now() -> str:
    return clock.stamp()


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


def _write_texts(db, bilan_id: int, constats: str | None, conseils: str | None) -> None:
    """Constats and Conseils, each only when given (None leaves the stored text)."""
    if constats is not None:
        db.execute("UPDATE bilans SET constats = ? WHERE id = ?", [_clean_text(constats), bilan_id])
    if conseils is not None:
        db.execute("UPDATE bilans SET conseils = ? WHERE id = ?", [_clean_text(conseils), bilan_id])


def _touch(db, bilan_id: int) -> None:
    db.execute("UPDATE bilans SET modified_at = ? WHERE id = ?", [_now(), bilan_id])


# ---------------------------------------------------------------- audit


def _snapshot(db, bilan_id: int) -> dict:
    """What a bilan says, as stored in the audit log (competency codes, not ids)."""
    status, constats, conseils = db.execute(
        "SELECT status, constats, conseils FROM bilans WHERE id = ?", [bilan_id]).fetchone()
    rows = db.execute(
        "SELECT c.code, p.level, p.objective, p.proposed_level FROM positionings p "
        "JOIN competencies c ON c.id = p.competency_id WHERE p.bilan_id = ? ORDER BY c.position", [bilan_id]).fetchall()
    saved = {code: Positioning(level, objective).to_json() for code, level, objective, _ in rows}
    proposed = {code: proposal for code, _, _, proposal in rows if proposal is not None}
    return {"status": status, "constats": constats, "conseils": conseils, "positionings": saved, "proposed": proposed}


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
        for side, snapshot in ((old, before), (new, after)):
            proposed = {code: snapshot.get("proposed", {})[code] for code in changed
                        if code in snapshot.get("proposed", {})}
            if proposed:
                side["proposed"] = proposed
    return old, new


def _audit(db, user: User, action: str, bilan_id: int, learner_id: int, before: dict | None, after: dict | None):
    audit.write(db, user, action, AUDIT_ENTITY, bilan_id, learner_id, before, after)


# ---------------------------------------------------------------- draft (B1)


def _ensure_draft(db, user: User, learner_id: int) -> int:
    row = stored.draft_row(db, learner_id)
    if row is not None:
        return row[0]
    now = _now()
    bilan_id = db.insert(
        "INSERT INTO bilans(learner_id, status, author_id, created_at, modified_at) VALUES (?, 'draft', ?, ?, ?)",
        [learner_id, user.id, now, now],
    )
    return bilan_id


def read_draft(db: Database, user: User | None, learner_id: int) -> Draft:
    """The learner's draft bilan (staff only): positionings chosen so far, Constats and Conseils."""
    require_learner_staff(db, user, learner_id)
    row = stored.draft_row(db, learner_id)
    if row is None:
        return Draft(learner_id, None)
    return Draft(learner_id, row[0], stored.positionings(db, row[0]), row[1], row[2])


def _proposed_levels(db, learner_id: int, competency_id: int | None = None) -> dict[int, int | None]:
    """The level proposed now for the learner's competencies (or one), recorded beside each positioning
    so that the audit trail shows where the teacher departed from it."""
    propositions = evidence.read_propositions(db, learner_id, school.proposition_method(db), competency_id)
    return {competency: proposition.level for competency, proposition in propositions.items()}


def save_draft_positioning(
    db: Database, user: User | None, learner_id: int, competency_id: int, positioning: Positioning
) -> int:
    """Write one positioning of the learner's draft at once (creating the draft if needed).
    Returns the draft's id."""
    require_learner_staff(db, user, learner_id)
    if not isinstance(positioning, Positioning):
        raise ValidationError(UNKNOWN_LEVEL_MESSAGE)
    if competency_id not in set(stored.competencies(db, learner_id)["competency_id"]):
        raise NotFound(UNKNOWN_COMPETENCY_MESSAGE)
    with transaction(db):
        bilan_id = _ensure_draft(db, user, learner_id)
        db.execute(_UPSERT_POSITIONING, [bilan_id, competency_id, positioning.level, positioning.objective,
                                         _proposed_levels(db, learner_id, competency_id).get(competency_id)])
        _touch(db, bilan_id)
    return bilan_id


def save_draft_texts(
    db: Database, user: User | None, learner_id: int, *, constats: str | None = None,
    conseils: str | None = None, draft_id: int | None = None,
) -> int | None:
    """Keep Constats / Conseils typed in the bilan dialog in the draft, so closing it loses nothing.
    draft_id is the draft the texts were typed into (None: there was none yet); if it has been
    confirmed meanwhile, nothing is written. Returns the draft's id (None when nothing was typed)."""
    require_learner_staff(db, user, learner_id)
    with transaction(db):
        row = stored.draft_row(db, learner_id)
        if draft_id is not None and (row is None or row[0] != draft_id):
            raise ValidationError("Ce brouillon vient d'être confirmé par ailleurs : rouvrez le bilan.")
        if row is None and not _clean_text(constats) and not _clean_text(conseils):
            return None  # nothing typed: no empty draft
        bilan_id = _ensure_draft(db, user, learner_id)
        _write_texts(db, bilan_id, constats, conseils)
        _touch(db, bilan_id)
    return bilan_id


# ---------------------------------------------------------------- starting a draft from earlier work


@dataclass(frozen=True)
class FillReport:
    """What « Reprendre les positionnements du dernier bilan » or « Appliquer les propositions » did:
    the competencies filled (« C1 : + · terminal ») and those left « ? », with the reason."""

    filled: tuple[str, ...]
    left: tuple[str, ...]

    @property
    def text(self) -> str:
        if not self.filled and not self.left:
            return "Toutes les compétences sont déjà positionnées : rien n'a été changé."
        parts = []
        if self.filled:
            parts.append(f"{len(self.filled)} compétence(s) positionnée(s) : {', '.join(self.filled)}.")
        else:
            parts.append("Aucune compétence n'a été positionnée.")
        if self.left:
            parts.append(f"Laissée(s) « ? » : {', '.join(self.left)}.")
        return " ".join(parts)


def _latest_validated(db, learner_id: int) -> dict[int, tuple[int | None, str | None]]:
    """The positionings (level, objective) of the learner's latest validated bilan, by competency id."""
    row = db.execute(f"SELECT id FROM bilans b WHERE learner_id = ? AND status = 'validated' AND {NOT_WITHDRAWN} "
                     "ORDER BY validated_at DESC, id DESC LIMIT 1", [learner_id]).fetchone()
    if row is None:
        return {}
    return {c: (level, objective) for c, level, objective in db.execute(
        "SELECT competency_id, level, objective FROM positionings WHERE bilan_id = ?", [row[0]])}


def _fill_draft(db, user: User, learner_id: int, choose) -> FillReport:
    """Write choose(competency_id, proposed_level) → (Positioning | None, reason) into every competency of
    the draft that is still « ? », in one transaction."""
    with transaction(db):
        row = stored.draft_row(db, learner_id)
        saved = stored.positionings(db, row[0]) if row else {}
        proposed = _proposed_levels(db, learner_id)
        filled, left, writes = [], [], []
        for competency in stored.competencies(db, learner_id).itertuples():
            competency_id = int(competency.competency_id)
            if competency_id in saved:
                continue
            positioning, reason = choose(competency_id, proposed.get(competency_id))
            if positioning is None:
                left.append(f"{competency.code} ({reason})")
                continue
            filled.append(f"{competency.code} : {choice_label(positioning.level, positioning.objective)}")
            writes.append((competency_id, positioning))
        if writes:
            bilan_id = _ensure_draft(db, user, learner_id)
            for competency_id, positioning in writes:
                db.execute(_UPSERT_POSITIONING, [bilan_id, competency_id, positioning.level, positioning.objective,
                                                 proposed.get(competency_id)])
            _touch(db, bilan_id)
    return FillReport(tuple(filled), tuple(left))


def fill_from_latest_bilan(db: Database, user: User | None, learner_id: int) -> FillReport:
    """« Reprendre les positionnements du dernier bilan »: every competency of the draft still « ? » takes
    its positioning in the learner's latest validated bilan; one left NE there stays « ? ». Nothing
    already positioned changes, and nothing is confirmed."""
    require_learner_staff(db, user, learner_id)
    latest = _latest_validated(db, learner_id)
    if not latest:
        raise ValidationError("Cet apprenant n'a pas encore de bilan validé : il n'y a rien à reprendre.")

    def choose(competency_id: int, _proposed: int | None):
        level, objective = latest.get(competency_id, (None, None))
        if level is None:
            return None, "non évaluée au dernier bilan"
        return Positioning(level, objective), None

    return _fill_draft(db, user, learner_id, choose)


def apply_propositions(db: Database, user: User | None, learner_id: int) -> FillReport:
    """« Appliquer les propositions »: every competency of the draft still « ? » takes its proposed level,
    against the objective given by usual_objective(); one without a proposition stays « ? ». Nothing
    already positioned changes, and nothing is confirmed."""
    require_learner_staff(db, user, learner_id)
    latest = _latest_validated(db, learner_id)

    def choose(competency_id: int, proposed: int | None):
        if proposed is None:
            return None, "pas assez d'éléments"
        return Positioning(proposed, usual_objective(latest, competency_id)), None

    return _fill_draft(db, user, learner_id, choose)


# ---------------------------------------------------------------- confirmation (B2)


def _has_acquisition_level(db, bilan_id: int) -> bool:
    return db.execute("SELECT 1 FROM positionings WHERE bilan_id = ? AND level IS NOT NULL LIMIT 1",
                      [bilan_id]).fetchone() is not None


def confirmation_review(db: Database, user: User | None, learner_id: int) -> ConfirmationReview:
    """The draft the user is about to confirm, and what in it is still not positioned."""
    require_learner_staff(db, user, learner_id)
    row = stored.draft_row(db, learner_id)
    saved = stored.positionings(db, row[0]) if row else {}
    unpositioned = tuple(f"{c.code} - {c.title}" for c in stored.competencies(db, learner_id).itertuples()
                         if int(c.competency_id) not in saved)
    return ConfirmationReview(row[0] if row else None, unpositioned, any(p.evaluated for p in saved.values()))


def _check_confirmable_draft(db, learner_id: int, draft_id: int) -> None:
    """Inside the confirmation's transaction: draft_id is still a draft of this learner, with a level."""
    row = db.execute("SELECT learner_id, status FROM bilans b WHERE id = ? AND " + NOT_WITHDRAWN,
                     [draft_id]).fetchone()
    if row is None or row[0] != learner_id:
        raise NotFound("Ce brouillon n'existe pas pour cet apprenant.")
    if row[1] != "draft":
        raise ValidationError(ALREADY_CONFIRMED_MESSAGE)
    if not _has_acquisition_level(db, draft_id):
        raise ValidationError(NOTHING_POSITIONED_MESSAGE)


def confirm_bilan(
    db: Database, user: User | None, learner_id: int, word: str | None, *, draft_id: int | None,
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
        _check_confirmable_draft(db, learner_id, draft_id)
        db.executemany(
            "INSERT INTO positionings(bilan_id, competency_id, level, objective) VALUES (?, ?, NULL, NULL) "
            "ON CONFLICT DO NOTHING",
            [(draft_id, int(c)) for c in stored.competencies(db, learner_id)["competency_id"]],
        )
        _write_texts(db, draft_id, constats, conseils)
        now = _now()
        changed = db.execute(
            "UPDATE bilans SET status = 'validated', validated_at = ?, modified_at = ?, author_id = ? "
            "WHERE id = ? AND learner_id = ? AND status = 'draft'",
            [now, now, user.id, draft_id, learner_id]).rowcount
        if changed != 1:  # cannot happen inside BEGIN IMMEDIATE; kept so a future change cannot lock twice
            raise ValidationError(ALREADY_CONFIRMED_MESSAGE)
        _audit(db, user, "create", draft_id, learner_id, None, _snapshot(db, draft_id))
    return draft_id


# ---------------------------------------------------------------- unlock, edit, re-lock (B3)


def unlock_bilan(db: Database, user: User | None, bilan_id: int) -> None:
    """Make a validated bilan editable again: the DDFPT only (SPEC B3)."""
    user = require(user, "unlock_bilan")
    _, learner_id, status, _ = stored.bilan_state(db, bilan_id)
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
    _, learner_id, status, _ = stored.bilan_state(db, bilan_id)
    require_learner_staff(db, user, learner_id)
    if status == "draft":
        raise NotFound("Ce bilan n'existe pas.")
    if status != "unlocked":
        raise PermissionDenied(LOCKED_MESSAGE)
    return learner_id


def _check_positionings(db, learner_id: int, changes: dict[int, Positioning]) -> None:
    known = set(int(c) for c in stored.competencies(db, learner_id)["competency_id"])
    for competency_id, positioning in changes.items():
        if competency_id not in known:
            raise NotFound(UNKNOWN_COMPETENCY_MESSAGE)
        if not isinstance(positioning, Positioning):
            raise ValidationError(UNKNOWN_LEVEL_MESSAGE)


def _check_still_unlocked(db, bilan_id: int) -> None:
    """Inside the edit's transaction: another session may have re-locked or withdrawn it meanwhile."""
    status = db.execute(f"SELECT status FROM bilans b WHERE id = ? AND {NOT_WITHDRAWN}", [bilan_id]).fetchone()
    if status is None:
        raise NotFound("Ce bilan n'existe pas.")
    if status[0] != "unlocked":
        raise PermissionDenied(LOCKED_MESSAGE)


def edit_unlocked_bilan(
    db: Database, user: User | None, bilan_id: int, *,
    positionings: dict[int, Positioning] | None = None, constats: str | None = None, conseils: str | None = None,
) -> bool:
    """Change the positionings, Constats or Conseils of an unlocked bilan. A locked bilan is refused.
    Returns whether anything changed (an edit that changes nothing leaves no audit entry)."""
    learner_id = _require_unlocked(db, user, bilan_id)
    _check_positionings(db, learner_id, positionings or {})
    with transaction(db):
        _check_still_unlocked(db, bilan_id)
        before = _snapshot(db, bilan_id)
        proposed = _proposed_levels(db, learner_id) if positionings else {}
        for competency_id, positioning in (positionings or {}).items():
            db.execute(_UPSERT_POSITIONING, [bilan_id, competency_id, positioning.level, positioning.objective,
                                             proposed.get(competency_id)])
        _write_texts(db, bilan_id, constats, conseils)
        old, new = _changes(before, _snapshot(db, bilan_id))
        if not new:
            return False
        _touch(db, bilan_id)
        _audit(db, user, "edit", bilan_id, learner_id, old, new)
    return True


def reconfirm_bilan(
    db: Database, user: User | None, bilan_id: int, word: str | None, *,
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
    db: Database, user: User | None, bilan_id: int, competency_id: int, positioning: Positioning
) -> bool:
    """One choice of the positioning dialog written at once into an unlocked bilan (audited as an edit)."""
    return edit_unlocked_bilan(db, user, bilan_id, positionings={competency_id: positioning})


def position_competency(db: Database, user: User | None, learner_id: int, code: str,
                        level: int | None, objective: str | None, bilan_id: int | None = None) -> int:
    """A choice of the dashboard's positioning dialog, as it arrives from the browser: a competency code,
    a level 1–4 and an objective (or neither, for NE), and the bilan the page was editing — bilan_id for
    an unlocked bilan (SPEC B3), refused if it has been locked again meanwhile; None for the draft.
    Returns the id of the bilan written."""
    require_learner_staff(db, user, learner_id)
    if not isinstance(level, (int, type(None))) or isinstance(level, bool):
        raise ValidationError(UNKNOWN_LEVEL_MESSAGE)
    positioning = Positioning(level, objective or None)
    found = stored.competencies(db, learner_id)
    match = found[found["code"] == str(code)]
    if match.empty:
        raise NotFound(UNKNOWN_COMPETENCY_MESSAGE)
    competency_id = int(match.iloc[0]["competency_id"])
    if bilan_id is not None:
        if stored.bilan_state(db, bilan_id).learner_id != learner_id:
            raise NotFound("Ce bilan n'existe pas pour cet apprenant.")
        save_unlocked_positioning(db, user, bilan_id, competency_id, positioning)
        return bilan_id
    return save_draft_positioning(db, user, learner_id, competency_id, positioning)


# ---------------------------------------------------------------- withdrawal


def withdraw_bilan(db: Database, user: User | None, bilan_id: int, reason: str | None) -> None:
    """« Retirer » a bilan validated by mistake (DDFPT only), with the reason: it disappears from every
    view, grades included, but is never deleted; the audit trail keeps its whole content."""
    user = require(user, "withdraw_bilan")
    _, learner_id, status, validated_at = stored.bilan_state(db, bilan_id)
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
