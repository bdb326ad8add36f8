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

The computing functions take plain values and use neither Streamlit nor the database;
learner_propositions() reads what they need for one learner in one read transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import sqlite_utils

from livret import school
from livret.codes import (
    ACQUISITION_BY_LEVEL,
    CONTEXTS,
    DEFAULT_PROPOSITION_METHOD,
    PROPOSITION_METHODS,
    RESULT_BY_CODE,
    column_code,
)
from livret.errors import NotFound
from livret.french import rounded_text
from livret.permissions import User, require_learner_staff

# The decaying average: the previous score keeps 35 %, the new result brings 65 % (exact: 7/20, 13/20).
KEEP = Fraction(35, 100)
TAKE = 1 - KEEP
# (lowest score, level): the first threshold the score reaches gives the level; below all of them, 1 (--).
THRESHOLDS: tuple[tuple[Fraction, int], ...] = ((Fraction(3, 4), 4), (Fraction(1, 2), 3), (Fraction(1, 4), 2))
LOWEST_LEVEL = 1
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
        value = RESULT_BY_CODE[self.code].value
        return None if value is None else Fraction(*value)

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


def criterion_score(values: Sequence[Fraction], method: str = DEFAULT_PROPOSITION_METHOD) -> Fraction:
    """A criterion's score from the values of its counted results, oldest first (at least one)."""
    if not values:
        raise ValueError("a criterion's score needs at least one counted result")
    method = school.check_proposition_method(method)
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
    method = school.check_proposition_method(method)
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


# ---------------------------------------------------------------- reader


def learner_propositions(db: sqlite_utils.Database, user: User | None, learner_id: int,
                         method: str | None = None) -> dict[int, Proposition]:
    """The proposition of every competency of the learner's diploma, by competency id in référentiel
    order, with the school's method unless another is given (staff of the learner's class only)."""
    require_learner_staff(db, user, learner_id)
    if method is not None:
        method = school.check_proposition_method(method)
    own_transaction = not db.conn.in_transaction
    if own_transaction:
        db.execute("BEGIN")  # one read: the competencies, results and setting come from the same state
    try:
        method = method or school.proposition_method(db)
        row = db.execute("SELECT c.diploma FROM learners l JOIN classes c ON c.id = l.class_id WHERE l.id = ?",
                         [learner_id]).fetchone()
        if row is None:
            raise NotFound("Cet apprenant n'existe pas.")
        competency_ids = [r[0] for r in db.execute(
            "SELECT id FROM competencies WHERE diploma = ? ORDER BY position, id", [row[0]])]
        rows = db.execute(
            "SELECT cr.competency_id, r.criterion_id, cr.position, r.code, e.modified_at, e.eval_date, e.context, "
            "e.complexity, e.title, e.id "
            "FROM results r JOIN evaluations e ON e.id = r.evaluation_id JOIN criteria cr ON cr.id = r.criterion_id "
            "WHERE r.learner_id = ? ORDER BY e.modified_at, e.id, cr.position", [learner_id]).fetchall()
    finally:
        if own_transaction:
            db.execute("COMMIT")
    evidence: dict[int, list[Evidence]] = {competency_id: [] for competency_id in competency_ids}
    for competency_id, *fields in rows:
        evidence.setdefault(competency_id, []).append(Evidence(*fields))
    return {competency_id: propose(found, method, competency_id) for competency_id, found in evidence.items()}
