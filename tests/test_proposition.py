"""The proposed level of a competency (livret/proposition.py), on worked examples a teacher can check by hand."""

from __future__ import annotations

from fractions import Fraction

import pytest

from livret import evidence, school
from livret.errors import PermissionDenied, ValidationError
from livret.proposition import Evidence, criterion_score, level_of, propose, score_text


def result(criterion: int, code: str, moment: str, *, context: str = "school", complexity: str | None = "Int",
           evaluation: int = 0) -> Evidence:
    return Evidence(criterion_id=criterion, criterion_position=criterion, code=code, modified_at=moment,
                    eval_date=moment[:10], context=context, complexity=None if context == "company" else complexity,
                    title=f"Évaluation {moment}", evaluation_id=evaluation)


def values(*codes: str) -> list[Fraction]:
    return [result(1, code, "2026-01-01 08:00:00").value for code in codes]


def test_na_na_rt_rt_decays_to_0_8775():
    # s1 = 0; s2 = 0; s3 = 0.65; s4 = 0.35 × 0.65 + 0.65 = 0.8775
    assert criterion_score(values("NA", "NA", "RT", "RT")) == Fraction(8775, 10000)
    assert level_of(Fraction(8775, 10000)) == 4


def test_each_method_as_the_readme_defines_it():
    codes = values("RT", "PR", "RA")  # 1, 1/3, 2/3
    assert criterion_score(codes, "latest") == Fraction(2, 3)
    assert criterion_score(codes, "mean") == Fraction(2, 3)
    # decaying: 1 → 0.35 + 0.65/3 → 0.35 × that + 0.65 × 2/3
    first = Fraction(35, 100) * 1 + Fraction(65, 100) * Fraction(1, 3)
    assert criterion_score(codes, "decaying") == Fraction(35, 100) * first + Fraction(65, 100) * Fraction(2, 3)
    assert criterion_score(codes, "Moyenne simple") == Fraction(2, 3)  # the French name is accepted too
    with pytest.raises(ValidationError, match="La méthode de proposition doit être"):
        criterion_score(codes, "médiane")


@pytest.mark.parametrize(("score", "level"), [
    (Fraction(3, 4), 4), (Fraction(74, 100), 3), (Fraction(1, 2), 3), (Fraction(49, 100), 2),
    (Fraction(1, 4), 2), (Fraction(24, 100), 1), (Fraction(0), 1), (Fraction(1), 4)])
def test_thresholds_are_inclusive(score, level):
    assert level_of(score) == level


def test_a_competency_is_the_mean_of_its_criteria():
    found = propose([
        result(1, "NA", "2025-10-01 08:00:00"), result(1, "NA", "2025-11-01 08:00:00"),
        result(1, "RT", "2026-01-10 08:00:00"), result(1, "RT", "2026-02-10 08:00:00"),  # 0.8775
        result(2, "PR", "2025-12-01 08:00:00"),  # 1/3
    ])
    assert found.count == 5 and [c.criterion_id for c in found.criteria] == [1, 2]
    assert found.score == (Fraction(8775, 10000) + Fraction(1, 3)) / 2  # 0.605…
    assert found.level == 3 and found.short == "+"
    assert found.label == "Proposition : + (Compétence partiellement acquise)"
    assert score_text(found.score) == "0,61"


def test_results_on_one_criterion_only_propose_nothing():
    found = propose([result(1, code, f"2026-0{n + 1}-01 08:00:00") for n, code in enumerate(["RT", "RT", "RT", "RT"])])
    assert found.level is None and found.short is None
    assert found.label == "Pas assez d'éléments pour proposer un niveau (4 résultats)"
    assert "au moins 2 critères" in found.reason


def test_nv_and_ab_are_left_out_and_not_counted():
    found = propose([
        result(1, "RT", "2026-01-01 08:00:00"), result(1, "AB", "2026-02-01 08:00:00"),
        result(2, "NV", "2026-01-05 08:00:00"), result(2, "RA", "2026-03-01 08:00:00"),
    ])
    assert found.count == 2 and found.level is None
    assert found.label == "Pas assez d'éléments pour proposer un niveau (2 résultats)"
    assert [len(c.results) for c in found.criteria] == [1, 1]
    assert propose([]).label == "Pas assez d'éléments pour proposer un niveau (0 résultat)"


def test_a_company_result_counts_alike_and_is_shown_as_company():
    company = result(2, "RT", "2026-02-01 08:00:00", context="company")
    found = propose([result(1, "PR", "2026-01-01 08:00:00"), result(1, "PR", "2026-01-02 08:00:00"), company])
    assert found.level is not None
    shown = found.criteria[1].results[0]
    assert shown.is_company and shown.column == "E" and shown.context_label == "Entreprise"
    assert found.score == (Fraction(1, 3) + 1) / 2


def test_results_are_taken_in_the_dashboards_order_whatever_the_input_order():
    late, early = result(1, "RT", "2026-03-01 08:00:00", evaluation=2), result(1, "NA", "2026-01-01 08:00:00", evaluation=1)
    assert propose([late, early, result(2, "RT", "2026-01-01 08:00:00")]).criteria[0].score == Fraction(65, 100)
    # Same moment: the evaluation id decides, as on the dashboard.
    tie = [result(1, "RT", "2026-01-01 08:00:00", evaluation=5), result(1, "NA", "2026-01-01 08:00:00", evaluation=4)]
    assert propose(tie + [result(2, "RT", "2026-01-01 08:00:00")]).criteria[0].score == Fraction(65, 100)


def test_the_reader_proposes_for_every_competency_of_the_learner(demo_db, roles):
    teacher = roles["teacher"]
    learner = int(demo_db.execute("SELECT id FROM learners WHERE class_id = ? ORDER BY id LIMIT 1",
                                  [roles["class_id"]]).fetchone()[0])
    found = evidence.learner_propositions(demo_db, teacher, learner)
    competencies = demo_db.execute("SELECT count(*) FROM competencies WHERE diploma = "
                                   "(SELECT diploma FROM classes WHERE id = ?)", [roles["class_id"]]).fetchone()[0]
    assert len(found) == competencies
    assert any(p.level is not None for p in found.values())
    assert {p.method for p in found.values()} == {"decaying"}
    stored = demo_db.execute("SELECT count(*) FROM results r JOIN criteria cr ON cr.id = r.criterion_id "
                             "WHERE r.learner_id = ? AND r.code NOT IN ('NV', 'AB')", [learner]).fetchone()[0]
    assert sum(p.count for p in found.values()) == stored
    with pytest.raises(PermissionDenied):
        evidence.learner_propositions(demo_db, roles["learner"], learner)


def test_only_the_ddfpt_chooses_the_schools_method(demo_db, roles):
    assert school.proposition_method(demo_db) == "decaying"
    with pytest.raises(PermissionDenied, match="Seul le DDFPT"):
        school.set_proposition_method(demo_db, roles["teacher"], "latest")
    with pytest.raises(ValidationError):
        school.set_proposition_method(demo_db, roles["ddfpt"], "au hasard")
    assert school.proposition_method(demo_db) == "decaying"
    assert school.set_proposition_method(demo_db, roles["ddfpt"], "Résultat le plus récent") == "latest"
    assert school.proposition_method(demo_db) == "latest"
    assert demo_db.execute("SELECT count(*) FROM audit_log WHERE entity = 'setting'").fetchone()[0] == 1
