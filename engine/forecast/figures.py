"""The figures of a forecast: what played cases add up to, folded case by case and merged partition
by partition. Everything is a count (whole numbers), so merging is addition: the figures do not
depend on the order partitions finish in, nor on how many workers played them.

Daily series are kept as changes per day (a case entering a status, an intray opened, closed,
becoming overdue) and summed into levels when read; cycle times as a histogram in whole hours.
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from ..model import TRAY_CLOSED, TRAY_CODE, TRAY_DUE, TRAY_OPENED

# values per history entry in Instance.log: at, event, actor, data, from, to, source
HISTORY_STRIDE = 7
PERCENTILES = (50, 90)


class Series:
    """Named daily series of whole numbers: while cases are folded into them, a count by day in a
    dict (a case adds to a few days at a time, and a run of a given number of cases may span decades
    of days); packed, to be sent to the process that merges them, as the days that have a count and
    their counts (a partition of a large run has counts on a few thousand of its tens of thousands
    of days); merged into numpy arrays from day 0."""

    def __init__(self) -> None:
        # name -> {day: count} while folding (a row made when first read), (days, counts) once
        # packed, an array from day 0 merged
        self.rows: dict[str, Any] = defaultdict(dict)

    def counts(self) -> defaultdict[str, dict[int, int]]:
        """Every series' counts by day, to add to (see Figures.fold): a new name's row is made when
        it is first read."""
        rows = self.rows
        if rows.__class__ is not defaultdict:  # packed or merged: counts by day again
            self.rows = rows = defaultdict(dict, {name: _counts(row) for name, row in rows.items()})
        return rows

    def add(self, name: str, day: int, n: int = 1) -> None:
        row = self.counts()[name]
        row[day] = row.get(day, 0) + n

    def pack(self) -> None:
        self.rows = {name: _sparse(row) for name, row in self.rows.items()}

    def merge(self, other: Series) -> None:
        if self.rows.__class__ is defaultdict:  # merged rows are arrays: counts() converts them
            self.rows = dict(self.rows)
        for name, row in other.rows.items():
            mine = self.rows.get(name)
            mine = np.zeros(0, dtype=np.int64) if mine is None else _array(mine)
            days, counts = _sparse(row)
            if len(days) and days[-1] >= len(mine):
                mine = np.concatenate([mine, np.zeros(days[-1] + 1 - len(mine), dtype=np.int64)])
            mine[days] += counts  # each day once in a row
            self.rows[name] = mine

    def total(self, name: str) -> int:
        return int(_array(self.rows.get(name, {})).sum())

    def values(self, name: str, days: int, cumulative: bool = False) -> list[int]:
        row = _array(self.rows.get(name, {}))[:days]
        row = np.concatenate([row, np.zeros(days - len(row), dtype=np.int64)])
        return [int(x) for x in (np.cumsum(row) if cumulative else row)]


def _sparse(row: Any) -> tuple[np.ndarray, np.ndarray]:
    """A series' row as the days with a count, in order, and their counts."""
    if row.__class__ is tuple:
        return row
    if row.__class__ is dict:
        days = np.fromiter(row.keys(), dtype=np.int64, count=len(row))
        counts = np.fromiter(row.values(), dtype=np.int64, count=len(row))
        order = np.argsort(days)
        return days[order], counts[order]
    row = np.asarray(row, dtype=np.int64)
    days = np.flatnonzero(row)
    return days, row[days]


def _array(row: Any) -> np.ndarray:
    """A series' row as an array from day 0."""
    if row.__class__ is np.ndarray:
        return row
    days, counts = _sparse(row)
    out = np.zeros(int(days[-1]) + 1 if len(days) else 0, dtype=np.int64)
    out[days] = counts
    return out


def _counts(row: Any) -> dict[int, int]:
    """A packed or merged row as counts by day again."""
    days, counts = _sparse(row)
    return {int(d): int(c) for d, c in zip(days, counts, strict=True) if c}


