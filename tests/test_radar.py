"""The radar of the last two bilans (SPEC B2): axes by domain, levels on rings, NE apart, 0/1/2 bilans."""

import math
import re

import pytest

from livret import bilans
from livret.render import radar


@pytest.fixture
def axes(demo_db, roles):
    return bilans.radar_axes_of(demo_db, roles["teacher"], roles["learner"].learner_id)


def history_of(demo_db, roles, count):
    """A real learner's history with 0, 1 or 2 validated bilans."""
    teacher, learner_id = roles["teacher"], roles["learner"].learner_id
    if count == 0:
        demo_db.execute("DELETE FROM bilans WHERE learner_id = ?", [learner_id])
        return bilans.bilan_history(demo_db, teacher, learner_id)
    ids = bilans.learner_bilans(demo_db, teacher, learner_id)["id"].tolist()  # newest first
    return bilans.bilan_history(demo_db, teacher, learner_id, upto_bilan_id=ids[2 - count])


def test_axes_follow_the_domains_so_each_domain_is_one_sector(axes):
    assert len(axes) == 13
    assert axes["domain_order"].is_monotonic_increasing
    assert axes["code"].tolist()[:3] == ["C1", "C2", "C3"]  # Préparation first, in référentiel order
    assert axes["angle"].iloc[0] == 0 and math.isclose(axes["angle"].diff().dropna().max(), 2 * math.pi / 13)
    sectors = radar.domain_sectors(axes)
    assert sectors["domain_title"].tolist() == ["Préparation", "Réalisation", "Mise en service", "Maintenance",
                                                "Communication"]
    assert math.isclose(sectors["end"].iloc[-1] - sectors["start"].iloc[0], 2 * math.pi)
    assert all(math.isclose(a, b) for a, b in zip(sectors["end"].iloc[:-1], sectors["start"].iloc[1:]))


@pytest.mark.parametrize("count", [0, 1, 2])
def test_radar_data_for_zero_one_and_two_bilans(demo_db, roles, axes, count):
    points = radar.radar_data(axes, history_of(demo_db, roles, count))
    assert len(points) == 13 * count
    assert points["bilan"].nunique() == count
    svg = radar.radar_svg(axes, points)
    # per bilan: one closed line and its 13 points (filled, open or crossed), each with its tooltip
    assert svg.count("<polygon") == count and "Préparation" in svg
    assert len(re.findall(r'<(?:circle|path) [^>]*stroke-width="2" data-series="\d" data-code="C\d+"><title>', svg)) == 13 * count


def test_newest_bilan_first_and_only_two_of_three(demo_db, roles, axes):
    teacher, learner_id = roles["teacher"], roles["learner"].learner_id
    c1 = int(bilans.learner_competencies(demo_db, teacher, learner_id)["competency_id"].iloc[0])
    draft_id = bilans.save_draft_positioning(demo_db, teacher, learner_id, c1, bilans.CHOICES[0])
    bilans.confirm_bilan(demo_db, teacher, learner_id, "CONFIRMATION", draft_id=draft_id)
    history = bilans.bilan_history(demo_db, teacher, learner_id)
    assert history["column"].nunique() == 3
    points = radar.radar_data(axes, history)
    newest = history.sort_values("column_order")["column"].iloc[0]
    assert points["bilan"].nunique() == 2
    assert points[points["bilan_order"] == 0]["bilan"].unique().tolist() == [newest]
    assert "27/03/2026" in set(points["bilan"]) and "12/12/2025" not in set(points["bilan"])


def test_levels_sit_on_their_ring_and_ne_is_distinct_from_level_one(demo_db, roles, axes):
    teacher, learner_id = roles["teacher"], roles["learner"].learner_id
    codes = {"C1": bilans.Positioning(1, "terminal"), "C2": bilans.Positioning(4, "intermediate")}
    for code, positioning in codes.items():
        competency_id = demo_db.execute("SELECT id FROM competencies WHERE code = ?", [code]).fetchone()[0]
        bilans.save_draft_positioning(demo_db, teacher, learner_id, competency_id, positioning)
    history = bilans.bilan_history(demo_db, teacher, learner_id, include_draft=True)
    points = radar.radar_data(axes, history)
    draft = points[points["bilan_order"] == 0].set_index("code")
    assert draft.loc["C1", "radius"] == 1 and draft.loc["C2", "radius"] == 4
    ne = draft[~draft["evaluated"].astype(bool)]
    assert len(ne) == 11 and set(ne["radius"]) == {radar.NE_RADIUS} and radar.NE_RADIUS < 1
    assert set(ne["positioning"]) == {"Compétence non évaluée"}
    c2 = draft.loc["C2"]
    assert math.isclose(math.hypot(c2["x"], c2["y"]), 4)
    svg, draft_colour = radar.radar_svg(axes, points), radar.SERIES_COLOURS[0]
    crosses = re.findall(rf'<path d="M[^"]*" stroke="{draft_colour}" stroke-width="2" data-series="0" data-code="[^"]*"><title>', svg)
    open_points = re.findall(rf'<circle [^>]*fill="white" stroke="{draft_colour}" stroke-width="2" data-series="0" data-code="[^"]*"><title>', svg)
    assert len(crosses) == 11 and len(open_points) == 1  # NE crosses; C2, intermediate, an open point


def test_svg_escapes_labels(axes):
    odd = axes.copy()
    odd.loc[0, "code"] = "<C1>"
    svg = radar.radar_svg(odd, radar.radar_data(odd, odd.iloc[0:0]))
    assert "&lt;C1&gt;" in svg and "<C1>" not in svg
