"""Time as an injected object: a simulated clock for scenarios and tests, the system clock for
use."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

_DURATION = re.compile(r"^\s*(\d+)\s*(m|min|minutes?|h|hours?|d|days?|w|weeks?)\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """'3d', '48h', '2w', '30m', '7 days' -> timedelta; ValueError otherwise."""
    m = _DURATION.match(str(text))
    if not m:
        raise ValueError(f"'{text}' is not a period such as 30m, 48h, 3d or 2w")
    try:
        return timedelta(**{_UNITS[m.group(2)[0]]: int(m.group(1))})
    except OverflowError:
        raise ValueError(f"'{text}' is too long a period") from None


def duration_words(text: str) -> str:
    """A period as written, in words: '48h' -> '48 hours', '1d' -> '1 day', '35 days' ->
    '35 days'."""
    m = _DURATION.match(str(text))
    if not m:
        raise ValueError(f"'{text}' is not a period such as 30m, 48h, 3d or 2w")
    n, unit = int(m.group(1)), _UNITS[m.group(2)[0]]
    return f"{n} {unit[:-1] if n == 1 else unit}"


_ZONE = re.compile(r"(?:Z|[+-]\d{2}(?::?\d{2})?)$", re.IGNORECASE)


class ZoneGiven(ValueError):
    """A moment written with a time zone: procflow's moments are local time, and an offset is never
    dropped silently."""


# the only forms of a date and of a moment: ISO YYYY-MM-DD, then a time HH:MM[:SS[.ffffff]]
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
                         r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?)?")


def parse_date(value: object) -> date:
    """A date written YYYY-MM-DD (not 20260301 nor 2026-W09-7, which Python's fromisoformat also
    reads)."""
    text = str(value).strip()
    if not _ISO_DATE.fullmatch(text):
        raise ValueError(f"'{_cut(text)}' is not a date such as 2026-03-02")
    return date.fromisoformat(text)


def parse_moment(value: object) -> datetime:
    """A clock setting: '2026-03-02 09:00', '2026-03-02T09:00:00', a date (midnight) or a local
    datetime. A time zone ('09:00+10:00', '09:00Z', an aware datetime) is refused (ZoneGiven), not
    dropped; so are forms other than ISO YYYY-MM-DD (20260301, 2026-W09-7)."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise ZoneGiven(f"'{value.isoformat()}' has a time zone: give the local time it means, "
                            "without one")
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    text = str(value).strip()
    zone = _ZONE.search(text[10:]) if len(text) > 10 else None
    if zone:
        raise ZoneGiven(f"'{text:.60}' has a time zone ({zone.group()}): moments are read as local "
                        "time and zones are not converted, so write the local time meant, without "
                        "a zone")
    if not _ISO_MOMENT.fullmatch(text):
        raise ValueError(f"'{_cut(text)}' is not a moment such as 2026-03-02 09:00")
    try:
        return datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        raise ValueError(f"'{_cut(text)}' is not a moment such as 2026-03-02 09:00") from None


def _cut(text: str) -> str:
    return text if len(text) <= 60 else f"{text[:60]}... ({len(text)} characters)"


class SimulatedClock:
    """A clock that only moves when told to."""

    __slots__ = ("now",)

    def __init__(self, now: datetime | str):
        self.now = parse_moment(now)

    def advance(self, by: timedelta) -> None:
        self.now = self.now + by

    def set(self, moment: datetime) -> None:
        self.now = moment

    def __call__(self) -> datetime:
        return self.now


class SystemClock:
    """The machine's local time, to the second."""

    __slots__ = ()

    def __call__(self) -> datetime:
        return datetime.now().replace(microsecond=0)


def advanced(now: datetime, text: str) -> datetime:
    """Where `text` moves a clock at `now`: on by a period (3d, 48h) or to a moment; ValueError
    saying it is neither, or that the clock cannot go that far."""
    try:
        return now + parse_duration(text)
    except ValueError:
        try:
            return parse_moment(text)
        except ValueError:
            raise ValueError(f"'{text}' is neither a period (3d, 48h) nor a moment "
                             "(2026-03-05 09:00)") from None
    except OverflowError:
        raise ValueError(f"'{text}': the clock cannot go that far") from None
