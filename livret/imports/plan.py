"""An import's plan: the changes it makes, the lines it rejects, the homonyms it asks about; and applying it, all or
nothing, with its line in the audit log.

Each import has a preview (what would be added, updated, left unchanged, rejected) and an apply. The apply computes
the plan again inside its own transaction when another session wrote in between, so what it writes is exactly what
the checks accept at that moment; a refused import writes nothing. Rows are matched on their identity, so importing
the same file twice changes nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import pandas as pd

from livret import audit
from livret.db import Database, bump_data_version, reading, transaction
from livret.errors import FileProblem, FileRejected
from livret.french import count_text
from livret.permissions import User
from livret.render.spreadsheet import french_csv

ADDED, UPDATED, UNCHANGED = "added", "updated", "unchanged"
# What the DDFPT decides for a possible homonym.
SAME, NEW, SKIP = "same", "new", "skip"
DECISION_LABELS = {SAME: "Même apprenant", NEW: "Nouvel apprenant", SKIP: "Ignorer la ligne"}


class Noun(NamedTuple):
    """How the French names an entity, for the summary's agreement (« 1 classe ajoutée », « 2 critères ajoutés »)."""

    singular: str
    plural: str
    feminine: bool


ENTITIES = {
    "class": Noun("classe", "classes", True),
    "learner": Noun("apprenant", "apprenants", False),
    "account": Noun("compte apprenant", "comptes apprenants", False),
    "evaluation": Noun("évaluation", "évaluations", True),
    "result": Noun("résultat", "résultats", False),
    "diploma": Noun("diplôme", "diplômes", False),
    "unit": Noun("unité", "unités", True),
    "domain": Noun("domaine", "domaines", False),
    "competency": Noun("compétence", "compétences", True),
    "criterion": Noun("critère", "critères", False),
}


def action_label(entity: str, action: str, plural: bool = False) -> str:
    """« ajoutée », « mis à jour », « inchangées »… agreed with the entity's gender and number."""
    feminine = ENTITIES[entity].feminine
    stem = {ADDED: "ajouté", UPDATED: "mis", UNCHANGED: "inchangé"}[action]
    if feminine:
        stem += "e"
    if plural and not stem.endswith("s"):
        stem += "s"
    return stem + " à jour" if action == UPDATED else stem


@dataclass(frozen=True)
class Rejection(FileProblem):
    """A rejected line, with the line's content so the report lets the user find and fix it."""

    content: str = ""


class LockedEvaluation(NamedTuple):
    """An evaluation already counted in a validated bilan, that the import would change."""

    label: str
    validated_at: str


@dataclass(frozen=True)
class Change:
    line: int
    entity: str
    action: str
    label: str
    detail: str = ""


@dataclass(frozen=True)
class Homonym:
    """A line naming a learner already recorded under the same name, when it is not certain it is the same
    person: a learner is never silently added next to, or moved away from, a possible namesake."""

    line: int
    reason: str
    incoming: dict  # the line: Nom, Prénom, Classe, Date de naissance, E-mail
    existing: dict  # the recorded learner: id and the same fields, and how many results it has
    choices: tuple[str, ...]
    decision: str | None = None

    def records_frame(self) -> pd.DataFrame:
        columns = ["Nom", "Prénom", "Classe", "Date de naissance", "E-mail"]
        rows = [[f"Ligne {self.line} du fichier", *(self.incoming[c] for c in columns), ""],
                ["Apprenant enregistré", *(self.existing[c] for c in columns), str(self.existing["Résultats"])]]
        return pd.DataFrame(rows, columns=["", *columns, "Résultats"])

    def text(self) -> str:
        def describe(fields: dict) -> str:
            parts = [f"{fields['Nom']} {fields['Prénom']}", fields["Classe"]]
            if fields["Date de naissance"]:
                parts.append(f"né(e) le {fields['Date de naissance']}")
            if fields["E-mail"]:
                parts.append(fields["E-mail"])
            return ", ".join(parts)

        results = self.existing["Résultats"]
        return (f"homonyme possible ({self.reason}) : dans le fichier « {describe(self.incoming)} », enregistré "
                f"« {describe(self.existing)}, {results} résultat{'s' if results > 1 else ''} »")


