"""Entering evaluations and their results (SPEC E2, page « Saisie »).

An evaluation belongs to a class, assesses some criteria of the class's référentiel and holds one
result code per learner and criterion. Every write checks the user first, validates everything
before touching the database, runs in one transaction and updates the evaluation's modified_at
only when something really changed (so re-sending the same grid writes nothing).

An evaluation already taken into account by a validated bilan (last modified no later than the
latest validation of a learner who has results in it) is changed only with an explicit
confirmation, and each such change is written to audit_log with what it was before and after."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from types import SimpleNamespace
from typing import Protocol

import pandas as pd

from livret import audit, clock
from livret.codes import COMPANY_CODE, COMPLEXITIES, RESULT_BY_CODE, RESULT_CODES, column_code
from livret.db import Database, IntegrityError, bump_data_version, transaction
from livret.errors import LivretError, NotFound, ValidationError
from livret.french import date_text, moment_text
from livret.permissions import User, require, require_class

LOCK_CONFIRM_LABEL = "Je confirme la modification d'une évaluation déjà prise en compte dans un bilan"
AUDIT_ENTITY = "evaluation"
TITLE_MAX_LENGTH = 200
ENTRY_CHOICES = (*COMPLEXITIES, COMPANY_CODE)  # D, Int, B, or E for a company bilan
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class ConfirmationRequired(LivretError):
    """The change is valid but needs the user's explicit confirmation; nothing was written."""


Cell = tuple[int, int]  # (learner_id, criterion_id)


def _now() -> str:
    return clock.stamp()


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class EvaluationRow:
    """An evaluation as stored, with its class's name and diploma. learner_id is the learner of a
    company bilan (context « company »), None for an evaluation of the whole class."""

    id: int
    class_id: int
    learner_id: int | None
    title: str
    eval_date: str
    context: str
    complexity: str | None
    created_at: str
    modified_at: str
    author_id: int | None
    diploma: str
    class_name: str

    @property
    def code(self) -> str:
        """D, Int or B, or E for a company bilan."""
        return column_code(self.complexity, self.context)


@dataclass(frozen=True)
class Evaluation(EvaluationRow):
    """An evaluation as the page « Saisie » shows it: its row, the name of a company bilan's learner,
    the validation date of the bilan that took it into account (None when none did) and its criteria
    (id, competency, competency_title, position, text, label, results: how many results each holds)."""

    learner_name: str | None
    locked_by: str | None
    criteria: pd.DataFrame = field(compare=False, repr=False)


def _evaluation_row(db: Database, user: User | None, evaluation_id: int) -> EvaluationRow:
    """The evaluation, after checking the user may work on its class."""
    require(user, "work_with_learners")
    row = db.execute(
        "SELECT e.id, e.class_id, e.learner_id, e.title, e.eval_date, e.context, e.complexity, e.created_at, "
        "e.modified_at, e.author_id, c.diploma, c.name FROM evaluations e JOIN classes c ON c.id = e.class_id "
        "WHERE e.id = ?", [evaluation_id],
    ).fetchone()
    if row is None:
        raise NotFound("Cette évaluation n'existe pas (elle a peut-être été supprimée).")
    evaluation = EvaluationRow(*row)
    require_class(db, user, evaluation.class_id)
    return evaluation


def class_criteria(db: Database, user: User | None, class_id: int) -> pd.DataFrame:
    """Every criterion of the class's référentiel, competency by competency, with its label (C1.2)."""
    require_class(db, user, class_id)
    return db.frame(
        "SELECT cr.id, c.id AS competency_id, c.code AS competency, c.title AS competency_title, "
        "cr.position, cr.text, c.code || '.' || cr.position AS label "
        "FROM classes cl JOIN competencies c ON c.diploma = cl.diploma JOIN criteria cr ON cr.competency_id = c.id "
        "WHERE cl.id = ? ORDER BY c.position, cr.position", params=[class_id],
    )


_LOCK_SQL = (
    "(SELECT max(b.validated_at) FROM bilans b WHERE b.validated_at IS NOT NULL AND b.withdrawn_at IS NULL "
    "AND b.learner_id IN "
    "(SELECT r.learner_id FROM results r WHERE r.evaluation_id = e.id))"
)


