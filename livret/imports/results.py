"""The import of evaluation results in long format: one line per learner, evaluation and criterion. Changing an
evaluation a validated bilan counted needs the DDFPT's leave, and each such change is journalled as Saisie does."""

from __future__ import annotations

import re
from collections import Counter

import sqlite_utils

from livret import audit, clock, evaluations
from livret.codes import COMPANY_CODE, COMPLEXITIES, RESULT_CODES
from livret.french import date_text
from livret.imports.learners import LEARNER_COLUMNS, LineReader
from livret.imports.plan import ADDED, UNCHANGED, UPDATED, Change, ImportPlan, apply_plan, author_id
from livret.imports.reading import Column, Table, clean, plain_key, read_table
from livret.imports.values import french_date, loose_key, name_key, parse_date
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


def _result_plan(db: sqlite_utils.Database, table: Table, allow_locked: bool = False) -> ImportPlan:
    plan = ImportPlan("results", table.name, lines=len(table.rows), notes=list(table.notes))
    classes = {name_key(name): (cid, name, diploma)
               for cid, name, diploma in db.execute("SELECT id, name, diploma FROM classes")}
    wanted = {name_key(table.cell(cells, "class_name")) for _, cells in table.rows}
    class_ids = [classes[k][0] for k in wanted if k in classes]
    marks = ",".join("?" * len(class_ids)) or "NULL"
    learners: dict[int, dict[str, tuple[int, str]]] = {}
    loose: dict[int, dict[str, list[tuple[int, str]]]] = {}
    for lid, cid, last, first in db.execute(
            f"SELECT id, class_id, last_name, first_name FROM learners WHERE class_id IN ({marks})", class_ids):
        learners.setdefault(cid, {})[name_key(f"{last} {first}")] = (lid, f"{last} {first}")
        loose.setdefault(cid, {}).setdefault(loose_key(last + first), []).append((lid, f"{last} {first}"))
    competencies: dict[str, dict[str, tuple[int, str]]] = {}
    criteria: dict[tuple[int, int], int] = {}
    criteria_count: Counter = Counter()
    for diploma, comp_id, code, position, crit_id in db.execute(
            "SELECT c.diploma, c.id, c.code, cr.position, cr.id FROM competencies c "
            "JOIN criteria cr ON cr.competency_id = c.id"):
        competencies.setdefault(diploma, {})[code.casefold()] = (comp_id, code)
        criteria[(comp_id, position)] = crit_id
        criteria_count[comp_id] += 1
    known_evaluations = {}
    for eid, cid, lid, title, day, context, complexity, modified in db.execute(
            f"SELECT id, class_id, learner_id, title, eval_date, context, complexity, modified_at FROM evaluations "
            f"WHERE class_id IN ({marks})", class_ids):
        known_evaluations[(cid, clean(title), day, lid or 0)] = (eid, context, complexity, modified, lid, title)
    eval_ids = [e[0] for e in known_evaluations.values()]
    linked: set[tuple[int, int]] = set()
    results: dict[tuple[int, int, int], str] = {}
    for chunk in range(0, len(eval_ids), 500):
        ids = eval_ids[chunk:chunk + 500]
        qmarks = ",".join("?" * len(ids))
        linked.update(db.execute(
            f"SELECT evaluation_id, criterion_id FROM evaluation_criteria WHERE evaluation_id IN ({qmarks})", ids))
        for eid, lid, crit, code in db.execute(
                f"SELECT evaluation_id, learner_id, criterion_id, code FROM results WHERE evaluation_id IN ({qmarks})",
                ids):
            results[(eid, lid, crit)] = code

    # Per evaluation identity: its first line, complexity, label, existing row, criteria and results to write.
    planned: dict[tuple, dict] = {}
    seen_results: dict[tuple, int] = {}
    ops = plan.ops = {"evaluations": {}, "links": [], "results": [], "complexity": [], "journal": {}}

    reader = LineReader(table, RESULT_COLUMNS)
    for line, cells in table.rows:
        value, split_problem = reader.values(cells)
        problems = []

        def reject(fname: str, reason: str, _line=line, _cells=cells, _problems=problems) -> None:
            _problems.append(reader.rejection(_line, _cells, fname, reason))

        for fname in reader.required:
            if not value[fname] and not (fname == "competency" and _CRITERION_CODE.match(value["criterion"])):
                reject(fname, "valeur obligatoire manquante")
        if problems:
            plan.rejected.extend(problems)
            continue
        klass = classes.get(name_key(value["class_name"]))
        learner = None
        if klass is None:
            reject("class_name", f"classe « {value['class_name']} » inconnue")
        if split_problem:
            reject("full_name", split_problem)
        elif klass is not None:
            name = f"{value['last_name']} {value['first_name']}"
            learner = learners.get(klass[0], {}).get(name_key(name))
            if learner is None:
                candidates = loose.get(klass[0], {}).get(loose_key(value["last_name"] + value["first_name"]), [])
                learner = candidates[0] if len(candidates) == 1 else None
            if learner is None:
                reject("last_name", f"apprenant « {name} » inconnu dans la classe {klass[1]}")
        day = parse_date(value["date"])
        if day is None:
            reject("date", f"date « {value['date']} » invalide (format attendu jj/mm/aaaa)")
        complexity = _COMPLEXITY_WORDS.get(plain_key(value["complexity"]))
        if complexity is None:
            reject("complexity", f"complexité « {value['complexity']} » inconnue "
                                 f"(attendu {', '.join(COMPLEXITIES)} ou {COMPANY_CODE} pour un bilan entreprise)")
        competency_text, criterion_text = value["competency"], value["criterion"]
        code_form = _CRITERION_CODE.match(criterion_text)
        if code_form:
            if competency_text and competency_text.casefold() != code_form.group(1).casefold():
                reject("criterion", f"le critère « {criterion_text} » n'appartient pas à la compétence "
                                    f"« {competency_text} »")
            competency_text, criterion_text = code_form.group(1), code_form.group(2)
        criterion_id = None
        if klass is not None:
            competency = competencies.get(klass[2], {}).get(competency_text.casefold())
            if competency is None:
                reject("competency", f"compétence « {competency_text} » inconnue dans le référentiel {klass[2]}")
            elif not criterion_text.isdigit():
                reject("criterion", f"critère « {value['criterion']} » illisible (attendu un numéro, ex. 3, "
                                    f"ou un code, ex. {competency[1]}-3)")
            else:
                criterion_id = criteria.get((competency[0], int(criterion_text)))
                if criterion_id is None:
                    count = criteria_count[competency[0]]
                    reject("criterion", f"critère {competency[1]}-{int(criterion_text)} inconnu "
                                        f"({competency[1]} compte {count} critère{'s' if count > 1 else ''})")
        code = next((c for c in RESULT_CODES if c.casefold() == value["result"].casefold()), None)
        if code is None:
            reject("result", f"code « {value['result']} » inconnu (codes admis : {', '.join(RESULT_CODES)})")
        if problems:
            plan.rejected.extend(problems)
            continue

        class_id, class_name = klass[0], klass[1]
        learner_id, learner_name = learner
        company = complexity == COMPANY_CODE
        title = value["title"]
        key = (class_id, title, day, learner_id if company else 0)
        entry = planned.get(key)
        existing = known_evaluations.get(key)
        if entry is None:
            if existing and (existing[1] == "company") != company:
                where = "entreprise" if existing[1] == "company" else "établissement"
                reject("complexity", f"l'évaluation « {title} » du {french_date(day)} existe déjà "
                                     f"en contexte {where}")
                plan.rejected.extend(problems)
                continue
            entry = {"line": line, "complexity": complexity, "existing": existing, "new_criteria": set(),
                     "rows": [], "title": title, "day": day,
                     "label": f"{class_name} — {title} ({french_date(day)})"
                              + (f" — {learner_name}" if company else "")}
        elif entry["complexity"] != complexity:
            reject("complexity", f"complexité « {complexity} » différente de celle de la ligne {entry['line']} "
                                 f"(« {entry['complexity']} ») pour la même évaluation")
            plan.rejected.extend(problems)
            continue
        result_key = (key, learner_id, criterion_id)
        if result_key in seen_results:
            reject("result", f"résultat en double pour cet apprenant et ce critère (déjà ligne "
                             f"{seen_results[result_key]})")
            plan.rejected.extend(problems)
            continue
        seen_results[result_key] = line
        planned[key] = entry

        label = f"{class_name} — {learner_name} — {title} — {competency[1]}-{int(criterion_text)}"
        eid = existing[0] if existing else None
        link = None
        if (eid is None or (eid, criterion_id) not in linked) and criterion_id not in entry["new_criteria"]:
            entry["new_criteria"].add(criterion_id)
            link = criterion_id
        old = results.get((eid, learner_id, criterion_id)) if eid else None
        write = (key, learner_id, criterion_id, code) if old != code else None
        if old is None:
            change = Change(line, "result", ADDED, label, code)
        elif old != code:
            change = Change(line, "result", UPDATED, label, f"{old} → {code}")
        else:
            change = Change(line, "result", UNCHANGED, label, code)
        entry["rows"].append((line, cells, change, write, link, old))

    evaluation_changes, result_changes = [], []
    for key, entry in planned.items():
        existing, complexity = entry["existing"], entry["complexity"]
        rows = entry["rows"]
        complexity_changed = existing is not None and (existing[2] or COMPANY_CODE) != complexity
        writing = rows if complexity_changed else [r for r in rows if r[3] or r[4]]
        locked_by = evaluations.taken_into_account(db, existing[0]) if existing and writing else None
        if locked_by and not allow_locked:
            # Changing what a validated bilan counted needs the DDFPT's explicit leave, for this import.
            reason = (f"l'évaluation « {entry['title']} » du {french_date(entry['day'])} est déjà prise en compte "
                      f"dans un bilan validé le {date_text(locked_by)} : cochez « {LOCKED_CONFIRM_LABEL} » "
                      "(ou --allow-locked en ligne de commande) pour la modifier")
            plan.rejected.extend(reader.rejection(r[0], r[1], "title", reason) for r in writing)
            plan.locked.append((entry["label"], locked_by))
            refused = {r[0] for r in writing}
            rows = [r for r in rows if r[0] not in refused]
            entry["new_criteria"] = set()
            if not rows:
                continue
        elif locked_by:
            plan.locked.append((entry["label"], locked_by))
            ops["journal"][existing[0]] = {
                "learner_id": existing[4], "title": existing[5], "eval_date": entry["day"], "context": existing[1],
                "complexity": existing[2], "new_complexity": None if complexity == COMPANY_CODE else complexity,
                "modified_at": existing[3], "criteria": sorted(c for e, c in linked if e == existing[0]),
                "results": [(w[1], w[2], old, w[3]) for _, _, _, w, _, old in rows if w]}
        for _, _, change, write, link, _ in rows:
            result_changes.append(change)
            if write:
                ops["results"].append(write)
            if link:
                ops["links"].append((key, link))
        parts = []
        criteria_added, results_written = len(entry["new_criteria"]), sum(1 for r in rows if r[3])
        if criteria_added:
            plural = "s" if criteria_added > 1 else ""
            parts.append(f"{criteria_added} critère{plural} ajouté{plural}")
        if results_written:
            plural = "s" if results_written > 1 else ""
            parts.append(f"{results_written} résultat{plural} à écrire")
        if existing is None:
            ops["evaluations"][key] = (None, complexity)
            evaluation_changes.append(Change(entry["line"], "evaluation", ADDED, entry["label"],
                                             " ; ".join([f"complexité {complexity}"] + parts)))
            continue
        old_complexity = existing[2] or COMPANY_CODE
        if old_complexity != complexity:
            parts.insert(0, f"complexité : {old_complexity} → {complexity}")
            ops["complexity"].append((existing[0], complexity))
        if parts:
            if locked_by:
                parts.append(f"déjà prise en compte dans un bilan validé le {date_text(locked_by)} : chaque "
                             "modification est journalisée")
            ops["evaluations"][key] = (existing[0], complexity)
            evaluation_changes.append(Change(entry["line"], "evaluation", UPDATED, entry["label"], " ; ".join(parts)))
        else:
            evaluation_changes.append(Change(entry["line"], "evaluation", UNCHANGED, entry["label"]))
    result_changes.sort(key=lambda change: change.line)
    plan.changes[:0] = evaluation_changes + result_changes
    plan.rejected.sort(key=lambda rejection: rejection.line)
    return plan


