"""Reading bilans (SPEC B2, B4): a learner's bilans, one bilan in full, the history of positionings and
its views, the audit trail, the standalone document and the radar's data.

Each public function checks the user once, then calls the private readers (_bilan, _learner_bilans,
_history, _audit_trail), which check nothing: so a page or a document built from several of them
is checked once, not once per part."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass

import pandas as pd

from livret import clock, school
from livret.bilans import stored
from livret.bilans.positioning import NOT_EVALUATED, Positioning
from livret.bilans.stored import AUDIT_ENTITY, NOT_WITHDRAWN
from livret.codes import BILAN_STATUSES, positioning_short
from livret.db import Database
from livret.errors import NotFound
from livret.french import date_text, day_text, moment_text
from livret.permissions import (
    User,
    bilan_statuses_readable,
    can,
    learner_class,
    require_bilan_reader,
    require_class,
    require_learner_staff,
    require_user,
)
from livret.render import bilan_document, radar
from livret.render.bilan_document import DocumentHeader
from livret.school import SchoolIdentity

AUDIT_ACTIONS = {
    "create": "Création du bilan",
    "unlock": "Déverrouillage",
    "edit": "Modification",
    "relock": "Nouvelle confirmation (verrouillage)",
    "withdraw": "Retrait du bilan",
}
FIELD_LABELS = {"status": "Statut", "constats": "Constats", "conseils": "Conseils", "positionings": "Positionnements"}
HISTORY_COLUMNS = ["bilan_id", "column", "column_order", "status", "validated_at", "competency_id", "code", "title",
                   "position", "unit", "domain", "domain_title", "domain_order", "level", "objective", "short"]


@dataclass(frozen=True)
class Bilan:
    """One bilan as its reader sees it (never a draft): what it says, when it was validated, by whom,
    and whose it is."""

    id: int
    learner_id: int
    status: str
    validated_at: str
    modified_at: str
    constats: str
    conseils: str
    author_name: str
    learner_name: str  # « NOM Prénom »
    class_name: str
    diploma: str

    @property
    def status_label(self) -> str:
        return BILAN_STATUSES[self.status]

    @property
    def date_label(self) -> str:
        return date_text(self.validated_at)


# ---------------------------------------------------------------- private readers (no checks)


def _bilan(db: Database, bilan_id: int) -> Bilan:
    row = db.execute(
        "SELECT b.id, b.learner_id, b.status, b.validated_at, b.modified_at, b.constats, b.conseils, "
        "coalesce(u.name, ''), l.last_name, l.first_name, c.name, c.diploma "
        "FROM bilans b JOIN learners l ON l.id = b.learner_id JOIN classes c ON c.id = l.class_id "
        "LEFT JOIN users u ON u.id = b.author_id WHERE b.id = ?", [bilan_id],
    ).fetchone()
    *head, last_name, first_name, class_name, diploma = row
    return Bilan(*head, learner_name=f"{last_name} {first_name}", class_name=class_name, diploma=diploma)


def _learner_name(db: Database, learner_id: int) -> str:
    last_name, first_name = db.execute("SELECT last_name, first_name FROM learners WHERE id = ?",
                                       [learner_id]).fetchone()
    return f"{last_name} {first_name}"


def _learner_bilans(db: Database, learner_id: int, statuses: tuple[str, ...]) -> pd.DataFrame:
    marks = ",".join("?" * len(statuses))
    frame = db.frame(
        "SELECT b.id, b.status, b.validated_at, b.modified_at, b.constats, b.conseils, "
        "coalesce(u.name, '') AS author_name FROM bilans b LEFT JOIN users u ON u.id = b.author_id "
        f"WHERE b.learner_id = ? AND b.status IN ({marks}) AND {NOT_WITHDRAWN} "
        "ORDER BY b.validated_at DESC, b.id DESC", params=[learner_id, *statuses],
    )
    frame["status_label"] = frame["status"].map(BILAN_STATUSES)
    frame["label"] = _column_labels(frame["validated_at"].tolist())
    return frame


def _column_labels(stamps: list[str]) -> list[str]:
    """dd/mm/yyyy per bilan; the time is added when two bilans share a day, and a number when even
    the second is shared, so every column of a table has its own label."""
    days = [date_text(s) for s in stamps]
    labels = [f"{day} {stamp[11:16]}" if days.count(day) > 1 else day for day, stamp in zip(days, stamps)]
    labels = [f"{day} {stamp[11:19]}" if labels.count(label) > 1 else label
              for label, day, stamp in zip(labels, days, stamps)]
    seen: dict[str, int] = {}
    unique = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        unique.append(label if labels.count(label) == 1 else f"{label} ({seen[label]})")
    return unique


def _history_columns(db: Database, learner_id: int, bilans: pd.DataFrame, *,
                     upto_bilan_id: int | None, include_draft: bool) -> list[tuple]:
    """(bilan_id, label, status, validated_at) per column of a history, newest first."""
    if upto_bilan_id is not None:
        if upto_bilan_id not in set(bilans["id"]):
            raise NotFound("Ce bilan n'existe pas.")
        index = bilans.index[bilans["id"] == upto_bilan_id][0]
        bilans = bilans.loc[index:]
    columns = [(int(r.id), r.label, r.status, r.validated_at) for r in bilans.itertuples()]
    if include_draft:
        row = stored.draft_row(db, learner_id)
        today = day_text(clock.today())
        columns.insert(0, (row[0] if row else None, f"{today} (à valider)", "draft", None))
    return columns


def _history(db: Database, learner_id: int, bilans: pd.DataFrame, *,
             upto_bilan_id: int | None = None, include_draft: bool = False) -> pd.DataFrame:
    columns = _history_columns(db, learner_id, bilans, upto_bilan_id=upto_bilan_id, include_draft=include_draft)
    listed = stored.competencies(db, learner_id)
    records = []
    for order, (bilan_id, label, status, validated_at) in enumerate(columns):
        saved = stored.positionings(db, bilan_id) if bilan_id is not None else {}
        for comp in listed.itertuples():
            positioning = saved.get(int(comp.competency_id), NOT_EVALUATED)
            records.append({
                "bilan_id": bilan_id, "column": label, "column_order": order, "status": status,
                "validated_at": validated_at, "competency_id": int(comp.competency_id), "code": comp.code,
                "title": comp.title, "position": comp.position, "unit": comp.unit, "domain": comp.domain,
                "domain_title": comp.domain_title, "domain_order": comp.domain_order,
                "level": positioning.level, "objective": positioning.objective, "short": positioning.short,
            })
    frame = pd.DataFrame.from_records(records, columns=HISTORY_COLUMNS)
    frame["level"] = frame["level"].astype("Int64")
    return frame


def _describe(values: str | None) -> str:
    """An audit snapshot as a teacher reads it: « Conseils : … ; C1 : + (objectifs terminaux) »."""
    if not values:
        return ""
    data = json.loads(values)
    parts = []
    if "validated_at" in data:
        parts.append(f"Validé le {date_text(data['validated_at'])}")
    if "reason" in data:
        parts.append(f"Retiré : « {data['reason']} »")
    if "status" in data:
        parts.append(f"{FIELD_LABELS['status']} : {BILAN_STATUSES.get(data['status'], data['status'])}")
    for key in ("constats", "conseils"):
        if key in data:
            parts.append(f"{FIELD_LABELS[key]} : « {data[key]} »" if data[key] else f"{FIELD_LABELS[key]} : (vide)")
    positions = data.get("positionings") or {}
    if positions:
        proposed = data.get("proposed") or {}
        texts = [f"{code} {Positioning(*(value or (None, None))).text}{_beside_proposition(value, proposed.get(code))}"
                 for code, value in positions.items()]
        parts.append(f"{FIELD_LABELS['positionings']} : " + ", ".join(texts))
    return " ; ".join(parts)


def _beside_proposition(value, proposed: int | None) -> str:
    """Where a positioning stands against the level proposed when it was chosen (« » when none was)."""
    if proposed is None:
        return ""
    level = value[0] if value else None
    if level == proposed:
        return " [= proposition]"
    return f" [proposition : {positioning_short(proposed)}]"


def _audit_trail(db: Database, bilan_id: int) -> pd.DataFrame:
    frame = db.frame(
        "SELECT at, user_name, action, before, after FROM audit_log WHERE entity = ? AND entity_id = ? ORDER BY id", params=[AUDIT_ENTITY, bilan_id],
    )
    frame["action_label"] = frame["action"].map(AUDIT_ACTIONS).fillna(frame["action"])
    frame["when"] = frame["at"].map(lambda s: moment_text(s, " "))
    frame["before_text"] = frame["before"].map(_describe)
    frame["after_text"] = frame["after"].map(_describe)
    return frame


def _require_readable(db: Database, user: User | None, bilan_id: int) -> tuple[User, int]:
    """The user and the bilan's learner, if the user may read this bilan (not a draft, not withdrawn,
    unlocked for staff only); NotFound otherwise, as if it did not exist."""
    user = require_user(user)
    state = stored.bilan_state(db, bilan_id)
    require_bilan_reader(db, user, state.learner_id)
    if state.status not in bilan_statuses_readable(user):
        raise NotFound("Ce bilan n'existe pas.")
    return user, state.learner_id


# ---------------------------------------------------------------- the learner and their bilans


def learner_competencies(db: Database, user: User | None, learner_id: int) -> pd.DataFrame:
    """The competencies of the learner's diploma, in référentiel order, with unit and domain."""
    require_bilan_reader(db, user, learner_id)
    return stored.competencies(db, learner_id)


