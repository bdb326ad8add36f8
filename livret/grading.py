"""Grades /20 from a learner's latest validated bilan and a weighting (SPEC N1–N7).

Grades are computed with exact fractions; rounding to the school's step happens only when a grade
is shown or stored, so a weighting never drifts by accumulated floating-point error."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import pandas as pd
import sqlite_utils

from livret import audit, clock
from livret.codes import ACQUISITION_BY_LEVEL, OBJECTIVES, positioning_short
from livret.db import bump_data_version, transaction
from livret.errors import NotFound, ValidationError
from livret.french import date_text, moment_text
from livret.permissions import User, require, require_class, require_learner_staff
from livret.render.spreadsheet import french_csv

ROUNDING_STEPS = ("0.1", "0.25", "0.5", "1")
DEFAULT_ROUNDING_STEP = "0.1"
ROUNDING_SETTING = "rounding_step"
CSV_HEADER = ("Classe", "Nom", "Prénom", "Date du bilan", "Note sur 20", "Pondération")
FORMULA = ("Note = 20 × Σ wᵢ·v(niveauᵢ) / 100, avec v(--) = 0, v(-) = 1/3, v(+) = 2/3, v(++) = 1, "
           "quels que soient les objectifs (intermédiaires ou terminaux).")


# ---------------------------------------------------------------- the bilan being graded


@dataclass(frozen=True)
class CompetencyLine:
    """One competency of the référentiel and its positioning in the bilan (level None = NE)."""

    id: int
    code: str
    title: str
    position: int
    unit: str
    unit_coefficient: Fraction
    unit_size: int
    level: int | None
    objective: str | None

    @property
    def evaluated(self) -> bool:
        return self.level is not None

    @property
    def short(self) -> str:
        return positioning_short(self.level)

    @property
    def value(self) -> Fraction | None:
        """The level's exact grade value, None for a competency not evaluated."""
        if self.level is None:
            return None
        return ACQUISITION_BY_LEVEL[self.level].value


@dataclass(frozen=True)
class GradingBilan:
    """A learner's validated bilan with a line per competency of the learner's diploma."""

    id: int
    learner_id: int
    last_name: str
    first_name: str
    class_id: int
    class_name: str
    validated_at: str
    lines: tuple[CompetencyLine, ...]

    @property
    def full_name(self) -> str:
        return f"{self.last_name} {self.first_name}"

    @property
    def bilan_date(self) -> str:
        """The validation date as a French reader writes it (27/03/2026)."""
        return date_text(self.validated_at)

    @property
    def profile(self) -> frozenset[int]:
        """The competencies evaluated (not NE) in this bilan: learners with the same profile
        can share a weighting."""
        return frozenset(line.id for line in self.lines if line.evaluated)


# The id of learner l's latest validated bilan, as a correlated subquery.
_LATEST_VALIDATED = (
    "SELECT latest.id FROM bilans latest WHERE latest.learner_id = l.id AND latest.status = 'validated' "
    "AND latest.withdrawn_at IS NULL "
    "ORDER BY latest.validated_at DESC, latest.id DESC LIMIT 1"
)


def _load_bilans(db: sqlite_utils.Database, where: str, params: Sequence) -> list[GradingBilan]:
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
    diplomas = sorted({head[7] for head in heads})
    marks = ",".join("?" * len(diplomas))
    competencies = db.execute(
        "SELECT co.id, co.code, co.title, co.position, u.code, u.coefficient, co.diploma, "
        "(SELECT count(*) FROM competencies c2 WHERE c2.unit_id = u.id) "
        f"FROM competencies co JOIN units u ON u.id = co.unit_id WHERE co.diploma IN ({marks}) "
        "ORDER BY co.position, co.id",
        diplomas,
    ).fetchall()
    bilan_ids = [head[0] for head in heads]
    positionings: dict[tuple[int, int], tuple[int | None, str | None]] = {}
    for start in range(0, len(bilan_ids), 500):  # stay under SQLite's bound-parameter limit
        chunk = bilan_ids[start:start + 500]
        rows = db.execute(
            "SELECT bilan_id, competency_id, level, objective FROM positionings "
            f"WHERE bilan_id IN ({','.join('?' * len(chunk))})", chunk,
        ).fetchall()
        positionings.update({(r[0], r[1]): (r[2], r[3]) for r in rows})
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


