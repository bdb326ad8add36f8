"""The arithmetic of a grade from a bilan and a weighting (SPEC N2–N6), on plain values."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from livret import grade_arithmetic as arithmetic
from livret.errors import ValidationError
from livret.grade_arithmetic import CompetencyLine, GradingBilan

# The MELEC référentiel: (code, unit) in référentiel order; units U2 3, U31 7, U32 2.
MELEC = (("C1", "U2"), ("C2", "U31"), ("C3", "U2"), ("C4", "U31"), ("C5", "U31"), ("C6", "U31"),
         ("C7", "U31"), ("C8", "U32"), ("C9", "U32"), ("C10", "U2"), ("C11", "U2"), ("C12", "U31"),
         ("C13", "U31"))
COEFFICIENTS = {"U2": 3, "U31": 7, "U32": 2}
SIZES = {unit: sum(1 for _, u in MELEC if u == unit) for unit in COEFFICIENTS}
LEVEL = {"++": 4, "+": 3, "-": 2, "--": 1, "NE": None}


def make_bilan(levels: dict[str, str], objective: str = "intermediate") -> GradingBilan:
    """A MELEC bilan with the given short codes (competencies not named are NE); id = position."""
    lines = tuple(
        CompetencyLine(id=n, code=code, title=f"Titre {code}", position=n, unit=unit,
                       unit_coefficient=Fraction(COEFFICIENTS[unit]), unit_size=SIZES[unit],
                       level=LEVEL[levels.get(code, "NE")],
                       objective=objective if levels.get(code, "NE") != "NE" else None)
        for n, (code, unit) in enumerate(MELEC, start=1)
    )
    return GradingBilan(1, 1, "DUPONT", "Léa", 1, "2MELEC", "2026-03-27 18:00:00", lines)


def ids(bilan: GradingBilan, by_code: dict[str, object]) -> dict[int, object]:
    return {line.id: by_code[line.code] for line in bilan.lines if line.code in by_code}


EXAMPLE_LEVELS = {"C1": "++", "C3": "+", "C10": "-", "C11": "--"}
EXAMPLE_WEIGHTS = {"C1": 40, "C3": 30, "C10": 20, "C11": 10}


# ---------------------------------------------------------------- the grade (N3)


def test_example_of_the_issue_gives_13_3():
    bilan = make_bilan(EXAMPLE_LEVELS)
    weights = ids(bilan, EXAMPLE_WEIGHTS)
    exact = arithmetic.exact_grade(bilan, weights)
    assert exact == Fraction(40, 3)  # 20 × (40 + 20 + 20/3 + 0) / 100, exactly
    assert arithmetic.format_grade(exact, "0.1") == "13,3"
    assert arithmetic.developed_formula(bilan, weights, "0.1") == "20 × (40 + 20 + 6,67 + 0) / 100 = 13,3"


@pytest.mark.parametrize("objective", ["intermediate", "terminal"])
def test_objective_does_not_change_the_grade(objective):
    bilan = make_bilan(EXAMPLE_LEVELS, objective)
    assert arithmetic.exact_grade(bilan, ids(bilan, EXAMPLE_WEIGHTS)) == Fraction(40, 3)


def test_all_plus_plus_gives_20_and_all_minus_minus_gives_0():
    top = make_bilan({code: "++" for code, _ in MELEC})
    bottom = make_bilan({code: "--" for code, _ in MELEC})
    model = arithmetic.model_weighting(top.lines)
    assert arithmetic.exact_grade(top, model) == 20
    assert arithmetic.exact_grade(bottom, model) == 0
    assert arithmetic.format_grade(Fraction(20), "0.1") == "20,0"


@pytest.mark.parametrize("short, expected", [("++", Fraction(20)), ("+", Fraction(40, 3)),
                                             ("-", Fraction(20, 3)), ("--", Fraction(0))])
def test_one_competency_at_100_percent(short, expected):
    bilan = make_bilan({"C5": short, "C6": "++"})
    assert arithmetic.exact_grade(bilan, ids(bilan, {"C5": 100})) == expected


def test_no_grade_until_the_total_is_exactly_100():
    bilan = make_bilan(EXAMPLE_LEVELS)
    partial = ids(bilan, {"C1": 40, "C3": 30, "C10": 20})
    assert arithmetic.proposed_grade(bilan, partial) is None
    assert arithmetic.remaining(arithmetic.check_weights(bilan, partial)) == 10
    with pytest.raises(ValidationError, match="reste à répartir : 10 %"):
        arithmetic.exact_grade(bilan, partial)


@pytest.mark.parametrize("value, step, shown", [
    (Fraction(1335, 100), "0.1", "13,4"),   # exactly half: up
    (Fraction(1334, 100), "0.1", "13,3"),
    (Fraction(40, 3), "0.25", "13,25"),
    (Fraction(13125, 1000), "0.25", "13,25"),  # half of a quarter: up
    (Fraction(40, 3), "0.5", "13,5"),
    (Fraction(25, 2), "1", "13"),
    (Fraction(40, 3), "1", "13"),
    (Fraction(0), "0.1", "0,0"),
])
def test_rounding_is_half_up_to_the_step(value, step, shown):
    assert arithmetic.format_grade(value, step) == shown


# ---------------------------------------------------------------- weights refused (N2)


@pytest.mark.parametrize("weights, message", [
    ({"C1": 60, "C3": 50}, "ne peut pas dépasser 100 % (total saisi : 110 %)"),
    ({"C1": -5}, "C1 ne peut pas être négative"),
    ({"C3": 12.5}, "C3 doit être un nombre entier de pour cent (12,5 % saisi)"),
    ({"C3": "12,5"}, "C3 doit être un nombre entier"),
    ({"C3": "abc"}, "C3 doit être un nombre entier"),
    ({"C3": True}, "C3 doit être un nombre entier"),
    ({"C2": 10}, "C2 n'est pas évaluée dans ce bilan (NE)"),
])
def test_bad_weights_are_refused_with_a_clear_message(weights, message):
    bilan = make_bilan(EXAMPLE_LEVELS)
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        arithmetic.check_weights(bilan, ids(bilan, weights))


def test_acceptable_weights_are_cleaned():
    bilan = make_bilan(EXAMPLE_LEVELS)
    cleaned = arithmetic.check_weights(bilan, ids(bilan, {"C1": 40.0, "C3": "30", "C10": None, "C11": float("nan")}))
    assert cleaned == {**arithmetic.zero_weights(bilan), 1: 40, 3: 30}
    # What the grid gives back: numpy numbers, and pd.NA for a cleared cell.
    cleaned = arithmetic.check_weights(bilan, ids(bilan, {"C1": np.float64(40), "C3": np.int64(30), "C10": pd.NA}))
    assert cleaned == {**arithmetic.zero_weights(bilan), 1: 40, 3: 30} and all(type(v) is int for v in cleaned.values())
    assert arithmetic.check_weights(bilan, {line.id: 0 for line in bilan.lines if not line.evaluated})
    with pytest.raises(ValidationError, match="pas dans le référentiel"):
        arithmetic.check_weights(bilan, {999: 10})


def test_weights_text_lists_non_zero_weights_in_referentiel_order():
    bilan = make_bilan(EXAMPLE_LEVELS)
    weights = arithmetic.check_weights(bilan, ids(bilan, {"C11": 10, "C1": 40, "C10": 20, "C3": 30}))
    assert arithmetic.weights_text(bilan, weights) == "C1 40 %, C3 30 %, C10 20 %, C11 10 %"


# ---------------------------------------------------------------- model weighting (N5)


def test_model_weighting_of_the_whole_referentiel():
    bilan = make_bilan({code: "+" for code, _ in MELEC})
    model = arithmetic.model_weighting(bilan.lines)
    by_code = {line.code: model[line.id] for line in bilan.lines}
    # U2: 3/12 over 4 = 6.25 each; U31: 7/12 over 7 and U32: 2/12 over 2 = 8.33 each. The 4 points
    # left go to the largest remainders (.33), ties to the first in référentiel order: C2 C4 C5 C6.
    assert by_code == {"C1": 6, "C2": 9, "C3": 6, "C4": 9, "C5": 9, "C6": 9, "C7": 8, "C8": 8, "C9": 8,
                       "C10": 6, "C11": 6, "C12": 8, "C13": 8}


def test_model_weighting_keeps_relative_sizes_on_the_evaluated_competencies():
    bilan = make_bilan(EXAMPLE_LEVELS)  # four U2 competencies, equal shares
    model = arithmetic.model_weighting(bilan.lines)
    assert {line.code: model[line.id] for line in bilan.lines if model[line.id]} == {
        "C1": 25, "C3": 25, "C10": 25, "C11": 25}
    bilan = make_bilan({"C1": "+", "C2": "+", "C8": "-"})  # 1/16 : 1/12 : 1/12 = 27.27, 36.36, 36.36
    model = arithmetic.model_weighting(bilan.lines)  # the point left goes to a .36, the earlier one: C2
    assert {line.code: model[line.id] for line in bilan.lines if model[line.id]} == {"C1": 27, "C2": 37, "C8": 36}


def test_model_weighting_ties_go_to_the_earlier_competency():
    bilan = make_bilan({"C2": "+", "C4": "+", "C5": "+"})  # 33.33 each: one point left
    model = arithmetic.model_weighting(bilan.lines)
    assert [model[line.id] for line in bilan.lines if line.evaluated] == [34, 33, 33]
    bilan = make_bilan({"C13": "+", "C12": "+", "C9": "+"})  # same shares: C9 comes first
    model = arithmetic.model_weighting(bilan.lines)
    assert {line.code: model[line.id] for line in bilan.lines if line.evaluated} == {"C9": 34, "C12": 33, "C13": 33}


def test_model_weighting_sums_to_100_for_every_subset_of_competencies():
    codes = [code for code, _ in MELEC]
    for size in range(1, len(codes) + 1):
        for subset in itertools.combinations(codes, size):
            bilan = make_bilan(dict.fromkeys(subset, "+"))
            model = arithmetic.model_weighting(bilan.lines)
            assert sum(model.values()) == 100, subset
            assert all(model[line.id] == 0 for line in bilan.lines if not line.evaluated), subset
            assert all(value >= 0 and isinstance(value, int) for value in model.values())
            exact = {line.id: Fraction(COEFFICIENTS[line.unit], SIZES[line.unit]) for line in bilan.lines
                     if line.evaluated}
            total = sum(exact.values())
            # Largest remainder: each weight within one point of its exact share.
            assert all(abs(model[cid] - 100 * share / total) < 1 for cid, share in exact.items()), subset


def test_model_weighting_of_a_bilan_without_evaluated_competency_is_refused():
    with pytest.raises(ValidationError, match="Aucune compétence n'est évaluée"):
        arithmetic.model_weighting(make_bilan({}).lines)


# ---------------------------------------------------------------- the weights grid


def test_weights_frame_shows_each_weight_beside_its_positioning():
    bilan = make_bilan(EXAMPLE_LEVELS, "terminal")
    frame = arithmetic.weights_frame(bilan, ids(bilan, EXAMPLE_WEIGHTS))
    row = frame.loc[1]
    assert (row["Compétence"], row["Positionnement"], row["Objectifs"], row["Valeur"], row["Pondération (%)"]) == (
        "C1 - Titre C1", "++", "terminaux", "1", 40.0)
    assert frame.loc[2, "Positionnement"] == "NE" and frame.loc[2, "Pondération (%)"] == 0
