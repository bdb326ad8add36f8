"""The data behind the « Tableau de bord » (SPEC §2): one learner's results, bilans and draft, as DataFrames.

The query functions check the signed-in user first and use nothing of Streamlit. The cached_* functions
at the end run the access check on every call, then look the work up by (database, learner id,
learners.version), a version every write touching the learner or its référentiel bumps; prefetch()
renders the next learners in the background so « Suivant → » finds them ready."""

from __future__ import annotations

import concurrent.futures
import contextlib
import threading
from dataclasses import dataclass

import pandas as pd

from livret import bilans as bilan_rules
from livret import clock, school
from livret.bilans import stored
from livret.caching import MISSING as _MISSING
from livret.caching import LeastRecentlyUsed
from livret.codes import COLUMN_CODES, column_code
from livret.db import Database, close_thread_connections, reading, thread_db
from livret.errors import LivretError, NotFound
from livret.permissions import User, require_learner_staff
from livret.proposition import Evidence, propose, usual_objective
from livret.render import bilan_sheet, grid
from livret.render.positioning_dialog import CriterionLine, competency_dialog

ALL_UNITS = "Tout afficher"


@dataclass(frozen=True)
class LearnerData:
    """Everything the grid of one learner is drawn from."""

    referentiel: pd.DataFrame  # one row per criterion (or per competency without criteria)
    results: pd.DataFrame  # one row per result of the learner
    bilans: pd.DataFrame  # one row per positioning of a validated bilan (or per bilan without any)
    drafts: pd.DataFrame  # the positionings the blue lines' buttons edit: the draft's, or the unlocked bilan's
    editing: grid.Editing | None = None  # the unlocked bilan those buttons edit, None for the draft


REFERENTIEL_SQL = (
    "SELECT u.code AS unit, c.id AS competency_id, c.code AS competency, c.title AS competency_title, "
    "cr.id AS criterion_id, cr.position AS criterion_position, cr.text AS criterion_text "
    "FROM competencies c JOIN units u ON u.id = c.unit_id "
    "LEFT JOIN criteria cr ON cr.competency_id = c.id "
    "WHERE c.diploma = (SELECT k.diploma FROM learners l JOIN classes k ON k.id = l.class_id WHERE l.id = ?) "
    "ORDER BY c.position, c.id, cr.position"
)
RESULTS_SQL = (
    "SELECT e.id AS evaluation_id, e.title, e.eval_date, e.modified_at, e.context, e.complexity, "
    "r.criterion_id, cr.competency_id, r.code AS result "
    "FROM results r JOIN evaluations e ON e.id = r.evaluation_id JOIN criteria cr ON cr.id = r.criterion_id "
    "WHERE r.learner_id = ? ORDER BY e.modified_at, e.id, cr.position"
)
# An unlocked bilan was validated once: its positionings and date still count.
BILANS_SQL = (
    "SELECT b.id AS bilan_id, b.validated_at, b.status, p.competency_id, p.level, p.objective "
    "FROM bilans b LEFT JOIN positionings p ON p.bilan_id = b.id "
    "WHERE b.learner_id = ? AND b.status <> 'draft' AND b.withdrawn_at IS NULL ORDER BY b.validated_at, b.id"
)
DRAFTS_SQL = (
    "SELECT p.competency_id, c.code AS competency, p.level, p.objective "
    "FROM bilans b JOIN positionings p ON p.bilan_id = b.id JOIN competencies c ON c.id = p.competency_id "
    "WHERE b.learner_id = ? AND b.status = 'draft' ORDER BY c.position"
)


def _referentiel_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype({"criterion_id": "Int64", "criterion_position": "Int64"})


def _bilans_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype({"competency_id": "Int64", "level": "Int64"})


def _positionings_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype({"level": "Int64"})


def _unlocked(db: Database, learner_id: int) -> grid.Editing | None:
    row = db.execute(stored.UNLOCKED_BILAN_SQL, [learner_id]).fetchone()
    return None if row is None else grid.Editing(row[0], row[1])