def learner_name(db: Database, user: User | None, learner_id: int) -> str:
    """« NOM Prénom » of a learner the user may read."""
    require_bilan_reader(db, user, learner_id)
    return _learner_name(db, learner_id)


def learner_class_id(db: Database, user: User | None, learner_id: int) -> int:
    """The class of a learner the user may read."""
    require_bilan_reader(db, user, learner_id)
    return learner_class(db, learner_id)


def learner_bilans(db: Database, user: User | None, learner_id: int) -> pd.DataFrame:
    """The learner's bilans the user may read, newest first (no drafts)."""
    user = require_bilan_reader(db, user, learner_id)
    return _learner_bilans(db, learner_id, bilan_statuses_readable(user))


def latest_validated_bilan(db: Database, user: User | None, learner_id: int) -> Bilan | None:
    """The learner's most recent bilan (validated, or unlocked for staff), or None."""
    user = require_bilan_reader(db, user, learner_id)
    frame = _learner_bilans(db, learner_id, bilan_statuses_readable(user))
    return None if frame.empty else _bilan(db, int(frame["id"].iloc[0]))


def unlocked_bilan(db: Database, user: User | None, learner_id: int) -> Bilan | None:
    """The learner's unlocked bilan being corrected (the newest, should the DDFPT have unlocked two),
    or None. Staff only."""
    require_learner_staff(db, user, learner_id)
    bilan_id = stored.unlocked_bilan_id(db, learner_id)
    return None if bilan_id is None else _bilan(db, bilan_id)


