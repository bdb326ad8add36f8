"""The import of classes and learners: a learner is matched on its class and name, changes class keeping its results,
and a possible homonym waits for the DDFPT's decision."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from livret.accounts import check_name
from livret.db import Database
from livret.errors import ValidationError
from livret.imports.lines import KnownLearner, Line, LineReader, known_classes, known_learners
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
    apply_plan,
    choice_list,
)
from livret.imports.reading import Column, Table, read_table
from livret.imports.values import (
    EMAIL,
    current_school_year,
    french_date,
    name_key,
    normal_first_name,
    normal_last_name,
    parse_date,
)
from livret.permissions import User, require

DEFAULT_DIPLOMA = "BACPRO-MELEC"

LEARNER_COLUMNS = {
    "last_name": Column("Nom", frozenset({"nom", "nomdefamille", "nomdusage", "nomeleve", "nomdeleleve",
                                          "nomapprenant", "nomfamille", "nomdenaissance"})),
    "first_name": Column("Prénom", frozenset({"prenom", "prenom1", "prenomeleve", "prenomdeleleve",
                                              "prenomapprenant", "premierprenom", "prenoms"})),
    "class_name": Column("Classe", frozenset({"classe", "division", "classeeleve", "div", "classes",
                                              "divisionclasse", "libelleclasse", "codeclasse"})),
    "email": Column("E-mail", frozenset({"email", "mail", "courriel", "adressemail", "adresseemail", "mel",
                                         "adressecourriel", "emaileleve", "maileleve", "courrieleleve",
                                         "adresseelectronique", "emailapprenant"}), required=False),
    "birth_date": Column("Date de naissance", frozenset({"datedenaissance", "datenaissance", "naissance", "nele",
                                                         "neele", "nee", "ne", "datenaiss", "datedenaiss"}),
                         required=False),
    "full_name": Column("Élève (NOM Prénom)", frozenset({"eleve", "nometprenom", "nomprenom", "nometprenoms",
                                                         "nomprenoms", "nomsetprenoms", "nomsprenoms"}),
                        required=False, stands_for=("last_name", "first_name")),
}


# ---------------------------------------------------------------- what the plan writes


@dataclass(frozen=True, slots=True)
class NewClass:
    key: str  # the key of its name, as the lines name it
    name: str


@dataclass(frozen=True, eq=False)  # each is one learner to add: told apart by identity, not by value
class NewLearner:
    class_key: str
    class_id: int | None  # None: a class this import adds
    last_name: str
    first_name: str
    email: str | None
    birth_date: str | None
    line: int


@dataclass(frozen=True, slots=True)
class LearnerMove:
    """Only the class changes: results stay the learner's, on the evaluations of the former class."""

    learner_id: int
    class_key: str
    class_id: int | None  # None: a class this import adds


@dataclass(frozen=True, slots=True)
class LearnerUpdate:
    learner_id: int
    email: str | None
    birth_date: str | None


@dataclass(frozen=True, slots=True)
class NewAccount:
    learner: int | NewLearner  # a recorded learner's id, or a learner this import adds
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class AccountUpdate:
    user_id: int
    email: str


@dataclass
class LearnerWrites:
    diploma: str  # of the classes added
    school_year: str
    classes: list[NewClass] = field(default_factory=list)
    learners: list[NewLearner] = field(default_factory=list)
    moves: list[LearnerMove] = field(default_factory=list)
    updates: list[LearnerUpdate] = field(default_factory=list)
    accounts: list[NewAccount] = field(default_factory=list)
    account_updates: list[AccountUpdate] = field(default_factory=list)


# ---------------------------------------------------------------- planning


@dataclass(frozen=True, slots=True)
class KnownAccount:
    user_id: int
    email: str
    learner_id: int | None
    owner: str  # whose it is, for a message: « MARTIN Lucas (2MEL1) »


@dataclass(frozen=True, slots=True)
class _Incoming:
    """The learner a line names, its values checked and its name written as school software writes it."""

    last_name: str
    first_name: str
    class_key: str
    class_name: str  # as the line writes it
    email: str
    birth_date: str | None

    @property
    def full_name(self) -> str:
        return f"{self.last_name} {self.first_name}"

    @property
    def identity(self) -> tuple[str, str]:
        return self.class_key, name_key(self.full_name)


@dataclass(frozen=True, slots=True)
class _Placement:
    """Where a line puts its learner: in which class, and whether it is a recorded learner (who may change class)."""

    class_id: int | None  # None: a class this import adds
    class_name: str
    existing: KnownLearner | None = None
    former_class: str | None = None  # the class the recorded learner leaves


