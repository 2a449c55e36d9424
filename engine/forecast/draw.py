"""The random draws of a partition: its arrivals, then every slot of the model for all its cases at
once.

The draws depend only on the model, the partition's seed and its number of cases, never on what the
engine does with them: two versions of a workflow played with the same seed see the same cases, the
same delays and the same data (common random numbers).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from .model import Arrivals, Delay, Model, Value


def delays(d: Delay, rng: np.random.Generator, n: int) -> np.ndarray:
    """n draws of a delay, in days."""
    p = d.params
    if d.kind == "fixed":
        return np.full(n, p[0])
    if d.kind == "uniform":
        return rng.uniform(p[0], p[1], n)
    if d.kind == "triangular":
        return rng.triangular(p[0], p[1], p[2], n) if p[0] < p[2] else np.full(n, p[0])
    if d.kind == "exponential":
        return rng.exponential(p[0], n)
    return rng.lognormal(np.log(p[0]), p[1], n)  # lognormal: (median, sigma)


def column(slot: Delay | Value, rng: np.random.Generator, n: int) -> np.ndarray:
    """The n draws of one slot of the model."""
    if isinstance(slot, Delay):
        return delays(slot, rng, n)
    if slot.kind == "pick":
        return rng.random(n)
    if slot.kind == "share":
        return rng.choice(len(slot.choices), size=n, p=np.asarray(slot.shares) / sum(slot.shares))
    assert slot.delay is not None
    drawn = delays(slot.delay, rng, n)
    return np.rint(drawn).astype(np.int64) if slot.kind != "number" else drawn


ARRIVAL_BLOCK = 366  # days whose arrivals are drawn together
MAX_SPAN_DAYS = 100 * 366  # a number of cases arrives within this many days (about 100 years)
_EPOCH = date(1970, 1, 1).toordinal()  # numpy's day 0


def arrival_moments(model: Model, rng: np.random.Generator, share: float, start: date, end: date,
                    cases: int | None) -> list[datetime]:
    """When this partition's cases arrive: each day's count (Poisson, or the rate as it is) at
    `share` of the model's rate, from `start` to `end`, or until `cases` have arrived when a number
    is given (within MAX_SPAN_DAYS). The days are drawn a block of ARRIVAL_BLOCK at a time: each
    day's count, then the minute of each arrival of the block (sorted within its day), all with
    numpy."""
    a = model.arrivals
    out: list[datetime] = []
    if cases is not None and cases <= 0:
        return out
    first = start.toordinal()
    stop = max(first, min(first + MAX_SPAN_DAYS, date.max.toordinal() - 2))
    if cases is not None:
        wanted = cases
    else:
        stop, wanted = min(stop, end.toordinal()), -1
    owed = 0.0
    for block in range(first, stop + 1, ARRIVAL_BLOCK):
        days = np.arange(block, min(block + ARRIVAL_BLOCK, stop + 1), dtype=np.int64)
        rates = _rates(a, days) * share
        if a.poisson:
            counts = rng.poisson(rates)
        else:  # the rate as it is: whole cases, the fractions carried from day to day
            counts = np.zeros(len(days), dtype=np.int64)
            for i, rate in enumerate(rates.tolist()):
                owed += rate
                counts[i] = int(owed + 1e-9)
                owed -= counts[i]
        total = int(counts.sum())
        if not total:
            continue
        day_of = np.repeat(days, counts)
        if a.at is not None:
            minutes = np.full(total, a.at, dtype=np.float64)
        else:
            minutes = rng.uniform(a.hours[0], a.hours[1], total)
            minutes = minutes[np.lexsort((minutes, day_of))]
        moments = (day_of - _EPOCH).astype("datetime64[D]") \
            + np.floor(minutes).astype(np.int64).astype("timedelta64[m]")
        out.extend(moments.astype("datetime64[us]").tolist())
        if 0 <= wanted <= len(out):
            del out[wanted:]
            break
    return out


def expected_by_day(model: Model, start: date, days: int,
                    reach: float | None = None) -> np.ndarray:
    """The expected number of arrivals from `start` to the end of each day, at the model's rate:
    for `days` days, or until it reaches `reach` (or the calendar's end)."""
    first = start.toordinal()
    stop = min(date.max.toordinal() - 1, first + max(days, 1))
    out: list[np.ndarray] = []
    total = 0.0
    while first < stop and (reach is None or total < reach):
        block = np.arange(first, min(first + MAX_SPAN_DAYS, stop), dtype=np.int64)
        out.append(np.cumsum(_rates(model.arrivals, block)) + total)
        total, first = float(out[-1][-1]), int(block[-1]) + 1
    return np.concatenate(out) if out else np.zeros(1)


def _rates(a: Arrivals, days: np.ndarray) -> np.ndarray:
    """The model's rate on each day (ordinals): its weekday's, times the profile's factor."""
    per_weekday = np.asarray(a.per_weekday, dtype=np.float64)
    factors = np.ones(len(days))
    for since, f in a.profile:  # as Arrivals.factor: the last date at or before the day counts
        factors[days >= since.toordinal()] = f
    return per_weekday[(days + 6) % 7] * factors  # (day + 6) % 7: Monday is 0, as date.weekday()


def draw_cases(model: Model, rng: np.random.Generator, n: int) -> list[list]:
    """Every slot's draws for n cases, in the model's order, read one at a time: the waits of the
    steps as timedeltas (see waits), the rest as Python numbers."""
    drawn = [column(slot, rng, n) for slot in model.slots]
    return [waits(col) if isinstance(slot, Delay) else col.tolist()
            for slot, col in zip(model.slots, drawn, strict=True)]


US_PER_DAY = 86_400_000_000
# a wait of this many days or more takes any moment past the calendar's last day (datetime.max)
NEVER_DAYS = 4_000_000


def waits(days: np.ndarray) -> list[timedelta | None]:
    """Waits in days as timedeltas, made all at once, each exactly `timedelta(days=float(d))`: the
    whole days, then the fraction's whole microseconds, then what is left rounded half to even,
    as timedelta rounds them. None for a wait past the calendar's end (NEVER_DAYS or more)."""
    days = np.asarray(days, dtype=np.float64)
    never = ~(days < NEVER_DAYS)
    days = np.where(never, 0.0, days)
    whole = np.trunc(days)
    fraction = (days - whole) * float(US_PER_DAY)
    us_whole = np.trunc(fraction)
    left = fraction - us_whole
    total = whole.astype(np.int64) * US_PER_DAY + us_whole.astype(np.int64)
    # half to even, on the sum so far (timedelta's rounding of its leftover microsecond)
    half = np.abs(left) == 0.5
    total += np.where(half, (total & 1) * np.sign(left), np.round(left)).astype(np.int64)
    out: list[timedelta | None] = total.astype("timedelta64[us]").tolist()
    if never.any():
        for i in np.flatnonzero(never):
            out[i] = None
    return out


Maker = Callable[[list, int, date, str], Any]


def maker(v: Value) -> Maker:
    """A function giving a piece of event data for case i, on the day it is played: (the partition's
    draws, i, the day, the prefix of the partition's case ids). The kind of value is looked at once,
    here."""
    kind, slot = v.kind, v.slot
    if kind == "const":
        const = v.const
        return lambda cols, i, today, prefix: const
    if kind == "share":
        choices = v.choices
        return lambda cols, i, today, prefix: choices[cols[slot][i]]
    if kind in ("days_before", "days_after"):
        sign = -1 if kind == "days_before" else 1
        if slot < 0:
            fixed = timedelta(days=sign * round(v.delay.params[0]))  # type: ignore[union-attr]
            return lambda cols, i, today, prefix: today + fixed
        return lambda cols, i, today, prefix: today + timedelta(days=sign * cols[slot][i])
    if kind in ("number", "integer"):
        cast = int if kind == "integer" else float
        if slot < 0:
            number = cast(v.delay.params[0])  # type: ignore[union-attr]
            return lambda cols, i, today, prefix: number
        return lambda cols, i, today, prefix: cast(cols[slot][i])
    if kind == "sequence":
        text = v.const
        return lambda cols, i, today, prefix: f"{text}{prefix}{i + 1}"
    parts = [(k, maker(p)) for k, p in v.parts]
    if kind == "record":
        # the constant parts made once, copied; the others made for each case
        fixed = {k: p.const for k, p in v.parts if p.kind == "const"}
        drawn = [(k, make) for (k, make), (_, p) in zip(parts, v.parts, strict=True)
                 if p.kind != "const"]
        if not drawn:
            return lambda cols, i, today, prefix: fixed.copy()

        def record(cols: list, i: int, today: date, prefix: str) -> dict:
            made = fixed.copy()
            for k, make in drawn:
                made[k] = make(cols, i, today, prefix)
            return made
        return record
    makers = [make for _, make in parts]
    return lambda cols, i, today, prefix: [make(cols, i, today, prefix) for make in makers]  # items


def data_maker(data: tuple[tuple[str, Value], ...]) -> Maker:
    """A function giving an event's data (a new dict) for case i on its day (see maker)."""
    return maker(Value("record", parts=data))