def withdrawn_bilans(db: Database, user: User | None, learner_id: int) -> pd.DataFrame:
    """The learner's withdrawn bilans, newest withdrawal first, with who withdrew them and why (staff only)."""
    require_learner_staff(db, user, learner_id)
    frame = db.frame(
        "SELECT b.id, b.validated_at, b.withdrawn_at, b.withdrawal_reason AS reason, "
        "coalesce(u.name, '') AS withdrawn_by FROM bilans b LEFT JOIN users u ON u.id = b.withdrawn_by "
        "WHERE b.learner_id = ? AND b.withdrawn_at IS NOT NULL ORDER BY b.withdrawn_at DESC, b.id DESC", params=[learner_id],
    )
    frame["date_label"] = frame["validated_at"].map(date_text)
    frame["withdrawn_label"] = frame["withdrawn_at"].map(lambda s: moment_text(s, " "))
    return frame


def class_bilans(db: Database, user: User | None, class_id: int) -> pd.DataFrame:
    """Per learner of the class: number of bilans, date of the latest, whether one is unlocked or drafted."""
    require_class(db, user, class_id)
    frame = db.frame(
        "SELECT l.id AS learner_id, l.last_name || ' ' || l.first_name AS full_name, "
        "count(CASE WHEN b.status IN ('validated', 'unlocked') THEN 1 END) AS bilans, max(b.validated_at) AS latest, "
        "count(CASE WHEN b.status = 'unlocked' THEN 1 END) AS unlocked, "
        "count(CASE WHEN b.status = 'draft' THEN 1 END) AS drafts "
        f"FROM learners l LEFT JOIN bilans b ON b.learner_id = l.id AND {NOT_WITHDRAWN} WHERE l.class_id = ? "
        "GROUP BY l.id ORDER BY l.last_name COLLATE NOCASE, l.first_name COLLATE NOCASE, l.id", params=[class_id],
    )
    for column in ("bilans", "unlocked", "drafts"):
        frame[column] = frame[column].fillna(0).astype(int)
    frame["latest_label"] = frame["latest"].map(lambda s: date_text(s) if isinstance(s, str) else "")
    return frame


