"""Dates and times in French (livret/french.py) and the one clock (livret/clock.py)."""

from datetime import datetime

from livret import clock
from livret.french import date_text, moment_text, time_text


def test_dates_and_moments_read_day_first_in_the_schools_time_zone():
    assert date_text("2026-12-02") == "02/12/2026"
    # Stored moments are UTC: 10:41 UTC is 11:41 in Paris in winter, 12:41 in summer.
    assert date_text("2026-12-02 10:41:07") == "02/12/2026"
    assert moment_text("2026-12-02 10:41:07") == "02/12/2026 à 11:41"
    assert moment_text("2026-12-02 10:41:07", " ") == "02/12/2026 11:41"
    assert moment_text("2026-06-02 10:41:07") == "02/06/2026 à 12:41"
    assert time_text("2026-12-02 10:41:07") == "11:41:07"


def test_a_moment_late_in_the_evening_falls_on_the_schools_next_day():
    assert date_text("2026-12-02 23:30:00") == "03/12/2026"


def test_the_time_zone_is_a_setting(monkeypatch):
    monkeypatch.setenv("LIVRET_TIMEZONE", "America/Cayenne")
    assert moment_text("2026-12-02 10:41:07") == "02/12/2026 à 07:41"
    monkeypatch.setenv("LIVRET_TIMEZONE", "Mars/Olympus")
    try:
        moment_text("2026-12-02 10:41:07")
    except Exception as error:
        assert "Fuseau horaire inconnu" in str(error)
    else:
        raise AssertionError("an unknown zone must be refused")


def test_stamps_are_utc_and_a_naive_moment_is_the_schools_local_time():
    assert clock.stamp(datetime(2026, 3, 27, 18, 0)) == "2026-03-27 17:00:00"
    assert clock.stamp(datetime(2026, 6, 1, 18, 0)) == "2026-06-01 16:00:00"
    assert clock.parse(clock.stamp()) == clock.now()
