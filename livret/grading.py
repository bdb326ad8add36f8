"""Grades /20 stored from a learner's latest validated bilan and a weighting (SPEC N1, N4, N7): the
bilans to grade, the DDFPT's rounding step, grades saved with their history, weightings in progress
and the CSV export. The arithmetic itself (weights, exact grade, rounding, texts) is in
livret/grade_arithmetic.py, whose bilan types are used here."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import pandas as pd

from livret import audit, clock
from livret.db import Database, bump_data_version, transaction
from livret.errors import NotFound, ValidationError
from livret.french import date_text, decimal_text, moment_text
from livret.grade_arithmetic import (
    CompetencyLine,
    GradingBilan,
    check_weights,
    code_weights_text,
    exact_grade,
    grade_decimal,
    model_weighting,
    stored_grade,
    weights_by_code,
)
from livret.permissions import User, require, require_class, require_learner_staff
from livret.render.spreadsheet import french_csv

ROUNDING_STEPS = ("0.1", "0.25", "0.5", "1")
DEFAULT_ROUNDING_STEP = "0.1"
ROUNDING_SETTING = "rounding_step"
CSV_HEADER = ("Classe", "Nom", "Prénom", "Date du bilan", "Note sur 20", "Pondération")


# ---------------------------------------------------------------- the bilans to grade


# The id of learner l's latest validated bilan, as a correlated subquery.
_LATEST_VALIDATED = (
    "SELECT latest.id FROM bilans latest WHERE latest.learner_id = l.id AND latest.status = 'validated' "
    "AND latest.withdrawn_at IS NULL "
    "ORDER BY latest.validated_at DESC, latest.id DESC LIMIT 1"
)


def _load_bilans(db: Database, where: str, params: Sequence) -> list[GradingBilan]:
    """Bilans (rows of `bilans b JOIN learners l JOIN classes c` matching where) with their lines."""
    heads = db.execute(
        "SELECT b.id, b.learner_id, l.last_name, l.first_name, c.id, c.name, b.validated_at, c.diploma "
        "FROM bilans b JOIN learners l ON l.id = b.learner_id JOIN classes c ON c.id = l.class_id "
        f"WHERE b.status = 'validated' AND b.withdrawn_at IS NULL AND {where} "
        "ORDER BY l.last_name COLLATE NOCASE, l.first_name COLLATE NOCASE, l.id",
        list(params),
    ).fetchall()
    if not heads:
        return []
    competencies = _competencies(db, sorted({head[7] for head in heads}))
    positionings = _positionings(db, [head[0] for head in heads])
    bilans = []
    for bilan_id, learner_id, last, first, class_id, class_name, validated_at, diploma in heads:
        lines = tuple(
            CompetencyLine(
                id=cid, code=code, title=title, position=position, unit=unit,
                unit_coefficient=Fraction(repr(float(coefficient))), unit_size=size,
                level=positionings.get((bilan_id, cid), (None, None))[0],
                objective=positionings.get((bilan_id, cid), (None, None))[1],
            )
            for cid, code, title, position, unit, coefficient, comp_diploma, size in competencies
            if comp_diploma == diploma
        )
        bilans.append(GradingBilan(bilan_id, learner_id, last, first, class_id, class_name, validated_at, lines))
    return bilans


def _competencies(db: Database, diplomas: Sequence[str]) -> list[tuple]:
    """The competencies of these diplomas in référentiel order, with their unit and its size."""
    marks = ",".join("?" * len(diplomas))
    return db.execute(
        "SELECT co.id, co.code, co.title, co.position, u.code, u.coefficient, co.diploma, "
        "(SELECT count(*) FROM competencies c2 WHERE c2.unit_id = u.id) "
        f"FROM competencies co JOIN units u ON u.id = co.unit_id WHERE co.diploma IN ({marks}) "
        "ORDER BY co.position, co.id",
        list(diplomas),
    ).fetchall()


def _positionings(db: Database,
                  bilan_ids: Sequence[int]) -> dict[tuple[int, int], tuple[int | None, str | None]]:
    """{(bilan id, competency id): (level, objective)} of these bilans."""
    positionings: dict[tuple[int, int], tuple[int | None, str | None]] = {}
    for start in range(0, len(bilan_ids), 500):  # stay under SQLite's bound-parameter limit
        chunk = bilan_ids[start:start + 500]
        rows = db.execute(
            "SELECT bilan_id, competency_id, level, objective FROM positionings "
            f"WHERE bilan_id IN ({','.join('?' * len(chunk))})", list(chunk),
        ).fetchall()
        positionings.update({(r[0], r[1]): (r[2], r[3]) for r in rows})
    return positionings


def latest_validated_bilan(db: Database, user: User | None, learner_id: int) -> GradingBilan | None:
    """The learner's latest validated bilan (N1), or None when the learner has none yet."""
    require_learner_staff(db, user, learner_id)
    found = _load_bilans(db, f"l.id = ? AND b.id = ({_LATEST_VALIDATED})", [learner_id])
    return found[0] if found else None