def latest_validated_bilan(db: sqlite_utils.Database, user: User | None, learner_id: int) -> GradingBilan | None:
    """The learner's latest validated bilan (N1), or None when the learner has none yet."""
    require_learner_staff(db, user, learner_id)
    found = _load_bilans(db, f"l.id = ? AND b.id = ({_LATEST_VALIDATED})", [learner_id])
    return found[0] if found else None


def class_latest_bilans(db: sqlite_utils.Database, user: User | None, class_id: int) -> list[GradingBilan]:
    """The latest validated bilan of every learner of the class who has one, by learner name."""
    require_class(db, user, class_id)
    return _load_bilans(db, f"l.class_id = ? AND b.id = ({_LATEST_VALIDATED})", [class_id])


def _checked_bilan(db: sqlite_utils.Database, user: User | None, bilan: GradingBilan | int) -> GradingBilan:
    """The validated bilan of that id as stored, once the user may grade its learner. Only the id of a
    GradingBilan passed in is used: its other fields are the caller's and prove nothing."""
    bilan_id = bilan.id if isinstance(bilan, GradingBilan) else bilan
    user = require(user, "work_with_learners")
    loaded = _bilan_by_id(db, int(bilan_id))
    require_learner_staff(db, user, loaded.learner_id)
    return loaded


def same_profile_bilans(db: sqlite_utils.Database, user: User | None,
                        bilan: GradingBilan | int) -> list[GradingBilan]:
    """N4: the other learners of the class whose latest bilan evaluates exactly the same competencies."""
    bilan = _checked_bilan(db, user, bilan)
    return [other for other in class_latest_bilans(db, user, bilan.class_id)
            if other.learner_id != bilan.learner_id and other.profile == bilan.profile]


# ---------------------------------------------------------------- weights and grade


def _whole_percent(raw: object, code: str) -> int:
    """A weight typed by the teacher as a whole percentage; an empty cell counts as 0."""
    if isinstance(raw, str) and not raw.strip():
        return 0
    if not isinstance(raw, str) and pd.api.types.is_scalar(raw) and pd.isna(raw):
        return 0  # a cleared cell (None, NaN or pd.NA)
    if isinstance(raw, bool):
        raise ValidationError(f"La pondération de {code} doit être un nombre entier de pour cent.")
    if isinstance(raw, str):
        try:
            raw = Fraction(raw.strip().replace(",", "."))
        except ValueError:
            raise ValidationError(f"La pondération de {code} doit être un nombre entier de pour cent "
                                  f"(« {raw} » saisi).") from None
    try:
        value = Fraction(raw)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError(f"La pondération de {code} doit être un nombre entier de pour cent.") from None
    if value.denominator != 1:
        shown = str(float(value)).replace(".", ",")
        raise ValidationError(f"La pondération de {code} doit être un nombre entier de pour cent "
                              f"({shown} % saisi).")
    return int(value)


def check_weights(bilan: GradingBilan, weights: Mapping[int, object]) -> dict[int, int]:
    """N2: the weighting as whole percentages per competency id (every competency of the bilan,
    0 when absent), refused with a French message when a weight is negative or not whole, sits on a
    competency not evaluated (NE), or when the total goes above 100. A total below 100 is allowed:
    it is a weighting in progress."""
    known = {line.id for line in bilan.lines}
    unknown = [key for key in weights if key not in known]
    if unknown:
        raise ValidationError("Cette pondération porte sur une compétence qui n'est pas dans le référentiel du bilan.")
    cleaned: dict[int, int] = {}
    for line in bilan.lines:
        value = _whole_percent(weights.get(line.id), line.code)
        if value < 0:
            raise ValidationError(f"La pondération de {line.code} ne peut pas être négative ({value} % saisi).")
        if value and not line.evaluated:
            raise ValidationError(f"{line.code} n'est pas évaluée dans ce bilan (NE) : "
                                  "sa pondération doit rester à 0 %.")
        cleaned[line.id] = value
    total = sum(cleaned.values())
    if total > 100:
        raise ValidationError(f"Le total des pondérations ne peut pas dépasser 100 % (total saisi : {total} %).")
    return cleaned


