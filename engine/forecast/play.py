"""Playing one partition of a forecast through the real engine: its cases arrive, each step of the
model is fired with `Engine.fire` (decide and commit: guards, effects, intrays, letters, other
instances) at its moment on a simulated clock, the overnight schedules run as the clock passes them,
and every refusal is counted by the sentence the engine gives. The cases are folded into Figures at
the end.

A partition holds its own engine, its own set-up records and its own cases, so partitions are
independent and a partition's memory is bounded by its number of cases, not by the whole run's.
"""
from __future__ import annotations

import gc
import heapq
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from .. import Ambiguous, Engine, Refused, SimulatedClock
from ..model import Workflow
from .draw import Maker, arrival_moments, data_maker, draw_cases, waits
from .figures import Figures
from .model import Delay, Model, Play, Step

SYSTEM = {"role": "system"}  # who the overnight run is, as Engine.advance fires it
DAY = timedelta(days=1)


# the workflows' (name, version)s -> their compiled machines, by version
_MACHINES: dict[tuple, dict] = {}


def _machines(workflows: dict[str, Workflow]) -> dict | None:
    """Where the partitions of this process that hold the same workflow versions keep their compiled
    machines: each workflow is compiled once per worker, not once per partition (None for a workflow
    without a version: it is compiled each time)."""
    if not all(wf.version for wf in workflows.values()):
        return None
    return _MACHINES.setdefault(tuple(sorted((wf.name, wf.version) for wf in workflows.values())),
                                {})


@dataclass(frozen=True, slots=True)
class Partition:
    """One independent part of a run: its number, its seed, the window of time its cases arrive in
    (at the model's rate) and their number."""

    index: int
    seed: Any  # a numpy SeedSequence (spawned from the run's seed)
    origin: date  # the run's first day: day 0 of the figures
    start: date  # the first day of its arrivals
    until: date  # the last day of its arrivals, when they are not a number of cases
    end: date  # the run's last day: with a period, its cases are played to its end
    cases: int | None  # the number of cases to play, or None: as many as arrive from start to until


def fixed_wait(delay: Delay) -> timedelta | None:
    """A fixed wait as a timedelta (as a drawn wait is, see draw.waits)."""
    return waits(np.array(delay.params[:1]))[0] if delay.slot < 0 else None


def picks(step: Step, cols: list, n: int) -> list[Play | None]:
    """The play of a step for each of n cases, from its uniform draw: None where the step does not
    happen (the draw is at or above its share), else the choice the same draw, spread again over
    the choices by their shares, falls in (the last when rounding leaves it past them all)."""
    if step.pick_slot < 0:
        return [step.plays[0]] * n
    u = np.asarray(cols[step.pick_slot], dtype=np.float64)
    if len(step.plays) == 1:
        chosen = np.zeros(n, dtype=np.int64)
    else:  # the shares added up in order, as a running total would add them
        totals = np.cumsum([p.share for p in step.plays])
        chosen = np.minimum(np.searchsorted(totals, u / step.share, side="right"),
                            len(step.plays) - 1)
    table = [*step.plays, None]  # -1: none
    return [table[i] for i in np.where(u < step.share, chosen, -1).tolist()]


