"""The one clock of Livret: every moment is stored in UTC and shown in the school's time zone.

Stored moments are text « YYYY-MM-DD HH:MM:SS » in UTC, fixed width, so text order is time order
and rows written by any module compare correctly (the black line compares evaluations' last
modification with bilans' validation). The school's zone (LIVRET_TIMEZONE, Europe/Paris by
default) is used only to show a moment and to tell the school's calendar day."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from livret.errors import ValidationError

STAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
DEFAULT_ZONE = "Europe/Paris"


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError) as error:
        raise ValidationError(f"Fuseau horaire inconnu : « {name} » (LIVRET_TIMEZONE).") from error


def school_zone() -> ZoneInfo:
    """The school's time zone, from LIVRET_TIMEZONE (Europe/Paris by default)."""
    return _zone(os.environ.get("LIVRET_TIMEZONE", "").strip() or DEFAULT_ZONE)


def now() -> datetime:
    """The current moment, in UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


def stamp(moment: datetime | None = None) -> str:
    """A moment as stored in the database (UTC); now when no moment is given. A naive moment is
    taken as the school's local time."""
    moment = now() if moment is None else moment
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=school_zone())
    return moment.astimezone(UTC).strftime(STAMP_FORMAT)


def parse(text: str) -> datetime:
    """A stored moment (UTC text) as an aware datetime."""
    return datetime.strptime(text[:19].replace("T", " "), STAMP_FORMAT).replace(tzinfo=UTC)


def local(text: str) -> datetime:
    """A stored moment in the school's time zone."""
    return parse(text).astimezone(school_zone())


def today() -> date:
    """The school's calendar day now."""
    return now().astimezone(school_zone()).date()


def local_day(text: str) -> date:
    """The school's calendar day of a stored moment, or the day itself for a plain date."""
    if len(text) <= 10:
        return date.fromisoformat(text)
    return local(text).date()