class Figures:
    """What a set of played cases adds up to, from day 0 (`start`) for `days` days."""

    def __init__(self, start: date, days: int):
        self.start = start
        self.days = days
        self.cases = 0
        self.events: Counter[str] = Counter()  # accepted, by event
        self.refusals: Counter[tuple[str, str]] = Counter()  # (event, the guard's sentence)
        self.nightly: Counter[str] = Counter()  # schedule events accepted
        self.finals: Counter[str] = Counter()  # the status each case ended in
        self.status = Series()  # cases entering (+) and leaving (-) each status, by day
        self.opened, self.closed, self.open, self.overdue = Series(), Series(), Series(), Series()
        self.letters: Counter[tuple[str, str]] = Counter()  # (code, recipients)
        self.letters_weekly = Series()  # by code, by week from day 0
        self.cycles: dict[str, Counter[int]] = {}  # name -> whole hours -> cases

    # -- folding
    def fold(self, inst: Any, arrived: datetime, cycle_times: tuple = ()) -> None:
        """One case, as it stands at the end of the run. (Its counts are added to the series' dicts
        here, not through Series.add: a partition folds thousands of cases, each adding to
        dozens of counts.)"""
        self.cases += 1
        self.finals[inst.status] += 1
        origin = self.start.toordinal()
        status = self.status.counts()
        initial = inst.workflow.initial
        day = arrived.toordinal() - origin
        day = day if day > 0 else 0
        row = status[initial]
        row[day] = row.get(day, 0) + 1
        log = inst.log
        entered: list[tuple[datetime, str]] = [(arrived, initial)]
        stride = HISTORY_STRIDE
        for at, old, new in zip(log[0::stride], log[4::stride], log[5::stride], strict=True):
            if old != new:
                day = at.toordinal() - origin
                day = day if day > 0 else 0
                row = status[old]
                row[day] = row.get(day, 0) - 1
                row = status[new]
                row[day] = row.get(day, 0) + 1
                entered.append((at, new))
        opened, closed, open_, overdue = (self.opened.counts(), self.closed.counts(),
                                          self.open.counts(), self.overdue.counts())
        for t in inst.trays:
            code, shut = t[TRAY_CODE], t[TRAY_CLOSED]
            d0 = t[TRAY_OPENED].toordinal() - origin
            d0 = d0 if d0 > 0 else 0
            row = opened[code]
            row[d0] = row.get(d0, 0) + 1
            level = open_[code]
            level[d0] = level.get(d0, 0) + 1
            late = t[TRAY_DUE].toordinal() - origin
            late = late if late > 0 else 0
            if shut is not None:
                d1 = shut.toordinal() - origin
                d1 = d1 if d1 > 0 else 0
                row = closed[code]
                row[d1] = row.get(d1, 0) + 1
                level[d1] = level.get(d1, 0) - 1
                if d1 > late:
                    row = overdue[code]
                    row[late] = row.get(late, 0) + 1
                    row[d1] = row.get(d1, 0) - 1
            else:
                row = overdue[code]
                row[late] = row.get(late, 0) + 1
        for letter in inst.letters:
            self.letters[(letter.code, "+".join(letter.to))] += 1
            self.letters_weekly.add(letter.code, max(0, letter.issued.toordinal() - origin) // 7)
        for ct in cycle_times:
            hours = cycle_hours(entered, ct.start, ct.end)
            if hours is not None:
                hist = self.cycles.get(ct.name)
                if hist is None:
                    hist = self.cycles[ct.name] = Counter()
                hist[hours] += 1

    # -- merging
    def series(self) -> tuple[Series, ...]:
        return (self.status, self.opened, self.closed, self.open, self.overdue, self.letters_weekly)

    def pack(self) -> None:
        """The daily series as arrays, to be sent to the process that merges them (see Series)."""
        for one in self.series():
            one.pack()

    def merge(self, other: Figures) -> None:
        self.days = max(self.days, other.days)
        self.cases += other.cases
        for mine, theirs in ((self.events, other.events), (self.refusals, other.refusals),
                             (self.nightly, other.nightly), (self.finals, other.finals),
                             (self.letters, other.letters)):
            mine.update(theirs)
        for a, b in zip(self.series(), other.series(), strict=True):
            a.merge(b)
        for name, hist in other.cycles.items():
            self.cycles.setdefault(name, Counter()).update(hist)

    # -- reading
    def dates(self) -> list[str]:
        return [(self.start + timedelta(days=d)).isoformat() for d in range(self.days)]

    def to_json(self, statuses: list[str], intrays: list[str]) -> dict:
        """The figures as JSON: stable keys, whole numbers and shares, in the workflow's order."""
        days = self.days
        codes = [c for c in intrays if c in self.opened.rows] \
            + sorted(set(self.opened.rows) - set(intrays))
        shown = [s for s in statuses if s in self.status.rows] \
            + sorted(set(self.status.rows) - set(statuses))
        intray_totals = {}
        daily_intrays = {}
        for code in codes:
            open_ = self.open.values(code, days, cumulative=True)
            overdue = self.overdue.values(code, days, cumulative=True)
            intray_totals[code] = {"opened": self.opened.total(code),
                                   "closed": self.closed.total(code),
                                   "open_at_end": open_[-1] if open_ else 0,
                                   "overdue_at_end": overdue[-1] if overdue else 0,
                                   "overdue_peak": max(overdue, default=0),
                                   # intray-days overdue over the period
                                   "overdue_days": sum(overdue)}
            daily_intrays[code] = {"opened": self.opened.values(code, days),
                                   "closed": self.closed.values(code, days),
                                   "open": open_, "overdue": overdue}
        weeks = (days + 6) // 7
        return {
            "cases": self.cases,
            "events": dict(sorted(self.events.items())),
            "nightly": dict(sorted(self.nightly.items())),
            "refusals": [{"event": e, "says": s, "count": n}
                         for (e, s),
                         n in sorted(self.refusals.items(), key=lambda kv: (-kv[1], kv[0]))],
            "final_status": {s: self.finals[s] for s in statuses if self.finals[s]},
            "final_share": {s: round(self.finals[s] / self.cases, 6) for s in statuses
                            if self.finals[s]}
            if self.cases else {},
            "intrays": intray_totals,
            "letters": [{"code": c, "to": to.split("+"), "count": n}
                        for (c, to), n in sorted(self.letters.items())],
            "letters_weekly": {c: self.letters_weekly.values(c, weeks)
                               for c in sorted(self.letters_weekly.rows)},
            "cycle_times": {name: cycle_summary(hist)
                            for name, hist in sorted(self.cycles.items())},
            "daily": {"dates": self.dates(),
                      "status": {s: self.status.values(s, days, cumulative=True) for s in shown},
                      "intrays": daily_intrays},
        }


def cycle_hours(entered: list[tuple[datetime, str]], start: frozenset[str],
                end: frozenset[str]) -> int | None:
    """Whole hours from the first entry into a `start` status to the first entry into an `end`
    status after it."""
    began = None
    for at, status in entered:
        if began is None:
            if status in start:
                began = at
        elif status in end:
            return int((at - began).total_seconds() // 3600)
    return None


def percentile(hist: Counter[int], p: float) -> int:
    """The nearest-rank p-th percentile of a histogram: the smallest value with at least p% of the
    cases at or below it."""
    total = sum(hist.values())
    rank = max(1, math.ceil(p / 100 * total))
    seen = 0
    for value in sorted(hist):
        seen += hist[value]
        if seen >= rank:
            return value
    raise ValueError("an empty histogram has no percentile")


def cycle_summary(hist: Counter[int]) -> dict:
    """A cycle time's count, mean and percentiles, in days (from whole hours), and its histogram by
    day."""
    total = sum(hist.values())
    if not total:
        return {"count": 0}
    by_day: Counter[int] = Counter()
    for hours, n in hist.items():
        by_day[hours // 24] += n
    out: dict[str, Any] = {"count": total,
                           "mean_days": round(sum(h * n for h, n in hist.items()) / total / 24, 4)}
    for p in PERCENTILES:
        out[f"p{p}_days"] = round(percentile(hist, p) / 24, 4)
    out["max_days"] = round(max(hist) / 24, 4)
    out["histogram_days"] = {str(d): by_day[d] for d in sorted(by_day)}
    return out
