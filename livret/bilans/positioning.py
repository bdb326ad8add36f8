"""A competency's positioning in a bilan (SPEC B1): an acquisition level 1–4 against an objective, or NE."""

from __future__ import annotations

from dataclasses import dataclass

from livret.codes import ACQUISITION_BY_LEVEL, NOT_EVALUATED_LABEL, OBJECTIVES, positioning_short
from livret.errors import ValidationError


@dataclass(frozen=True)
class Positioning:
    """One competency's place in a bilan: an acquisition level 1–4 against an objective, or NE."""

    level: int | None = None
    objective: str | None = None

    def __post_init__(self):
        if (self.level is None) != (self.objective is None):
            raise ValidationError("Un positionnement demande à la fois un niveau et un type d'objectifs.")
        if self.level is not None and (self.level not in ACQUISITION_BY_LEVEL or self.objective not in OBJECTIVES):
            raise ValidationError("Ce niveau d'acquisition n'existe pas.")

    @property
    def evaluated(self) -> bool:
        return self.level is not None

    @property
    def short(self) -> str:
        return positioning_short(self.level)

    @property
    def label(self) -> str:
        """« Compétence partiellement acquise — objectifs terminaux », or « Compétence non évaluée »."""
        if self.level is None:
            return NOT_EVALUATED_LABEL
        return f"{ACQUISITION_BY_LEVEL[self.level].label} — {OBJECTIVES[self.objective].lower()}"

    @property
    def text(self) -> str:
        """Short form used in the audit trail: « + (objectifs terminaux) » or « NE »."""
        return self.short if self.level is None else f"{self.short} ({OBJECTIVES[self.objective].lower()})"

    def to_json(self):
        return None if self.level is None else [self.level, self.objective]


NOT_EVALUATED = Positioning()

# The 8 choices of the positioning dialog, strongest first, then NE (SPEC B1).
CHOICES: tuple[Positioning, ...] = tuple(
    Positioning(level, objective) for level in (4, 3, 2, 1) for objective in OBJECTIVES
) + (NOT_EVALUATED,)
