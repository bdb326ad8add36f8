"""Imports (SPEC E3): classes and learners, evaluation results in long format, a référentiel.

This is the face the « Import » page, the command line and the tests use; the work is in the modules:
reading (files into tables), values (dates, e-mails, names), plan (what an import does, and applying it),
lines (reading a table's lines, finding the class and learner a line names), learners, results,
referentiel_import, and referentiel (the référentiel's own CSV files)."""

from livret.imports.learners import (
    DEFAULT_DIPLOMA,
    LEARNER_COLUMNS,
    diploma_options,
    import_learners,
    preview_learners,
)
from livret.imports.plan import (
    ADDED,
    DECISION_LABELS,
    NEW,
    SAME,
    SKIP,
    UNCHANGED,
    UPDATED,
    Change,
    Homonym,
    ImportPlan,
    Rejection,
    problem_text,
    rejection_report,
)
from livret.imports.reading import MAX_DATA_ROWS, MAX_FILE_LABEL, read_table
from livret.imports.referentiel_import import import_referentiel, preview_referentiel, read_referentiel_folder
from livret.imports.results import LOCKED_CONFIRM_LABEL, import_results, preview_results
from livret.imports.values import current_school_year, normal_first_name, normal_last_name, split_full_name
from livret.permissions import User, can

KIND_ABILITIES = {"learners": "import_learners", "results": "import_results", "referentiel": "import_referentiel"}


def import_kinds(user: User | None) -> list[str]:
    """The kinds of import the user may run, in the page's order."""
    return [kind for kind, ability in KIND_ABILITIES.items() if can(user, ability)]


__all__ = [
    "ADDED", "DECISION_LABELS", "DEFAULT_DIPLOMA", "KIND_ABILITIES", "LEARNER_COLUMNS", "LOCKED_CONFIRM_LABEL",
    "MAX_DATA_ROWS", "MAX_FILE_LABEL", "NEW", "SAME", "SKIP", "UNCHANGED", "UPDATED", "Change", "Homonym",
    "ImportPlan", "Rejection", "current_school_year", "diploma_options", "import_kinds", "import_learners",
    "import_referentiel", "import_results", "normal_first_name", "normal_last_name", "preview_learners",
    "preview_referentiel", "preview_results", "problem_text", "read_referentiel_folder", "read_table",
    "rejection_report", "split_full_name",
]
