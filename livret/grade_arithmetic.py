"""The arithmetic of a grade /20 (SPEC N2–N6): plain values in, values out, no database.

Grades are computed with exact fractions; rounding to the school's step happens only when a grade
is shown or stored, so a weighting never drifts by accumulated floating-point error. The value of
each acquisition level, v(level), is AcquisitionLevel.value (livret/codes.py)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import pandas as pd

from livret import french
from livret.codes import ACQUISITION_BY_LEVEL, ACQUISITION_LEVELS, OBJECTIVES, positioning_short
from livret.errors import ValidationError
from livret.french import date_text

_VALUES_TEXT = ", ".join(f"v({level.short}) = {level.value}"
                         for level in sorted(ACQUISITION_LEVELS, key=lambda level: level.level))
FORMULA = (f"Note = 20 × Σ wᵢ·v(niveauᵢ) / 100, avec {_VALUES_TEXT}, "
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


# ---------------------------------------------------------------- weights


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
        shown = french.decimal_text(float(value))
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


def zero_weights(bilan: GradingBilan) -> dict[int, int]:
    """N6 « Remise à zéro »."""
    return {line.id: 0 for line in bilan.lines}


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


def weights_by_code(bilan: GradingBilan, weights: Mapping[int, int]) -> dict[str, int]:
    """The non-zero weights by competency code, in référentiel order (as a grade stores them)."""
    return {line.code: weights[line.id] for line in bilan.lines if weights.get(line.id)}


def code_weights_text(by_code: Mapping[str, int]) -> str:
    """Weights by competency code as one line: C1 40 %, C3 30 %."""
    return ", ".join(f"{code} {weight} %" for code, weight in by_code.items())


def weights_text(bilan: GradingBilan, weights: Mapping[int, int]) -> str:
    """The non-zero weights in référentiel order: C1 40 %, C3 30 %."""
    return code_weights_text(weights_by_code(bilan, weights))


# ---------------------------------------------------------------- the grade


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


def stored_grade(value: float, step: float) -> Decimal:
    """A stored grade with as many decimals as its rounding step."""
    places = _places(Decimal(repr(step)))
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-places))


def format_grade(value: Fraction, step: Decimal | str) -> str:
    """A grade as a French reader writes it, rounded to step: 13,3."""
    return french.decimal_text(grade_decimal(value, step))


def developed_formula(bilan: GradingBilan, weights: Mapping[int, object], step: Decimal | str) -> str:
    """The computation written out for the teacher: 20 × (40 + 20 + 6,67 + 0) / 100 = 13,3."""
    grade = exact_grade(bilan, weights)
    cleaned = check_weights(bilan, weights)
    terms = [french.short_decimal_text(cleaned[line.id] * line.value) for line in bilan.lines if cleaned[line.id]]
    return f"20 × ({' + '.join(terms)}) / 100 = {format_grade(grade, step)}"


# ---------------------------------------------------------------- the weights grid


def _objectives_text(line: CompetencyLine) -> str:
    return OBJECTIVES[line.objective].removeprefix("Objectifs ") if line.objective else ""


def _value_text(line: CompetencyLine) -> str:
    return "—" if line.value is None else str(line.value)  # a Fraction reads 1, 2/3, 1/3, 0


def weights_frame(bilan: GradingBilan, weights: Mapping[int, int]) -> pd.DataFrame:
    """The weights grid: one row per competency (index = competency id), its positioning beside it."""
    return pd.DataFrame(
        {
            "Unité": [line.unit for line in bilan.lines],
            "Compétence": [f"{line.code} - {line.title}" for line in bilan.lines],
            "Positionnement": [line.short for line in bilan.lines],
            "Objectifs": [_objectives_text(line) for line in bilan.lines],
            "Valeur": [_value_text(line) for line in bilan.lines],
            "Pondération (%)": [float(weights.get(line.id, 0)) for line in bilan.lines],
        },
        index=pd.Index([line.id for line in bilan.lines], name="competency_id"),
    )