def remaining(weights: Mapping[int, int]) -> int:
    """What is left to distribute (« Reste à répartir »)."""
    return 100 - sum(weights.values())


def exact_grade(bilan: GradingBilan, weights: Mapping[int, object]) -> Fraction:
    """N3: 20 × Σ wᵢ·v(levelᵢ) / 100 as an exact fraction; the weights must total exactly 100."""
    cleaned = check_weights(bilan, weights)
    left = remaining(cleaned)
    if left:
        raise ValidationError(f"La pondération doit totaliser 100 % avant de proposer une note "
                              f"(reste à répartir : {left} %).")
    points = sum((cleaned[line.id] * line.value for line in bilan.lines if cleaned[line.id]), Fraction(0))
    return 20 * points / 100


def proposed_grade(bilan: GradingBilan, weights: Mapping[int, object]) -> Fraction | None:
    """The exact grade once the weights total 100, None while some percent remains to distribute."""
    cleaned = check_weights(bilan, weights)
    return exact_grade(bilan, cleaned) if remaining(cleaned) == 0 else None


def round_grade(value: Fraction, step: Decimal | str) -> Fraction:
    """Round half up to a multiple of step (0.1, 0.25, 0.5 or 1)."""
    fstep = Fraction(Decimal(step))
    return math.floor(value / fstep + Fraction(1, 2)) * fstep


def _places(step: Decimal | str) -> int:
    return max(0, -Decimal(step).normalize().as_tuple().exponent)


def grade_decimal(value: Fraction, step: Decimal | str) -> Decimal:
    """The grade rounded to step, as a Decimal with the step's number of decimals."""
    rounded = round_grade(value, step)
    places = _places(step)
    return (Decimal(rounded.numerator) / Decimal(rounded.denominator)).quantize(Decimal(1).scaleb(-places))


def format_grade(value: Fraction, step: Decimal | str) -> str:
    """A grade as a French reader writes it, rounded to step: 13,3."""
    return str(grade_decimal(value, step)).replace(".", ",")


def _short_number(value: Fraction) -> str:
    """A term of the developed formula: whole numbers as such, others to two decimals (6,67)."""
    if value.denominator == 1:
        return str(value.numerator)
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def developed_formula(bilan: GradingBilan, weights: Mapping[int, object], step: Decimal | str) -> str:
    """The computation written out for the teacher: 20 × (40 + 20 + 6,67 + 0) / 100 = 13,3."""
    grade = exact_grade(bilan, weights)
    cleaned = check_weights(bilan, weights)
    terms = [_short_number(cleaned[line.id] * line.value) for line in bilan.lines if cleaned[line.id]]
    return f"20 × ({' + '.join(terms)}) / 100 = {format_grade(grade, step)}"


def model_weighting(lines: Iterable[CompetencyLine]) -> dict[int, int]:
    """N5: each unit's share of the total coefficient split equally over its competencies, spread
    over the evaluated competencies keeping their relative sizes, as whole percents summing to 100
    (largest remainder; ties go to the earlier competency in référentiel order). Competencies not
    evaluated get 0."""
    lines = sorted(lines, key=lambda line: (line.position, line.id))
    evaluated = [line for line in lines if line.evaluated]
    if not evaluated:
        raise ValidationError("Aucune compétence n'est évaluée dans ce bilan : aucune pondération n'est possible.")
    # The total coefficient is a common factor of every share, so it cancels in the spreading.
    shares = {line.id: line.unit_coefficient / line.unit_size for line in evaluated}
    total = sum(shares.values(), Fraction(0))
    exact = {cid: 100 * share / total for cid, share in shares.items()}
    weights = {line.id: 0 for line in lines}
    weights.update({cid: math.floor(value) for cid, value in exact.items()})
    left = 100 - sum(weights.values())
    by_remainder = sorted(evaluated, key=lambda line: (-(exact[line.id] - math.floor(exact[line.id])), line.position))
    for line in by_remainder[:left]:
        weights[line.id] += 1
    return weights


