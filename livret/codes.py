"""Every enumeration of the domain, defined once with its code, French label and colour."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

DARK_TEXT, LIGHT_TEXT = "#111111", "#ffffff"


def _luminance(hex_colour: str) -> float:
    """WCAG relative luminance of « #rrggbb »."""
    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4
    red, green, blue = (linear(int(hex_colour[i:i + 2], 16) / 255) for i in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio of two colours (1 to 21; text needs 4.5)."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def text_on(background: str) -> str:
    """The text colour, near-black or white, that reads best on a background: the one rule for every
    cell, chip, badge and button drawn in a level's colour."""
    return max((DARK_TEXT, LIGHT_TEXT), key=lambda text: contrast_ratio(text, background))


CONTRAST_CLASS = "lv-contrast"  # on a container: its levels are drawn with the contrasted palette and patterns
CONTRAST_MARK = "lv-contrast-on"  # an element anywhere in the app's page: the whole page is drawn so
# The scopes of the contrasted rules: a container with CONTRAST_CLASS (documents), or the page holding the mark.
# Written as two rules, since a PDF engine without :has() would drop a selector list that holds one.
CONTRAST_SCOPES = (f".{CONTRAST_CLASS}", f"body:has(.{CONTRAST_MARK})")
# Documents (PDF) use the class alone: the PDF engine tests a :has() selector against the whole page for
# every element, which made a livret take ten times longer to lay out.
PRINT_CONTRAST_SCOPES = (f".{CONTRAST_CLASS}",)
# « Mode contrasté »: a pattern per result level on top of its colour, so neither hue nor lightness alone tells it.
CONTRAST_PATTERNS = {
    "NA": "repeating-linear-gradient(45deg, rgba(0,0,0,.30) 0 1.5px, transparent 1.5px 5px)",
    "PR": "radial-gradient(rgba(0,0,0,.40) 0.8px, transparent 1.1px) 0 0 / 4px 4px",
    "RA": "repeating-linear-gradient(90deg, rgba(255,255,255,.55) 0 1.5px, transparent 1.5px 5px)",
    "RT": "none",
    "NV": "repeating-linear-gradient(135deg, rgba(0,0,0,.25) 0 1.5px, transparent 1.5px 5px)",
    "AB": "none",
}


class _Drawn:
    """A level drawn in a colour (and in « Mode contrasté », another): the text that reads on each."""

    colour: str
    contrast: str

    @property
    def text(self) -> str:
        return text_on(self.colour)

    @property
    def contrast_text(self) -> str:
        return text_on(self.contrast)


@dataclass(frozen=True)
class ResultLevel(_Drawn):
    code: str
    label: str
    colour: str
    css: str
    rank: int  # order used when summarising a competency; -1 = not an achievement
    value: tuple[int, int] | None = None  # weight in a proposed level, as an exact fraction; None = not counted
    contrast: str = ""  # its colour in « Mode contrasté » (Okabe–Ito: told apart with any colour vision)


RESULT_LEVELS: tuple[ResultLevel, ...] = (
    ResultLevel("NA", "Pas de réussite ou non fait", "#d62728", "lv-na", 0, (0, 1), "#d55e00"),
    ResultLevel("PR", "Réussite partielle", "#ff8c1a", "lv-pr", 1, (1, 3), "#f0e442"),
    ResultLevel("RA", "Réussite totale avec aide", "#8fd18f", "lv-ra", 2, (2, 3), "#56b4e9"),
    ResultLevel("RT", "Réussite totale en autonomie", "#1e7b34", "lv-rt", 3, (1, 1), "#0072b2"),
    ResultLevel("NV", "Critère non évaluable", "#2f6fdb", "lv-nv", -1, None, "#cc79a7"),
    ResultLevel("AB", "Apprenant absent", "#9e9e9e", "lv-ab", -1, None, "#b0b0b0"),
)
RESULT_BY_CODE = {level.code: level for level in RESULT_LEVELS}
RESULT_CODES = tuple(RESULT_BY_CODE)

COMPLEXITIES = {"D": "Découverte", "Int": "Intermédiaire", "B": "Niveau Bac Pro"}
COMPANY_CODE = "E"  # how a company evaluation is shown in place of a complexity
COLUMN_CODES = (*COMPLEXITIES, COMPANY_CODE)  # the dashboard's column headings and filters: D, Int, B, E
CONTEXTS = {"school": "Établissement", "company": "Entreprise"}


@dataclass(frozen=True)
class AcquisitionLevel(_Drawn):
    level: int
    label: str
    short: str
    colour: str
    value: Fraction  # v(level) in a grade /20 (SPEC N3), the one definition of it
    contrast: str = ""  # its colour in « Mode contrasté »


ACQUISITION_LEVELS: tuple[AcquisitionLevel, ...] = (
    AcquisitionLevel(4, "Compétence totalement acquise et transférable", "++", "#1e7b34", Fraction(1), "#0072b2"),
    AcquisitionLevel(3, "Compétence partiellement acquise", "+", "#8fd18f", Fraction(2, 3), "#56b4e9"),
    AcquisitionLevel(2, "Compétence en cours d'acquisition, non stabilisée", "-", "#ff8c1a", Fraction(1, 3), "#f0e442"),
    AcquisitionLevel(1, "Compétence non acquise", "--", "#d62728", Fraction(0), "#d55e00"),
)
ACQUISITION_BY_LEVEL = {a.level: a for a in ACQUISITION_LEVELS}
NOT_EVALUATED_LABEL = "Compétence non évaluée"
NOT_EVALUATED_SHORT = "NE"
# How a proposed level is computed (livret/proposition.py); the DDFPT chooses one for the school.
PROPOSITION_METHODS = {"decaying": "Moyenne décroissante", "latest": "Résultat le plus récent", "mean": "Moyenne simple"}
DEFAULT_PROPOSITION_METHOD = "decaying"
OBJECTIVES = {"intermediate": "Objectifs intermédiaires", "terminal": "Objectifs terminaux"}

BILAN_STATUSES = {"draft": "Brouillon", "validated": "Validé", "unlocked": "Déverrouillé"}

ROLES = {
    "teacher": "Enseignant",
    "ddfpt": "DDFPT",
    "learner": "Apprenant",
    "admin": "Administrateur",
}


def positioning_short(level: int | None) -> str:
    """Short code of a positioning: '++', '+', '-', '--', or 'NE' when not evaluated."""
    if level is None:
        return NOT_EVALUATED_SHORT
    return ACQUISITION_BY_LEVEL[level].short


def column_code(complexity: str | None, context: str) -> str:
    """The code heading an evaluation's column: its complexity, or E for a company bilan."""
    return COMPANY_CODE if context == "company" else str(complexity)
