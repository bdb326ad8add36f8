"""« Conseil de classe » (SPEC K1): a whole class on one screen before its council.

For each learner: per competency, the latest validated positioning, the draft's positioning, the proposed
level (livret.proposition) and the number of results newer than that bilan; then the date of the latest
validated bilan, the draft's progress and the latest grade. For the class: what is still to do before
the council (learners without a bilan since a date, drafts in progress, bilans not graded) and how
many learners stand at each level of each competency.

One set of queries reads the whole class (never one per learner); teachers read their own classes, the
DDFPT every class, and a learner none."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from livret import clock, school
from livret.bilans.stored import NOT_WITHDRAWN
from livret.caching import MISSING, LeastRecentlyUsed
from livret.codes import ACQUISITION_LEVELS
from livret.db import Database, reading
from livret.french import day_text, decimal_text
from livret.grade_arithmetic import stored_grade
from livret.permissions import User, require, require_class
from livret.proposition import Evidence, Proposition, propose

FILTER_WITHOUT_BILAN, FILTER_DRAFTS, FILTER_UNGRADED = "sans bilan", "brouillons", "non notés"
SORTS = ("Nom", "Note", "Nouveaux résultats")


@dataclass(frozen=True)
class Competency:
    id: int
    code: str
    title: str
    unit: str


@dataclass(frozen=True)
class Mark:
    """A positioning: level 1–4 and objective, or level None for NE."""

    level: int | None
    objective: str | None


@dataclass(frozen=True)
class Cell:
    """One learner × one competency."""

    validated: Mark | None  # in the latest validated bilan (None: no bilan yet)
    draft: Mark | None  # in the draft (None: still « ? » or no draft)
    proposition: Proposition
    new_results: int  # results of this competency newer than the latest validated bilan


@dataclass(frozen=True)
class LearnerRow:
    learner_id: int
    name: str  # « NOM Prénom »
    cells: dict[int, Cell]  # by competency id
    bilan_at: str | None  # validation moment of the latest validated bilan
    draft_positioned: int | None  # competencies positioned in the draft; None without a draft
    grade: str | None  # the latest validated bilan's current grade, French text (« 13,5 »); None if not graded
    grade_value: float | None

    @property
    def new_results(self) -> int:
        return sum(cell.new_results for cell in self.cells.values())

    def without_bilan_since(self, since: date) -> bool:
        return self.bilan_at is None or clock.local_day(self.bilan_at) < since


@dataclass(frozen=True)
class Council:
    class_id: int
    class_name: str
    competencies: tuple[Competency, ...]
    rows: tuple[LearnerRow, ...]
    since: date  # « depuis le »
    default_since: date

    def todo(self) -> dict[str, list[int]]:
        """The learners each to-do item concerns, by item."""
        return {
            FILTER_WITHOUT_BILAN: [r.learner_id for r in self.rows if r.without_bilan_since(self.since)],
            FILTER_DRAFTS: [r.learner_id for r in self.rows if r.draft_positioned is not None],
            FILTER_UNGRADED: [r.learner_id for r in self.rows if r.bilan_at is not None and r.grade is None],
        }

    def todo_text(self) -> str:
        """« 3 apprenants sans bilan depuis le 12/12/2025 · 2 brouillons en cours · 4 bilans non notés »."""
        todo = self.todo()
        n = {key: len(value) for key, value in todo.items()}
        return (f"{n[FILTER_WITHOUT_BILAN]} apprenant{_s(n[FILTER_WITHOUT_BILAN])} sans bilan depuis le "
                f"{day_text(self.since)} · {n[FILTER_DRAFTS]} brouillon{_s(n[FILTER_DRAFTS])} en cours · "
                f"{n[FILTER_UNGRADED]} bilan{_s(n[FILTER_UNGRADED])} non noté{_s(n[FILTER_UNGRADED])}")

    def shown(self, todo: str | None = None, sort: str = SORTS[0]) -> list[LearnerRow]:
        """The rows a to-do filter keeps, in the chosen order (name; grade, best first; new results, most first)."""
        rows = list(self.rows)
        if todo is not None:
            kept = set(self.todo()[todo])
            rows = [r for r in rows if r.learner_id in kept]
        if sort == "Note":
            rows.sort(key=lambda r: (r.grade_value is None, -(r.grade_value or 0), r.name))
        elif sort == "Nouveaux résultats":
            rows.sort(key=lambda r: (-r.new_results, r.name))
        return rows

    def distribution(self) -> pd.DataFrame:
        """How many learners stand at each level of each competency in their latest validated bilan
        (columns code, level, short, count; NE and « pas de bilan » counted too)."""
        records = []
        for competency in self.competencies:
            counts: dict[str, int] = {}
            for row in self.rows:
                mark = row.cells[competency.id].validated
                key = "aucun bilan" if mark is None else ("NE" if mark.level is None else str(mark.level))
                counts[key] = counts.get(key, 0) + 1
            for level in ACQUISITION_LEVELS:
                records.append((competency.code, level.level, level.short, counts.get(str(level.level), 0)))
            records.append((competency.code, 0, "NE", counts.get("NE", 0) + counts.get("aucun bilan", 0)))
        return pd.DataFrame(records, columns=["code", "level", "short", "count"])


def _s(n: int) -> str:
    return "s" if n > 1 else ""


def default_since(db: Database, class_id: int) -> date:
    """The day after the class's previous round of bilans: the latest day on which bilans of the class
    were validated, before the current round (a round: the days within 45 days of its latest bilan)."""
    days = sorted({clock.local_day(r[0]) for r in db.execute(
        f"SELECT b.validated_at FROM bilans b JOIN learners l ON l.id = b.learner_id WHERE l.class_id = ? "
        f"AND b.status IN ('validated', 'unlocked') AND {NOT_WITHDRAWN}", [class_id])}, reverse=True)
    if not days:
        return date(clock.today().year if clock.today().month >= 9 else clock.today().year - 1, 9, 1)
    current_round = [d for d in days if d >= days[0] - timedelta(days=45)]
    earlier = [d for d in days if d < current_round[-1]]
    anchor = earlier[0] if earlier else days[0]
    return anchor + timedelta(days=1)


def default_since_for(db: Database, user: User | None, class_id: int) -> date:
    """default_since for a class the user may see."""
    require(user, "open_class_council")
    require_class(db, user, class_id)
    return default_since(db, class_id)


def class_council(db: Database, user: User | None, class_id: int, since: date | None = None) -> Council:
    """The council view of a class (teachers: their own classes; the DDFPT: every class)."""
    require(user, "open_class_council")
    require_class(db, user, class_id)
    with reading(db):  # one read: every frame comes from the same state of the database
        learner_keys, method = _learner_keys(db, class_id), school.proposition_method(db)
        key = (db.location, class_id, hash(tuple(sorted(learner_keys.items()))), method, since, clock.today())
        found = _councils.get(key)
        if found is MISSING:
            found = _read_council(db, class_id, since, learner_keys, method)
            _councils.put(key, found)
        return found


# Kept per process by what they are read from: a class's council by its learners (names and versions, which
# every write touching a learner bumps), its grades, the school's method and the date; a learner's row by
# the same for that learner, so that after one learner changed only that learner is read again.
_councils = LeastRecentlyUsed(32)
_rows = LeastRecentlyUsed(2048)


def _learner_keys(db, class_id: int) -> dict[int, tuple]:
    """Each learner's (version, name, grades) of the class: what their row is computed from."""
    grades = {learner: (count, last) for learner, count, last in db.execute(
        "SELECT b.learner_id, count(*), max(g.id) FROM grades g JOIN bilans b ON b.id = g.bilan_id "
        "JOIN learners l ON l.id = b.learner_id WHERE l.class_id = ? GROUP BY b.learner_id", [class_id])}
    return {learner: (version, name, grades.get(learner)) for learner, version, name in db.execute(
        "SELECT id, version, last_name || ' ' || first_name FROM learners WHERE class_id = ?", [class_id])}


