"""The import of evaluation results in long format: one line per learner, evaluation and criterion. Changing an
evaluation a validated bilan counted needs the DDFPT's leave, and each such change is journalled as Saisie does."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

from livret import audit, clock, evaluations
from livret.codes import COMPANY_CODE, COMPLEXITIES, RESULT_CODES
from livret.db import Database
from livret.french import date_text
from livret.imports.learners import LEARNER_COLUMNS
from livret.imports.lines import KnownClass, KnownLearner, Line, LineReader, known_classes, known_learners
from livret.imports.plan import (
    ADDED,
    UNCHANGED,
    UPDATED,
    Change,
    ImportPlan,
    LockedEvaluation,
    apply_plan,
    author_id,
)
from livret.imports.reading import Column, Table, clean, plain_key, read_table
from livret.imports.values import french_date, name_key, parse_date
from livret.permissions import User, require

LOCKED_CONFIRM_LABEL = ("Autoriser cet import à modifier des évaluations déjà prises en compte dans un bilan "
                        "validé (chaque modification est journalisée)")

RESULT_COLUMNS = {
    "class_name": LEARNER_COLUMNS["class_name"],
    "last_name": LEARNER_COLUMNS["last_name"],
    "first_name": LEARNER_COLUMNS["first_name"],
    "title": Column("Évaluation", frozenset({"evaluation", "titre", "intitule", "titreevaluation",
                                             "titredelevaluation", "intituleevaluation", "nomevaluation",
                                             "libelleevaluation", "evaluationtitre"})),
    "date": Column("Date", frozenset({"date", "dateevaluation", "datedelevaluation", "dateeval"})),
    "complexity": Column("Complexité", frozenset({"complexite", "niveaudecomplexite", "contexte",
                                                  "complexiteoucontexte", "niveaucomplexite", "type"})),
    "competency": Column("Compétence", frozenset({"competence", "codecompetence", "competences"})),
    "criterion": Column("Critère", frozenset({"critere", "criteredevaluation", "codecritere", "numerocritere",
                                              "criteres", "ncritere", "nocritere"})),
    "result": Column("Résultat", frozenset({"resultat", "coderesultat", "niveaudereussite", "reussite",
                                            "resultats", "code"})),
    "full_name": LEARNER_COLUMNS["full_name"],
}
_COMPLEXITY_WORDS = {
    "d": "D", "decouverte": "D", "int": "Int", "i": "Int", "intermediaire": "Int", "b": "B", "bac": "B",
    "bacpro": "B", "niveaubacpro": "B", "e": COMPANY_CODE, "entreprise": COMPANY_CODE,
    "bilanentreprise": COMPANY_CODE, "pfmp": COMPANY_CODE,
}
_CRITERION_CODE = re.compile(r"^\s*(C\d+)\s*[-./ ]\s*(\d+)\s*$", re.IGNORECASE)


# ---------------------------------------------------------------- what is recorded


class EvaluationKey(NamedTuple):
    """An evaluation's identity, as a line names it."""

    class_id: int
    title: str
    day: str
    learner_id: int  # a company bilan's learner; 0 for a school evaluation (of the whole class)


@dataclass(frozen=True, slots=True)
class KnownEvaluation:
    id: int
    class_id: int
    learner_id: int | None
    title: str
    eval_date: str
    context: str  # "school" or "company"
    complexity: str | None  # None for a company bilan
    modified_at: str


@dataclass(frozen=True, slots=True)
class KnownCompetency:
    id: int
    code: str


@dataclass(frozen=True, slots=True)
class KnownCriterion:
    id: int
    competency: str  # its competency's code
    position: int

    @property
    def label(self) -> str:
        return f"{self.competency}-{self.position}"


# ---------------------------------------------------------------- what the plan writes


@dataclass(frozen=True, slots=True)
class ResultWrite:
    evaluation: EvaluationKey
    learner_id: int
    criterion_id: int
    code: str


@dataclass(frozen=True, slots=True)
class CriterionLink:
    """A criterion the evaluation gains."""

    evaluation: EvaluationKey
    criterion_id: int


@dataclass(frozen=True, slots=True)
class EvaluationWrite:
    id: int | None  # None: an evaluation this import adds
    complexity: str


