"""The engine: holds workflows, their compiled machines, the instances and the clock, and fires
events on instances: decide (pure, see decide) then commit (apply).

`Engine.decide` computes the whole outcome of an event — the transition taken, the new fields,
intrays, letters and history entry — without touching the instance. `Engine.commit` then swaps
it in. A refused event, or one whose effect fails, raises before anything is committed, so the
instance, its intrays, letters and history stay exactly as they were.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime

from .controls import control_in, visible
from .decide import decide, refuses, screen
from .fast import compile_fast
from .findings import Ambiguous, Refused
from .instance import _EMPTY, Instance, append_history, kept_actor
from .judge import option
from .machine import CompiledMachine, compile_machine
from .model import Query, Workflow
from .outcome import Context, EventOption, Outcome, Trace, check_related
from .queries import QueryIndex
from .schedules import due_runs
from .snapshot import read_state, write_state

__all__ = ["Engine", "EventOption", "Outcome", "Trace"]


class Engine:
    """Holds workflows, their compiled machines, the instances and the clock; fires and commits
    events."""

    def __init__(self, workflows: Iterable[Workflow] = (),
                 clock: Callable[[], datetime] | None = None,
                 machines: dict[str, CompiledMachine] | None = None):
        """`machines`, when given, is where compiled machines are kept by version and found again:
        engines holding the same versions of the same workflows may share one (a machine's steps
        know which of their fields the engine's queries index, so engines holding other workflows
        must not)."""
        from .clock import SystemClock

        self.clock: Callable[[], datetime] = clock or SystemClock()
        # the current version of each, by name: new cases start on it
        self.workflows: dict[str, Workflow] = {}
        # every version held, by name and version (content hash); an instance runs on the one it was
        # started on
        self.versions: dict[str, dict[str, Workflow]] = {}
        self.compiled: dict[str, CompiledMachine] = {}  # by version: what decide() dispatches on
        # finds a version no longer held, for restore(): (workflow name, version) -> Workflow, or
        # LookupError(why)
        self.find_version: Callable[[str, str], Workflow] | None = None
        self.instances: dict[str, Instance] = {}
        self.sequences: dict[tuple[str, str], int] = {}
        self.index = QueryIndex(self.workflows)
        # told what each decided event exercised (coverage)
        self.trace: Callable[[Trace], None] | None = None
        self._actors: dict[tuple, dict] = {}  # see instance.kept_actor
        self._machines = machines
        for wf in workflows:
            self.add_workflow(wf)

    @property
    def queries(self) -> dict[str, Query]:
        return self.index.queries

    # -- set-up ---------------------------------------------------------------------------
    def add_workflow(self, workflow: Workflow, *, current: bool = True) -> Workflow:
        """Hold a workflow. The current version (the default) is the one new cases start on; the
        instances already running keep the version they run on, which stays held. `current=False`
        holds an older version only, for restoring the cases still on it. Returns the workflow as
        held (one built in code without a version is given one, so that each version has its own
        machine)."""
        shared = self._machines if workflow.version else None  # unversioned: named by this engine
        if not workflow.version:
            n = len(self.versions.get(workflow.name, ())) + 1
            workflow = replace(workflow, version=f"{workflow.name}-unversioned-{n}")
        machine = shared.get(workflow.version) if shared is not None else None
        if machine is None:
            machine = compile_machine(workflow)
            if shared is not None:
                shared[workflow.version] = machine
        self.versions.setdefault(workflow.name, {})[workflow.version] = workflow
        self.compiled[workflow.version] = machine
        self.index.by_workflow.setdefault(workflow.name, {})
        if current:
            self.workflows[workflow.name] = workflow
            self.index.add_workflow(workflow)
        for held in self.versions[workflow.name].values():  # the fields indexed may have changed
            indexed = self.index.indexed.get(workflow.name, ())
            for step in self.compiled[held.version].steps():
                step.indexed = tuple(f for f in indexed if f in step.changes)
        return workflow

    def version(self, name: str, version: str, instance: str = "") -> Workflow:
        """The workflow `name` at `version`: held, or found by `find_version`; Refused, saying why,
        when it is not available (an instance is never bound to another version than its own)."""
        held = self.versions.get(name, _EMPTY).get(version)
        if held is not None:
            return held
        who = f"instance {instance}" if instance else "an instance"
        known = ", ".join(self.versions.get(name, _EMPTY)) or "none"
        why = f"this engine holds only version(s) {known}"
        if self.find_version is not None:
            try:
                found = self.find_version(name, version)
            except LookupError as exc:
                why = str(exc.args[0]) if exc.args else why
            else:
                if found.name == name and found.version == version:
                    return self.add_workflow(found, current=False)
                why = f"what was found is version {found.version} of {found.name}"
        raise Refused("restore",
                      [f"{who} runs on version {version} of {name}, which is no longer "
                       f"available: {why}"])

    def create(self, workflow: str, name: str | None = None) -> Instance:
        wf = self.workflows.get(workflow)
        if wf is None:
            raise Refused("create",
                          [f"unknown workflow '{workflow}' (known: "
                           f"{', '.join(self.workflows) or 'none'})"])
        name = name or f"{workflow}-{len(self.instances) + 1}"
        if not isinstance(name, str) or control_in(name):
            raise Refused("create",
                          ["an instance name is text without control characters, not "
                           f"{visible(repr(name)):.60}"])
        if name in self.instances:
            raise Refused("create", [f"an instance called '{name}' already exists"])
        inst = Instance(name, wf)
        self.instances[name] = inst
        self.index.add(inst)
        return inst

    def restore(self, state: dict) -> Instance:
        """An instance from its JSON (as `state()` gives it): the way a store is read back.
        Everything is read before the instance is held: a bad store adds nothing."""
        stored = read_state(state, self.workflows, self.version)
        wf = stored.workflow
        inst = self.create(wf.name, stored.name)
        inst.workflow = wf
        inst.status = stored.status
        indexed = self.index.indexed.get(wf.name)
        if indexed:
            self.index.reindex(inst, stored.fields, indexed)
        inst.fields, inst.intrays, inst.letters, inst.history = (stored.fields, stored.intrays,
                                                                 stored.letters,
                                                                 stored.history)
        machine = self.compiled[wf.version]
        for h in stored.history:
            if h.event in wf.locks:
                inst.locked = machine.locked_after(inst.locked, h.event)
        for event in wf.events.values():  # numbering goes on after the highest number in the store
            for tr in event.transitions:
                for ef in tr.effects:
                    if ef.kind == "number" and isinstance(inst.fields.get(ef.target), int):
                        key = (wf.name, ef.target)
                        self.sequences[key] = max(self.sequences.get(key, 0),
                                                  inst.fields[ef.target])
        return inst

    def forget(self, name: str) -> None:
        """Stop holding an instance (a store refreshing its copy of a case); nothing else
        changes."""
        inst = self.instances.pop(name, None)
        if inst is None:
            return
        self.index.remove(inst)

    def instance(self, name: str) -> Instance:
        try:
            return self.instances[name]
        except KeyError:
            raise Refused("instance", [f"no instance called '{name}'"]) from None

    def state(self, inst: Instance) -> dict:
        """The instance as the JSON of the scenario spec."""
        return write_state(inst)

    # -- firing ---------------------------------------------------------------------------
    def fire(self, inst: Instance, event: str, data: dict | None = None,
             actor: dict | None = None) -> Outcome:
        """Decide and commit: the event happens entirely, or Refused/Ambiguous and nothing
        changes."""
        kept = _EMPTY if actor is None else kept_actor(self._actors, actor)
        outcome = None
        if self.trace is None:  # the event decided by the function made for it, when it is plain
            machine = self.compiled[inst.workflow.version]
            key = (event, inst.status)
            fast = machine.fast.get(key)
            if fast is None and key in machine.table:
                fast = machine.fast[key] = compile_fast(inst.workflow, machine, event, inst.status)
            if fast is not None:
                outcome = fast(self, inst, data, kept, self.clock())
        if outcome is None:  # decided in full: it says why an event is refused
            outcome = decide(self, inst, event, data, kept, self.clock(), self.trace)
        if outcome.spawned or outcome.others:  # decided just now from the instance as it is
            check_related(outcome, self.instances, {inst.name})
        self._commit(outcome)
        return outcome

    def decide(self, inst: Instance, event_name: str, data: dict | None = None,
               actor: dict | None = None) -> Outcome:
        """The outcome of an event on an instance now, computed without changing anything (see
        decide)."""
        kept = _EMPTY if actor is None else kept_actor(self._actors, actor)
        return decide(self, inst, event_name, data, kept, self.clock(), self.trace)

    def refuses(self, inst: Instance, event_name: str, actor: dict | None = None) -> bool:
        """Whether the event, without data, is certainly refused now: see decide.refuses."""
        if self.trace is not None:  # a trace is told of every refusal: decide it
            return False
        return refuses(self, inst, event_name, _EMPTY if actor is None else actor,
                       self.clock(), self.compiled[inst.workflow.version].table, self._actors)

    def screen(self, workflow: str, event_name: str,
               actor: dict | None = None) -> Callable[[Instance], bool]:
        """Engine.refuses for one event of a workflow and one actor, made once and asked of each
        instance (what a schedule's run does), at the clock's time when asked."""
        wf = self.workflows[workflow]
        fast = screen(self, wf, event_name, _EMPTY if actor is None else actor, self.clock,
                      self.compiled[wf.version].table, self._actors)

        def refused(inst: Instance) -> bool:
            if self.trace is not None:  # a trace is told of every refusal: decide it
                return False
            if inst.workflow is wf:
                return fast(inst)
            return self.refuses(inst, event_name, actor)
        return refused

    def commit(self, o: Outcome) -> None:
        """Apply a decided outcome, all of it; or Refused, before anything changes, when it was
        decided from an instance that has changed since (it was committed already, or another event
        came first), or would change one instance twice (an event signalling an instance that
        signals it back)."""
        if o.base is not o.instance.fields:
            raise Refused("commit", [f"{o.instance.name} has changed since this outcome was "
                                     f"decided: decide it again"])
        if o.spawned or o.others:
            check_related(o, self.instances, {o.instance.name})
        self._commit(o)

    def _commit(self, o: Outcome) -> None:
        """Apply an outcome checked by commit(). Nothing here can fail."""
        inst = o.instance
        # decided from the fields as they are: only those the transition sets may change
        indexed = o.step.indexed
        if indexed:
            self.index.reindex(inst, o.fields, indexed)
        inst.status = o.status
        inst.fields = o.fields
        inst.trays = o.trays
        if o.letters:
            inst.letters = [*inst.letters, *o.letters]
        append_history(inst, o.logged)
        inst.locked = o.locked
        if o.numbers:
            self.sequences.update(o.numbers)
        if o.spawned:
            for sub in o.spawned:
                child = sub.instance
                if child.name not in self.instances:
                    self.instances[child.name] = child
                    self.index.add(child)
                self._commit(sub)
        if o.others:
            for other, fields, logged, _ in o.others:
                indexed = self.index.indexed.get(other.workflow.name)
                if indexed:
                    self.index.reindex(other, fields, indexed)
                other.fields = fields
                append_history(other, logged)

    # -- queries --------------------------------------------------------------------------
    def run_query(self, name: str, args: tuple | list, now: datetime | None = None) -> list[dict]:
        """The records (fields, status, instance name) a declared query finds, in its order."""
        return self.index.run_query(name, args, now or self.clock())

    def search(self, name: str, given: dict, now: datetime | None = None) -> list[dict]:
        """A declared query with its parameters by name (as a scenario step or the CLI gives
        them)."""
        return self.index.search(name, given, now or self.clock())

    def query_params(self, query: Query, given: dict) -> dict:
        return self.index.query_params(query, given)

    # -- the clock ------------------------------------------------------------------------
    def advance(self, to: datetime) -> list[Outcome]:
        """Move a simulated clock to `to`, firing every schedule whose time comes on the way, in
        order."""
        clock = self.clock
        if not hasattr(clock, "set"):
            raise Refused("advance", ["only a simulated clock can be moved: "
                                      "this engine reads the system clock"])
        if not isinstance(to, datetime):
            raise Refused("advance", ["the clock moves to a date and time, "
                                      f"not {type(to).__name__} {to!r:.60}"])
        start = clock()
        if to < start:
            raise Refused("advance", [f"the clock cannot move backwards: {to} is before {start}"])
        fired = []
        system = {"role": "system"}
        for moment, wf_name, event in due_runs(self.workflows.values(), start, to):
            clock.set(moment)  # type: ignore[attr-defined]
            for inst in list(self.index.by_workflow.get(wf_name, _EMPTY).values()):
                try:
                    fired.append(self.fire(inst, event, None, system))
                except (Refused, Ambiguous):
                    continue
        clock.set(to)  # type: ignore[attr-defined]
        return fired

    # -- asking ---------------------------------------------------------------------------
    def explain(self, inst: Instance, event: str, data: dict | None = None,
                actor: dict | None = None) -> list[str]:
        """Why this event cannot happen now with this data: the refusing guards' sentences ([] if it
        can)."""
        try:
            self.decide(inst, event, data, actor)
        except (Refused, Ambiguous) as exc:
            return getattr(exc, "reasons", None) or [str(exc)]
        return []

    def options(self, inst: Instance, actor: dict | None = None) -> list[EventOption]:
        """Every event of the workflow: can it be fired now (for some data), and if not, why not."""
        return [self.option(inst, name, actor) for name in inst.workflow.events]

    def option(self, inst: Instance, event_name: str, actor: dict | None = None) -> EventOption:
        """Whether the event can fire now for some data: the guards that read no event data must
        hold."""
        wf = inst.workflow
        event = wf.events.get(event_name)
        if event is None:
            raise Refused(event_name, [f"unknown event '{event_name}' in workflow {wf.name}"])
        ctx = Context(self.clock(), inst.status, actor if actor is not None else _EMPTY, inst.trays,
                      self, inst.name)
        return option(event, inst.status, self.compiled[wf.version], inst.fields, ctx)