@dataclass(frozen=True, slots=True)
class _Doubt:
    """A possible homonym: the recorded learner, why in doubt, and the decisions that make sense."""

    learner: KnownLearner
    reason: str
    choices: tuple[str, ...]


class _LearnerPlanner:
    """Plans a learners import line by line, against the classes, learners and accounts recorded and the lines
    planned before."""

    def __init__(self, db: Database, table: Table, diploma: str, school_year: str,
                 decisions: dict[int, str]) -> None:
        self.plan = ImportPlan("learners", table.name, lines=len(table.rows), notes=list(table.notes))
        self.writes = self.plan.writes = LearnerWrites(diploma, school_year)
        self.decisions = decisions
        self.reader = LineReader(table, LEARNER_COLUMNS)
        self.classes = known_classes(db)
        self.class_names = {c.id: c.name for c in self.classes.values()}
        self.known = known_learners(db)
        accounts = [KnownAccount(uid, email, learner_id, name + (f" ({klass})" if klass else ""))
                    for uid, email, learner_id, name, klass in db.execute(
                        "SELECT u.id, u.email, u.learner_id, u.name, c.name FROM users u "
                        "LEFT JOIN learners l ON l.id = u.learner_id LEFT JOIN classes c ON c.id = l.class_id")]
        self.account_by_email = {a.email.casefold(): a for a in accounts}
        self.account_of = {a.learner_id: a for a in accounts if a.learner_id is not None}
        self.results_of = dict(db.execute("SELECT learner_id, count(*) FROM results GROUP BY learner_id").fetchall())
        self.staying = self._staying_in_class()
        self.new_classes: dict[str, str] = {}  # key → name
        self.seen_learners: dict[tuple[str, str], int] = {}  # identity → line
        self.seen_emails: dict[str, int] = {}
        self.moved_by: dict[int, int] = {}  # learner id → the line that takes it to another class

    def _staying_in_class(self) -> set[int]:
        """A learner named in its own class by some line stays there: no other line may take it to another class."""
        staying = set()
        for line in self.reader.lines():
            klass = self.classes.get(name_key(line.value["class_name"]))
            if klass and line.value["last_name"] and line.value["first_name"]:
                existing = self.known.in_class(klass.id, line.value["last_name"], line.value["first_name"])
                if existing:
                    staying.add(existing.id)
        return staying

    def planned(self) -> ImportPlan:
        self.reader.plan_lines(self.plan, self.plan_line)
        return self.plan

    def plan_line(self, line: Line) -> None:
        incoming = self._incoming(line)
        if incoming is None:
            return
        placement = self._placement(line, incoming)
        if placement is None or not self._email_free(line, incoming, placement):
            return
        self.seen_learners[incoming.identity] = line.number
        if incoming.email:
            self.seen_emails[incoming.email.casefold()] = line.number
        if placement.class_id is None:
            self._add_class(line.number, incoming.class_key, placement.class_name)
        if placement.existing is None:
            self._add_learner(line.number, incoming, placement)
        else:
            self._update_learner(line.number, incoming, placement)

    def _incoming(self, line: Line) -> _Incoming | None:
        """The line's learner, or None when the line is rejected."""
        value = line.value
        line.reject_missing()
        if line.split_problem:
            line.reject("full_name", line.split_problem)
        last, first = normal_last_name(value["last_name"]), normal_first_name(value["first_name"])
        if last and first:
            try:
                # The learner's account, now or later, bears this name: the accounts' own rule.
                check_name(f"{last} {first}", "Le nom complet (nom et prénom)")
            except ValidationError as error:
                line.reject("last_name", str(error))
        email = value["email"]
        if email and not EMAIL.match(email):
            line.reject("email", f"adresse e-mail « {email} » invalide")
        birth = parse_date(value["birth_date"]) if value["birth_date"] else None
        if value["birth_date"] and birth is None:
            line.reject("birth_date", f"date « {value['birth_date']} » invalide (format attendu jj/mm/aaaa)")
        if line.problems:
            return None
        incoming = _Incoming(last, first, name_key(value["class_name"]), value["class_name"], email, birth)
        if incoming.identity in self.seen_learners:
            line.reject("last_name", f"apprenant en double dans le fichier (déjà ligne "
                                     f"{self.seen_learners[incoming.identity]})")
        if email and email.casefold() in self.seen_emails:
            line.reject("email", f"adresse e-mail déjà donnée ligne {self.seen_emails[email.casefold()]}")
        return None if line.problems else incoming

    def _placement(self, line: Line, incoming: _Incoming) -> _Placement | None:
        """Where the line puts its learner, or None when the line is rejected or waits for a decision."""
        klass = self.classes.get(incoming.class_key)
        if klass is None:
            placement = _Placement(None, self.new_classes.get(incoming.class_key) or incoming.class_name)
            existing = None
        else:
            placement = _Placement(klass.id, klass.name)
            existing = self.known.in_class(klass.id, incoming.last_name, incoming.first_name)
        if existing is not None:
            placement = replace(placement, existing=existing)
            doubt = None
            if incoming.birth_date and existing.birth_date and incoming.birth_date != existing.birth_date:
                # Two learners of one name in one class cannot be told apart (the table forbids it): no « new ».
                doubt = _Doubt(existing, "même nom et prénom dans la même classe, mais une autre date de naissance",
                               (SAME, SKIP))
        else:
            placement, doubt = self._from_other_classes(line, incoming, placement)
        if line.problems:
            return None
        return placement if doubt is None else self._decided(line, incoming, placement, doubt)

    def _from_other_classes(self, line: Line, incoming: _Incoming,
                            placement: _Placement) -> tuple[_Placement, _Doubt | None]:
        """The placement of a learner not found in its class: a recorded learner of another class changing class,
        a possible homonym, or a new learner."""
        candidates, confirmed = self._candidates(placement.class_id, incoming)
        if len(candidates) > 1:
            where = ", ".join(sorted(self.class_names[r.class_id] for r in candidates))
            hint = "" if incoming.email and incoming.birth_date else (" ; ajoutez sa date de naissance ou son "
                                                                      "e-mail pour le désigner")
            line.reject("last_name", f"identité ambiguë : {len(candidates)} apprenants « {incoming.full_name} » dans "
                                     f"d'autres classes ({where}), impossible de savoir lequel change de classe{hint}")
            return placement, None
        if not candidates:
            return placement, None
        candidate = candidates[0]
        if candidate.id in self.moved_by:
            self._reject_second_move(line, incoming, candidate)
            return placement, None
        elsewhere = self.class_names[candidate.class_id]
        birth = incoming.birth_date
        if not confirmed and birth and candidate.birth_date and candidate.birth_date != birth:
            return placement, _Doubt(candidate, f"même nom et prénom qu'un apprenant de {elsewhere}, mais une autre "
                                                "date de naissance", (SAME, NEW, SKIP))
        if not confirmed and self.results_of.get(candidate.id):
            return placement, _Doubt(candidate, f"même nom et prénom qu'un apprenant de {elsewhere} qui a déjà des "
                                                "résultats : changement de classe ou homonyme ?", (SAME, NEW, SKIP))
        return replace(placement, existing=candidate, former_class=elsewhere), None

    def _candidates(self, class_id: int | None, incoming: _Incoming) -> tuple[list[KnownLearner], bool]:
        """The learners of other classes this line may name, narrowed as far as the line allows, and whether
        the line confirms who it is (the same date of birth or e-mail as the one recorded)."""
        birth, email = incoming.birth_date, incoming.email.casefold()
        candidates = self.known.in_other_classes(class_id, incoming.last_name, incoming.first_name, self.staying)
        confirmed = [r for r in candidates if (birth and r.birth_date == birth)
                     or (email and (r.email or "").casefold() == email)]
        if len(confirmed) > 1 and email and birth:
            confirmed = [r for r in confirmed if r.birth_date == birth and (r.email or "").casefold() == email] \
                or confirmed
        if confirmed:
            return confirmed, True
        # Another recorded date of birth may be another person of the same name: the DDFPT decides.
        compatible = [r for r in candidates if not (birth and r.birth_date and r.birth_date != birth)]
        return compatible or candidates, False

    def _decided(self, line: Line, incoming: _Incoming, placement: _Placement, doubt: _Doubt) -> _Placement | None:
        """A possible homonym, shown with the decision taken on it: the placement it decides, or None while it is
        undecided or when the line is to be left out."""
        decision = self.decisions.get(line.number)
        if decision is not None and decision not in doubt.choices:
            raise ValidationError(f"Ligne {line.number} : « {DECISION_LABELS[decision]} » n'est pas possible ici "
                                  f"({doubt.reason}) ; choisissez {choice_list(doubt.choices)}.")
        shown = {"Nom": incoming.last_name, "Prénom": incoming.first_name, "Classe": placement.class_name,
                 "Date de naissance": french_date(incoming.birth_date), "E-mail": incoming.email}
        self.plan.homonyms.append(Homonym(line.number, doubt.reason, shown, self._record(doubt.learner),
                                          doubt.choices, decision))
        if decision is None or decision == SKIP:
            return None
        if decision == NEW:
            return placement
        if doubt.learner.class_id == placement.class_id:
            return replace(placement, existing=doubt.learner)
        if doubt.learner.id in self.moved_by:
            self._reject_second_move(line, incoming, doubt.learner)
            return None
        return replace(placement, existing=doubt.learner, former_class=self.class_names[doubt.learner.class_id])

    def _record(self, learner: KnownLearner) -> dict:
        return {"id": learner.id, "Nom": learner.last_name, "Prénom": learner.first_name,
                "Classe": self.class_names[learner.class_id], "Date de naissance": french_date(learner.birth_date),
                "E-mail": learner.email or "", "Résultats": self.results_of.get(learner.id, 0)}

    def _reject_second_move(self, line: Line, incoming: _Incoming, learner: KnownLearner) -> None:
        line.reject("last_name", f"« {incoming.full_name} » de {self.class_names[learner.class_id]} change déjà de "
                                 f"classe ligne {self.moved_by[learner.id]}")

    def _email_free(self, line: Line, incoming: _Incoming, placement: _Placement) -> bool:
        """An e-mail already used by an account that is not this learner's would make the sign-in ambiguous."""
        owner = self.account_by_email.get(incoming.email.casefold()) if incoming.email else None
        if owner and (placement.existing is None or owner.learner_id != placement.existing.id):
            line.reject("email", f"adresse e-mail « {incoming.email} » déjà utilisée par le compte de {owner.owner}")
            return False
        return True

    def _add_class(self, line: int, key: str, name: str) -> None:
        if key in self.new_classes:
            return
        self.new_classes[key] = name
        self.writes.classes.append(NewClass(key, name))
        self.plan.changes.append(Change(line, "class", ADDED, name, f"nouvelle classe, année scolaire "
                                                                    f"{self.writes.school_year}, diplôme "
                                                                    f"{self.writes.diploma}"))

    def _add_learner(self, line: int, incoming: _Incoming, placement: _Placement) -> None:
        email, birth = incoming.email, incoming.birth_date
        label = f"{placement.class_name} — {incoming.full_name}"
        learner = NewLearner(incoming.class_key, placement.class_id, incoming.last_name, incoming.first_name,
                             email or None, birth, line)
        self.writes.learners.append(learner)
        self.plan.changes.append(Change(line, "learner", ADDED, label,
                                        ", ".join(x for x in (email, french_date(birth)) if x)))
        if email:
            self.writes.accounts.append(NewAccount(learner, incoming.full_name, email))
            self.plan.changes.append(Change(line, "account", ADDED, label, email))

    def _update_learner(self, line: int, incoming: _Incoming, placement: _Placement) -> None:
        existing, email, birth = placement.existing, incoming.email, incoming.birth_date
        diffs = []
        if placement.former_class is not None:
            self.moved_by[existing.id] = line
            self.writes.moves.append(LearnerMove(existing.id, incoming.class_key, placement.class_id))
            diffs.append(f"changement de classe : {placement.former_class} → {placement.class_name}")
        new_email = email if email and email != existing.email else existing.email
        if new_email != existing.email:
            diffs.append(f"e-mail : {existing.email or '(vide)'} → {email}")
        new_birth = birth if birth and birth != existing.birth_date else existing.birth_date
        if new_birth != existing.birth_date:
            diffs.append(f"date de naissance : {french_date(existing.birth_date) or '(vide)'} → {french_date(birth)}")
        label = f"{placement.class_name} — {existing.full_name}"
        if diffs:
            if (new_email, new_birth) != (existing.email, existing.birth_date):
                self.writes.updates.append(LearnerUpdate(existing.id, new_email, new_birth))
            self.plan.changes.append(Change(line, "learner", UPDATED, label, " ; ".join(diffs)))
        else:
            self.plan.changes.append(Change(line, "learner", UNCHANGED, label))
        self._account(line, label, existing, email, new_email)

    def _account(self, line: int, label: str, existing: KnownLearner, email: str, new_email: str | None) -> None:
        account = self.account_of.get(existing.id)
        if email and account is None:
            self.writes.accounts.append(NewAccount(existing.id, existing.full_name, email))
            self.plan.changes.append(Change(line, "account", ADDED, label, email))
        elif (email and account and new_email != existing.email
              and account.email.casefold() == (existing.email or "").casefold()):
            # The account was made from the learner's e-mail: it follows the new address.
            self.writes.account_updates.append(AccountUpdate(account.user_id, email))
            self.plan.changes.append(Change(line, "account", UPDATED, label, f"e-mail : {account.email} → {email}"))


