"""When the workflows' daily schedules fire between two moments. Pure: no clock is read."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from .model import Workflow


def due_runs(workflows: Iterable[Workflow], start: datetime,
             to: datetime) -> list[tuple[datetime, str, str]]:
    """Each run of a schedule after `start` and up to `to` (inclusive), as (moment, workflow name,
    event), in order of moment, then workflow, then event."""
    due: list[tuple[datetime, str, str]] = []
    for wf in workflows:
        for sched in wf.schedules.values():
            hour, minute = (int(x) for x in sched.at.split(":"))
            day = start.date()
            while True:
                moment = datetime(day.year, day.month, day.day, hour, minute)
                if moment > to:
                    break
                if moment > start:
                    due.append((moment, wf.name, sched.event))
                if day == date.max:
                    break
                day += timedelta(days=1)
    return sorted(due)