def model_weights(db: sqlite_utils.Database, user: User | None, bilan: GradingBilan | int) -> dict[int, int]:
    return model_weighting(_checked_bilan(db, user, bilan).lines)


def zero_weights(bilan: GradingBilan) -> dict[int, int]:
    """N6 « Remise à zéro »."""
    return {line.id: 0 for line in bilan.lines}


def weights_frame(bilan: GradingBilan, weights: Mapping[int, int]) -> pd.DataFrame:
    """The weights grid: one row per competency (index = competency id), its positioning beside it."""
    values = {4: "1", 3: "2/3", 2: "1/3", 1: "0"}
    return pd.DataFrame(
        {
            "Unité": [line.unit for line in bilan.lines],
            "Compétence": [f"{line.code} - {line.title}" for line in bilan.lines],
            "Positionnement": [line.short for line in bilan.lines],
            "Objectifs": [OBJECTIVES[line.objective].removeprefix("Objectifs ") if line.objective else ""
                          for line in bilan.lines],
            "Valeur": [values.get(line.level, "—") for line in bilan.lines],
            "Pondération (%)": [float(weights.get(line.id, 0)) for line in bilan.lines],
        },
        index=pd.Index([line.id for line in bilan.lines], name="competency_id"),
    )


def weights_text(bilan: GradingBilan, weights: Mapping[int, int]) -> str:
    """The non-zero weights in référentiel order: C1 40 %, C3 30 %."""
    return ", ".join(f"{line.code} {weights[line.id]} %" for line in bilan.lines if weights.get(line.id))


# ---------------------------------------------------------------- settings


def rounding_step(db: sqlite_utils.Database, user: User | None) -> Decimal:
    """The step grades are rounded to (a setting of the DDFPT, 0.1 unless changed)."""
    require(user, "work_with_learners")
    return _rounding_step(db)


def _rounding_step(db: sqlite_utils.Database) -> Decimal:
    row = db.execute("SELECT value FROM settings WHERE key = ?", [ROUNDING_SETTING]).fetchone()
    value = row[0] if row and row[0] in ROUNDING_STEPS else DEFAULT_ROUNDING_STEP
    return Decimal(value)


def set_rounding_step(db: sqlite_utils.Database, user: User | None, step: Decimal | str) -> Decimal:
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


def _bilan_by_id(db: sqlite_utils.Database, bilan_id: int) -> GradingBilan:
    found = _load_bilans(db, "b.id = ?", [bilan_id])
    if not found:
        raise NotFound("Ce bilan n'existe pas ou n'est pas validé.")
    return found[0]