def class_evaluations(db: Database, user: User | None, class_id: int) -> pd.DataFrame:
    """The class's evaluations, most recently modified first, with their code (D/Int/B/E) and counts."""
    require_class(db, user, class_id)
    frame = db.frame(
        "SELECT e.id, e.title, e.eval_date, e.context, e.complexity, e.learner_id, e.modified_at, "
        "l.last_name || ' ' || l.first_name AS learner_name, "
        "(SELECT count(*) FROM evaluation_criteria ec WHERE ec.evaluation_id = e.id) AS criteria, "
        "(SELECT count(*) FROM results r WHERE r.evaluation_id = e.id) AS results "
        "FROM evaluations e LEFT JOIN learners l ON l.id = e.learner_id "
        "WHERE e.class_id = ? ORDER BY e.modified_at DESC, e.id DESC", params=[class_id],
    )
    frame["code"] = [column_code(c, x) for c, x in zip(frame["complexity"], frame["context"])]
    return frame


def taken_into_account(db: Database, evaluation_id: int) -> str | None:
    """The validation date of the latest bilan that already took this evaluation into account, if any."""
    row = db.execute(
        f"SELECT {_LOCK_SQL} AS validated, e.modified_at FROM evaluations e WHERE e.id = ?", [evaluation_id]
    ).fetchone()
    if row is None or row[0] is None or row[1] > row[0]:
        return None
    return row[0]


def evaluation_detail(db: Database, user: User | None, evaluation_id: int) -> Evaluation:
    """Header of an evaluation, its criteria (with how many results each holds) and its lock state."""
    evaluation = _evaluation_row(db, user, evaluation_id)
    criteria = db.frame(
        "SELECT cr.id, c.code AS competency, c.title AS competency_title, cr.position, cr.text, "
        "c.code || '.' || cr.position AS label, "
        "(SELECT count(*) FROM results r WHERE r.evaluation_id = ec.evaluation_id AND r.criterion_id = cr.id) "
        "AS results FROM evaluation_criteria ec JOIN criteria cr ON cr.id = ec.criterion_id "
        "JOIN competencies c ON c.id = cr.competency_id WHERE ec.evaluation_id = ? ORDER BY c.position, cr.position", params=[evaluation_id],
    )
    learner_name = None
    if evaluation.learner_id is not None:
        learner_name = db.execute(
            "SELECT last_name || ' ' || first_name FROM learners WHERE id = ?", [evaluation.learner_id]
        ).fetchone()[0]
    row = {f.name: getattr(evaluation, f.name) for f in fields(EvaluationRow)}
    return Evaluation(**row, learner_name=learner_name, locked_by=taken_into_account(db, evaluation_id),
                      criteria=criteria)


def _learners_frame(db: Database, evaluation: EvaluationRow) -> pd.DataFrame:
    sql = ("SELECT id, last_name || ' ' || first_name AS full_name FROM learners WHERE class_id = ? "
           "{extra} ORDER BY last_name COLLATE NOCASE, first_name COLLATE NOCASE, id")
    params: list = [evaluation.class_id]
    extra = ""
    if evaluation.learner_id is not None:  # a company bilan concerns one learner only
        extra, params = "AND id = ?", [evaluation.class_id, evaluation.learner_id]
    return db.frame(sql.format(extra=extra), params=params)


def evaluation_learners(db: Database, user: User | None, evaluation_id: int) -> pd.DataFrame:
    """The learners an evaluation is entered for, sorted by last name (id, full_name)."""
    return _learners_frame(db, _evaluation_row(db, user, evaluation_id))


def evaluation_results(db: Database, user: User | None, evaluation_id: int) -> dict[Cell, str]:
    """Stored results of an evaluation: {(learner_id, criterion_id): code}."""
    _evaluation_row(db, user, evaluation_id)
    return _stored_results(db, evaluation_id)


def _stored_results(db: Database, evaluation_id: int) -> dict[Cell, str]:
    rows = db.execute(
        "SELECT learner_id, criterion_id, code FROM results WHERE evaluation_id = ?", [evaluation_id]
    ).fetchall()
    return {(learner, criterion): code for learner, criterion, code in rows}


