"""Reading an import's lines by field, and finding the class and the learner a line names: shared by the learners
and the results imports, so that both read a name, reject a line and recognise a learner the same way."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from livret.db import Database
from livret.imports.plan import ImportPlan, Rejection
from livret.imports.reading import Column, Table, clean
from livret.imports.values import loose_key, name_key, split_full_name


@dataclass(frozen=True, slots=True)
class KnownClass:
    id: int
    name: str
    diploma: str


@dataclass(frozen=True, slots=True)
class KnownLearner:
    id: int
    class_id: int
    last_name: str
    first_name: str
    email: str | None
    birth_date: str | None

    @property
    def full_name(self) -> str:
        return f"{self.last_name} {self.first_name}"


def known_classes(db: Database) -> dict[str, KnownClass]:
    """The recorded classes by the key of their name, as a line names them."""
    return {name_key(name): KnownClass(cid, name, diploma)
            for cid, name, diploma in db.execute("SELECT id, name, diploma FROM classes")}


def known_learners(db: Database, class_ids: Sequence[int] | None = None) -> KnownLearners:
    """The recorded learners, of every class or of these classes only."""
    sql = "SELECT id, class_id, last_name, first_name, email, birth_date FROM learners"
    params: list[int] = []
    if class_ids is not None:
        sql += f" WHERE class_id IN ({','.join('?' * len(class_ids)) or 'NULL'})"
        params = list(class_ids)
    return KnownLearners(KnownLearner(*row) for row in db.execute(sql, params))


class KnownLearners:
    """The recorded learners by name: exactly (case and spaces aside), or loosely (accents and punctuation aside:
    SIECLE exports « LEFEVRE » for « Lefèvre »), within a class or in the whole school."""

    def __init__(self, learners: Iterable[KnownLearner]) -> None:
        self.exact: dict[int, dict[str, KnownLearner]] = {}
        self.loose: dict[int, dict[str, list[KnownLearner]]] = {}
        self.school_exact: dict[str, list[KnownLearner]] = {}
        self.school_loose: dict[str, list[KnownLearner]] = {}
        for learner in learners:
            exact, loose = name_key(learner.full_name), loose_key(learner.last_name + learner.first_name)
            self.exact.setdefault(learner.class_id, {})[exact] = learner
            self.loose.setdefault(learner.class_id, {}).setdefault(loose, []).append(learner)
            self.school_exact.setdefault(exact, []).append(learner)
            self.school_loose.setdefault(loose, []).append(learner)

    def in_class(self, class_id: int, last: str, first: str) -> KnownLearner | None:
        """The learner of the class a line names: by the exact name, else by the loose one when only one learner
        of the class bears it."""
        learner = self.exact.get(class_id, {}).get(name_key(f"{last} {first}"))
        if learner is None:
            candidates = self.loose.get(class_id, {}).get(loose_key(last + first), [])
            learner = candidates[0] if len(candidates) == 1 else None
        return learner

    def in_other_classes(self, class_id: int | None, last: str, first: str,
                         staying: set[int]) -> list[KnownLearner]:
        """The learners of the other classes a line may name (by the exact name, else the loose one), but those
        staying in their class."""
        def elsewhere(learners: list[KnownLearner]) -> list[KnownLearner]:
            return [r for r in learners if r.class_id != class_id and r.id not in staying]

        return (elsewhere(self.school_exact.get(name_key(f"{last} {first}"), []))
                or elsewhere(self.school_loose.get(loose_key(last + first), [])))


@dataclass(slots=True)
class Line:
    """One line of the file: its number, its cells, its values by field, and why it is rejected (if it is)."""

    reader: LineReader
    number: int
    cells: list[str]
    value: dict[str, str]
    split_problem: str  # why the combined name (« Élève ») could not be split
    problems: list[Rejection] = field(default_factory=list)

    def reject(self, fname: str, reason: str) -> None:
        self.problems.append(self.reader.rejection(self.number, self.cells, fname, reason))

    def reject_missing(self, exempt: Sequence[str] = ()) -> None:
        """Reject each field the line must fill and leaves empty."""
        for fname in self.reader.required:
            if not self.value[fname] and fname not in exempt:
                self.reject(fname, "valeur obligatoire manquante")


class LineReader:
    """Reads a table's lines by field, the learner's name given by « Nom » and « Prénom » or by one combined
    column (« Élève ») split with split_full_name."""

    def __init__(self, table: Table, spec: dict[str, Column]) -> None:
        self.table, self.spec = table, spec
        self.combined = "full_name" in table.columns
        self.labels = {f: c.label for f, c in spec.items()}
        if self.combined:
            # A rejection points at the column the user has in the file, under its own title.
            combined_title = table.header[table.columns["full_name"]].strip()
            self.labels.update(full_name=combined_title, last_name=combined_title, first_name=combined_title)
        # The fields a line must fill, in the spec's order, the combined name in the place of Nom and Prénom.
        name_fields = {"last_name": ("full_name",), "first_name": ()} if self.combined else {}
        self.required = tuple(f for fname, column in spec.items() if column.required
                              for f in name_fields.get(fname, (fname,)))

    def values(self, cells: list[str]) -> tuple[dict[str, str], str]:
        """The cleaned cells by field, the combined name split; and why it could not be split."""
        value = {f: clean(self.table.cell(cells, f)) for f in self.spec}
        if self.combined and value["full_name"]:
            try:
                value["last_name"], value["first_name"] = split_full_name(value["full_name"])
            except ValueError as error:
                return value, str(error)
        return value, ""

    def rejection(self, line: int, cells: list[str], fname: str, reason: str) -> Rejection:
        return Rejection(self.table.name, line, self.labels[fname], reason, self.table.content(cells))

    def lines(self) -> Iterator[Line]:
        for number, cells in self.table.rows:
            value, split_problem = self.values(cells)
            yield Line(self, number, cells, value, split_problem)

    def plan_lines(self, plan: ImportPlan, plan_line: Callable[[Line], None]) -> None:
        """The loop of both imports: each line read by field and planned; what it rejects goes to the plan."""
        for line in self.lines():
            plan_line(line)
            plan.rejected.extend(line.problems)