def _learner_plan(db: Database, table: Table, diploma: str, school_year: str,
                  decisions: dict[int, str] | None = None) -> ImportPlan:
    return _LearnerPlanner(db, table, diploma, school_year, decisions or {}).planned()


def _write_learners(db: Database, user: User, plan: ImportPlan) -> None:
    writes: LearnerWrites = plan.writes
    class_ids = {}
    for klass in writes.classes:
        cur_id = db.insert("INSERT INTO classes(name, diploma, school_year) VALUES (?, ?, ?)",
                         [klass.name, writes.diploma, writes.school_year])
        class_ids[klass.key] = cur_id
    learner_ids = {}
    for learner in writes.learners:
        class_id = learner.class_id if learner.class_id is not None else class_ids[learner.class_key]
        cur_id = db.insert("INSERT INTO learners(class_id, last_name, first_name, email, birth_date) "
                         "VALUES (?, ?, ?, ?, ?)",
                         [class_id, learner.last_name, learner.first_name, learner.email, learner.birth_date])
        learner_ids[learner] = cur_id
    db.executemany("UPDATE learners SET class_id = ? WHERE id = ?",
                        [(m.class_id if m.class_id is not None else class_ids[m.class_key], m.learner_id)
                         for m in writes.moves])
    db.executemany("UPDATE learners SET email = ?, birth_date = ? WHERE id = ?",
                        [(u.email, u.birth_date, u.learner_id) for u in writes.updates])
    for account in writes.accounts:
        learner_id = learner_ids[account.learner] if isinstance(account.learner, NewLearner) else account.learner
        db.execute("INSERT INTO users(name, email, role, learner_id) VALUES (?, ?, 'learner', ?)",
                   [account.name, account.email, learner_id])
    db.executemany("UPDATE users SET email = ? WHERE id = ?",
                        [(u.email, u.user_id) for u in writes.account_updates])


