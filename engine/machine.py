"""The one module that uses the `transitions` library: a workflow compiled, once, when it is loaded.

`transitions` is given the statuses and every transition of the workflow (one `Machine` with no
model attached, `model=None`, and no automatic transitions). It checks that each names statuses
that exist, and it files them by event and source status in declaration order; that event table
is read back as the engine's dispatch table and the machine is then dropped. An instance stays
plain data: firing an event costs a dictionary lookup, not a method bound to every instance
(attaching each case with `add_model` costs time and about 6 KiB per case; see README).

Everything else the engine needs to run a transition is compiled here too, when the workflow is
held, never on the first event: each transition's effects as `plan.steps` gives them, the fields
it changes, the guards' verdicts when they all hold, and the fields locked after each event.
"""
from __future__ import annotations

from collections.abc import Callable

from transitions import Machine

from .instance import _EMPTY
from .model import Effect, Guard, Transition, Workflow
from .plan import Assignments, steps

# lock maps compiled ahead at most; beyond, each is made when it is needed (see locked_after)
_LOCK_STATES = 256


class Step:
    """A transition as the engine runs it: the transition, its effects as `plan.steps` gives them,
    the fields its effects may change, and which of those queries index (set by the engine that
    holds it: queries of other workflows may index them)."""

    __slots__ = ("transition", "effects", "changes", "indexed", "held")

    def __init__(self, transition: Transition, wf: Workflow):
        self.transition = transition
        self.effects: tuple[Effect | Assignments, ...] = steps(transition, wf)
        self.changes = frozenset(ef.target for ef in transition.effects
                                 if ef.kind in ("set", "number", "append"))
        self.indexed: tuple[str, ...] = ()
        self.held: tuple[tuple[Guard, bool], ...] = tuple((g, True) for g in transition.guards)


class CompiledMachine:
    """A workflow as the engine runs it: `table` maps (event, status) to the Steps of that event
    from that status, in declaration order; `held` gives each event's guards with the verdict True
    (all passed)."""

    __slots__ = ("workflow", "table", "held", "fast", "_locks")

    def __init__(self, workflow: Workflow, table: dict[tuple[str, str], tuple[Step, ...]]):
        self.workflow = workflow
        self.table = table
        # (event, status) of `table` -> that event decided by one function (see fast), made by the
        # engine the first time the event is fired from the status
        self.fast: dict[tuple[str, str], Callable] = {}
        self.held = {name: tuple((g, True) for g in event.guards)
                     for name, event in workflow.events.items()}
        self._locks = _lock_maps(workflow)

    def steps(self) -> list[Step]:
        """Every Step of the workflow, once each."""
        seen: dict[int, Step] = {}
        for found in self.table.values():
            for step in found:
                seen.setdefault(id(step), step)
        return list(seen.values())

    def locked_after(self, locked: dict[str, str], event: str) -> dict[str, str]:
        """The fields locked once `event` has happened after those of `locked` (field -> the event
        that locked it first): one shared map for each, compiled with the workflow."""
        found = self._locks.get((id(locked), event))
        return found if found is not None else _lock(self.workflow, locked, event)


def _lock(wf: Workflow, locked: dict[str, str], event: str) -> dict[str, str]:
    found = dict(locked)
    ev = wf.events[event]
    for name in wf.locks[event]:
        found.setdefault(name, f"'{ev.title}' ({ev.source})")
    return found


def _lock_maps(wf: Workflow) -> dict[tuple[int, str], dict[str, str]]:
    """(id of a lock map, event) -> the lock map after it, for the maps reachable from none
    locked."""
    maps: dict[tuple[int, str], dict[str, str]] = {}
    known: dict[tuple, dict[str, str]] = {(): _EMPTY}
    todo = [_EMPTY]
    while todo and len(known) < _LOCK_STATES:
        locked = todo.pop()
        for event in wf.locks:
            after = _lock(wf, locked, event)
            key = tuple(after.items())
            if key not in known:
                known[key] = after
                todo.append(after)
            maps[(id(locked), event)] = known[key]
    return maps


def compile_machine(workflow: Workflow) -> CompiledMachine:
    """The compiled workflow: the dispatch table read back from its `transitions` machine, with its
    Steps."""
    machine = Machine(
        model=None,
        states=list(workflow.statuses),
        initial=workflow.initial,
        auto_transitions=False,
        send_event=True,
        ignore_invalid_triggers=False,
    )
    owner: dict[int, Step] = {}
    for transition in workflow.transitions():
        step = Step(transition, workflow)
        for source in transition.sources:
            # dest None is transitions' internal transition: the event keeps the status
            machine.add_transition(transition.event, source, transition.target)
            added = machine.events[transition.event].transitions[source][-1]
            owner[id(added)] = step
    table: dict[tuple[str, str], tuple[Step, ...]] = {}
    for name, event in machine.events.items():
        for source, lib_transitions in event.transitions.items():
            table[(name, source)] = tuple(owner[id(t)] for t in lib_transitions)
    return CompiledMachine(workflow, table)
