"""The proposed level of a competency (« Proposition », SPEC P1): a pure computation, then one reader.

For each criterion of the competency, the learner's results are taken in the dashboard's chronological
order (the evaluation's last modification, then the evaluation's id). `NV` and `AB` results are left
out and not counted; the others have the value given in livret/codes.py: `NA` 0, `PR` 1/3, `RA` 2/3,
`RT` 1. School results and company (`E`) results count alike. With v1 … vn the values of a criterion's
counted results, oldest first, the criterion's score s depends on the school's method (a DDFPT setting):

- « Moyenne décroissante » (the default): s1 = v1, then sk = 0.35 × s(k-1) + 0.65 × vk, and s = sn.
  The latest result weighs 65 %, the one before 0.35 × 65 % = 22.75 %, and so on, so early failures
  fade once the learner has succeeded (NA, NA, RT, RT gives 0.8775).
- « Résultat le plus récent »: s = vn, the value of the latest result.
- « Moyenne simple »: s = (v1 + … + vn) / n.

The competency's score is the mean of its criteria's scores, over the criteria with at least one
counted result. The proposed level is `++` when the score is ≥ 0.75, `+` when ≥ 0.5, `-` when ≥ 0.25,
`--` otherwise. No level is proposed when the competency has fewer than 3 counted results or fewer
than 2 criteria with results. Every score is an exact fraction, so a score of exactly 0.75 gives `++`.

This module is pure: it takes plain values and uses neither Streamlit nor the database.
livret/evidence.py reads what it needs for a learner."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from livret.codes import (
    ACQUISITION_BY_LEVEL,
    CONTEXTS,
    DEFAULT_PROPOSITION_METHOD,
    OBJECTIVES,
    PROPOSITION_METHODS,
    RESULT_BY_CODE,
    column_code,
)
from livret.errors import ValidationError
from livret.french import rounded_text

# The decaying average: the previous score keeps 35 %, the new result brings 65 % (exact: 7/20, 13/20).
KEEP = Fraction(35, 100)
TAKE = 1 - KEEP
# (lowest score, level): the first threshold the score reaches gives the level; below all of them, 1 (--).
THRESHOLDS: tuple[tuple[Fraction, int], ...] = ((Fraction(3, 4), 4), (Fraction(1, 2), 3), (Fraction(1, 4), 2))
LOWEST_LEVEL = 1
VALUES = {level.code: None if level.value is None else Fraction(*level.value) for level in RESULT_BY_CODE.values()}
MIN_RESULTS = 3
MIN_CRITERIA = 2


@dataclass(frozen=True)
class Evidence:
    """One result of the learner on a criterion, with what the dialog shows beside it."""

    criterion_id: int
    criterion_position: int
    code: str  # NA, PR, RA, RT, NV or AB
    modified_at: str  # the evaluation's last modification (stored UTC moment): the chronological order
    eval_date: str  # the evaluation's date (« 2026-10-05 »)
    context: str  # "school" or "company"
    complexity: str | None  # D, Int, B; None for a company evaluation
    title: str
    evaluation_id: int = 0

    def __post_init__(self) -> None:
        if self.code not in RESULT_BY_CODE:
            raise ValueError(f"unknown result code {self.code!r}")
        if self.context not in CONTEXTS:
            raise ValueError(f"unknown context {self.context!r}")

    @property
    def value(self) -> Fraction | None:
        """The result's value in the score, None for NV and AB (not counted)."""
        return VALUES[self.code]

    @property
    def is_company(self) -> bool:
        return self.context == "company"

    @property
    def column(self) -> str:
        """D, Int, B, or E for a company result (as the dashboard's column headings)."""
        return column_code(self.complexity, self.context)

    @property
    def context_label(self) -> str:
        """« Établissement » or « Entreprise »."""
        return CONTEXTS[self.context]


@dataclass(frozen=True)
class CriterionScore:
    criterion_id: int
    position: int
    score: Fraction
    results: tuple[Evidence, ...]  # the counted results, oldest first


@dataclass(frozen=True)
class Proposition:
    method: str  # a key of PROPOSITION_METHODS
    level: int | None  # 1 to 4 (--, -, +, ++), None when there is not enough evidence
    score: Fraction | None  # the competency's score, None without any counted result
    criteria: tuple[CriterionScore, ...]  # the criteria with at least one counted result, by position
    count: int  # counted results (NV and AB left out)
    label: str  # what the dialog shows: « Proposition : + (…) » or « Pas assez d'éléments … »
    reason: str | None = None  # why no level is proposed, None when one is
    competency_id: int | None = None

    @property
    def method_label(self) -> str:
        return PROPOSITION_METHODS[self.method]

    @property
    def short(self) -> str | None:
        """'++', '+', '-', '--', or None without a proposition."""
        return None if self.level is None else ACQUISITION_BY_LEVEL[self.level].short