def diploma_options(db: Database, user: User | None) -> pd.DataFrame:
    """Diplomas a new class may belong to (code, title)."""
    require(user, "import_learners")
    return db.frame("SELECT code, title FROM diplomas ORDER BY code = ? DESC, code",
                             params=[DEFAULT_DIPLOMA])


def _check_diploma(db: Database, diploma: str) -> None:
    if not db.execute("SELECT 1 FROM diplomas WHERE code = ?", [diploma]).fetchone():
        raise ValidationError(f"Le diplôme « {diploma} » n'existe pas : importez d'abord son référentiel.")


def _decided_plan(db: Database, table: Table, diploma: str, school_year: str | None,
                  decisions: dict[int, str] | None) -> ImportPlan:
    _check_diploma(db, diploma)
    decisions = {int(line): decision for line, decision in (decisions or {}).items()}
    unknown = [d for d in decisions.values() if d not in DECISION_LABELS]
    if unknown:
        raise ValidationError(f"Décision « {unknown[0]} » inconnue (attendu : {', '.join(DECISION_LABELS)}).")
    plan = _learner_plan(db, table, diploma, school_year or current_school_year(), decisions)
    stray = sorted(set(decisions) - {h.line for h in plan.homonyms})
    if stray:
        lines = ", ".join(map(str, stray))
        where = "ces lignes" if len(stray) > 1 else "cette ligne"
        raise ValidationError(f"Ligne{'s' if len(stray) > 1 else ''} {lines} : aucun homonyme possible à trancher "
                              f"sur {where} ; rien n'a été importé.")
    return plan


def preview_learners(db: Database, user: User | None, data: bytes, file_name: str,
                     diploma: str = DEFAULT_DIPLOMA, school_year: str | None = None,
                     decisions: dict[int, str] | None = None) -> ImportPlan:
    """What importing this list of classes and learners would do, with the decisions taken so far on possible
    homonyms ({line: SAME, NEW or SKIP}). Writes nothing."""
    require(user, "import_learners")
    table = read_table(data, file_name, LEARNER_COLUMNS)
    return _decided_plan(db, table, diploma, school_year, decisions)


def import_learners(db: Database, user: User | None, data: bytes, file_name: str,
                    diploma: str = DEFAULT_DIPLOMA, school_year: str | None = None,
                    partial: bool = False, decisions: dict[int, str] | None = None) -> ImportPlan:
    """Import classes and learners in one transaction. With rejected lines, refuses (nothing written)
    unless partial is True, in which case only the valid lines are imported. A possible homonym left
    without a decision always refuses the import."""
    user = require(user, "import_learners")
    table = read_table(data, file_name, LEARNER_COLUMNS)
    return apply_plan(db, user, lambda: _decided_plan(db, table, diploma, school_year, decisions), partial,
                     _write_learners)