def clear_cache() -> None:
    _councils.clear()
    _rows.clear()


def _read_council(db: Database, class_id: int, since: date | None, learner_keys: dict[int, tuple],
                  method: str) -> Council:
    class_name, diploma = db.execute("SELECT name, diploma FROM classes WHERE id = ?", [class_id]).fetchone()
    competencies = tuple(Competency(*row) for row in db.execute(
        "SELECT c.id, c.code, c.title, u.code FROM competencies c JOIN units u ON u.id = c.unit_id "
        "WHERE c.diploma = ? ORDER BY u.id, c.position, c.id", [diploma]))
    learners = [r[0] for r in db.execute("SELECT id FROM learners WHERE class_id = ? ORDER BY last_name COLLATE "
                                         "NOCASE, first_name COLLATE NOCASE, id", [class_id])]
    keys = {learner: (db.location, learner, *key, method) for learner, key in learner_keys.items()}
    rows = {learner: _rows.get(keys[learner]) for learner in learners}
    missing = [learner for learner, row in rows.items() if row is MISSING]
    if missing:  # one set of queries for every learner to read again, never one per learner
        for row in _read_rows(db, class_id, missing, competencies, method):
            rows[row.learner_id] = row
            _rows.put(keys[row.learner_id], row)
    chosen = default_since(db, class_id)
    return Council(class_id, class_name, competencies, tuple(rows[learner] for learner in learners), since or chosen,
                   chosen)