def _write_results(db: sqlite_utils.Database, user: User, plan: ImportPlan) -> None:
    ops, now, author = plan.ops, clock.stamp(), author_id(db, user)
    ids = {}
    for key, (eid, complexity) in ops["evaluations"].items():
        class_id, title, day, learner_id = key
        if eid is None:
            company = complexity == COMPANY_CODE
            cur = db.execute(
                "INSERT INTO evaluations(class_id, learner_id, title, eval_date, context, complexity, created_at, "
                "modified_at, author_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [class_id, learner_id or None, title, day, "company" if company else "school",
                 None if company else complexity, now, now, author])
            eid = cur.lastrowid
        ids[key] = eid
    for eid, complexity in ops["complexity"]:
        db.execute("UPDATE evaluations SET complexity = ? WHERE id = ?", [complexity, eid])
    db.conn.executemany("INSERT OR IGNORE INTO evaluation_criteria(evaluation_id, criterion_id) VALUES (?, ?)",
                        [(ids[key], crit) for key, crit in ops["links"]])
    db.conn.executemany(
        "INSERT INTO results(evaluation_id, learner_id, criterion_id, code) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(evaluation_id, learner_id, criterion_id) DO UPDATE SET code = excluded.code",
        [(ids[key], learner_id, crit, code) for key, learner_id, crit, code in ops["results"]])
    # Importing into an evaluation is editing it: its date for ordering is its last modification.
    touched = [(now, eid) for key, eid in ids.items() if ops["evaluations"][key][0] is not None]
    db.conn.executemany("UPDATE evaluations SET modified_at = ? WHERE id = ?", touched)
    new_links = {}
    for key, crit in ops["links"]:
        new_links.setdefault(ids[key], []).append(crit)
    for eid, old in ops["journal"].items():
        _journal_locked(db, user, eid, old, new_links.get(eid, []), now)