def _editing_positionings(db: Database, bilan_id: int) -> pd.DataFrame:
    return _positionings_frame(db.frame(
        "SELECT p.competency_id, c.code AS competency, p.level, p.objective "
        "FROM positionings p JOIN competencies c ON c.id = p.competency_id WHERE p.bilan_id = ? ORDER BY c.position", params=[bilan_id],
    ))


def _drafts(db: Database, learner_id: int) -> pd.DataFrame:
    return _positionings_frame(db.frame(DRAFTS_SQL, params=[learner_id]))


def _read_all(db: Database, learner_id: int) -> LearnerData:
    # One read transaction, so the frames come from the same state of the database; the five statements
    # are sent together (one round trip on PostgreSQL).
    with reading(db):
        referentiel, results, bilans, drafts, unlocked = db.frames(
            (REFERENTIEL_SQL, [learner_id]), (RESULTS_SQL, [learner_id]), (BILANS_SQL, [learner_id]),
            (DRAFTS_SQL, [learner_id]), (stored.UNLOCKED_BILAN_SQL, [learner_id]))
        if referentiel.empty and db.execute("SELECT 1 FROM learners WHERE id = ?", [learner_id]).fetchone() is None:
            raise NotFound("Cet apprenant n'existe pas.")
        # An unlocked bilan is being corrected: the « ? » of the blue lines edit it rather than the draft.
        editing = None
        if not unlocked.empty:
            editing = grid.Editing(int(unlocked.iloc[0, 0]), unlocked.iloc[0, 1])
            drafts = _editing_positionings(db, editing.bilan_id)
        else:
            drafts = _positionings_frame(drafts)
        return LearnerData(_referentiel_frame(referentiel), results, _bilans_frame(bilans), drafts, editing)


def learner_data(db: Database, user: User | None, learner_id: int) -> LearnerData:
    """The référentiel of the learner's diploma, their results, validated bilans and draft positionings."""
    require_learner_staff(db, user, learner_id)
    return _read_all(db, learner_id)


def unlocked_editing(db: Database, user: User | None, learner_id: int) -> grid.Editing | None:
    """The learner's unlocked bilan that the blue lines' buttons edit, None when they edit the draft."""
    require_learner_staff(db, user, learner_id)
    return _unlocked(db, learner_id)


def positioned_answer(db: Database, user: User | None, learner_id: int, code: str) -> dict:
    """What a positioning's answer carries to the page: the competency's button as the grid draws it now
    (button) — the draft's positioning, or the unlocked bilan's while one is corrected (editing True) — and
    that positioning as stored (variant: a bilan_sheet.variant_key, None while « ? ») with the draft's id
    (draft): what the BI dialog redraws its draft column from."""
    require_learner_staff(db, user, learner_id)
    with reading(db):
        editing = _unlocked(db, learner_id)
        frame = _drafts(db, learner_id) if editing is None else _editing_positionings(db, editing.bilan_id)
        draft = stored.draft_row(db, learner_id)
    rows = list(frame[frame["competency"] == code].itertuples(index=False))
    row = rows[0] if rows else None
    level = None if row is None or pd.isna(row.level) else int(row.level)
    return {"button": grid.ask_button(code, row, editing),
            "variant": None if row is None else bilan_sheet.variant_key(level, None if level is None else row.objective),
            "draft": draft[0] if draft else None, "editing": editing is not None}


def draft_positionings(db: Database, user: User | None, learner_id: int) -> pd.DataFrame:
    """The positionings already chosen in the learner's draft bilan (level NULL = NE)."""
    require_learner_staff(db, user, learner_id)
    return _drafts(db, learner_id)


def complexity_counts(results: pd.DataFrame) -> dict[str, int]:
    """How many of the learner's evaluations carry each column code D, Int, B, E."""
    evaluations = results.drop_duplicates("evaluation_id")
    codes = [column_code(complexity, context)
             for complexity, context in zip(evaluations["complexity"], evaluations["context"])]
    return {code: codes.count(code) for code in COLUMN_CODES}


def unit_codes(referentiel: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(referentiel["unit"]))


def chosen_units(selection: list[str] | None) -> tuple[str, ...]:
    """The units to show from the unit filter: () means every unit (« Tout afficher » or nothing chosen)."""
    if not selection or ALL_UNITS in selection:
        return ()
    return tuple(sorted(selection))


