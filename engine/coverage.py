"""Scenario coverage: the statuses, transitions, guard outcomes and effects of each workflow that
scenarios exercised."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from .model import Pos, Workflow
from .outcome import Trace

Key = tuple[Any, ...]
KINDS = ("statuses", "transitions", "guards", "effects")


@dataclass(frozen=True, slots=True)
class Unit:
    """One thing a scenario can exercise: a status, a transition, one outcome of a guard, an
    effect."""

    kind: str  # one of KINDS
    key: Key
    label: str
    pos: Pos

    def render(self) -> str:
        where = f"{_short(self.pos[0])}:{self.pos[1]}:{self.pos[2]}" if self.pos else "<input>"
        return f"{where}: {self.label}"


def _short(file: str) -> str:
    """A file relative to the current folder when it is inside it, as findings are written."""
    try:
        rel = os.path.relpath(file)
    except ValueError:  # another drive
        return file
    return file if rel.startswith("..") else rel


@dataclass
class WorkflowCoverage:
    """What the scenarios exercised of one workflow, against everything it holds."""

    name: str
    file: str
    units: list[Unit]
    hit: set[Key] = field(default_factory=set)

    def figure(self, kind: str) -> tuple[int, int]:
        of_kind = [u for u in self.units if u.kind == kind]
        return sum(u.key in self.hit for u in of_kind), len(of_kind)

    def percent(self, kind: str = "transitions") -> float:
        done, total = self.figure(kind)
        return 100.0 * done / total if total else 100.0

    def missing(self) -> list[Unit]:
        return [u for u in self.units if u.key not in self.hit]

    def to_json(self) -> dict:
        figures = {kind: dict(zip(("covered", "total"), self.figure(kind), strict=True)) | {
            "percent": round(self.percent(kind), 1)} for kind in KINDS}
        return {"workflow": self.name, "file": self.file, **figures,
                "not_exercised": [{"kind": u.kind, "what": u.label,
                                   "file": u.pos[0] if u.pos else "",
                                   "line": u.pos[1] if u.pos else 0,
                                   "col": u.pos[2] if u.pos else 0}
                                  for u in self.missing()]}


def _units(wf: Workflow) -> tuple[list[Unit], dict[int, Key], dict[int, Key], dict[int, Key]]:
    """Every unit of a workflow, and the keys of its transitions, guards and effects by object
    identity."""
    units = [Unit("statuses", ("status", name), f"status {name} never reached", st.pos)
             for name, st in wf.statuses.items()]
    transitions: dict[int, Key] = {}
    guards: dict[int, Key] = {}
    effects: dict[int, Key] = {}
    listed: set[Key] = set()

    def add_guards(owner: str, keys: Key, gs: Any) -> None:
        for k, g in enumerate(gs):
            key = ("guard", *keys, k)
            guards[id(g)] = key
            for outcome in ("passed", "refused"):
                units.append(Unit("guards", (*key, outcome),
                                  f"guard of {owner} never {outcome}: {g.check.text}",
                                  g.pos))

    for ev in wf.events.values():
        add_guards(f"event {ev.name}", (ev.name, None), ev.guards)
        for i, tr in enumerate(ev.transitions):
            sources = ", ".join(tr.sources) if len(tr.sources) <= 3 \
                else f"{tr.sources[0]} and {len(tr.sources) - 1} more"
            what = f"{ev.name}: {sources} -> {tr.target or '(same status)'}"
            key = ("transition", ev.name, i)
            transitions[id(tr)] = key
            units.append(Unit("transitions", key, f"transition {what} never taken", tr.pos))
            add_guards(f"transition {what}", (ev.name, i), tr.guards)
            # `set: {a, b}` and `close: [A, B]` are one effect in the file
            for j, ef in enumerate(tr.effects):
                key = ("effect", ev.name, i, ef.pos or j)
                if key not in listed:
                    listed.add(key)
                    units.append(Unit("effects", key,
                                      f"effect {ef.kind} {ef.target} of {what} never applied",
                                      ef.pos or tr.pos))
                effects[id(ef)] = key
    return units, transitions, guards, effects


class Coverage:
    """Collects traces (pass `record` as `trace` to run_scenario) and reports per workflow.

    A trace is told when an event is *decided*. The guards it evaluated count at once, but the
    transition, the status it reaches and the effects count only once the event has happened: an
    event started or signalled on another instance is decided inside the event that starts it, and
    is undone with it when that one is refused afterwards. So a decided event waits until its
    history entry appears on its instance (the engine commits every decided event it keeps).
    """

    def __init__(self) -> None:
        self._by_workflow: dict[tuple[str, str], WorkflowCoverage] = {}
        # id(workflow) -> (the workflow, kept alive so that its id stays its own; coverage; key
        # maps)
        self._maps: dict[int, tuple[Workflow, WorkflowCoverage, dict[int, Key], dict[int, Key],
                                    dict[int, Key]]] = {}
        # decided, not yet seen committed: (trace, its instance's history length when it was
        # decided, keys)
        self._pending: list[tuple[Trace, int, WorkflowCoverage, list[Key]]] = []

    def _for(self, wf: Workflow) -> tuple[Workflow, WorkflowCoverage, dict[int, Key],
                                          dict[int, Key], dict[int, Key]]:
        found = self._maps.get(id(wf))
        if found is None:
            units, transitions, guards, effects = _units(wf)
            cov = self._by_workflow.setdefault((wf.file, wf.name),
                                               WorkflowCoverage(wf.name, wf.file, units))
            found = self._maps[id(wf)] = (wf, cov, transitions, guards, effects)
        return found

    def include(self, wf: Workflow) -> None:
        """Report on `wf` even if no scenario fires an event on it (it is then 0% covered)."""
        self._for(wf)

    def record(self, trace: Trace) -> None:
        self._settle()
        _wf, cov, transitions, guards, effects = self._for(trace.instance.workflow)
        hit = cov.hit
        hit.add(("status", trace.status))
        for g, passed in trace.guards:
            hit.add((*guards[id(g)], "passed" if passed else "refused"))
        if trace.transition is not None:
            taken = [transitions[id(trace.transition)],
                     ("status", trace.transition.target_from(trace.status)),
                     *(effects[id(ef)] for ef in trace.effects)]
            self._pending.append((trace, trace.instance.events, cov, taken))

    def _settle(self) -> None:
        """Count the decided events that have since happened; forget those that never will."""
        waiting = []
        for item in self._pending:
            trace, n, cov, taken = item
            if trace.instance.events <= n:
                # not committed (yet): a started instance that was undone stays here
                waiting.append(item)
                continue
            entry = trace.instance.entry(n)
            tr = trace.transition
            assert tr is not None
            if (entry.event, entry.from_, entry.to, entry.source) == (
                    trace.event, trace.status, tr.target_from(trace.status), tr.source):
                cov.hit.update(taken)
        self._pending = waiting

    def results(self) -> list[WorkflowCoverage]:
        self._settle()
        return sorted(self._by_workflow.values(), key=lambda c: (c.name, c.file))


def coverage_text(results: list[WorkflowCoverage]) -> str:
    lines = []
    for cov in results:
        lines.append(f"coverage of {cov.name} ({_short(cov.file)})")
        for kind in KINDS:
            done, total = cov.figure(kind)
            unit = " outcomes" if kind == "guards" else ""
            lines.append(f"  {kind:<12} {done}/{total}{unit} ({cov.percent(kind):.1f}%)")
        missing = cov.missing()
        if missing:
            lines.append(f"  not exercised ({len(missing)}):")
            lines.extend(f"    {u.render()}" for u in missing)
    return "\n".join(lines)


def shortfall_text(cov: WorkflowCoverage, min_percent: float) -> str:
    """A workflow whose transitions the scenarios take less than `min_percent` of, said so."""
    return (f"coverage of {cov.name}: {cov.percent('transitions'):.1f}% of its transitions, below "
            f"--min {min_percent:g}")
