"""Time as an injected object: a simulated clock for scenarios and tests, the system clock for use."""
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
    """A period as written, in words: '48h' -> '48 hours', '1d' -> '1 day', '35 days' -> '35 days'."""
    m = _DURATION.match(str(text))
    if not m:
        raise ValueError(f"'{text}' is not a period such as 30m, 48h, 3d or 2w")
    n, unit = int(m.group(1)), _UNITS[m.group(2)[0]]
    return f"{n} {unit[:-1] if n == 1 else unit}"


def parse_moment(value: object) -> datetime:
    """A clock setting: '2026-03-02 09:00', '2026-03-02T09:00:00', a date (midnight) or a datetime."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    text = str(value).strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time())
        return datetime.fromisoformat(text.replace(" ", "T", 1)).replace(tzinfo=None)
    except ValueError:
        raise ValueError(f"'{text}' is not a moment such as 2026-03-02 09:00") from None


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