@dataclass(frozen=True, slots=True)
class ComplexityChange:
    evaluation_id: int
    complexity: str


@dataclass(frozen=True, slots=True)
class ResultChange:
    learner_id: int
    criterion_id: int
    old: str | None
    new: str


@dataclass(frozen=True)
class LockedChange:
    """What the import changes in an evaluation a validated bilan counted, for its journal."""

    evaluation: KnownEvaluation  # as it was
    new_complexity: str | None
    criteria: list[int]  # its criteria before the import
    results: list[ResultChange]


@dataclass
class ResultWrites:
    evaluations: dict[EvaluationKey, EvaluationWrite] = field(default_factory=dict)  # added or modified
    links: list[CriterionLink] = field(default_factory=list)
    results: list[ResultWrite] = field(default_factory=list)
    complexity: list[ComplexityChange] = field(default_factory=list)
    journal: dict[int, LockedChange] = field(default_factory=dict)  # by evaluation id


# ---------------------------------------------------------------- planning


@dataclass(frozen=True, slots=True)
class _ResultLine:
    """A line's result, its values checked and matched against what is recorded."""

    klass: KnownClass
    learner: KnownLearner
    title: str
    day: str
    complexity: str
    criterion: KnownCriterion
    code: str

    @property
    def company(self) -> bool:
        return self.complexity == COMPANY_CODE


@dataclass(frozen=True, slots=True)
class _PlannedResult:
    line: int
    cells: list[str]
    change: Change
    write: ResultWrite | None  # None: the result is already recorded
    link: int | None  # the criterion the evaluation gains with this line
    old: str | None  # the code recorded


@dataclass
class _PlannedEvaluation:
    """An evaluation the lines name: its first line, complexity and label, its record, what the lines write."""

    line: int
    complexity: str
    existing: KnownEvaluation | None
    title: str
    day: str
    label: str
    new_criteria: set[int] = field(default_factory=set)
    rows: list[_PlannedResult] = field(default_factory=list)