def exclusive_units(selection: list[str], previous: list[str]) -> list[str]:
    """« Tout afficher » and single units exclude each other: the last one clicked wins."""
    added = [s for s in selection if s not in previous]
    if ALL_UNITS in added or not selection:
        return [ALL_UNITS]
    return [s for s in selection if s != ALL_UNITS]


def propositions_of(data: LearnerData, method: str) -> dict:
    """The proposed level of each competency (livret.proposition) from the frames already read."""
    criteria = data.referentiel.dropna(subset=["criterion_id"])
    positions = dict(zip(criteria["criterion_id"].astype(int), criteria["criterion_position"].astype(int)))
    found: dict[int, list[Evidence]] = {int(c): [] for c in dict.fromkeys(data.referentiel["competency_id"])}
    for row in data.results.itertuples(index=False):
        found[int(row.competency_id)].append(Evidence(
            int(row.criterion_id), positions[int(row.criterion_id)], row.result, row.modified_at, row.eval_date,
            row.context, None if pd.isna(row.complexity) else row.complexity, row.title, int(row.evaluation_id)))
    return {competency: propose(results, method, competency) for competency, results in found.items()}


def dialogs_of(data: LearnerData, method: str) -> dict[str, dict[str, str]]:
    """What the positioning dialog shows for each competency, by code: proposition and evidence."""
    validated = data.bilans[data.bilans["status"] == "validated"]
    latest_at = data.bilans["validated_at"].dropna().max() if data.bilans["validated_at"].notna().any() else None
    latest = {}
    if not validated.empty:
        newest = validated[validated["bilan_id"] == validated.iloc[-1]["bilan_id"]].dropna(subset=["competency_id"])
        latest = {int(r.competency_id): (None if pd.isna(r.level) else int(r.level), r.objective)
                  for r in newest.itertuples(index=False)}
    propositions = propositions_of(data, method)
    dialogs = {}
    for competency_id, rows in data.referentiel.groupby("competency_id", sort=False):
        first = rows.iloc[0]
        criteria = [CriterionLine(int(r.criterion_id), int(r.criterion_position), r.criterion_text)
                    for r in rows.dropna(subset=["criterion_id"]).itertuples(index=False)]
        dialogs[str(first["competency"])] = competency_dialog(
            f"{first['competency']} - {first['competency_title']}", criteria, propositions[int(competency_id)],
            usual_objective(latest, int(competency_id)), latest_at)
    return dialogs


def learner_version(db: Database, learner_id: int) -> int:
    row = db.execute("SELECT version FROM learners WHERE id = ?", [learner_id]).fetchone()
    if row is None:
        raise NotFound("Cet apprenant n'existe pas.")
    return int(row[0])


# ---------------------------------------------------------------- caches shared by the server's sessions


@dataclass(frozen=True)
class LearnerSummary:
    """What the page shows above the grid: the filters' choices and counts."""

    unit_codes: tuple[str, ...]
    complexity_counts: tuple[tuple[str, int], ...]  # (D, n), (Int, n), (B, n), (E, n)
    has_results: bool
    editing: grid.Editing | None = None  # the unlocked bilan the blue lines edit, if any


_summaries = LeastRecentlyUsed(512)
_blocks = LeastRecentlyUsed(160)  # ~210 KB for the fullest learner: ~35 MB at most
_dialogs = LeastRecentlyUsed(160)  # ~100 KB for the fullest learner
_dialogs_by_content = LeastRecentlyUsed(160)  # the same dialogs, shared by the versions of a learner
# One background thread renders the learners a teacher is likely to open next (« Suivant → »).
_prefetcher = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="livret-prefetch")
_pending: dict[tuple, concurrent.futures.Future] = {}
_pending_lock = threading.Lock()


def _database_file(db: Database) -> str:
    return db.location


@dataclass(frozen=True)
class LearnerView:
    """The grid's blocks for some display options, and the positioning dialog of each competency."""

    blocks: tuple[grid.Block, ...]
    dialogs: dict[str, dict[str, str]]