def result_table(db: Database, user: User | None, evaluation_id: int) -> pd.DataFrame:
    """One row per learner (learner_id, Apprenant), one column per criterion id; None where no result."""
    evaluation = _evaluation_row(db, user, evaluation_id)
    learners = _learners_frame(db, evaluation)
    criteria = [r[0] for r in db.execute(
        "SELECT ec.criterion_id FROM evaluation_criteria ec JOIN criteria cr ON cr.id = ec.criterion_id "
        "JOIN competencies c ON c.id = cr.competency_id WHERE ec.evaluation_id = ? ORDER BY c.position, cr.position",
        [evaluation_id])]
    stored = _stored_results(db, evaluation_id)
    rows = []
    for learner_id, name in zip(learners["id"], learners["full_name"]):
        row = {"learner_id": int(learner_id), "Apprenant": name}
        for criterion_id in criteria:
            row[criterion_id] = stored.get((int(learner_id), criterion_id))
        rows.append(row)
    return pd.DataFrame(rows, columns=["learner_id", "Apprenant", *criteria])


# ---------------------------------------------------------------- validation


def _clean_title(title: str | None) -> str:
    title = (title or "").strip()
    if not title:
        raise ValidationError("Donnez un titre à l'évaluation.")
    if len(title) > TITLE_MAX_LENGTH:
        raise ValidationError(f"Le titre est trop long ({len(title)} caractères, {TITLE_MAX_LENGTH} au plus).")
    return title


def _clean_date(value: date | str | None) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = (value or "").strip()
    if _ISO_DATE.fullmatch(text):
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            pass
    raise ValidationError(f"Date invalide : « {text} » (format attendu AAAA-MM-JJ, par exemple 2026-03-02).")


def _clean_choice(choice: str | None) -> tuple[str, str | None]:
    """(context, complexity) from D, Int, B or E."""
    if choice == COMPANY_CODE:
        return "company", None
    if choice in COMPLEXITIES:
        return "school", choice
    raise ValidationError(
        f"Niveau de complexité inconnu : « {choice} » (choisissez D, Int, B, ou E pour un bilan entreprise).")


def _clean_criteria(db: Database, diploma: str, criterion_ids: Iterable[int]) -> list[int]:
    ids = list(dict.fromkeys(int(i) for i in criterion_ids))
    if not ids:
        raise ValidationError("Choisissez au moins un critère d'évaluation.")
    marks = ",".join("?" * len(ids))
    known = {r[0] for r in db.execute(
        f"SELECT cr.id FROM criteria cr JOIN competencies c ON c.id = cr.competency_id "
        f"WHERE c.diploma = ? AND cr.id IN ({marks})", [diploma, *ids])}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise ValidationError("Critère inconnu du référentiel de cette classe : " + ", ".join(map(str, unknown)) + ".")
    return ids


def _clean_company_learner(db: Database, class_id: int, learner_id: int | None) -> int:
    if learner_id is None:
        raise ValidationError("Un bilan entreprise concerne un apprenant : choisissez lequel.")
    row = db.execute("SELECT class_id FROM learners WHERE id = ?", [int(learner_id)]).fetchone()
    if row is None:
        raise ValidationError("Cet apprenant n'existe pas.")
    if row[0] != class_id:
        raise ValidationError("Cet apprenant n'est pas dans la classe de l'évaluation.")
    return int(learner_id)


def unknown_code_message(typed: str) -> str:
    """What a user reads when what they typed is not exactly one of the six codes."""
    return (f"Code de résultat inconnu : « {typed} » (codes possibles : {', '.join(RESULT_CODES)} ; "
            "tapez le code en entier, ou videz la case).")


def clean_code(code: str | None) -> str | None:
    """A result code (NA, PR, RA, RT, NV, AB) from what was typed; None for an empty cell.

    Only a whole code counts (any case, spaces around ignored): « R » is not RA and « RTX » is not RT,
    because a code guessed from a prefix would store a result nobody entered."""
    if code is None or (isinstance(code, float) and code != code):  # None or NaN: no result
        return None
    text = str(code).strip().upper()
    if not text:
        return None
    if text not in RESULT_BY_CODE:
        raise ValidationError(unknown_code_message(str(code).strip()))
    return text