def play(model: Model, workflows: dict[str, Workflow], part: Partition) -> Figures:
    """Play a partition's cases; their figures. Python's cyclic garbage collector is paused
    meanwhile: the cases, held until the partition ends, are what its collections would walk again
    and again (a tenth of the time), and they are freed by reference counting when the partition
    ends."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return _Player(model, workflows, part).run()
    finally:
        if paused:
            gc.enable()


class _Player:
    def __init__(self, model: Model, workflows: dict[str, Workflow], part: Partition):
        self.model = model
        self.part = part
        self.clock = SimulatedClock(datetime(part.start.year, part.start.month, part.start.day))
        self.engine = Engine(workflows.values(), clock=self.clock, machines=_machines(workflows))
        self.workflow = workflows[model.workflow]
        rng = np.random.Generator(np.random.PCG64(part.seed))
        self.arrivals = arrival_moments(model, rng, 1.0, part.start, part.until, part.cases)
        self.cols = draw_cases(model, rng, len(self.arrivals))
        self.figures = Figures(part.origin, 0)
        self.cases: list[Any] = [None] * len(self.arrivals)
        # each step's play for each case (None: the step does not happen to it), see picks()
        self.picks = [picks(step, self.cols, len(self.arrivals)) for step in model.steps]
        # after_events schedule -> the cases with an event since its last run, to offer its next
        self.recent: dict[str, set[int]] = {}
        self.waiting: list[set[int]] = []  # the same sets, each case's event adds to
        self.heap: list[tuple] = []  # (moment, seq, case, step, attempt) of each case's next step
        self.nights: list[tuple] = []  # (moment, seq, key) of each schedule's next run, a heap
        self.seq = 0
        self.scheduled: dict[str, tuple[str, str]] = {}  # schedule key -> (workflow, event)
        self.screens: dict[str, Any] = {}  # schedule key -> Engine.screen of its event
        self.after_events: set[str] = set()  # the schedules offered to recent cases only
        self.actor = model.actor or {}
        self.prefix = f"{part.index + 1}-"  # of the case ids a model's `sequence:` gives
        # id(play) -> (its data's maker, its event, who fires it)
        self.how: dict[int, tuple[Maker, str, dict | None]] = {}
        self.fixed: dict[Delay, timedelta | None] = {}  # the fixed waits, as timedeltas
        for step in model.steps:
            self.fixed[step.after] = fixed_wait(step.after)
            for p in step.plays:
                while p is not None:
                    self.how[id(p)] = (data_maker(p.data), p.event, p.actor or self.actor or None)
                    if p.retry_after is not None:
                        self.fixed[p.retry_after] = fixed_wait(p.retry_after)
                    p = p.instead

    def push(self, moment: datetime, case: int, step: int, attempt: int = 0) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (moment, self.seq, case, step, attempt))

    def run(self) -> Figures:
        self.set_up()
        for i, moment in enumerate(self.arrivals):
            self.push(moment, i, 0)
        for name, sched in self.schedules():
            wf_name = name.split(":", 1)[0]
            self.scheduled[name] = (wf_name, sched.event)
            self.screens[name] = self.engine.screen(wf_name, sched.event, SYSTEM)
            if self.offered_after_events(name):
                self.after_events.add(name)
                self.recent[name] = set()
                self.waiting.append(self.recent[name])
            hour, minute = (int(x) for x in sched.at.split(":"))
            first = datetime(self.part.start.year, self.part.start.month, self.part.start.day, hour,
                             minute)
            self.seq += 1
            self.nights.append((first if first > self.clock() else first + DAY, self.seq, name))
        heapq.heapify(self.nights)
        last = datetime.combine(self.part.end, datetime.max.time()) if self.part.cases is None \
            else None
        heap, nights = self.heap, self.nights
        while heap:
            entry = heapq.heappop(heap)
            if nights and nights[0] < entry:
                self.run_nights(entry[0], entry[1], last)
            moment, _, case, step, attempt = entry
            if last is not None and moment > last:
                break
            self.clock.set(moment)
            if self.cases[case] is None:
                self.cases[case] = self.engine.create(self.model.workflow,
                                                      f"{self.model.workflow}-{case + 1}")
            self.advance(case, step, attempt, moment)
        # a period's nights run to its end; a number of cases ends with its last step
        if last is not None:
            self.run_nights(last, math.inf, last)
        if last is not None or self.arrivals:  # a number of cases: to the day of the last step
            end_day = self.part.end if last is not None else self.clock().date()
            self.figures.days = max(self.figures.days, (end_day - self.part.origin).days + 1)
        cycles = self.model.cycle_times
        for inst, arrived in zip(self.cases, self.arrivals, strict=True):
            if inst is not None:
                self.figures.fold(inst, arrived, cycles)
        self.figures.pack()
        return self.figures

    def set_up(self) -> None:
        """The other workflows' instances the model sets up (the SCO records at the sites), at the
        start."""
        for i, item in enumerate(self.model.setup):
            inst = self.engine.create(item.workflow, item.name or f"{item.workflow}-setup-{i + 1}")
            self.engine.fire(inst, item.event, dict(item.data), item.actor or self.actor or None)

    def schedules(self) -> list[tuple[str, Any]]:
        return [(f"{wf.name}:{name}", s) for wf in self.engine.workflows.values()
                for name, s in sorted(wf.schedules.items())]

    def offered_after_events(self, key: str) -> bool:
        """Whether a schedule is offered only to the cases with an event since its last run."""
        return self.model.overnight == "after_events" \
            and key.split(":", 1)[0] == self.model.workflow

    def run_nights(self, moment: datetime, seq: float, last: datetime | None) -> None:
        """Run the schedules due before the heap's entry (moment, seq), in the order one heap of
        cases and nights would give (the same keys: a night's seq is taken when the night before it
        runs). A night with no case to offer (the model's workflow, overnight after events, no event
        since that schedule's last run) does nothing; when it is the only schedule, neither does any
        night after it until a case's event, so it goes at once to its first night after the entry
        (and takes its seq now, as the night before that would have, with no entry in between)."""
        nights = self.nights
        while nights:
            night, nseq, key = nights[0]
            if night > moment or (night == moment and nseq >= seq):
                return
            if last is not None and night > last:
                return
            if key not in self.after_events or self.recent[key]:
                self.clock.set(night)
                self.overnight(key)
                night += DAY
            elif len(nights) == 1:  # the first night at or after `moment`, a day on at least
                days = moment.toordinal() - night.toordinal() + (moment.time() > night.time())
                night += timedelta(days=days if days > 1 else 1)
            else:
                night += DAY
            self.seq += 1
            heapq.heapreplace(nights, (night, self.seq, key))

    def overnight(self, key: str) -> None:
        """A schedule's event fired on each instance it may apply to, refusals ignored (as
        Engine.advance)."""
        wf_name, event = self.scheduled[key]
        if key in self.after_events:  # a case is offered each schedule's first run after its events
            recent, cases = self.recent[key], self.cases
            targets = [cases[case] for case in (sorted(recent) if len(recent) > 1 else recent)]
            recent.clear()
        else:
            targets = [i for i in self.engine.instances.values() if i.workflow.name == wf_name]
        fire, refused = self.engine.fire, self.screens[key]
        accepted = 0
        for inst in targets:
            if refused(inst):
                continue
            try:
                fire(inst, event, None, SYSTEM)
            except (Refused, Ambiguous):
                continue
            accepted += 1
        if accepted:
            self.figures.nightly[event] += accepted

    def advance(self, case: int, index: int, attempt: int, moment: datetime) -> None:
        """Play step `index` of a case (or the next one that applies) and put its next step on the
        heap; none when the case has no steps left (or its next step would come after the
        calendar's last day: it never comes)."""
        steps = self.model.steps
        inst = self.cases[case]
        while index < len(steps):
            step: Step = steps[index]
            play = self.picks[index][case]
            if play is None or (step.when is not None and inst.status not in step.when):
                index, attempt = index + 1, 0
                if index < len(steps):
                    moment = self.next_moment(moment, steps[index].after, case)
                    if moment is None:
                        return
                    if moment != self.clock():
                        self.push(moment, case, index)
                        return
                continue
            if self.fire(inst, play, case, moment):
                index += 1
            elif attempt < play.retries:
                delay = play.retry_after
                assert delay is not None
                retry = self.next_moment(moment, delay, case, attempt)
                if retry is None:
                    return
                self.push(retry, case, index, attempt + 1)
                return
            else:
                if play.instead is not None:
                    self.fire(inst, play.instead, case, moment)
                if play.then == "stop":
                    return
                index, attempt = index + 1, 0
            if index >= len(steps):
                break
            moment = self.next_moment(moment, steps[index].after, case)
            if moment is None:
                return
            self.push(moment, case, index)
            return

    def next_moment(self, moment: datetime, delay: Delay, case: int,
                    attempt: int = 0) -> datetime | None:
        """The moment a wait (a step's `after:`, or its `attempt`th retry's) ends; None when that is
        after the calendar's last day."""
        wait = self.fixed[delay] if delay.slot < 0 else self.cols[delay.slot + attempt][case]
        if not wait:
            return moment if wait is not None else None
        try:
            return moment + wait
        except OverflowError:
            return None

    def fire(self, inst: Any, play: Play, case: int, moment: datetime) -> bool:
        make, event, actor = self.how[id(play)]
        try:
            self.engine.fire(inst, event, make(self.cols, case, moment.date(), self.prefix), actor)
        except Refused as exc:
            for says in exc.reasons:
                self.figures.refusals[(event, says)] += 1
            return False
        except Ambiguous as exc:
            self.figures.refusals[(event, f"ambiguous: {'; '.join(exc.transitions)}")] += 1
            return False
        self.figures.events[event] += 1
        for waiting in self.waiting:
            waiting.add(case)
        return True
