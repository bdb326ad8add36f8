"""The load simulator (python -m livret charge): its sessions are signed in, each click really moves to
the next learner, and every click is counted."""

import pytest

from livret.tools import cli, load

pytestmark = pytest.mark.browser  # a Streamlit server, like the browser tests (SQLite run only)


def test_simulated_teachers_each_move_on_one_learner_per_click(demo_path):
    figures = load.measure(demo_path, servers=1, sessions=2, clicks=3)
    assert figures["failures"] == 0
    assert figures["clicks_per_s"] > 0 and figures["median_ms"] > 0
    for shown in figures["learners_shown"]:
        assert len(shown) == 4 and None not in shown and len(set(shown)) == 4  # the first page, then 3 others


@pytest.mark.parametrize("typed", ["0", "-2", "vingt"])
def test_a_wrong_count_of_sessions_is_refused_in_french_before_anything_starts(capsys, typed):
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["charge", "--sessions", typed])
    assert f"un nombre entier, au moins 1, est attendu (« {typed} » reçu)" in capsys.readouterr().err