# ---------------------------------------------------------------- one bilan


def bilan_detail(db: Database, user: User | None, bilan_id: int) -> Bilan:
    """One bilan as the user may read it: status, date, Constats, Conseils, learner and author."""
    _require_readable(db, user, bilan_id)
    return _bilan(db, bilan_id)


def bilan_positionings(db: Database, user: User | None, bilan_id: int) -> dict[int, Positioning]:
    """{competency_id: positioning} of a bilan the user may read."""
    _require_readable(db, user, bilan_id)
    return stored.positionings(db, bilan_id)


def confirmation_notice(db: Database, user: User | None, bilan_id: int) -> str:
    """« Bilan de NOM Prénom validé le 03/12/2026 », said once a confirmation succeeded."""
    bilan = bilan_detail(db, user, bilan_id)
    return f"Bilan de {bilan.learner_name} validé le {bilan.date_label}"


def audit_trail(db: Database, user: User | None, bilan_id: int) -> pd.DataFrame:
    """Every creation, unlock, edit, re-lock and withdrawal of a bilan, oldest first (staff only); a
    withdrawn bilan keeps its trail."""
    row = db.execute("SELECT learner_id FROM bilans WHERE id = ?", [bilan_id]).fetchone()
    if row is None:
        raise NotFound("Ce bilan n'existe pas.")
    require_learner_staff(db, user, row[0])
    return _audit_trail(db, bilan_id)


def bilan_history(
    db: Database, user: User | None, learner_id: int, *, upto_bilan_id: int | None = None,
    include_draft: bool = False,
) -> pd.DataFrame:
    """Positionings of the learner's bilans in long form, one row per (bilan, competency), newest bilan
    first: the draft (when asked, staff only, labelled with today's date « (à valider) »), then the
    validated bilans — only up to upto_bilan_id when given. A competency without a positioning is NE."""
    user = require_bilan_reader(db, user, learner_id)
    if include_draft:
        require_learner_staff(db, user, learner_id)
    bilans = _learner_bilans(db, learner_id, bilan_statuses_readable(user))
    return _history(db, learner_id, bilans, upto_bilan_id=upto_bilan_id, include_draft=include_draft)