class _ResultPlanner:
    """Plans a results import: each line checked and matched, then each evaluation the lines name settled (what
    it gains, whether a validated bilan counted it)."""

    def __init__(self, db: Database, table: Table, allow_locked: bool) -> None:
        self.db, self.allow_locked = db, allow_locked
        self.plan = ImportPlan("results", table.name, lines=len(table.rows), notes=list(table.notes))
        self.writes = self.plan.writes = ResultWrites()
        self.reader = LineReader(table, RESULT_COLUMNS)
        self.classes = known_classes(db)
        wanted = {name_key(table.cell(cells, "class_name")) for _, cells in table.rows}
        class_ids = [self.classes[k].id for k in wanted if k in self.classes]
        self.known = known_learners(db, class_ids)
        self._load_referentiels()
        self._load_evaluations(class_ids)
        self.planned: dict[EvaluationKey, _PlannedEvaluation] = {}
        self.seen_results: dict[tuple[EvaluationKey, int, int], int] = {}  # → line
        self.result_changes: list[Change] = []

    def _load_referentiels(self) -> None:
        self.competencies: dict[str, dict[str, KnownCompetency]] = {}  # diploma → casefolded code → competency
        self.criteria: dict[tuple[int, int], int] = {}  # (competency id, position) → criterion id
        self.criteria_count: Counter = Counter()
        for diploma, comp_id, code, position, crit_id in self.db.execute(
                "SELECT c.diploma, c.id, c.code, cr.position, cr.id FROM competencies c "
                "JOIN criteria cr ON cr.competency_id = c.id"):
            self.competencies.setdefault(diploma, {})[code.casefold()] = KnownCompetency(comp_id, code)
            self.criteria[(comp_id, position)] = crit_id
            self.criteria_count[comp_id] += 1

    def _load_evaluations(self, class_ids: list[int]) -> None:
        marks = ",".join("?" * len(class_ids)) or "NULL"
        self.evaluations: dict[EvaluationKey, KnownEvaluation] = {}
        for row in self.db.execute(
                f"SELECT id, class_id, learner_id, title, eval_date, context, complexity, modified_at FROM evaluations "
                f"WHERE class_id IN ({marks})", class_ids):
            evaluation = KnownEvaluation(*row)
            key = EvaluationKey(evaluation.class_id, clean(evaluation.title), evaluation.eval_date,
                                evaluation.learner_id or 0)
            self.evaluations[key] = evaluation
        eval_ids = [e.id for e in self.evaluations.values()]
        self.linked: set[tuple[int, int]] = set()  # (evaluation id, criterion id)
        self.results: dict[tuple[int, int, int], str] = {}  # (evaluation id, learner id, criterion id) → code
        for chunk in range(0, len(eval_ids), 500):
            ids = eval_ids[chunk:chunk + 500]
            qmarks = ",".join("?" * len(ids))
            self.linked.update(self.db.execute(
                f"SELECT evaluation_id, criterion_id FROM evaluation_criteria WHERE evaluation_id IN ({qmarks})", ids))
            for eid, lid, crit, code in self.db.execute(
                    f"SELECT evaluation_id, learner_id, criterion_id, code FROM results "
                    f"WHERE evaluation_id IN ({qmarks})", ids):
                self.results[(eid, lid, crit)] = code

    def planned_plan(self) -> ImportPlan:
        self.reader.plan_lines(self.plan, self.plan_line)
        evaluation_changes = [change for key, entry in self.planned.items()
                              if (change := self._settle(key, entry)) is not None]
        self.result_changes.sort(key=lambda change: change.line)
        self.plan.changes[:0] = evaluation_changes + self.result_changes
        self.plan.rejected.sort(key=lambda rejection: rejection.line)
        return self.plan

    # ------------------------------------------------ each line

    def plan_line(self, line: Line) -> None:
        result = self._result(line)
        if result is None:
            return
        key = EvaluationKey(result.klass.id, result.title, result.day, result.learner.id if result.company else 0)
        entry = self._evaluation(line, key, result)
        if entry is None:
            return
        seen = (key, result.learner.id, result.criterion.id)
        if seen in self.seen_results:
            line.reject("result", f"résultat en double pour cet apprenant et ce critère (déjà ligne "
                                  f"{self.seen_results[seen]})")
            return
        self.seen_results[seen] = line.number
        self.planned[key] = entry
        entry.rows.append(self._planned_result(line, key, entry, result))

    def _result(self, line: Line) -> _ResultLine | None:
        """The line's result, or None when the line is rejected."""
        value = line.value
        line.reject_missing(exempt=("competency",) if _CRITERION_CODE.match(value["criterion"]) else ())
        if line.problems:
            return None
        klass, learner = self._learner(line)
        day = parse_date(value["date"])
        if day is None:
            line.reject("date", f"date « {value['date']} » invalide (format attendu jj/mm/aaaa)")
        complexity = _COMPLEXITY_WORDS.get(plain_key(value["complexity"]))
        if complexity is None:
            line.reject("complexity", f"complexité « {value['complexity']} » inconnue "
                                      f"(attendu {', '.join(COMPLEXITIES)} ou {COMPANY_CODE} pour un bilan entreprise)")
        criterion = self._criterion(line, klass)
        code = next((c for c in RESULT_CODES if c.casefold() == value["result"].casefold()), None)
        if code is None:
            line.reject("result", f"code « {value['result']} » inconnu (codes admis : {', '.join(RESULT_CODES)})")
        if line.problems:
            return None
        return _ResultLine(klass, learner, value["title"], day, complexity, criterion, code)

    def _learner(self, line: Line) -> tuple[KnownClass | None, KnownLearner | None]:
        value = line.value
        klass = self.classes.get(name_key(value["class_name"]))
        if klass is None:
            line.reject("class_name", f"classe « {value['class_name']} » inconnue")
        if line.split_problem:
            line.reject("full_name", line.split_problem)
            return klass, None
        if klass is None:
            return None, None
        learner = self.known.in_class(klass.id, value["last_name"], value["first_name"])
        if learner is None:
            line.reject("last_name", f"apprenant « {value['last_name']} {value['first_name']} » inconnu dans la "
                                     f"classe {klass.name}")
        return klass, learner

    def _criterion(self, line: Line, klass: KnownClass | None) -> KnownCriterion | None:
        """The criterion given by « Compétence » and « Critère » (a number), or by « Critère » alone (a code)."""
        competency_text, criterion_text = line.value["competency"], line.value["criterion"]
        code_form = _CRITERION_CODE.match(criterion_text)
        if code_form:
            if competency_text and competency_text.casefold() != code_form.group(1).casefold():
                line.reject("criterion", f"le critère « {criterion_text} » n'appartient pas à la compétence "
                                         f"« {competency_text} »")
            competency_text, criterion_text = code_form.group(1), code_form.group(2)
        if klass is None:
            return None
        competency = self.competencies.get(klass.diploma, {}).get(competency_text.casefold())
        if competency is None:
            line.reject("competency", f"compétence « {competency_text} » inconnue dans le référentiel {klass.diploma}")
            return None
        if not criterion_text.isdigit():
            line.reject("criterion", f"critère « {line.value['criterion']} » illisible (attendu un numéro, ex. 3, "
                                     f"ou un code, ex. {competency.code}-3)")
            return None
        position = int(criterion_text)
        criterion_id = self.criteria.get((competency.id, position))
        if criterion_id is None:
            count = self.criteria_count[competency.id]
            line.reject("criterion", f"critère {competency.code}-{position} inconnu "
                                     f"({competency.code} compte {count} critère{'s' if count > 1 else ''})")
            return None
        return KnownCriterion(criterion_id, competency.code, position)

    def _evaluation(self, line: Line, key: EvaluationKey, result: _ResultLine) -> _PlannedEvaluation | None:
        """The evaluation the line belongs to, planned by an earlier line or new; None when the line contradicts
        it (another complexity, another context)."""
        entry = self.planned.get(key)
        if entry is not None:
            if entry.complexity != result.complexity:
                line.reject("complexity", f"complexité « {result.complexity} » différente de celle de la ligne "
                                          f"{entry.line} (« {entry.complexity} ») pour la même évaluation")
                return None
            return entry
        existing = self.evaluations.get(key)
        if existing and (existing.context == "company") != result.company:
            where = "entreprise" if existing.context == "company" else "établissement"
            line.reject("complexity", f"l'évaluation « {result.title} » du {french_date(result.day)} existe déjà "
                                      f"en contexte {where}")
            return None
        label = (f"{result.klass.name} — {result.title} ({french_date(result.day)})"
                 + (f" — {result.learner.full_name}" if result.company else ""))
        return _PlannedEvaluation(line.number, result.complexity, existing, result.title, result.day, label)

    def _planned_result(self, line: Line, key: EvaluationKey, entry: _PlannedEvaluation,
                        result: _ResultLine) -> _PlannedResult:
        eid = entry.existing.id if entry.existing else None
        criterion_id, learner_id, code = result.criterion.id, result.learner.id, result.code
        link = None
        if (eid is None or (eid, criterion_id) not in self.linked) and criterion_id not in entry.new_criteria:
            entry.new_criteria.add(criterion_id)
            link = criterion_id
        old = self.results.get((eid, learner_id, criterion_id)) if eid else None
        write = ResultWrite(key, learner_id, criterion_id, code) if old != code else None
        label = f"{result.klass.name} — {result.learner.full_name} — {result.title} — {result.criterion.label}"
        if old is None:
            change = Change(line.number, "result", ADDED, label, code)
        elif old != code:
            change = Change(line.number, "result", UPDATED, label, f"{old} → {code}")
        else:
            change = Change(line.number, "result", UNCHANGED, label, code)
        return _PlannedResult(line.number, line.cells, change, write, link, old)

    # ------------------------------------------------ each evaluation

    def _settle(self, key: EvaluationKey, entry: _PlannedEvaluation) -> Change | None:
        """Keep what the evaluation's lines write, or reject them when a validated bilan counted the evaluation and
        the import has no leave to change it; the evaluation's own change, if any line is left."""
        existing, rows = entry.existing, entry.rows
        complexity_changed = existing is not None and (existing.complexity or COMPANY_CODE) != entry.complexity
        writing = rows if complexity_changed else [r for r in rows if r.write is not None or r.link is not None]
        locked_by = evaluations.taken_into_account(self.db, existing.id) if existing and writing else None
        if locked_by and not self.allow_locked:
            rows = self._refuse_locked(entry, writing, locked_by)
            if not rows:
                return None
        elif locked_by:
            self.plan.locked.append(LockedEvaluation(entry.label, locked_by))
            self.writes.journal[existing.id] = LockedChange(
                existing, None if entry.complexity == COMPANY_CODE else entry.complexity,
                sorted(c for e, c in self.linked if e == existing.id),
                [ResultChange(r.write.learner_id, r.write.criterion_id, r.old, r.write.code)
                 for r in rows if r.write is not None])
        for row in rows:
            self.result_changes.append(row.change)
            if row.write is not None:
                self.writes.results.append(row.write)
            if row.link is not None:
                self.writes.links.append(CriterionLink(key, row.link))
        return self._evaluation_change(key, entry, rows, locked_by)

    def _refuse_locked(self, entry: _PlannedEvaluation, writing: list[_PlannedResult],
                       locked_by: str) -> list[_PlannedResult]:
        """Changing what a validated bilan counted needs the DDFPT's explicit leave, for this import: the lines that
        would change it are rejected; the lines left."""
        reason = (f"l'évaluation « {entry.title} » du {french_date(entry.day)} est déjà prise en compte "
                  f"dans un bilan validé le {date_text(locked_by)} : cochez « {LOCKED_CONFIRM_LABEL} » "
                  "(ou --allow-locked en ligne de commande) pour la modifier")
        self.plan.rejected.extend(self.reader.rejection(r.line, r.cells, "title", reason) for r in writing)
        self.plan.locked.append(LockedEvaluation(entry.label, locked_by))
        refused = {r.line for r in writing}
        entry.new_criteria = set()
        return [r for r in entry.rows if r.line not in refused]

    def _evaluation_change(self, key: EvaluationKey, entry: _PlannedEvaluation, rows: list[_PlannedResult],
                           locked_by: str | None) -> Change:
        parts = []
        criteria_added, results_written = len(entry.new_criteria), sum(1 for r in rows if r.write is not None)
        if criteria_added:
            plural = "s" if criteria_added > 1 else ""
            parts.append(f"{criteria_added} critère{plural} ajouté{plural}")
        if results_written:
            plural = "s" if results_written > 1 else ""
            parts.append(f"{results_written} résultat{plural} à écrire")
        existing, complexity = entry.existing, entry.complexity
        if existing is None:
            self.writes.evaluations[key] = EvaluationWrite(None, complexity)
            return Change(entry.line, "evaluation", ADDED, entry.label,
                          " ; ".join([f"complexité {complexity}"] + parts))
        old_complexity = existing.complexity or COMPANY_CODE
        if old_complexity != complexity:
            parts.insert(0, f"complexité : {old_complexity} → {complexity}")
            self.writes.complexity.append(ComplexityChange(existing.id, complexity))
        if not parts:
            return Change(entry.line, "evaluation", UNCHANGED, entry.label)
        if locked_by:
            parts.append(f"déjà prise en compte dans un bilan validé le {date_text(locked_by)} : chaque "
                         "modification est journalisée")
        self.writes.evaluations[key] = EvaluationWrite(existing.id, complexity)
        return Change(entry.line, "evaluation", UPDATED, entry.label, " ; ".join(parts))