def _summary_and_view(path: str, learner_id: int, version: int, options: grid.GridOptions | None,
                      method: str | None = None):
    """(summary, view) of the learner at that version; view is None when options is None."""
    # version is only part of the keys: every write touching the learner makes new entries.
    summary_key, blocks_key = (path, learner_id, version), (path, learner_id, version, options)
    dialogs_key = (path, learner_id, version, method)
    summary = _summaries.get(summary_key)
    blocks = None if options is None else _blocks.get(blocks_key)
    dialogs = None if options is None else _dialogs.get(dialogs_key)
    if _MISSING in (summary, blocks, dialogs):
        data = _read_all(thread_db(path), learner_id)
        if summary is _MISSING:
            summary = LearnerSummary(tuple(unit_codes(data.referentiel)),
                                     tuple(complexity_counts(data.results).items()), not data.results.empty,
                                     data.editing)
            _summaries.put(summary_key, summary)
        if blocks is _MISSING:
            blocks = tuple(grid.render_blocks(data.referentiel, data.results, data.bilans, options, data.drafts,
                                              editing=data.editing))
            _blocks.put(blocks_key, blocks)
        if dialogs is _MISSING:
            # A positioning changes the learner's version but not the evidence: the dialogs are looked up
            # by what they are drawn from before being drawn again.
            content_key = (path, learner_id, _evidence_fingerprint(data), method)
            dialogs = _dialogs_by_content.get(content_key)
            if dialogs is _MISSING:
                dialogs = dialogs_of(data, method)
                _dialogs_by_content.put(content_key, dialogs)
            _dialogs.put(dialogs_key, dialogs)
    return summary, None if options is None else LearnerView(blocks, dialogs)


def _evidence_fingerprint(data: LearnerData) -> int:
    """A digest of what the dialogs are drawn from: référentiel, results and validated bilans (not the draft)."""
    frames = (data.referentiel, data.results, data.bilans)
    return hash(tuple(int(pd.util.hash_pandas_object(frame, index=False).sum()) for frame in frames))


def _wait_for_prefetch(path: str, learner_id: int, version: int) -> None:
    with _pending_lock:
        pending = [future for key, future in _pending.items() if key[:3] == (path, learner_id, version)]
    for future in pending:
        with contextlib.suppress(Exception):  # a failed prefetch: the caller does the work, where errors show
            future.result()


def cached_summary(db: Database, user: User | None, learner_id: int) -> LearnerSummary:
    """The learner's unit codes and evaluation counts, looked up by (database, learner, version) after
    the access check."""
    require_learner_staff(db, user, learner_id)
    path, version = _database_file(db), learner_version(db, learner_id)
    _wait_for_prefetch(path, learner_id, version)
    return _summary_and_view(path, learner_id, version, None)[0]


def cached_view(db: Database, user: User | None, learner_id: int,
                options: grid.GridOptions) -> LearnerView:
    """The rendered competency blocks and dialogs, looked up by (database, learner, version, options,
    the school's proposition method) after the access check."""
    require_learner_staff(db, user, learner_id)
    path, version = _database_file(db), learner_version(db, learner_id)
    _wait_for_prefetch(path, learner_id, version)
    return _summary_and_view(path, learner_id, version, options, school.proposition_method(db))[1]


def cached_blocks(db: Database, user: User | None, learner_id: int,
                  options: grid.GridOptions) -> tuple[grid.Block, ...]:
    """The rendered competency blocks (see cached_view)."""
    return cached_view(db, user, learner_id, options).blocks


def prefetch(db: Database, user: User | None, learner_ids: list[int], options: grid.GridOptions) -> None:
    """Render these learners' grids in the background, so that opening one next finds it ready. Only
    learners the user may read are rendered; a learner already rendered costs one query."""
    path, method = _database_file(db), school.proposition_method(db)
    for learner_id in learner_ids:
        try:
            require_learner_staff(db, user, learner_id)
            key = (path, learner_id, learner_version(db, learner_id), options, method)
        except LivretError:  # not the user's, or gone since the list was read: nothing to prepare
            continue
        if (_blocks.get(key[:4]) is not _MISSING and _dialogs.get((*key[:3], method)) is not _MISSING
                and _sheets.get((*key[:3], clock.today())) is not _MISSING):
            continue
        with _pending_lock:
            if key in _pending:
                continue
            future = _prefetcher.submit(_prefetch_one, *key, user)
            _pending[key] = future
        future.add_done_callback(lambda done, key=key: _forget_pending(key))