def _unique_violation(error: IntegrityError) -> Exception:
    if "UNIQUE" in str(error):
        return ValidationError("Une évaluation de ce titre existe déjà à cette date pour cette classe.")
    return error


# ---------------------------------------------------------------- audit


def _audit(db: Database, user: User, action: str, evaluation: EvaluationRow, before, after) -> None:
    audit.write(db, user, action, AUDIT_ENTITY, evaluation.id, evaluation.learner_id, before, after)


class EvaluationHeader(Protocol):
    """What audit_header reads of an evaluation (an EvaluationRow, or the imports' KnownEvaluation)."""

    title: str
    eval_date: str
    context: str
    complexity: str | None
    modified_at: str


def audit_header(evaluation: EvaluationHeader, criterion_ids: Iterable[int], labels: Mapping[int, str]) -> dict:
    """What the audit log keeps of an evaluation's header and criteria (by label, C1.2), the same
    whichever page or import made the change."""
    return {
        "title": evaluation.title, "eval_date": evaluation.eval_date,
        "code": column_code(evaluation.complexity, evaluation.context),
        "modified_at": evaluation.modified_at, "criteria": [labels[c] for c in criterion_ids],
    }


def _header(evaluation: Mapping, labels: Mapping[int, str]) -> dict:
    """audit_header for a dict holding criterion_ids: livret/imports/results.py still calls it so."""
    fields_read = ("title", "eval_date", "context", "complexity", "modified_at")
    header = SimpleNamespace(**{name: evaluation[name] for name in fields_read})
    return audit_header(header, evaluation.get("criterion_ids", []), labels)


def _criterion_labels(db: Database, ids: Iterable[int]) -> dict[int, str]:
    ids = list(ids)
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    return dict(db.execute(
        f"SELECT cr.id, c.code || '.' || cr.position FROM criteria cr JOIN competencies c ON c.id = cr.competency_id "
        f"WHERE cr.id IN ({marks})", ids).fetchall())


def _require_lock_confirmation(db: Database, evaluation_id: int, confirm_locked: bool) -> str | None:
    locked_by = taken_into_account(db, evaluation_id)
    if locked_by and not confirm_locked:
        raise ConfirmationRequired(
            f"Cette évaluation est déjà prise en compte dans un bilan validé le {_french_stamp(locked_by)} : "
            f"cochez « {LOCK_CONFIRM_LABEL} » pour la modifier.")
    return locked_by


def _french_stamp(stamp: str) -> str:
    return date_text(stamp)


# ---------------------------------------------------------------- writing


def create_evaluation(db: Database, user: User | None, class_id: int, *, title: str,
                      eval_date: date | str, complexity: str, criterion_ids: Iterable[int],
                      learner_id: int | None = None) -> int:
    """Create an evaluation of the class; complexity is D, Int, B, or E (company bilan of learner_id)."""
    require_class(db, user, class_id)
    title, day = _clean_title(title), _clean_date(eval_date)
    context, level = _clean_choice(complexity)
    diploma = db.execute("SELECT diploma FROM classes WHERE id = ?", [class_id]).fetchone()[0]
    criteria = _clean_criteria(db, diploma, criterion_ids)
    if context == "company":
        learner_id = _clean_company_learner(db, class_id, learner_id)
    elif learner_id is not None:
        raise ValidationError("Seul un bilan entreprise (E) concerne un apprenant en particulier.")
    now = _now()
    try:
        with transaction(db):
            evaluation_id = db.insert(
                "INSERT INTO evaluations(class_id, learner_id, title, eval_date, context, complexity, created_at, "
                "modified_at, author_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [class_id, learner_id, title, day, context, level, now, now, user.id],
            )
            db.executemany("INSERT INTO evaluation_criteria(evaluation_id, criterion_id) VALUES (?, ?)",
                                [(evaluation_id, c) for c in criteria])
            bump_data_version(db)
    except IntegrityError as error:
        raise _unique_violation(error) from None
    return evaluation_id