def _result_plan(db: Database, table: Table, allow_locked: bool = False) -> ImportPlan:
    return _ResultPlanner(db, table, allow_locked).planned_plan()


# ---------------------------------------------------------------- writing


def _write_results(db: Database, user: User, plan: ImportPlan) -> dict | None:
    writes: ResultWrites = plan.writes
    now, author = clock.stamp(), author_id(db, user)
    ids = {key: evaluation.id if evaluation.id is not None
           else _insert_evaluation(db, key, evaluation.complexity, now, author)
           for key, evaluation in writes.evaluations.items()}
    db.executemany("UPDATE evaluations SET complexity = ? WHERE id = ?",
                        [(c.complexity, c.evaluation_id) for c in writes.complexity])
    db.executemany("INSERT INTO evaluation_criteria(evaluation_id, criterion_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                        [(ids[link.evaluation], link.criterion_id) for link in writes.links])
    db.executemany(
        "INSERT INTO results(evaluation_id, learner_id, criterion_id, code) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(evaluation_id, learner_id, criterion_id) DO UPDATE SET code = excluded.code",
        [(ids[w.evaluation], w.learner_id, w.criterion_id, w.code) for w in writes.results])
    # Importing into an evaluation is editing it: its date for ordering is its last modification.
    touched = [(now, eid) for key, eid in ids.items() if writes.evaluations[key].id is not None]
    db.executemany("UPDATE evaluations SET modified_at = ? WHERE id = ?", touched)
    added: dict[int, list[int]] = {}
    for link in writes.links:
        added.setdefault(ids[link.evaluation], []).append(link.criterion_id)
    for eid, change in writes.journal.items():
        _journal_locked(db, user, change, added.get(eid, []), now)
    if writes.journal:
        # Each of these evaluations has its own journal lines, old and new values (see _journal_locked).
        return {"locked_evaluations_changed": sorted(writes.journal)}
    return None


def _insert_evaluation(db: Database, key: EvaluationKey, complexity: str, now: str,
                       author: int | None) -> int:
    company = complexity == COMPANY_CODE
    cur_id = db.insert(
        "INSERT INTO evaluations(class_id, learner_id, title, eval_date, context, complexity, created_at, "
        "modified_at, author_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [key.class_id, key.learner_id or None, key.title, key.day, "company" if company else "school",
         None if company else complexity, now, now, author])
    return cur_id


