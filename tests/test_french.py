"""Dates and times in French (livret/french.py)."""

from livret.french import date_text, moment_text


def test_dates_and_moments_read_day_first():
    assert date_text("2026-12-02") == "02/12/2026"
    assert date_text("2026-12-02 10:41:07") == "02/12/2026"
    assert moment_text("2026-12-02 10:41:07") == "02/12/2026 à 10:41"
    assert moment_text("2026-12-02 10:41:07", " ") == "02/12/2026 10:41"