def update_evaluation(db: Database, user: User | None, evaluation_id: int, *, title: str,
                      eval_date: date | str, complexity: str, criterion_ids: Iterable[int],
                      confirm_locked: bool = False, confirm_drop_results: bool = False) -> bool:
    """Change an evaluation's title, date, complexity or criteria. Returns False when nothing changed.

    Its context cannot change (a company bilan concerns one learner). Removing a criterion that
    has results deletes them, and needs confirm_drop_results."""
    evaluation = _evaluation_row(db, user, evaluation_id)
    title, day = _clean_title(title), _clean_date(eval_date)
    context, level = _clean_choice(complexity)
    if context != evaluation.context:
        raise ValidationError("Le contexte d'une évaluation (établissement ou entreprise) ne peut pas être changé : "
                              "créez une nouvelle évaluation.")
    criteria = _clean_criteria(db, evaluation.diploma, criterion_ids)
    current = [r[0] for r in db.execute(
        "SELECT criterion_id FROM evaluation_criteria WHERE evaluation_id = ?", [evaluation_id])]
    removed = sorted(set(current) - set(criteria))
    added = [c for c in criteria if c not in set(current)]
    header_changed = (title, day, level) != (evaluation.title, evaluation.eval_date, evaluation.complexity)
    if not header_changed and not removed and not added:
        return False
    marks = ",".join("?" * len(removed))
    dropped = db.execute(
        f"SELECT count(*) FROM results WHERE evaluation_id = ? AND criterion_id IN ({marks})",
        [evaluation_id, *removed]).fetchone()[0] if removed else 0
    if dropped and not confirm_drop_results:
        raise ConfirmationRequired(
            f"Retirer ces critères supprime {dropped} résultat{'s' if dropped > 1 else ''} déjà saisi"
            f"{'s' if dropped > 1 else ''} : confirmez la suppression de ces résultats.")
    try:
        with transaction(db):
            locked_by = _require_lock_confirmation(db, evaluation_id, confirm_locked)
            labels = _criterion_labels(db, set(current) | set(criteria))
            before = audit_header(evaluation, current, labels)
            now = _now()
            db.execute("UPDATE evaluations SET title = ?, eval_date = ?, complexity = ?, modified_at = ? WHERE id = ?",
                       [title, day, level, now, evaluation_id])
            if removed:
                db.execute(f"DELETE FROM evaluation_criteria WHERE evaluation_id = ? AND criterion_id IN ({marks})",
                           [evaluation_id, *removed])
            db.executemany("INSERT INTO evaluation_criteria(evaluation_id, criterion_id) VALUES (?, ?)",
                                [(evaluation_id, c) for c in added])
            if locked_by:
                changed = replace(evaluation, title=title, eval_date=day, complexity=level, modified_at=now)
                after = audit_header(changed, criteria, labels)
                after["dropped_results"] = dropped
                _audit(db, user, "evaluation.update", evaluation, before, after)
            bump_data_version(db)
    except IntegrityError as error:
        raise _unique_violation(error) from None
    return True


def delete_evaluation(db: Database, user: User | None, evaluation_id: int, *,
                      confirmed: bool = False, confirm_locked: bool = False) -> None:
    """Delete an evaluation and its results; always needs confirmed, and is written to audit_log
    (with everything it held, so it could be rebuilt)."""
    evaluation = _evaluation_row(db, user, evaluation_id)
    if not confirmed:
        raise ConfirmationRequired("Confirmez la suppression de l'évaluation et de tous ses résultats.")
    with transaction(db):
        _require_lock_confirmation(db, evaluation_id, confirm_locked)
        current = [r[0] for r in db.execute(
            "SELECT criterion_id FROM evaluation_criteria WHERE evaluation_id = ?", [evaluation_id])]
        labels = _criterion_labels(db, current)
        before = audit_header(evaluation, current, labels)
        before["class"] = evaluation.class_name
        before["results"] = [
            {"learner_id": learner, "criterion": labels[criterion], "code": code}
            for (learner, criterion), code in sorted(_stored_results(db, evaluation_id).items())
        ]
        _audit(db, user, "evaluation.delete", evaluation, before, None)
        db.execute("DELETE FROM evaluations WHERE id = ?", [evaluation_id])
        bump_data_version(db)