@dataclass(frozen=True, eq=False)
class BilanReport:
    """One bilan with everything shown of it, read once for the page « Bilans » and its document: the
    bilan, the history up to it, the radar's axes, the audit trail (None for a learner), and what heads
    the document (the school, the diploma's title)."""

    bilan: Bilan
    history: pd.DataFrame
    axes: pd.DataFrame
    audit: pd.DataFrame | None
    school: SchoolIdentity
    diploma_title: str

    def document_html(self, contrast: bool = False) -> str:
        """The bilan as the school hands it out (livret.render.bilan_document): one A4 page, HTML that
        prints and opens without the app, and that livret.render.pdf turns into a PDF; contrast: drawn
        with the « Mode contrasté » palette."""
        bilan = self.bilan
        header = DocumentHeader(self.school.name, self.school.year, bilan.learner_name, bilan.class_name,
                                self.diploma_title, bilan.date_label, bilan.author_name, bilan.constats, bilan.conseils)
        points = radar.radar_data(self.axes, self.history)
        return bilan_document.render_document(header, self.history, radar.radar_svg(self.axes, points),
                                              contrast=contrast)

    @property
    def file_stem(self) -> str:
        """« NOM_Prénom_bilan_2026-03-27 »: the name of this bilan's files."""
        return document_stem(self.bilan.learner_name, self.bilan.validated_at)


def _report(db: Database, bilan_id: int, learner_id: int, statuses: tuple[str, ...],
            with_audit: bool) -> BilanReport:
    bilans = _learner_bilans(db, learner_id, statuses)
    history = _history(db, learner_id, bilans, upto_bilan_id=bilan_id)
    audit = _audit_trail(db, bilan_id) if with_audit else None
    axes = radar.radar_axes(stored.competencies(db, learner_id))
    bilan = _bilan(db, bilan_id)
    title = db.execute("SELECT title FROM diplomas WHERE code = ?", [bilan.diploma]).fetchone()
    return BilanReport(bilan, history, axes, audit, school.school_identity(db), title[0] if title else bilan.diploma)


def bilan_report(db: Database, user: User | None, bilan_id: int) -> BilanReport:
    """One bilan the user may read, with its history, radar axes and (staff only) audit trail."""
    user, learner_id = _require_readable(db, user, bilan_id)
    # Who reads the audit trail is staff of the learner's class, already checked by _require_readable.
    return _report(db, bilan_id, learner_id, bilan_statuses_readable(user), can(user, "read_bilan_audit"))


def class_latest_reports(db: Database, user: User | None, class_id: int) -> list[BilanReport]:
    """Each learner's latest validated bilan in the class, by name (staff of the class), for the class's
    documents; a learner without a validated bilan is left out."""
    require_class(db, user, class_id)
    rows = db.execute(
        f"SELECT l.id, (SELECT b.id FROM bilans b WHERE b.learner_id = l.id AND b.status = 'validated' AND "
        f"{NOT_WITHDRAWN} ORDER BY b.validated_at DESC, b.id DESC LIMIT 1) FROM learners l WHERE l.class_id = ? "
        "ORDER BY l.last_name COLLATE NOCASE, l.first_name COLLATE NOCASE, l.id", [class_id]).fetchall()
    return [_report(db, bilan_id, learner_id, ("validated",), False) for learner_id, bilan_id in rows if bilan_id]


def bilan_document_html(db: Database, user: User | None, bilan_id: int) -> str:
    """The bilan as one standalone HTML file (prints cleanly, opens without the app)."""
    return bilan_report(db, user, bilan_id).document_html()


def document_stem(learner_name: str, validated_at: str) -> str:
    """« EGREVE_Jean-Rene_bilan_2025-12-12 »: ASCII only, so every browser and OS keeps it."""
    plain = unicodedata.normalize("NFKD", learner_name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9-]+", "_", plain).strip("_") or "apprenant"
    return f"{slug}_bilan_{validated_at[:10]}"


def document_file_name(learner_name: str, validated_at: str, extension: str = "html") -> str:
    """« EGREVE_Jean-Rene_bilan_2025-12-12.pdf »."""
    return f"{document_stem(learner_name, validated_at)}.{extension}"


def radar_axes_of(db: Database, user: User | None, learner_id: int) -> pd.DataFrame:
    """The radar's axes for the learner's diploma (one per competency, grouped by domain)."""
    return radar.radar_axes(learner_competencies(db, user, learner_id))


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
