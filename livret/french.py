"""Dates, times and numbers as French teachers read them: 02/12/2026, 02/12/2026 à 10:41, 13,25, 200 000.

Plain dates (« 2026-12-02 ») are calendar days; stored moments (« 2026-12-02 09:41:00 ») are UTC
(livret/clock.py) and are shown in the school's time zone."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from fractions import Fraction

from livret import clock

THOUSANDS = "\u202f"  # a narrow no-break space, as French typography writes 200 000


def date_text(iso: str) -> str:
    """« 2026-12-02 » or a stored moment « 2026-12-02 09:41:00 » → « 02/12/2026 » (the school's day)."""
    text = str(iso)
    if len(text) == 10 and text[4] == "-" and text[7] == "-":  # a plain day: no time zone to apply
        return f"{text[8:10]}/{text[5:7]}/{text[:4]}"
    return clock.local_day(text).strftime("%d/%m/%Y")


def moment_text(stamp: str, between: str = " à ") -> str:
    """A stored moment → « 02/12/2026 à 10:41 » in the school's time zone (between: « à » or a space)."""
    return clock.local(str(stamp)).strftime(f"%d/%m/%Y{between}%H:%M")


def time_text(stamp: str | None = None) -> str:
    """A stored moment (now when none) → « 10:41:07 » in the school's time zone."""
    return clock.local(stamp or clock.stamp()).strftime("%H:%M:%S")


def day_text(day: date) -> str:
    """A calendar day → « 02/12/2026 »."""
    return day.strftime("%d/%m/%Y")


def decimal_text(value: Decimal | int | float | str, places: int | None = None) -> str:
    """A number with a decimal comma: 13.25 → « 13,25 »; to places decimals when given (1.5, 2 → « 1,50 »)."""
    text = f"{value:.{places}f}" if places is not None else str(value)
    return text.replace(".", ",")


def rounded_text(value: Fraction, places: int = 2) -> str:
    """An exact number rounded half up to places decimals: 351/400 → « 0,88 »."""
    scale = 10 ** places
    rounded = math.floor(Fraction(value) * scale + Fraction(1, 2))
    whole, part = divmod(rounded, scale)
    return f"{whole},{part:0{places}d}" if places else str(whole)


def short_decimal_text(value: Fraction) -> str:
    """A whole number as such, another to at most two decimals without trailing zeros: 20/3 → « 6,67 »."""
    if value.denominator == 1:
        return str(value.numerator)
    return decimal_text(f"{float(value):.2f}".rstrip("0").rstrip("."))


def count_text(n: int) -> str:
    """A count with its thousands separated: 200000 → « 200 000 »."""
    return f"{n:,}".replace(",", THOUSANDS)