def save_results(db: Database, user: User | None, evaluation_id: int,
                 changes: Mapping[Cell, str | None], *, confirm_locked: bool = False) -> int:
    """Write result codes {(learner_id, criterion_id): code or None to clear} in one transaction.

    Only cells that differ from what is stored are written; returns how many. When any is, the
    evaluation's modified_at becomes now (the dashboard reorders it)."""
    evaluation = _evaluation_row(db, user, evaluation_id)
    cleaned = {(int(learner), int(criterion)): clean_code(code) for (learner, criterion), code in changes.items()}
    if not cleaned:
        return 0
    learners = set(_learners_frame(db, evaluation)["id"].astype(int))
    criteria = {r[0] for r in db.execute(
        "SELECT criterion_id FROM evaluation_criteria WHERE evaluation_id = ?", [evaluation_id])}
    for learner, criterion in cleaned:
        if learner not in learners:
            if evaluation.learner_id is not None:
                raise ValidationError("Ce bilan entreprise concerne un autre apprenant.")
            raise ValidationError("Cet apprenant n'est pas dans la classe de cette évaluation.")
        if criterion not in criteria:
            raise ValidationError("Ce critère n'est pas évalué par cette évaluation.")
    with transaction(db):
        stored = _stored_results(db, evaluation_id)
        diff = {cell: code for cell, code in cleaned.items() if stored.get(cell) != code}
        if not diff:
            return 0
        locked_by = _require_lock_confirmation(db, evaluation_id, confirm_locked)
        upserts = [(evaluation_id, learner, criterion, code) for (learner, criterion), code in diff.items() if code]
        deletions = [(evaluation_id, learner, criterion) for (learner, criterion), code in diff.items() if not code]
        db.executemany(
            "INSERT INTO results(evaluation_id, learner_id, criterion_id, code) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(evaluation_id, learner_id, criterion_id) DO UPDATE SET code = excluded.code", upserts)
        db.executemany(
            "DELETE FROM results WHERE evaluation_id = ? AND learner_id = ? AND criterion_id = ?", deletions)
        now = _now()
        db.execute("UPDATE evaluations SET modified_at = ? WHERE id = ?", [now, evaluation_id])
        if locked_by:
            labels = _criterion_labels(db, {criterion for _, criterion in diff})

            def cells(source):
                return [{"learner_id": learner, "criterion": labels[criterion], "code": source.get((learner, criterion))}
                        for learner, criterion in sorted(diff)]

            _audit(db, user, "evaluation.results", evaluation,
                   {"modified_at": evaluation.modified_at, "results": cells(stored)},
                   {"modified_at": now, "results": cells(diff)})
        bump_data_version(db)
    return len(diff)


def fill_criterion(db: Database, user: User | None, evaluation_id: int, criterion_id: int,
                   code: str, *, only_empty: bool = True, confirm_locked: bool = False) -> int:
    """Give every learner the same code on one criterion (only the empty cells when only_empty)."""
    evaluation = _evaluation_row(db, user, evaluation_id)
    code = clean_code(code)
    if code is None:
        raise ValidationError("Choisissez le code à mettre dans la colonne.")
    stored = _stored_results(db, evaluation_id)
    learners = _learners_frame(db, evaluation)["id"].astype(int)
    changes = {(learner, int(criterion_id)): code for learner in learners
               if not (only_empty and (learner, int(criterion_id)) in stored)}
    return save_results(db, user, evaluation_id, changes, confirm_locked=confirm_locked)


def absent_replacements(db: Database, user: User | None, evaluation_id: int, learner_id: int) -> int:
    """How many of the learner's results in the evaluation « Marquer absent » would replace (those not AB)."""
    _evaluation_row(db, user, evaluation_id)
    return db.execute(
        "SELECT count(*) FROM results r JOIN evaluation_criteria ec ON ec.evaluation_id = r.evaluation_id "
        "AND ec.criterion_id = r.criterion_id WHERE r.evaluation_id = ? AND r.learner_id = ? AND r.code <> 'AB'",
        [evaluation_id, int(learner_id)]).fetchone()[0]