def _journal_locked(db: sqlite_utils.Database, user: User, eid: int, old: dict, added: list[int], now: str) -> None:
    """Journal a change to an evaluation a validated bilan counted, in the lines Saisie writes for the same
    change (so they show in its « Journal des modifications »): the header and criteria, then each result."""
    evaluation = {"id": eid, "learner_id": old["learner_id"], "title": old["title"], "eval_date": old["eval_date"],
                  "context": old["context"], "complexity": old["complexity"], "modified_at": old["modified_at"]}
    results = old["results"]
    # Saisie's own helpers, so that the journal reads the same whichever page or file made the change.
    labels = evaluations._criterion_labels(db, set(old["criteria"]) | set(added) | {crit for _, crit, _, _ in results})
    if added or old["new_complexity"] != old["complexity"]:
        before = evaluations._header({**evaluation, "criterion_ids": old["criteria"]}, labels)
        after = evaluations._header({**evaluation, "complexity": old["new_complexity"], "modified_at": now,
                                      "criterion_ids": old["criteria"] + added}, labels)
        after["dropped_results"] = 0
        audit.write(db, user, "evaluation.update", evaluations.AUDIT_ENTITY, eid, old["learner_id"], before, after)
    if results:
        cells = sorted(results)
        audit.write(db, user, "evaluation.results", evaluations.AUDIT_ENTITY, eid, old["learner_id"],
                    {"modified_at": old["modified_at"],
                     "results": [{"learner_id": lid, "criterion": labels[crit], "code": code}
                                 for lid, crit, code, _ in cells]},
                    {"modified_at": now,
                     "results": [{"learner_id": lid, "criterion": labels[crit], "code": new}
                                 for lid, crit, _, new in cells]})


def preview_results(db: sqlite_utils.Database, user: User | None, data: bytes, file_name: str,
                    allow_locked: bool = False) -> ImportPlan:
    """What importing these results (one line per learner, evaluation and criterion) would do."""
    require(user, "import_results")
    return _result_plan(db, read_table(data, file_name, RESULT_COLUMNS), allow_locked)


def import_results(db: sqlite_utils.Database, user: User | None, data: bytes, file_name: str,
                   partial: bool = False, allow_locked: bool = False) -> ImportPlan:
    """Import evaluation results in one transaction; refuses on any rejected line unless partial. A line
    changing an evaluation already counted in a validated bilan is rejected unless allow_locked, and then
    every such change is journalled as Saisie journals it."""
    user = require(user, "import_results")
    table = read_table(data, file_name, RESULT_COLUMNS)
    return apply_plan(db, user, lambda: _result_plan(db, table, allow_locked), partial, _write_results)