def _journal_locked(db: Database, user: User, change: LockedChange, added: list[int], now: str) -> None:
    """Journal a change to an evaluation a validated bilan counted, in the lines Saisie writes for the same
    change (so they show in its « Journal des modifications »): the header and criteria, then each result."""
    old = change.evaluation
    evaluation = {"id": old.id, "learner_id": old.learner_id, "title": old.title, "eval_date": old.eval_date,
                  "context": old.context, "complexity": old.complexity, "modified_at": old.modified_at}
    # Saisie's own helpers, so that the journal reads the same whichever page or file made the change.
    labels = evaluations._criterion_labels(db, set(change.criteria) | set(added)
                                           | {r.criterion_id for r in change.results})
    if added or change.new_complexity != old.complexity:
        before = evaluations._header({**evaluation, "criterion_ids": change.criteria}, labels)
        after = evaluations._header({**evaluation, "complexity": change.new_complexity, "modified_at": now,
                                     "criterion_ids": change.criteria + added}, labels)
        after["dropped_results"] = 0
        audit.write(db, user, "evaluation.update", evaluations.AUDIT_ENTITY, old.id, old.learner_id, before, after)
    if change.results:
        cells = sorted(change.results, key=lambda r: (r.learner_id, r.criterion_id))
        audit.write(db, user, "evaluation.results", evaluations.AUDIT_ENTITY, old.id, old.learner_id,
                    {"modified_at": old.modified_at,
                     "results": [{"learner_id": r.learner_id, "criterion": labels[r.criterion_id], "code": r.old}
                                 for r in cells]},
                    {"modified_at": now,
                     "results": [{"learner_id": r.learner_id, "criterion": labels[r.criterion_id], "code": r.new}
                                 for r in cells]})


def preview_results(db: Database, user: User | None, data: bytes, file_name: str,
                    allow_locked: bool = False) -> ImportPlan:
    """What importing these results (one line per learner, evaluation and criterion) would do."""
    require(user, "import_results")
    return _result_plan(db, read_table(data, file_name, RESULT_COLUMNS), allow_locked)


def import_results(db: Database, user: User | None, data: bytes, file_name: str,
                   partial: bool = False, allow_locked: bool = False) -> ImportPlan:
    """Import evaluation results in one transaction; refuses on any rejected line unless partial. A line
    changing an evaluation already counted in a validated bilan is rejected unless allow_locked, and then
    every such change is journalled as Saisie journals it."""
    user = require(user, "import_results")
    table = read_table(data, file_name, RESULT_COLUMNS)
    return apply_plan(db, user, lambda: _result_plan(db, table, allow_locked), partial, _write_results)

