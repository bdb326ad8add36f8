"""Dates and times as French teachers read them: 02/12/2026, 02/12/2026 à 10:41.

Plain dates (« 2026-12-02 ») are calendar days; stored moments (« 2026-12-02 09:41:00 ») are UTC
(livret/clock.py) and are shown in the school's time zone."""

from __future__ import annotations

from livret import clock


def date_text(iso: str) -> str:
    """« 2026-12-02 » or a stored moment « 2026-12-02 09:41:00 » → « 02/12/2026 » (the school's day)."""
    return clock.local_day(str(iso)).strftime("%d/%m/%Y")


def moment_text(stamp: str, between: str = " à ") -> str:
    """A stored moment → « 02/12/2026 à 10:41 » in the school's time zone (between: « à » or a space)."""
    return clock.local(str(stamp)).strftime(f"%d/%m/%Y{between}%H:%M")


def time_text(stamp: str | None = None) -> str:
    """A stored moment (now when none) → « 10:41:07 » in the school's time zone."""
    return clock.local(stamp or clock.stamp()).strftime("%H:%M:%S")
