"""The import of classes and learners: a learner is matched on its class and name, changes class keeping its results,
and a possible homonym waits for the DDFPT's decision."""

from __future__ import annotations

import pandas as pd
import sqlite_utils

from livret.accounts import check_name
from livret.errors import ValidationError
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
    apply_plan,
    choice_list,
)
from livret.imports.reading import Column, Table, clean, read_table
from livret.imports.values import (
    EMAIL,
    current_school_year,
    french_date,
    loose_key,
    name_key,
    normal_first_name,
    normal_last_name,
    parse_date,
    split_full_name,
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

class LineReader:
    """Reads a table's lines by field, the learner's name given by « Nom » and « Prénom » or by one combined
    column (« Élève ») split with split_full_name. Shared by the learners and the results imports."""

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


def _learner_plan(db: sqlite_utils.Database, table: Table, diploma: str, school_year: str,
                  decisions: dict[int, str] | None = None) -> ImportPlan:
    plan = ImportPlan("learners", table.name, lines=len(table.rows), notes=list(table.notes))
    decisions = decisions or {}
    classes = {name_key(name): (cid, name) for cid, name in db.execute("SELECT id, name FROM classes")}
    class_names = {cid: name for cid, name in classes.values()}
    learners: dict[int, dict[str, tuple]] = {}
    loose: dict[int, dict[str, list[tuple]]] = {}
    school_exact: dict[str, list[tuple]] = {}
    school_loose: dict[str, list[tuple]] = {}
    for row in db.execute("SELECT id, class_id, last_name, first_name, email, birth_date FROM learners"):
        learners.setdefault(row[1], {})[name_key(f"{row[2]} {row[3]}")] = row
        loose.setdefault(row[1], {}).setdefault(loose_key(f"{row[2]}{row[3]}"), []).append(row)
        school_exact.setdefault(name_key(f"{row[2]} {row[3]}"), []).append(row)
        school_loose.setdefault(loose_key(f"{row[2]}{row[3]}"), []).append(row)
    users_by_email = {email.casefold(): (uid, learner_id, name + (f" ({klass})" if klass else ""))
                      for uid, email, learner_id, name, klass in db.execute(
                          "SELECT u.id, u.email, u.learner_id, u.name, c.name FROM users u "
                          "LEFT JOIN learners l ON l.id = u.learner_id LEFT JOIN classes c ON c.id = l.class_id")}
    account_of = {learner_id: (uid, email) for uid, email, learner_id, _ in
                  db.execute("SELECT id, email, learner_id, name FROM users WHERE learner_id IS NOT NULL")}

    reader = LineReader(table, LEARNER_COLUMNS)

    def in_class(class_id: int, last: str, first: str) -> tuple | None:
        existing = learners.get(class_id, {}).get(name_key(f"{last} {first}"))
        if existing is None:
            candidates = loose.get(class_id, {}).get(loose_key(last + first), [])
            existing = candidates[0] if len(candidates) == 1 else None
        return existing

    # A learner named in its own class by some line stays there: no other line may take it to another class.
    kept_in_class: set[int] = set()
    for _line, cells in table.rows:
        value, _unsplittable = reader.values(cells)
        klass = classes.get(name_key(value["class_name"]))
        if klass and value["last_name"] and value["first_name"]:
            existing = in_class(klass[0], value["last_name"], value["first_name"])
            if existing:
                kept_in_class.add(existing[0])

    def in_other_classes(class_id: int | None, last: str, first: str, email: str,
                         birth: str | None) -> tuple[list[tuple], bool]:
        """The learners of other classes this line may name, narrowed as far as the line allows, and whether
        the line confirms who it is (the same date of birth or e-mail as the one recorded)."""
        def elsewhere(rows):
            return [r for r in rows if r[1] != class_id and r[0] not in kept_in_class]
        candidates = (elsewhere(school_exact.get(name_key(f"{last} {first}"), []))
                      or elsewhere(school_loose.get(loose_key(last + first), [])))
        confirmed = [r for r in candidates if (birth and r[5] == birth)
                     or (email and (r[4] or "").casefold() == email.casefold())]
        if len(confirmed) > 1 and email and birth:
            confirmed = [r for r in confirmed if r[5] == birth and (r[4] or "").casefold() == email.casefold()] \
                or confirmed
        if confirmed:
            return confirmed, True
        # Another recorded date of birth may be another person of the same name: the DDFPT decides.
        compatible = [r for r in candidates if not (birth and r[5] and r[5] != birth)]
        return compatible or candidates, False

    results_of = dict(db.execute("SELECT learner_id, count(*) FROM results GROUP BY learner_id").fetchall())

    def record(row: tuple, class_name: str) -> dict:
        return {"id": row[0], "Nom": row[2], "Prénom": row[3], "Classe": class_name,
                "Date de naissance": french_date(row[5]), "E-mail": row[4] or "", "Résultats": results_of.get(row[0], 0)}

    new_classes: dict[str, str] = {}
    seen_learners: dict[tuple[str, str], int] = {}
    seen_emails: dict[str, int] = {}
    moved_by: dict[int, int] = {}  # learner id → the line that takes it to another class
    ops = plan.ops = {"classes": [], "learners": [], "updates": [], "moves": [], "accounts": [],
                      "account_updates": []}
    plan.ops["diploma"], plan.ops["school_year"] = diploma, school_year

    for line, cells in table.rows:
        value, split_problem = reader.values(cells)
        problems = []

        def reject(fname: str, reason: str, _line=line, _cells=cells, _problems=problems) -> None:
            _problems.append(reader.rejection(_line, _cells, fname, reason))

        for fname in reader.required:
            if not value[fname]:
                reject(fname, "valeur obligatoire manquante")
        if split_problem:
            reject("full_name", split_problem)
        value["last_name"] = normal_last_name(value["last_name"])
        value["first_name"] = normal_first_name(value["first_name"])
        if value["last_name"] and value["first_name"]:
            try:
                # The learner's account, now or later, bears this name: the accounts' own rule.
                check_name(f"{value['last_name']} {value['first_name']}", "Le nom complet (nom et prénom)")
            except ValidationError as error:
                reject("last_name", str(error))
        email = value["email"]
        if email and not EMAIL.match(email):
            reject("email", f"adresse e-mail « {email} » invalide")
        birth = None
        if value["birth_date"]:
            birth = parse_date(value["birth_date"])
            if birth is None:
                reject("birth_date", f"date « {value['birth_date']} » invalide (format attendu jj/mm/aaaa)")
        if not problems:
            class_key = name_key(value["class_name"])
            identity = (class_key, name_key(f"{value['last_name']} {value['first_name']}"))
            if identity in seen_learners:
                reject("last_name", f"apprenant en double dans le fichier (déjà ligne {seen_learners[identity]})")
            if email and email.casefold() in seen_emails:
                reject("email", f"adresse e-mail déjà donnée ligne {seen_emails[email.casefold()]}")
        if problems:
            plan.rejected.extend(problems)
            continue

        full_name = f"{value['last_name']} {value['first_name']}"
        existing = None
        class_id = None
        if class_key in classes:
            class_id, class_name = classes[class_key]
            existing = in_class(class_id, value["last_name"], value["first_name"])
        else:
            class_name = new_classes.get(class_key) or value["class_name"]
        former_class = None
        # A possible homonym: (the recorded learner, why in doubt, the decisions that make sense).
        doubt = None
        if existing is not None:
            if birth and existing[5] and birth != existing[5]:
                # Two learners of one name in one class cannot be told apart (the table forbids it): no « new ».
                doubt = (existing, "même nom et prénom dans la même classe, mais une autre date de naissance",
                         (SAME, SKIP))
        else:
            candidates, confirmed = in_other_classes(class_id, value["last_name"], value["first_name"], email, birth)
            if len(candidates) > 1:
                where = ", ".join(sorted(class_names[r[1]] for r in candidates))
                hint = "" if email and birth else " ; ajoutez sa date de naissance ou son e-mail pour le désigner"
                reject("last_name", f"identité ambiguë : {len(candidates)} apprenants « {full_name} » dans "
                                    f"d'autres classes ({where}), impossible de savoir lequel change de classe{hint}")
            elif candidates and candidates[0][0] in moved_by:
                reject("last_name", f"« {full_name} » de {class_names[candidates[0][1]]} change déjà de classe "
                                    f"ligne {moved_by[candidates[0][0]]}")
            elif candidates:
                candidate = candidates[0]
                elsewhere = class_names[candidate[1]]
                if not confirmed and birth and candidate[5] and candidate[5] != birth:
                    doubt = (candidate, f"même nom et prénom qu'un apprenant de {elsewhere}, mais une autre date "
                                        "de naissance", (SAME, NEW, SKIP))
                elif not confirmed and results_of.get(candidate[0]):
                    doubt = (candidate, f"même nom et prénom qu'un apprenant de {elsewhere} qui a déjà des "
                                        "résultats : changement de classe ou homonyme ?", (SAME, NEW, SKIP))
                else:
                    existing, former_class = candidate, elsewhere
        if problems:
            plan.rejected.extend(problems)
            continue
        if doubt is not None:
            candidate, reason, choices = doubt
            decision = decisions.get(line)
            if decision is not None and decision not in choices:
                raise ValidationError(f"Ligne {line} : « {DECISION_LABELS[decision]} » n'est pas possible ici "
                                      f"({reason}) ; choisissez {choice_list(choices)}.")
            plan.homonyms.append(Homonym(
                line, reason, {"Nom": value["last_name"], "Prénom": value["first_name"], "Classe": class_name,
                               "Date de naissance": french_date(birth), "E-mail": email},
                record(candidate, class_names[candidate[1]]), choices, decision))
            if decision is None or decision == SKIP:
                continue
            if decision == SAME:
                existing = candidate
                if candidate[1] != class_id:
                    if candidate[0] in moved_by:
                        reject("last_name", f"« {full_name} » de {class_names[candidate[1]]} change déjà de classe "
                                            f"ligne {moved_by[candidate[0]]}")
                        plan.rejected.extend(problems)
                        continue
                    former_class = class_names[candidate[1]]
        label = f"{class_name} — {full_name}"

        # An e-mail already used by an account that is not this learner's would make the sign-in ambiguous.
        owner = users_by_email.get(email.casefold()) if email else None
        learner_id = existing[0] if existing else None
        if owner and (learner_id is None or owner[1] != learner_id):
            reject("email", f"adresse e-mail « {email} » déjà utilisée par le compte de {owner[2]}")
            plan.rejected.extend(problems)
            continue
        seen_learners[identity] = line
        if email:
            seen_emails[email.casefold()] = line
        if class_id is None and class_key not in new_classes:
            new_classes[class_key] = class_name
            ops["classes"].append((class_key, class_name))
            plan.changes.append(Change(line, "class", ADDED, class_name,
                                       f"nouvelle classe, année scolaire {school_year}, diplôme {diploma}"))

        if existing is None:
            ops["learners"].append((class_key, class_id, value["last_name"], value["first_name"], email or None,
                                    birth, line))
            detail = ", ".join(x for x in (email, french_date(birth)) if x)
            plan.changes.append(Change(line, "learner", ADDED, label, detail))
            if email:
                ops["accounts"].append(("new", len(ops["learners"]) - 1, full_name, email))
                plan.changes.append(Change(line, "account", ADDED, label, email))
            continue

        learner_id, _, last, first, old_email, old_birth = existing
        diffs = []
        if former_class is not None:
            moved_by[learner_id] = line
            ops["moves"].append((learner_id, class_key, class_id))
            diffs.append(f"changement de classe : {former_class} → {class_name}")
        new_email = old_email
        if email and email != old_email:
            new_email = email
            diffs.append(f"e-mail : {old_email or '(vide)'} → {email}")
        new_birth = old_birth
        if birth and birth != old_birth:
            new_birth = birth
            diffs.append(f"date de naissance : {french_date(old_birth) or '(vide)'} → {french_date(birth)}")
        label = f"{class_name} — {last} {first}"
        if diffs:
            if (new_email, new_birth) != (old_email, old_birth):
                ops["updates"].append((learner_id, new_email, new_birth))
            plan.changes.append(Change(line, "learner", UPDATED, label, " ; ".join(diffs)))
        else:
            plan.changes.append(Change(line, "learner", UNCHANGED, label))
        account = account_of.get(learner_id)
        if email and account is None:
            ops["accounts"].append(("existing", learner_id, f"{last} {first}", email))
            plan.changes.append(Change(line, "account", ADDED, label, email))
        elif email and account and new_email != old_email and account[1].casefold() == (old_email or "").casefold():
            # The account was made from the learner's e-mail: it follows the new address.
            ops["account_updates"].append((account[0], email))
            plan.changes.append(Change(line, "account", UPDATED, label, f"e-mail : {account[1]} → {email}"))
    return plan


def _write_learners(db: sqlite_utils.Database, user: User, plan: ImportPlan) -> None:
    ops = plan.ops
    class_ids = {}
    for class_key, name in ops["classes"]:
        cur = db.execute("INSERT INTO classes(name, diploma, school_year) VALUES (?, ?, ?)",
                         [name, ops["diploma"], ops["school_year"]])
        class_ids[class_key] = cur.lastrowid
    learner_ids = []
    for class_key, class_id, last, first, email, birth, _ in ops["learners"]:
        cur = db.execute("INSERT INTO learners(class_id, last_name, first_name, email, birth_date) "
                         "VALUES (?, ?, ?, ?, ?)", [class_id or class_ids[class_key], last, first, email, birth])
        learner_ids.append(cur.lastrowid)
    # Only the class changes: results stay the learner's, on the evaluations of the former class.
    db.conn.executemany("UPDATE learners SET class_id = ? WHERE id = ?",
                        [(class_id or class_ids[class_key], lid) for lid, class_key, class_id in ops["moves"]])
    db.conn.executemany("UPDATE learners SET email = ?, birth_date = ? WHERE id = ?",
                        [(email, birth, lid) for lid, email, birth in ops["updates"]])
    for kind, ref, name, email in ops["accounts"]:
        learner_id = learner_ids[ref] if kind == "new" else ref
        db.execute("INSERT INTO users(name, email, role, learner_id) VALUES (?, ?, 'learner', ?)",
                   [name, email, learner_id])
    db.conn.executemany("UPDATE users SET email = ? WHERE id = ?", [(e, uid) for uid, e in ops["account_updates"]])


def diploma_options(db: sqlite_utils.Database, user: User | None) -> pd.DataFrame:
    """Diplomas a new class may belong to (code, title)."""
    require(user, "import_learners")
    return pd.read_sql_query("SELECT code, title FROM diplomas ORDER BY code = ? DESC, code", db.conn,
                             params=[DEFAULT_DIPLOMA])


def _check_diploma(db: sqlite_utils.Database, diploma: str) -> None:
    if not db.execute("SELECT 1 FROM diplomas WHERE code = ?", [diploma]).fetchone():
        raise ValidationError(f"Le diplôme « {diploma} » n'existe pas : importez d'abord son référentiel.")


def _decided_plan(db: sqlite_utils.Database, table: Table, diploma: str, school_year: str | None,
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


def preview_learners(db: sqlite_utils.Database, user: User | None, data: bytes, file_name: str,
                     diploma: str = DEFAULT_DIPLOMA, school_year: str | None = None,
                     decisions: dict[int, str] | None = None) -> ImportPlan:
    """What importing this list of classes and learners would do, with the decisions taken so far on possible
    homonyms ({line: SAME, NEW or SKIP}). Writes nothing."""
    require(user, "import_learners")
    table = read_table(data, file_name, LEARNER_COLUMNS)
    return _decided_plan(db, table, diploma, school_year, decisions)


def import_learners(db: sqlite_utils.Database, user: User | None, data: bytes, file_name: str,
                    diploma: str = DEFAULT_DIPLOMA, school_year: str | None = None,
                    partial: bool = False, decisions: dict[int, str] | None = None) -> ImportPlan:
    """Import classes and learners in one transaction. With rejected lines, refuses (nothing written)
    unless partial is True, in which case only the valid lines are imported. A possible homonym left
    without a decision always refuses the import."""
    user = require(user, "import_learners")
    table = read_table(data, file_name, LEARNER_COLUMNS)
    return apply_plan(db, user, lambda: _decided_plan(db, table, diploma, school_year, decisions), partial,
                     _write_learners)

