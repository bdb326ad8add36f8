"""Dates and times as French teachers read them: 02/12/2026, 02/12/2026 à 10:41."""

from __future__ import annotations

from datetime import date, datetime


def date_text(iso: str) -> str:
    """« 2026-12-02 » or « 2026-12-02 10:41:00 » → « 02/12/2026 »."""
    return date.fromisoformat(iso[:10]).strftime("%d/%m/%Y")


def moment_text(stamp: str, between: str = " à ") -> str:
    """« 2026-12-02 10:41:00 » → « 02/12/2026 à 10:41 » (between the date and the time: « à » or a space)."""
    return datetime.fromisoformat(stamp).strftime(f"%d/%m/%Y{between}%H:%M")
