"""The data behind the « Tableau de bord » (SPEC §2): one learner's results, bilans and draft, as DataFrames.

The query functions check the signed-in user first and use nothing of Streamlit. The cached_* functions
at the end are this module's Streamlit edge (st.cache_data): the access check runs on every call, then the work is looked
up by (database, learner id, learners.version), a version every write touching the learner bumps."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlite_utils
import streamlit as st

from livret import grid
from livret.codes import column_code
from livret.db import thread_db
from livret.errors import NotFound
from livret.permissions import User, require_learner_staff

ALL_UNITS = "Tout afficher"
COLUMN_CODES = grid.COLUMN_CODES  # D, Int, B, E


@dataclass(frozen=True)
class LearnerData:
    """Everything the grid of one learner is drawn from."""

    referentiel: pd.DataFrame  # one row per criterion (or per competency without criteria)
    results: pd.DataFrame  # one row per result of the learner
    bilans: pd.DataFrame  # one row per positioning of a validated bilan (or per bilan without any)
    drafts: pd.DataFrame  # the current draft's positionings


def _diploma(db: sqlite_utils.Database, learner_id: int) -> str:
    row = db.execute(
        "SELECT c.diploma FROM learners l JOIN classes c ON c.id = l.class_id WHERE l.id = ?", [learner_id]
    ).fetchone()
    if row is None:
        raise NotFound("Cet apprenant n'existe pas.")
    return row[0]


def _referentiel(db: sqlite_utils.Database, learner_id: int) -> pd.DataFrame:
    return pd.read_sql_query(
        "SELECT u.code AS unit, c.id AS competency_id, c.code AS competency, c.title AS competency_title, "
        "cr.id AS criterion_id, cr.position AS criterion_position, cr.text AS criterion_text "
        "FROM competencies c JOIN units u ON u.id = c.unit_id "
        "LEFT JOIN criteria cr ON cr.competency_id = c.id "
        "WHERE c.diploma = ? ORDER BY c.position, c.id, cr.position",
        db.conn, params=[_diploma(db, learner_id)],
    ).astype({"criterion_id": "Int64", "criterion_position": "Int64"})


def _results(db: sqlite_utils.Database, learner_id: int) -> pd.DataFrame:
    return pd.read_sql_query(
        "SELECT e.id AS evaluation_id, e.title, e.eval_date, e.modified_at, e.context, e.complexity, "
        "r.criterion_id, cr.competency_id, r.code AS result "
        "FROM results r JOIN evaluations e ON e.id = r.evaluation_id JOIN criteria cr ON cr.id = r.criterion_id "
        "WHERE r.learner_id = ? ORDER BY e.modified_at, e.id, cr.position",
        db.conn, params=[learner_id],
    )


def _bilans(db: sqlite_utils.Database, learner_id: int) -> pd.DataFrame:
    # An unlocked bilan was validated once: its positionings and date still count.
    return pd.read_sql_query(
        "SELECT b.id AS bilan_id, b.validated_at, b.status, p.competency_id, p.level, p.objective "
        "FROM bilans b LEFT JOIN positionings p ON p.bilan_id = b.id "
        "WHERE b.learner_id = ? AND b.status <> 'draft' ORDER BY b.validated_at, b.id",
        db.conn, params=[learner_id],
    ).astype({"competency_id": "Int64", "level": "Int64"})


def _drafts(db: sqlite_utils.Database, learner_id: int) -> pd.DataFrame:
    return pd.read_sql_query(
        "SELECT p.competency_id, c.code AS competency, p.level, p.objective "
        "FROM bilans b JOIN positionings p ON p.bilan_id = b.id JOIN competencies c ON c.id = p.competency_id "
        "WHERE b.learner_id = ? AND b.status = 'draft' ORDER BY c.position",
        db.conn, params=[learner_id],
    ).astype({"level": "Int64"})


def _read_all(db: sqlite_utils.Database, learner_id: int) -> LearnerData:
    # One read transaction, so the four frames come from the same state of the database.
    own_transaction = not db.conn.in_transaction
    if own_transaction:
        db.execute("BEGIN")
    try:
        return LearnerData(_referentiel(db, learner_id), _results(db, learner_id), _bilans(db, learner_id),
                           _drafts(db, learner_id))
    finally:
        if own_transaction:
            db.execute("COMMIT")


def learner_data(db: sqlite_utils.Database, user: User | None, learner_id: int) -> LearnerData:
    """The référentiel of the learner's diploma, their results, validated bilans and draft positionings."""
    require_learner_staff(db, user, learner_id)
    return _read_all(db, learner_id)


def draft_positionings(db: sqlite_utils.Database, user: User | None, learner_id: int) -> pd.DataFrame:
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


def competency_choices(referentiel: pd.DataFrame, units: tuple[str, ...]) -> dict[str, str]:
    """Competency code → « C1 - title » for the jump list, in référentiel order, within the chosen units."""
    frame = referentiel.drop_duplicates("competency_id")
    if units:
        frame = frame[frame["unit"].isin(units)]
    return {row.competency: f"{row.competency} - {row.competency_title}" for row in frame.itertuples()}


def competency_ids(referentiel: pd.DataFrame) -> dict[str, int]:
    frame = referentiel.drop_duplicates("competency_id")
    return {row.competency: int(row.competency_id) for row in frame.itertuples()}


def learner_version(db: sqlite_utils.Database, learner_id: int) -> int:
    row = db.execute("SELECT version FROM learners WHERE id = ?", [learner_id]).fetchone()
    if row is None:
        raise NotFound("Cet apprenant n'existe pas.")
    return int(row[0])


# ---------------------------------------------------------------- Streamlit cache edge


def _database_file(db: sqlite_utils.Database) -> str:
    return db.execute("PRAGMA database_list").fetchone()[2]


@st.cache_data(show_spinner=False, max_entries=256)
def _cached_frames(path: str, learner_id: int, version: int) -> LearnerData:
    # version is only part of the key: every write touching the learner makes a new entry.
    return _read_all(thread_db(path), learner_id)


@st.cache_data(show_spinner=False, max_entries=200)  # ~200 KB each at most
def _cached_render(path: str, learner_id: int, version: int, options: grid.GridOptions) -> tuple[grid.Block, ...]:
    data = _cached_frames(path, learner_id, version)
    return tuple(grid.render_blocks(data.referentiel, data.results, data.bilans, options, data.drafts))


def cached_learner_data(db: sqlite_utils.Database, user: User | None, learner_id: int) -> LearnerData:
    """learner_data, looked up by (database, learner, version) after the access check."""
    require_learner_staff(db, user, learner_id)
    return _cached_frames(_database_file(db), learner_id, learner_version(db, learner_id))


def cached_blocks(db: sqlite_utils.Database, user: User | None, learner_id: int,
                  options: grid.GridOptions) -> tuple[grid.Block, ...]:
    """The rendered competency blocks, looked up by (database, learner, version, options)."""
    require_learner_staff(db, user, learner_id)
    return _cached_render(_database_file(db), learner_id, learner_version(db, learner_id), options)