def _read_rows(db, class_id: int, learners: list[int], competencies, method: str) -> list[LearnerRow]:
    names = dict(db.execute("SELECT id, last_name || ' ' || first_name FROM learners WHERE class_id = ?", [class_id]))
    latest = _latest_bilans(db, class_id)
    marks = _marks(db, class_id)
    grades = _grades(db, class_id)
    evidence = _evidence(db, class_id, learners)
    rows = []
    for learner_id in learners:
        bilan_id, bilan_at = latest.get(learner_id, (None, None))
        draft_id = marks["drafts"].get(learner_id)
        results = evidence.get(learner_id, {})
        cells = {}
        for competency in competencies:
            found = results.get(competency.id, [])
            cells[competency.id] = Cell(
                marks["positions"].get((bilan_id, competency.id)) if bilan_id else None,
                marks["positions"].get((draft_id, competency.id)) if draft_id else None,
                propose(found, method, competency.id),
                sum(1 for r in found if bilan_at is None or r.modified_at > bilan_at))
        positioned = None
        if draft_id is not None:
            positioned = sum(1 for c in competencies if (draft_id, c.id) in marks["positions"])
        grade = grades.get(bilan_id)
        rows.append(LearnerRow(learner_id, names[learner_id], cells, bilan_at, positioned,
                               grade[0] if grade else None, grade[1] if grade else None))
    return rows


def _latest_bilans(db, class_id: int) -> dict[int, tuple[int, str]]:
    """Each learner's latest validated (or unlocked) bilan: (id, validation moment)."""
    rows = db.execute(
        f"SELECT b.learner_id, b.id, b.validated_at FROM bilans b JOIN learners l ON l.id = b.learner_id "
        f"WHERE l.class_id = ? AND b.status IN ('validated', 'unlocked') AND {NOT_WITHDRAWN} "
        "ORDER BY b.validated_at, b.id", [class_id])
    return {learner: (bilan, at) for learner, bilan, at in rows}


def _marks(db, class_id: int) -> dict:
    """Every positioning of the class's bilans and drafts by (bilan id, competency id), and each
    learner's draft id."""
    positions = {(bilan, competency): Mark(level, objective) for bilan, competency, level, objective in db.execute(
        f"SELECT p.bilan_id, p.competency_id, p.level, p.objective FROM positionings p "
        f"JOIN bilans b ON b.id = p.bilan_id JOIN learners l ON l.id = b.learner_id "
        f"WHERE l.class_id = ? AND {NOT_WITHDRAWN}", [class_id])}
    drafts = dict(db.execute("SELECT b.learner_id, b.id FROM bilans b JOIN learners l ON l.id = b.learner_id "
                             "WHERE l.class_id = ? AND b.status = 'draft'", [class_id]).fetchall())
    return {"positions": positions, "drafts": drafts}


def _grades(db, class_id: int) -> dict[int, tuple[str, float]]:
    """The current grade (the newest) of each graded bilan of the class: (French text, value)."""
    rows = db.execute(
        "SELECT g.bilan_id, g.grade, g.rounding_step FROM grades g JOIN bilans b ON b.id = g.bilan_id "
        "JOIN learners l ON l.id = b.learner_id WHERE l.class_id = ? ORDER BY g.id", [class_id])
    return {bilan: (decimal_text(stored_grade(grade, step)), grade) for bilan, grade, step in rows}


def _evidence(db, class_id: int, learners: list[int]) -> dict[int, dict[int, list[Evidence]]]:
    """Every result of these learners of the class, by learner then competency, as livret.proposition reads them."""
    found: dict[int, dict[int, list[Evidence]]] = {}
    marks = ", ".join("?" * len(learners))
    for learner, competency, *fields in db.execute(
            "SELECT r.learner_id, cr.competency_id, r.criterion_id, cr.position, r.code, e.modified_at, e.eval_date, "
            "e.context, e.complexity, e.title, e.id FROM results r JOIN evaluations e ON e.id = r.evaluation_id "
            "JOIN criteria cr ON cr.id = r.criterion_id JOIN learners l ON l.id = r.learner_id "
            f"WHERE l.class_id = ? AND r.learner_id IN ({marks}) ORDER BY e.modified_at, e.id, cr.position",
            [class_id, *learners]):
        found.setdefault(learner, {}).setdefault(competency, []).append(Evidence(*fields))
    return found
