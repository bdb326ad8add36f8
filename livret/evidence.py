"""What a learner's results say about each competency (SPEC P1): the evidence behind a proposed level,
read from the database in one read transaction, and the proposed level computed by livret.proposition
with the school's method. Staff of the learner's class only."""

from __future__ import annotations

from livret import school
from livret.db import Database, reading
from livret.errors import NotFound
from livret.permissions import User, require_learner_staff
from livret.proposition import Evidence, Proposition, check_method, propose

_EVIDENCE = (
    "SELECT cr.competency_id, r.criterion_id, cr.position, r.code, e.modified_at, e.eval_date, e.context, "
    "e.complexity, e.title, e.id "
    "FROM results r JOIN evaluations e ON e.id = r.evaluation_id JOIN criteria cr ON cr.id = r.criterion_id "
    "WHERE r.learner_id = ?"
)


def _competency_ids(db: Database, learner_id: int) -> list[int]:
    row = db.execute("SELECT c.diploma FROM learners l JOIN classes c ON c.id = l.class_id WHERE l.id = ?",
                     [learner_id]).fetchone()
    if row is None:
        raise NotFound("Cet apprenant n'existe pas.")
    return [r[0] for r in db.execute("SELECT id FROM competencies WHERE diploma = ? ORDER BY position, id", [row[0]])]


def read_propositions(db: Database, learner_id: int, method: str,
                      competency_id: int | None = None) -> dict[int, Proposition]:
    """The propositions of the learner's competencies (or of one), without any permission check: the
    callers check the user first."""
    competency_ids = _competency_ids(db, learner_id)
    sql, params = _EVIDENCE, [learner_id]
    if competency_id is not None:
        competency_ids = [c for c in competency_ids if c == competency_id]
        sql, params = sql + " AND cr.competency_id = ?", [learner_id, competency_id]
    rows = db.execute(sql + " ORDER BY e.modified_at, e.id, cr.position", params).fetchall()
    found: dict[int, list[Evidence]] = {c: [] for c in competency_ids}
    for competency, *fields in rows:
        found.setdefault(competency, []).append(Evidence(*fields))
    return {competency: propose(results, method, competency) for competency, results in found.items()}


def learner_propositions(db: Database, user: User | None, learner_id: int,
                         method: str | None = None) -> dict[int, Proposition]:
    """The proposition of every competency of the learner's diploma, by competency id in référentiel
    order, with the school's method unless another is given (staff of the learner's class only)."""
    require_learner_staff(db, user, learner_id)
    if method is not None:
        method = check_method(method)
    with reading(db):  # one read: the competencies, results and setting come from the same state
        return read_propositions(db, learner_id, method or school.proposition_method(db))