# How each method computes a criterion's score, as the dialog and the README write it.
METHOD_FORMULAS = {
    "decaying": "s₁ = v₁, puis sₖ = 0,35 × sₖ₋₁ + 0,65 × vₖ : les résultats récents comptent le plus",
    "latest": "s = vₙ, la valeur du résultat le plus récent",
    "mean": "s = (v₁ + … + vₙ) / n",
}
VALUES_TEXT = ("NA = 0, PR = 1/3, RA = 2/3, RT = 1 ; NV et AB ne comptent pas. "
               "Niveau : ≥ 0,75 → ++, ≥ 0,5 → +, ≥ 0,25 → −, sinon −−.")


def usual_objective(latest: dict[int, tuple[int | None, str | None]], competency_id: int) -> str:
    """The objective a proposed level is judged against, from the latest validated bilan's positionings
    {competency id: (level, objective)}: the one this competency had, else the one most used in that
    bilan, else the intermediate objectives."""
    level, objective = latest.get(competency_id, (None, None))
    if level is not None:
        return objective
    used = [objective for level, objective in latest.values() if level is not None]
    if used:
        return max(OBJECTIVES, key=used.count)
    return "intermediate"


def check_method(method: str) -> str:
    """A method's key, from its key or its French name; a French refusal for anything else."""
    text = str(method).strip()
    for key, label in PROPOSITION_METHODS.items():
        if text == key or text.casefold() == label.casefold():
            return key
    names = [f"« {label} »" for label in PROPOSITION_METHODS.values()]
    raise ValidationError(f"La méthode de proposition doit être {', '.join(names[:-1])} ou {names[-1]}.")


def criterion_score(values: Sequence[Fraction], method: str = DEFAULT_PROPOSITION_METHOD) -> Fraction:
    """A criterion's score from the values of its counted results, oldest first (at least one)."""
    if not values:
        raise ValueError("a criterion's score needs at least one counted result")
    method = check_method(method)
    if method == "latest":
        return Fraction(values[-1])
    if method == "mean":
        return Fraction(sum(values, Fraction(0)), len(values))
    score = Fraction(values[0])
    for value in values[1:]:
        score = KEEP * score + TAKE * value
    return score


def level_of(score: Fraction) -> int:
    """The proposed level (4 = ++ … 1 = --) of a competency's score."""
    for lowest, level in THRESHOLDS:
        if score >= lowest:
            return level
    return LOWEST_LEVEL


def not_enough_text(count: int) -> str:
    return f"Pas assez d'éléments pour proposer un niveau ({count} {'résultat' if count < 2 else 'résultats'})"


def proposition_text(level: int) -> str:
    acquisition = ACQUISITION_BY_LEVEL[level]
    return f"Proposition : {acquisition.short} ({acquisition.label})"


def score_text(score: Fraction | None, digits: int = 2) -> str:
    """A score as a French decimal rounded half up: 351/400 → « 0,88 »; « — » without a score."""
    return "—" if score is None else rounded_text(score, digits)


def propose(results: Iterable[Evidence], method: str = DEFAULT_PROPOSITION_METHOD,
            competency_id: int | None = None) -> Proposition:
    """The proposed level of one competency from one learner's results on its criteria (any order:
    they are put in the dashboard's chronological order here)."""
    method = check_method(method)
    counted = sorted((r for r in results if r.value is not None), key=lambda r: (r.modified_at, r.evaluation_id))
    by_criterion: dict[int, list[Evidence]] = {}
    for result in counted:
        by_criterion.setdefault(result.criterion_id, []).append(result)
    criteria = tuple(sorted(
        (CriterionScore(criterion_id, found[0].criterion_position,
                        criterion_score([r.value for r in found], method), tuple(found))
         for criterion_id, found in by_criterion.items()),
        key=lambda c: (c.position, c.criterion_id),
    ))
    count = len(counted)
    score = sum((c.score for c in criteria), Fraction(0)) / len(criteria) if criteria else None
    if count < MIN_RESULTS:
        reason = f"Il faut au moins {MIN_RESULTS} résultats comptés (NV et AB ne comptent pas)."
    elif len(criteria) < MIN_CRITERIA:
        reason = f"Il faut des résultats sur au moins {MIN_CRITERIA} critères de la compétence."
    else:
        level = level_of(score)
        return Proposition(method, level, score, criteria, count, proposition_text(level), None, competency_id)
    return Proposition(method, None, score, criteria, count, not_enough_text(count), reason, competency_id)