def absent_confirmation_text(count: int) -> str:
    plural = "s" if count > 1 else ""
    return (f"Cet apprenant a déjà {count} résultat{plural} saisi{plural} dans cette évaluation : "
            f"« Marquer absent » le{plural} remplacerait par AB.")


def mark_absent(db: Database, user: User | None, evaluation_id: int, learner_id: int, *,
                confirm_locked: bool = False, confirm_replace: bool = False) -> int:
    """Mark a learner absent (AB) on every criterion of the evaluation, in one action.

    Results already entered for the learner are replaced only with confirm_replace: an absence
    clicked on the wrong learner would otherwise erase their results."""
    _evaluation_row(db, user, evaluation_id)
    criteria = [r[0] for r in db.execute(
        "SELECT criterion_id FROM evaluation_criteria WHERE evaluation_id = ?", [evaluation_id])]
    replaced = absent_replacements(db, user, evaluation_id, learner_id)
    if replaced and not confirm_replace:
        raise ConfirmationRequired(absent_confirmation_text(replaced))
    changes = {(int(learner_id), criterion): "AB" for criterion in criteria}
    return save_results(db, user, evaluation_id, changes, confirm_locked=confirm_locked)


def evaluation_audit(db: Database, user: User | None, evaluation_id: int) -> pd.DataFrame:
    """The audit lines of an evaluation (who, when, what), oldest first."""
    _evaluation_row(db, user, evaluation_id)
    return db.frame(
        "SELECT at, user_name, action, before, after FROM audit_log WHERE entity = ? AND entity_id = ? ORDER BY id", params=[AUDIT_ENTITY, evaluation_id],
    )


AUDIT_ACTIONS = {"evaluation.results": "Résultats modifiés", "evaluation.update": "Évaluation modifiée",
                 "evaluation.delete": "Évaluation supprimée"}
_HEADER_LABELS = {"title": "Titre", "eval_date": "Date", "code": "Complexité"}


def audit_trail(db: Database, user: User | None, evaluation_id: int) -> pd.DataFrame:
    """The evaluation's changes made after a validated bilan took it into account, newest first, for
    reading: Date, Par, Action, Détail (« C1.2 · MARTIN Léa : PR → RA », « Titre : … → … »)."""
    lines = evaluation_audit(db, user, evaluation_id)
    names = {int(i): name for i, name in db.execute(
        "SELECT id, last_name || ' ' || first_name FROM learners "
        "WHERE class_id = (SELECT class_id FROM evaluations WHERE id = ?)", [evaluation_id])}
    rows = []
    for line in reversed(list(lines.itertuples(index=False))):
        before = json.loads(line.before) if line.before else {}
        after = json.loads(line.after) if line.after else {}
        rows.append({"Date": moment_text(line.at, " "), "Par": line.user_name,
                     "Action": AUDIT_ACTIONS.get(line.action, line.action),
                     "Détail": _change_text(line.action, before, after, names)})
    return pd.DataFrame(rows, columns=["Date", "Par", "Action", "Détail"])


def _change_text(action: str, before: dict, after: dict, names: Mapping[int, str]) -> str:
    if action == "evaluation.results":
        old = {(c["learner_id"], c["criterion"]): c["code"] for c in before.get("results", [])}
        return " ; ".join(
            f"{c['criterion']} · {names.get(c['learner_id'], '?')} : {old.get((c['learner_id'], c['criterion'])) or '—'}"
            f" → {c['code'] or '—'}" for c in after.get("results", []))
    parts = [f"{label} : « {before[key]} » → « {after[key]} »" for key, label in _HEADER_LABELS.items()
             if key in before and key in after and before[key] != after[key]]
    removed = [c for c in before.get("criteria", []) if c not in after.get("criteria", [])]
    added = [c for c in after.get("criteria", []) if c not in before.get("criteria", [])]
    if added:
        parts.append("critères ajoutés : " + ", ".join(added))
    if removed:
        parts.append("critères retirés : " + ", ".join(removed))
    if after.get("dropped_results"):
        parts.append(f"{after['dropped_results']} résultat(s) supprimé(s)")
    return " ; ".join(parts) or "—"