def save_grades(db: sqlite_utils.Database, user: User | None, weights: Mapping[int, object],
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
            stored = {line.code: cleaned[line.id] for line in bilan.lines if cleaned[line.id]}
            cur = db.execute(
                "INSERT INTO grades(bilan_id, grade, weights, rounding_step, author_id, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [bilan.id, float(grade), json.dumps(stored), float(step), user.id, _now()],
            )
            _audit(db, user, "create", "grade", cur.lastrowid, bilan.learner_id, None,
                   {"bilan_id": bilan.id, "grade": str(grade), "weights": stored})
            saved.append(SavedGrade(cur.lastrowid, bilan.id, bilan.learner_id, bilan.full_name, grade))
            _delete_draft(db, user, bilan.id)
        bump_data_version(db)
    return saved


def stored_weights(db: sqlite_utils.Database, user: User | None,
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


def save_draft_weights(db: sqlite_utils.Database, user: User | None, bilan_id: int,
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


def draft_weights(db: sqlite_utils.Database, user: User | None,
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


def discard_draft_weights(db: sqlite_utils.Database, user: User | None, bilan: GradingBilan | int) -> None:
    """« Remise à zéro »: forget the user's weighting in progress for the bilan."""
    bilan = _checked_bilan(db, user, bilan)
    with transaction(db):
        _delete_draft(db, user, bilan.id)


def _delete_draft(db: sqlite_utils.Database, user: User, bilan_id: int) -> None:
    db.execute("DELETE FROM grading_drafts WHERE bilan_id = ? AND user_id = ?", [bilan_id, user.id])


@dataclass(frozen=True)
class CurrentGrade:
    grade: Decimal
    created_at: str
    author: str
    versions: int

    @property
    def grade_text(self) -> str:
        return str(self.grade).replace(".", ",")

    @property
    def when(self) -> str:
        return moment_text(self.created_at)


def current_grade(db: sqlite_utils.Database, user: User | None, bilan: GradingBilan | int) -> CurrentGrade | None:
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


def grade_history(db: sqlite_utils.Database, user: User | None, learner_id: int) -> pd.DataFrame:
    """Every grade of the learner, newest first (the first row is current)."""
    require_learner_staff(db, user, learner_id)
    return pd.read_sql_query(
        "SELECT g.id, g.bilan_id, b.validated_at, g.grade, g.weights, g.rounding_step, g.created_at, "
        "coalesce(u.name, '') AS author FROM grades g JOIN bilans b ON b.id = g.bilan_id "
        "LEFT JOIN users u ON u.id = g.author_id WHERE b.learner_id = ? AND b.withdrawn_at IS NULL "
        "ORDER BY g.id DESC",
        db.conn, params=[learner_id],
    )


def class_grades(db: sqlite_utils.Database, user: User | None, class_id: int) -> pd.DataFrame:
    """The current grade of every learner of the class who has one (their most recent grade), by name."""
    require_class(db, user, class_id)
    return pd.read_sql_query(
        "SELECT l.id AS learner_id, c.name AS class_name, l.last_name, l.first_name, b.validated_at, "
        "g.grade, g.rounding_step, g.weights, g.created_at, coalesce(u.name, '') AS author "
        "FROM learners l JOIN classes c ON c.id = l.class_id "
        "JOIN grades g ON g.id = (SELECT g2.id FROM grades g2 JOIN bilans b2 ON b2.id = g2.bilan_id "
        "                         WHERE b2.learner_id = l.id AND b2.withdrawn_at IS NULL "
        "                         ORDER BY g2.id DESC LIMIT 1) "
        "JOIN bilans b ON b.id = g.bilan_id LEFT JOIN users u ON u.id = g.author_id "
        "WHERE l.class_id = ? ORDER BY l.last_name COLLATE NOCASE, l.first_name COLLATE NOCASE, l.id",
        db.conn, params=[class_id],
    )


def stored_grade(value: float, step: float) -> Decimal:
    """A stored grade with as many decimals as its rounding step."""
    places = _places(Decimal(repr(step)))
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-places))


def _stored_weights_text(weights_json: str) -> str:
    return ", ".join(f"{code} {weight} %" for code, weight in json.loads(weights_json).items())


def class_grades_table(db: sqlite_utils.Database, user: User | None, class_id: int) -> pd.DataFrame:
    """The class's current grades as the page shows them (French labels and number format)."""
    frame = class_grades(db, user, class_id)
    return pd.DataFrame({
        "Apprenant": frame["last_name"] + " " + frame["first_name"],
        "Date du bilan": frame["validated_at"].map(date_text),
        "Note sur 20": [str(stored_grade(g, s)).replace(".", ",")
                        for g, s in zip(frame["grade"], frame["rounding_step"])],
        "Pondération": [_stored_weights_text(w) for w in frame["weights"]],
        "Enregistrée le": frame["created_at"].map(lambda s: moment_text(s, " ")),
        "Par": frame["author"],
    })


def export_csv(db: sqlite_utils.Database, user: User | None, class_id: int) -> bytes:
    """N7 « Exporter CSV »: the class's current grades in the French spreadsheet convention."""
    frame = class_grades(db, user, class_id)
    rows = [
        (r.class_name, r.last_name, r.first_name,
         date_text(r.validated_at),
         stored_grade(r.grade, r.rounding_step), _stored_weights_text(r.weights))
        for r in frame.itertuples()
    ]
    return french_csv(CSV_HEADER, rows)