def class_latest_bilans(db: Database, user: User | None, class_id: int) -> list[GradingBilan]:
    """The latest validated bilan of every learner of the class who has one, by learner name."""
    require_class(db, user, class_id)
    return _load_bilans(db, f"l.class_id = ? AND b.id = ({_LATEST_VALIDATED})", [class_id])


def _checked_bilan(db: Database, user: User | None, bilan: GradingBilan | int) -> GradingBilan:
    """The validated bilan of that id as stored, once the user may grade its learner. Only the id of a
    GradingBilan passed in is used: its other fields are the caller's and prove nothing."""
    bilan_id = bilan.id if isinstance(bilan, GradingBilan) else bilan
    user = require(user, "work_with_learners")
    loaded = _bilan_by_id(db, int(bilan_id))
    require_learner_staff(db, user, loaded.learner_id)
    return loaded


def same_profile_bilans(db: Database, user: User | None,
                        bilan: GradingBilan | int) -> list[GradingBilan]:
    """N4: the other learners of the class whose latest bilan evaluates exactly the same competencies."""
    bilan = _checked_bilan(db, user, bilan)
    return [other for other in class_latest_bilans(db, user, bilan.class_id)
            if other.learner_id != bilan.learner_id and other.profile == bilan.profile]


# ---------------------------------------------------------------- weights


def model_weights(db: Database, user: User | None, bilan: GradingBilan | int) -> dict[int, int]:
    """N5: the model weighting of the bilan as stored, once the user may grade its learner."""
    return model_weighting(_checked_bilan(db, user, bilan).lines)


# ---------------------------------------------------------------- settings


def rounding_step(db: Database, user: User | None) -> Decimal:
    """The step grades are rounded to (a setting of the DDFPT, 0.1 unless changed)."""
    require(user, "work_with_learners")
    return _rounding_step(db)


def _rounding_step(db: Database) -> Decimal:
    row = db.execute("SELECT value FROM settings WHERE key = ?", [ROUNDING_SETTING]).fetchone()
    value = row[0] if row and row[0] in ROUNDING_STEPS else DEFAULT_ROUNDING_STEP
    return Decimal(value)