@dataclass
class ImportPlan:
    """What an import does: the changes, the rejected lines, and the writes that carry it out."""

    kind: str  # "learners", "results", "referentiel"
    file_name: str
    lines: int = 0
    changes: list[Change] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # What applying the plan writes: the learners import's LearnerWrites, the results import's ResultWrites, the
    # référentiel import's Referentiel.
    writes: Any = None
    applied: bool = False
    homonyms: list[Homonym] = field(default_factory=list)
    # Evaluations already counted in a validated bilan that this import would change.
    locked: list[LockedEvaluation] = field(default_factory=list)

    @property
    def undecided(self) -> list[Homonym]:
        return [h for h in self.homonyms if h.decision is None]

    @property
    def new_classes(self) -> list[Change]:
        return [c for c in self.changes if c.entity == "class" and c.action == ADDED]

    def count(self, entity: str, action: str) -> int:
        return self.counts.get((entity, action), 0)

    @property
    def counts(self) -> Counter:
        return Counter((c.entity, c.action) for c in self.changes)

    def action_counts(self) -> dict[str, int]:
        """How many elements of any kind are added, updated, unchanged."""
        found = Counter(c.action for c in self.changes)
        return {action: found.get(action, 0) for action in (ADDED, UPDATED, UNCHANGED)}

    @property
    def rejected_lines(self) -> int:
        return len({r.line for r in self.rejected})

    @property
    def has_writes(self) -> bool:
        return any(c.action != UNCHANGED for c in self.changes)

    def summary(self) -> str:
        """One French sentence: « 24 apprenants ajoutés, 1 classe ajoutée ; 2 lignes rejetées. »"""
        parts = []
        counts = self.counts
        for entity in ENTITIES:
            for action in (ADDED, UPDATED, UNCHANGED):
                n = counts.get((entity, action), 0)
                if n:
                    noun = ENTITIES[entity].plural if n > 1 else ENTITIES[entity].singular
                    parts.append(f"{count_text(n)} {noun} {action_label(entity, action, n > 1)}")
        text = ", ".join(parts) if parts else "aucune donnée à importer"
        n = self.rejected_lines
        if n:
            text += f" ; {n} ligne{'s' if n > 1 else ''} rejetée{'s' if n > 1 else ''}"
        n = len(self.undecided)
        if n:
            text += f" ; {n} homonyme{'s' if n > 1 else ''} possible{'s' if n > 1 else ''} à trancher"
        n = sum(h.decision == SKIP for h in self.homonyms)
        if n:
            text += f" ; {n} ligne{'s' if n > 1 else ''} ignorée{'s' if n > 1 else ''}"
        return text[0].upper() + text[1:] + "."

    def changes_frame(self, include_unchanged: bool = False) -> pd.DataFrame:
        rows = [
            (c.line, ENTITIES[c.entity].singular.capitalize(), action_label(c.entity, c.action), c.label, c.detail)
            for c in self.changes if include_unchanged or c.action != UNCHANGED
        ]
        return pd.DataFrame(rows, columns=["Ligne", "Élément", "Action", "Nom", "Détail"])

    def rejected_frame(self) -> pd.DataFrame:
        return problems_frame(self.rejected)


def problem_text(problem: FileProblem) -> str:
    """« fichier, ligne 4, colonne « Date » : motif », without a line number for a whole-file problem."""
    if problem.line:
        return str(problem)
    return f"{problem.file} : {problem.reason}"


def problems_frame(problems: Sequence[FileProblem]) -> pd.DataFrame:
    rows = [(p.line, p.column, p.reason, getattr(p, "content", "")) for p in problems]
    return pd.DataFrame(rows, columns=["Ligne", "Colonne", "Motif", "Contenu de la ligne"])


def rejection_report(problems: Sequence[FileProblem]) -> bytes:
    """« Télécharger le rapport »: the rejected lines as a French CSV, every text cell formula-safe."""
    return french_csv(
        ["Fichier", "Ligne", "Colonne", "Motif", "Contenu de la ligne"],
        [(p.file, p.line, p.column, p.reason, getattr(p, "content", "")) for p in problems],
    )

def author_id(db: Database, user: User) -> int | None:
    """The user's id when it is an account of this database (the CLI runs as no account)."""
    return user.id if db.execute("SELECT 1 FROM users WHERE id = ?", [user.id]).fetchone() else None


# Writes what a plan holds; returns what the import's audit line adds, if anything.
Writer = Callable[[Database, User, ImportPlan], dict | None]


def _audit(db: Database, user: User, plan: ImportPlan, written: dict) -> None:
    counts = {f"{e}.{a}": n for (e, a), n in sorted(plan.counts.items()) if a != UNCHANGED}
    after = {"file": plan.file_name, "counts": counts, "rejected_lines": plan.rejected_lines, **written}
    decided = {h.line: h.decision for h in plan.homonyms if h.decision}
    if decided:
        after["homonym_decisions"] = decided
    audit.write(db, user, "import", plan.kind, after=after)


def apply_plan(db: Database, user: User, build: Callable[[], ImportPlan], partial: bool,
               write: Writer) -> ImportPlan:
    """Build the plan (parse, validate, match against the database) WITHOUT the write lock, then write it in one
    short transaction, so that a long import never makes the other users' writes wait for it.

    The plan is built in a read transaction: one consistent snapshot, no lock taken from writers (WAL). The
    write transaction then checks, with the database's change marker, that no other connection has written since; if
    one has, the plan is built again inside the transaction, so what is written is always what the checks accept
    against the database as it is, all or nothing."""
    if db.in_transaction:  # inside a caller's transaction: it holds the lock already
        return _finish(db, user, build(), partial, write)
    with reading(db):
        seen = db.change_marker()
        plan = build()
    _refuse(plan, partial)  # a refusal needs no lock
    with transaction(db):
        if db.change_marker() != seen:
            plan = build()
        return _finish(db, user, plan, partial, write)


def choice_list(choices) -> str:
    """« « Même apprenant », « Nouvel apprenant » ou « Ignorer la ligne » »."""
    labels = [f"« {DECISION_LABELS[c]} »" for c in choices]
    return ", ".join(labels[:-1]) + " ou " + labels[-1] if len(labels) > 1 else labels[0]


def _refuse(plan: ImportPlan, partial: bool) -> None:
    if plan.undecided:
        # Never settled by --partial: leaving out a line is a decision too, the DDFPT's.
        raise FileRejected([FileProblem(plan.file_name, h.line, "Nom", f"{h.text()} ; choisissez "
                                        + choice_list(h.choices))
                            for h in plan.undecided])
    if plan.rejected and not partial:
        raise FileRejected(list(plan.rejected))


def _finish(db: Database, user: User, plan: ImportPlan, partial: bool, write: Writer) -> ImportPlan:
    """Inside the caller's transaction: refuse or write, then record."""
    _refuse(plan, partial)
    if plan.has_writes:
        written = write(db, user, plan)
        _audit(db, user, plan, written or {})
        bump_data_version(db)
    plan.applied = True
    return plan