def _prefetch_one(path: str, learner_id: int, version: int, options: grid.GridOptions, method: str, user: User) -> None:
    """One learner rendered in the prefetch thread — grid, dialogs and BI sheet — which lives as long as the
    process: its connection is given back after each learner (on PostgreSQL a pooled one, that a closed pool
    would otherwise keep)."""
    try:
        _summary_and_view(path, learner_id, version, options, method)
        with contextlib.suppress(LivretError):  # the sheet's own checks: « BI » will say why
            _bilan_sheet(thread_db(path), user, learner_id, path, version)
    finally:
        close_thread_connections()


def _forget_pending(key: tuple) -> None:
    with _pending_lock:
        _pending.pop(key, None)


def is_rendered(db: Database, learner_id: int, options: grid.GridOptions) -> bool:
    """Whether the learner's current grid with these options is in the cache (no access is given)."""
    key = (_database_file(db), learner_id, learner_version(db, learner_id), options)
    return _blocks.get(key) is not _MISSING


def wait_for_prefetches() -> None:
    with _pending_lock:
        pending = list(_pending.values())
    concurrent.futures.wait(pending)


@dataclass(frozen=True)
class BilanSheet:
    """What the BI dialog shows of a learner's draft (SPEC B2): its texts, its tables and radar as HTML
    (livret.render.bilan_sheet) with what redraws the draft's part after a positioning (kit), and the
    competencies (code, « C4 - title ») in référentiel order with each one's positioning in the draft
    (state: a bilan_sheet.variant_key, or None while it is still « ? »)."""

    title: str
    version: int
    draft_id: int | None
    constats: str
    conseils: str
    body: str
    kit: dict
    competencies: tuple[tuple[str, str], ...]
    state: dict

    def as_data(self) -> dict:
        """The sheet as the dialog's element receives it (JSON)."""
        return {"title": self.title, "version": self.version, "draft": self.draft_id, "constats": self.constats,
                "conseils": self.conseils, "body": self.body, "kit": self.kit,
                "competencies": [list(item) for item in self.competencies], "state": self.state}


_sheets = LeastRecentlyUsed(64)


def cached_bilan_sheet(db: Database, user: User | None, learner_id: int) -> BilanSheet:
    """The learner's draft as the BI dialog shows it, looked up by (database, learner, version, day) after
    the access check (the draft's column is headed with today's date); prefetch() prepares it too."""
    require_learner_staff(db, user, learner_id)
    path, version = _database_file(db), learner_version(db, learner_id)
    _wait_for_prefetch(path, learner_id, version)
    return _bilan_sheet(db, user, learner_id, path, version)


def _bilan_sheet(db: Database, user: User, learner_id: int, path: str, version: int) -> BilanSheet:
    key = (path, learner_id, version, clock.today())
    sheet = _sheets.get(key)
    if sheet is _MISSING:
        with reading(db):
            name = bilan_rules.learner_name(db, user, learner_id)
            draft = bilan_rules.read_draft(db, user, learner_id)
            history = bilan_rules.bilan_history(db, user, learner_id, include_draft=True)
            axes = bilan_rules.radar_axes_of(db, user, learner_id)
        # The draft's column lists every competency of the diploma, in référentiel order.
        listed = history[history["status"] == "draft"].sort_values("position")
        state = {}
        for competency in listed.itertuples():
            chosen = draft.positionings.get(int(competency.competency_id))
            state[competency.code] = None if chosen is None else bilan_sheet.variant_key(chosen.level, chosen.objective)
        sheet = BilanSheet(
            f"Bilan de {name}", version, draft.bilan_id, draft.constats, draft.conseils,
            bilan_sheet.draft_sheet_html(history, bilan_rules.unit_view(history), axes),
            bilan_sheet.draft_kit(axes, history),
            tuple((c.code, f"{c.code} - {c.title}") for c in listed.itertuples()), state)
        _sheets.put(key, sheet)
    return sheet


def clear_caches() -> None:
    _sheets.clear()
    _summaries.clear()
    _blocks.clear()
    _dialogs.clear()
    _dialogs_by_content.clear()