def set_rounding_step(db: Database, user: User | None, step: Decimal | str) -> Decimal:
    """Only the DDFPT changes the rounding step, to one of ROUNDING_STEPS."""
    user = require(user, "set_rounding_step")
    try:
        text = str(Decimal(str(step).strip().replace(",", ".")).normalize())
    except ArithmeticError:  # decimal.InvalidOperation: not a number at all
        text = ""
    if text not in ROUNDING_STEPS:
        raise ValidationError("Le pas d'arrondi doit être 0,1, 0,25, 0,5 ou 1.")
    with transaction(db):
        before = str(_rounding_step(db))
        db.execute("INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                   [ROUNDING_SETTING, text])
        _audit(db, user, "update", "setting", None, None, {"rounding_step": before}, {"rounding_step": text})
        bump_data_version(db)
    return Decimal(text)


# ---------------------------------------------------------------- stored grades


@dataclass(frozen=True)
class SavedGrade:
    grade_id: int
    bilan_id: int
    learner_id: int
    full_name: str
    grade: Decimal


def _now() -> str:
    return clock.stamp()


def _audit(db, user: User, action: str, entity: str, entity_id, learner_id, before, after) -> None:
    audit.write(db, user, action, entity, entity_id, learner_id, before, after)


def _bilan_by_id(db: Database, bilan_id: int) -> GradingBilan:
    found = _load_bilans(db, "b.id = ?", [bilan_id])
    if not found:
        raise NotFound("Ce bilan n'existe pas ou n'est pas validé.")
    return found[0]


def save_grades(db: Database, user: User | None, weights: Mapping[int, object],
                bilan_ids: Sequence[int]) -> list[SavedGrade]:
    """N7 « Enregistrer les notes »: one grade per bilan under the same weighting, in one transaction.
    Each bilan must be its learner's latest validated bilan; a bilan graded again keeps its earlier
    grades (the latest one is current)."""
    user = require(user, "work_with_learners")
    if not bilan_ids:
        raise ValidationError("Aucun apprenant à noter.")
    saved = []
    with transaction(db):
        step = _rounding_step(db)
        for bilan_id in dict.fromkeys(bilan_ids):
            bilan = _bilan_by_id(db, int(bilan_id))
            require_learner_staff(db, user, bilan.learner_id)
            latest = _load_bilans(db, f"l.id = ? AND b.id = ({_LATEST_VALIDATED})", [bilan.learner_id])
            if latest[0].id != bilan.id:
                raise ValidationError(f"Ce bilan n'est plus le dernier bilan validé de {bilan.full_name} : "
                                      "rouvrez sa notation.")
            cleaned = check_weights(bilan, weights)
            grade = grade_decimal(exact_grade(bilan, cleaned), step)
            stored = weights_by_code(bilan, cleaned)
            grade_id = db.insert(
                "INSERT INTO grades(bilan_id, grade, weights, rounding_step, author_id, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [bilan.id, float(grade), json.dumps(stored), float(step), user.id, _now()],
            )
            _audit(db, user, "create", "grade", grade_id, bilan.learner_id, None,
                   {"bilan_id": bilan.id, "grade": str(grade), "weights": stored})
            saved.append(SavedGrade(grade_id, bilan.id, bilan.learner_id, bilan.full_name, grade))
            _delete_draft(db, user, bilan.id)
        bump_data_version(db)
    return saved


def stored_weights(db: Database, user: User | None,
                   bilan: GradingBilan | int) -> dict[int, int] | None:
    """The weighting of the bilan's current grade, to reopen it as it was saved; None if never graded."""
    bilan = _checked_bilan(db, user, bilan)
    row = db.execute("SELECT weights FROM grades WHERE bilan_id = ? ORDER BY id DESC LIMIT 1", [bilan.id]).fetchone()
    if row is None:
        return None
    by_code = json.loads(row[0])
    return {line.id: int(by_code.get(line.code, 0)) for line in bilan.lines}


# ---------------------------------------------------------------- weightings in progress
# A weighting being typed is kept per bilan and author until its grade is saved or the weighting is
# reset, so a reload, a closed tab or another device loses nothing. Drafts touch no grade, bilan or
# learner: neither the data version nor a learner's version is bumped for them.


@dataclass(frozen=True)
class DraftWeighting:
    weights: dict[int, int]
    updated_at: str

    @property
    def when(self) -> str:
        return moment_text(self.updated_at)


def save_draft_weights(db: Database, user: User | None, bilan_id: int,
                       weights: Mapping[int, object]) -> DraftWeighting:
    """Keep the user's weighting in progress for the bilan (one draft per bilan and author, replaced
    at each change). The weighting must pass check_weights on the bilan as stored: a refused one
    stores nothing."""
    user = require(user, "work_with_learners")
    with transaction(db):
        bilan = _bilan_by_id(db, int(bilan_id))
        require_learner_staff(db, user, bilan.learner_id)
        cleaned = check_weights(bilan, weights)
        draft = DraftWeighting(cleaned, _now())
        db.execute(
            "INSERT INTO grading_drafts(bilan_id, user_id, weights, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(bilan_id, user_id) DO UPDATE SET weights = excluded.weights, updated_at = excluded.updated_at",
            [bilan.id, user.id, json.dumps({str(cid): weight for cid, weight in cleaned.items()}), draft.updated_at],
        )
    return draft


def draft_weights(db: Database, user: User | None,
                  bilan: GradingBilan | int) -> DraftWeighting | None:
    """The user's weighting in progress for the bilan, None when there is none or when it no longer
    fits the bilan (its positionings changed since, e.g. a weight now on a competency NE)."""
    bilan = _checked_bilan(db, user, bilan)
    row = db.execute("SELECT weights, updated_at FROM grading_drafts WHERE bilan_id = ? AND user_id = ?",
                     [bilan.id, user.id]).fetchone()
    if row is None:
        return None
    known = {line.id for line in bilan.lines}
    # A competency removed from the référentiel since carries no weight worth keeping.
    stored = {int(cid): weight for cid, weight in json.loads(row[0]).items() if int(cid) in known}
    try:
        return DraftWeighting(check_weights(bilan, stored), row[1])
    except ValidationError:
        return None


def discard_draft_weights(db: Database, user: User | None, bilan: GradingBilan | int) -> None:
    """« Remise à zéro »: forget the user's weighting in progress for the bilan."""
    bilan = _checked_bilan(db, user, bilan)
    with transaction(db):
        _delete_draft(db, user, bilan.id)


def _delete_draft(db: Database, user: User, bilan_id: int) -> None:
    db.execute("DELETE FROM grading_drafts WHERE bilan_id = ? AND user_id = ?", [bilan_id, user.id])


@dataclass(frozen=True)
class CurrentGrade:
    grade: Decimal
    created_at: str
    author: str
    versions: int

    @property
    def grade_text(self) -> str:
        return decimal_text(self.grade)

    @property
    def when(self) -> str:
        return moment_text(self.created_at)


def current_grade(db: Database, user: User | None, bilan: GradingBilan | int) -> CurrentGrade | None:
    """The bilan's current grade (its latest), with how many times the bilan was graded."""
    bilan = _checked_bilan(db, user, bilan)
    rows = db.execute(
        "SELECT g.grade, g.rounding_step, g.created_at, coalesce(u.name, '') FROM grades g "
        "LEFT JOIN users u ON u.id = g.author_id WHERE g.bilan_id = ? ORDER BY g.id DESC", [bilan.id],
    ).fetchall()
    if not rows:
        return None
    grade, step, created_at, author = rows[0]
    return CurrentGrade(stored_grade(grade, step), created_at, author, len(rows))


def grade_history(db: Database, user: User | None, learner_id: int) -> pd.DataFrame:
    """Every grade of the learner, newest first (the first row is current)."""
    require_learner_staff(db, user, learner_id)
    return db.frame(
        "SELECT g.id, g.bilan_id, b.validated_at, g.grade, g.weights, g.rounding_step, g.created_at, "
        "coalesce(u.name, '') AS author FROM grades g JOIN bilans b ON b.id = g.bilan_id "
        "LEFT JOIN users u ON u.id = g.author_id WHERE b.learner_id = ? AND b.withdrawn_at IS NULL "
        "ORDER BY g.id DESC", params=[learner_id],
    )


def class_grades(db: Database, user: User | None, class_id: int) -> pd.DataFrame:
    """The current grade of every learner of the class who has one (their most recent grade), by name."""
    require_class(db, user, class_id)
    return db.frame(
        "SELECT l.id AS learner_id, c.name AS class_name, l.last_name, l.first_name, b.validated_at, "
        "g.grade, g.rounding_step, g.weights, g.created_at, coalesce(u.name, '') AS author "
        "FROM learners l JOIN classes c ON c.id = l.class_id "
        "JOIN grades g ON g.id = (SELECT g2.id FROM grades g2 JOIN bilans b2 ON b2.id = g2.bilan_id "
        "                         WHERE b2.learner_id = l.id AND b2.withdrawn_at IS NULL "
        "                         ORDER BY g2.id DESC LIMIT 1) "
        "JOIN bilans b ON b.id = g.bilan_id LEFT JOIN users u ON u.id = g.author_id "
        "WHERE l.class_id = ? ORDER BY l.last_name COLLATE NOCASE, l.first_name COLLATE NOCASE, l.id", params=[class_id],
    )


def _stored_weights_text(weights_json: str) -> str:
    return code_weights_text(json.loads(weights_json))


def class_grades_table(db: Database, user: User | None, class_id: int) -> pd.DataFrame:
    """The class's current grades as the page shows them (French labels and number format)."""
    frame = class_grades(db, user, class_id)
    return pd.DataFrame({
        "Apprenant": frame["last_name"] + " " + frame["first_name"],
        "Date du bilan": frame["validated_at"].map(date_text),
        "Note sur 20": [decimal_text(stored_grade(g, s))
                        for g, s in zip(frame["grade"], frame["rounding_step"])],
        "Pondération": [_stored_weights_text(w) for w in frame["weights"]],
        "Enregistrée le": frame["created_at"].map(lambda s: moment_text(s, " ")),
        "Par": frame["author"],
    })


def export_csv(db: Database, user: User | None, class_id: int) -> bytes:
    """N7 « Exporter CSV »: the class's current grades in the French spreadsheet convention, with one
    column per competency's weight (%), the grade's author and date, as a school's grade book imports them."""
    frame = class_grades(db, user, class_id)
    codes = [r[0] for r in db.execute(
        "SELECT c.code FROM competencies c JOIN classes cl ON cl.diploma = c.diploma WHERE cl.id = ? "
        "ORDER BY c.position, c.id", [class_id])]
    rows = []
    for r in frame.itertuples():
        weights = json.loads(r.weights)
        rows.append((r.class_name, r.last_name, r.first_name, date_text(r.validated_at),
                     stored_grade(r.grade, r.rounding_step), _stored_weights_text(r.weights),
                     *[weights.get(code, 0) for code in codes], r.author, moment_text(r.created_at, " ")))
    return french_csv([*CSV_HEADER, *[f"Poids {code} (%)" for code in codes], "Noté par", "Noté le"], rows)
