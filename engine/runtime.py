"""Firing events on instances (see instance): decide (pure) then commit (apply).

`Engine.decide` computes the whole outcome of an event — the transition taken, the new fields,
intrays, letters and history entry — without touching the instance. `Engine.commit` then swaps
it in. A refused event, or one whose effect fails, raises before anything is committed, so the
instance, its intrays, letters and history stay exactly as they were.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from .findings import Ambiguous, Refused
from .instance import _EMPTY, HistoryEntry, Instance, Intray, Letter, append_history, entry_of
from .machine import CompiledMachine, compile_machine
from .model import (
    TRAY_ABOUT,
    TRAY_ASSIGNED,
    TRAY_CLOSED,
    TRAY_CODE,
    Effect,
    Event,
    Expr,
    Guard,
    Query,
    Transition,
    Workflow,
)
from .plan import Assignments, steps
from .values import COERCERS, ValueProblem, coerce, to_json

_UNSET = object()  # a field not in an instance's fields (see _apply)
_ACTORS_SHARED = 10_000  # distinct actors whose copies are shared between history entries (see Engine._kept)


class Context:
    """What expressions see besides data and fields: the clock, the status, the actor, the intrays."""

    __slots__ = ("today", "now", "status", "actor", "intrays", "engine", "instance")

    def __init__(self, now: datetime, status: str, actor: dict, intrays: list[tuple], engine: Engine | None = None,
                 instance: str = ""):
        self.instance = instance
        self.now = now
        self.today = now.date()
        self.status = status
        self.actor = actor
        self.intrays = intrays
        self.engine = engine

    def query(self, name: str, *args: Any) -> list[dict]:
        """The records a declared query finds among the engine's instances (see Engine.run_query)."""
        assert self.engine is not None
        return self.engine.run_query(name, args, self.now)


@dataclass(slots=True, eq=False)
class Outcome:
    """An accepted event, computed but not yet applied. Intrays are kept as tuples (see Instance): `intrays`,
    `opened` and `closed` give them as Intray records."""

    instance: Instance
    transition: Transition
    status: str
    fields: dict
    trays: list[tuple]
    letters: list[Letter]
    logged: tuple  # its history entry, as the log keeps it (see Instance)
    base: dict  # the instance's fields it was decided from (commit refuses it if they have changed since)
    opened_trays: list[tuple]
    closed_trays: list[tuple]
    numbers: dict
    locked: dict[str, str]
    # other instances changed by `update:` effects: (instance, new fields, history entry, fields decided from)
    others: list[tuple[Instance, dict, tuple, dict]] | None = None
    spawned: list[Outcome] | None = None  # events on other instances started or signalled by `start:`/`signal:`

    @property
    def intrays(self) -> list[Intray]:
        return [Intray(*t) for t in self.trays]

    @property
    def entry(self) -> HistoryEntry:
        return entry_of(self.logged)

    @property
    def opened(self) -> list[Intray]:
        return [Intray(*t) for t in self.opened_trays]

    @property
    def closed(self) -> list[Intray]:
        return [Intray(*t) for t in self.closed_trays]


@dataclass(slots=True, eq=False)
class Trace:
    """What one decided event exercised, given to `Engine.trace` when it is set (coverage).

    `guards` are the guards evaluated, as decide() evaluates them, each with whether it passed;
    `transition` is None and `effects` empty when the event was refused.
    """

    instance: Instance
    event: str
    status: str
    transition: Transition | None
    guards: list[tuple[Guard, bool]]
    effects: tuple[Effect, ...]


@dataclass(slots=True, eq=False)
class EventOption:
    """An event as offered now: whether it can be fired, and if not, why."""

    event: str
    title: str
    allowed: bool
    reasons: list[str]


class Engine:
    """Holds workflows, their compiled machines, the instances and the clock."""

    def __init__(self, workflows: Iterable[Workflow] = (), clock: Callable[[], datetime] | None = None):
        from .clock import SystemClock

        self.clock: Callable[[], datetime] = clock or SystemClock()
        self.workflows: dict[str, Workflow] = {}  # the current version of each, by name: new cases start on it
        # every version held, by name and version (content hash); an instance runs on the one it was started on
        self.versions: dict[str, dict[str, Workflow]] = {}
        self.compiled: dict[str, CompiledMachine] = {}  # by version: what decide() dispatches on
        # finds a version no longer held, for restore(): (workflow name, version) -> Workflow, or LookupError(why)
        self.find_version: Callable[[str, str], Workflow] | None = None
        self.instances: dict[str, Instance] = {}
        self.sequences: dict[tuple[str, str], int] = {}
        self._lock_maps: dict[tuple[int, str, str], dict[str, str]] = {}
        self.queries: dict[str, Query] = {}
        self._by_workflow: dict[str, dict[str, Instance]] = {}
        # (workflow, field) -> value -> {instance name: instance}, for the fields queries `match` on
        self._indexes: dict[tuple[str, str], dict[Any, dict[str, Instance]]] = {}
        self._indexed: dict[str, tuple[str, ...]] = {}
        self._trace: Callable[[Trace], None] | None = None
        self._skipped: list[Effect] | None = None  # effects whose `if:` did not hold, while tracing
        # by id() of a held transition: its effects as plan.steps gives them, and the indexed fields they may change
        self._actors: dict[tuple, dict] = {}  # see _kept
        self._plans: dict[int, tuple[tuple[Effect | Assignments, ...], tuple[str, ...]]] = {}
        for wf in workflows:
            self.add_workflow(wf)

    # -- set-up ---------------------------------------------------------------------------
    def add_workflow(self, workflow: Workflow, *, current: bool = True) -> Workflow:
        """Hold a workflow. The current version (the default) is the one new cases start on; the instances
        already running keep the version they run on, which stays held. `current=False` holds an older
        version only, for restoring the cases still on it. Returns the workflow as held (one built in code
        without a version is given one, so that each version has its own machine)."""
        if not workflow.version:
            from dataclasses import replace

            workflow = replace(workflow, version=f"{workflow.name}-unversioned-{len(self.versions.get(workflow.name, ())) + 1}")
        machine = compile_machine(workflow)
        self.versions.setdefault(workflow.name, {})[workflow.version] = workflow
        self.compiled[workflow.version] = machine
        self._by_workflow.setdefault(workflow.name, {})
        if not current:
            return workflow
        self.workflows[workflow.name] = workflow
        for query in workflow.queries.values():
            self.queries[query.name] = query
            for field_name, _ in query.match:
                self._indexes.setdefault((workflow.name, field_name), {})
        self._indexed[workflow.name] = tuple(f for (w, f) in self._indexes if w == workflow.name)
        self._plans.clear()  # the fields indexed may have changed
        return workflow

    def version(self, name: str, version: str, instance: str = "") -> Workflow:
        """The workflow `name` at `version`: held, or found by `find_version`; Refused, saying why, when it is
        not available (an instance is never bound to another version than its own)."""
        held = self.versions.get(name, _EMPTY).get(version)
        if held is not None:
            return held
        who = f"instance {instance}" if instance else "an instance"
        why = f"this engine holds only version(s) {', '.join(self.versions.get(name, _EMPTY)) or 'none'}"
        if self.find_version is not None:
            try:
                found = self.find_version(name, version)
            except LookupError as exc:
                why = str(exc.args[0]) if exc.args else why
            else:
                if found.name == name and found.version == version:
                    return self.add_workflow(found, current=False)
                why = f"what was found is version {found.version} of {found.name}"
        raise Refused("restore", [f"{who} runs on version {version} of {name}, which is no longer available: {why}"])

    def create(self, workflow: str, name: str | None = None) -> Instance:
        wf = self.workflows.get(workflow)
        if wf is None:
            raise Refused("create", [f"unknown workflow '{workflow}' (known: {', '.join(self.workflows) or 'none'})"])
        name = name or f"{workflow}-{len(self.instances) + 1}"
        if name in self.instances:
            raise Refused("create", [f"an instance called '{name}' already exists"])
        inst = Instance(name, wf)
        self.instances[name] = inst
        self._by_workflow[wf.name][name] = inst
        return inst

    def restore(self, state: dict) -> Instance:
        """An instance from its JSON (as `state()` gives it): the way a store is read back."""
        from .clock import parse_moment

        if not isinstance(state, Mapping):
            raise Refused("restore", [f"a stored instance is a mapping as `state()` writes it, not "
                                      f"{type(state).__name__} {state!r:.60}"])
        wf = self.workflows.get(state["workflow"]) if isinstance(state.get("workflow"), str) else None
        if wf is None:
            raise Refused("restore", [f"unknown workflow '{state.get('workflow')}'"])
        version = state.get("version")
        if version and version != wf.version:  # the case keeps the version it was started on
            wf = self.version(wf.name, str(version), str(state.get("instance", "")))
        label = state.get("instance")
        if not isinstance(label, str) or not label:
            raise Refused("restore", ["a stored instance has no name ('instance')"])
        if not isinstance(state.get("status"), str) or state["status"] not in wf.statuses:
            raise Refused("restore", [f"{label}: unknown status '{state.get('status')}'"])
        if not isinstance(state.get("fields") or {}, dict):
            raise Refused("restore", [f"{label}: its fields are not a mapping of field names to values"])
        fields = {}
        for name, value in (state.get("fields") or {}).items():
            spec = wf.fields.get(name)
            if spec is None:
                raise Refused("restore", [f"{label}: unknown field '{name}'"])
            try:
                fields[name] = coerce(spec, value, wf.lists)
            except ValueProblem as exc:
                raise Refused("restore", [f"{label}: {exc}"]) from None

        def moment(value: Any, needed: bool = True) -> datetime | None:
            if value is None and needed:
                raise ValueError("a date and time is missing")
            return None if value is None else parse_moment(value)

        def mapping(value: Any) -> dict:
            if not isinstance(value, Mapping):
                raise TypeError(f"{value!r:.60} is not a mapping")
            return dict(value)

        try:  # everything is read before the instance is registered: a bad store adds nothing
            intrays = [Intray(i["code"], moment(i["opened"]), moment(i["due"]), i.get("about"), i.get("assigned_to"),
                              moment(i.get("closed"), needed=False)) for i in state.get("intrays") or []]
            letters = [Letter(lt["code"], tuple(lt["to"]), moment(lt["issued"])) for lt in state.get("letters") or []]
            history = [HistoryEntry(moment(h["at"]), h["event"], mapping(h.get("actor") or {}),
                                    mapping(h.get("data") or {}), h["from"], h["to"], h.get("source", ""))
                       for h in state.get("history") or []]
            if not all(isinstance(v, str) for h in history for v in (h.event, h.from_, h.to)):
                raise TypeError("an event or status that is not a name")
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            what = f"missing '{exc.args[0]}'" if isinstance(exc, KeyError) else str(exc)
            raise Refused("restore", [f"{label}: an intray, letter or history entry is not as `state()` writes it: "
                                      f"{what}"]) from None
        inst = self.create(wf.name, label)
        inst.workflow = wf
        inst.status = state["status"]
        indexed = self._indexed.get(wf.name)
        if indexed:
            self._reindex(inst, fields, indexed)
        inst.fields, inst.intrays, inst.letters, inst.history = fields, intrays, letters, history
        for h in history:
            if h.event in wf.locks:
                inst.locked = self._locked_after(inst, wf.events[h.event])
        for event in wf.events.values():  # numbering goes on after the highest number in the store
            for tr in event.transitions:
                for ef in tr.effects:
                    if ef.kind == "number" and isinstance(fields.get(ef.target), int):
                        key = (wf.name, ef.target)
                        self.sequences[key] = max(self.sequences.get(key, 0), fields[ef.target])
        return inst

    def forget(self, name: str) -> None:
        """Stop holding an instance (a store refreshing its copy of a case); nothing else changes."""
        inst = self.instances.pop(name, None)
        if inst is None:
            return
        self._by_workflow.get(inst.workflow.name, {}).pop(name, None)
        indexed = self._indexed.get(inst.workflow.name)
        if indexed:
            self._reindex(inst, _EMPTY, indexed)

    def instance(self, name: str) -> Instance:
        try:
            return self.instances[name]
        except KeyError:
            raise Refused("instance", [f"no instance called '{name}'"]) from None

    # -- firing ---------------------------------------------------------------------------
    def fire(self, inst: Instance, event: str, data: dict | None = None, actor: dict | None = None) -> Outcome:
        """Decide and commit: the event happens entirely, or Refused/Ambiguous and nothing changes."""
        outcome = self.decide(inst, event, data, actor)
        if outcome.spawned or outcome.others:  # decided just now from the instance as it is
            self._check_related(outcome, {inst.name})
        self._commit(outcome)
        return outcome

    def decide(self, inst: Instance, event_name: str, data: dict | None = None,
               actor: dict | None = None) -> Outcome:
        """The outcome of an event on an instance, computed without changing anything."""
        wf = inst.workflow
        event = wf.events.get(event_name)
        if event is None:
            raise Refused(event_name, [f"unknown event '{event_name}' in workflow {wf.name}"])
        candidates = self.compiled[wf.version].table.get((event_name, inst.status))
        if not candidates:
            raise Refused(event_name, [event.unavailable_in(inst.status)])
        now = self.clock()
        ctx = Context(now, inst.status, _EMPTY if actor is None else self._kept(actor), inst.trays, self, inst.name)
        values = self._data(event, data, inst.fields, ctx, wf)
        fields = inst.fields
        failed: list[str] = []
        if event.guards and (event.all_guards is None or not event.all_guards.holds(values, fields, ctx)):
            failed = [g.says for g in event.guards if not g.check.holds(values, fields, ctx)]
            if failed:
                raise Refused(event_name, failed)
        chosen: list[Transition] = []
        for tr in candidates:
            if tr.when is not None and not tr.when.holds(values, fields, ctx):
                continue
            bad = [g.says for g in tr.guards if not g.check.holds(values, fields, ctx)] if tr.guards and (
                tr.all_guards is None or not tr.all_guards.holds(values, fields, ctx)) else None
            if bad:
                failed.extend(s for s in bad if s not in failed)
            else:
                chosen.append(tr)
        if len(chosen) > 1:
            raise Ambiguous(event_name, [f"{t.sources[0]} -> {t.target_from(inst.status)} ({t.source})"
                                         for t in chosen])
        if not chosen:
            raise Refused(event_name, failed or [f"{event.title}: no rule applies with this data while the "
                                                 f"status is {inst.status}"])
        return self._apply(inst, event, chosen[0], values, ctx)

    def _kept(self, actor: dict) -> dict:
        """The actor as the history keeps it: a copy (the caller may change theirs). An actor whose values are
        all text (or None), the usual name, role and area, has one copy shared by every entry with the same
        actor, so that a case's history adds no dict per event. Only text is shared: True, 1 and 1.0 are equal
        as keys but are not the same actor."""
        if actor.__class__ is not dict and not isinstance(actor, Mapping):
            raise Refused("actor", [f"the actor is a mapping such as {{role: SCO, name: Sam}}, not "
                                    f"{type(actor).__name__} {actor!r:.60}"])
        try:
            key = tuple(actor.items())
            kept = self._actors.get(key)
        except TypeError:  # a value that cannot be a key (a list of roles)
            kept = None
        if kept is None:
            from copy import deepcopy

            kept = deepcopy(dict(actor))
            if (len(self._actors) < _ACTORS_SHARED and all(v is None or v.__class__ is str for v in kept.values())
                    and all(k.__class__ is str for k in kept)):
                self._actors[key] = kept
        return kept

    @property
    def trace(self) -> Callable[[Trace], None] | None:
        """A callable told what each decided event exercised (see Trace), or None (the default)."""
        return self._trace

    @trace.setter
    def trace(self, fn: Callable[[Trace], None] | None) -> None:
        # Setting it routes this engine's decide() through _traced; unset, decide() costs nothing extra.
        self._trace = fn
        if fn is None:
            self.__dict__.pop("decide", None)
        else:
            self.decide = self._traced  # type: ignore[method-assign]

    def _traced(self, inst: Instance, event_name: str, data: dict | None = None,
                actor: dict | None = None) -> Outcome:
        """decide(), then tell `trace` which transition, guards and effects it exercised."""
        trace = self._trace
        assert trace is not None
        outer = self._skipped  # events this one starts or signals are traced in turn, with their own list
        self._skipped = []
        try:
            outcome = Engine.decide(self, inst, event_name, data, actor)
        except (Refused, Ambiguous):
            trace(Trace(inst, event_name, inst.status, None, self._guard_results(inst, event_name, data, actor), ()))
            raise
        finally:
            skipped, self._skipped = self._skipped, outer
        tr = outcome.transition
        applied = tuple(ef for ef in tr.effects if not any(ef is s for s in skipped or ()))
        trace(Trace(inst, event_name, inst.status, tr, self._guard_results(inst, event_name, data, actor), applied))
        return outcome

    def _guard_results(self, inst: Instance, event_name: str, data: dict | None,
                       actor: dict | None) -> list[tuple[Guard, bool]]:
        """The guards decide() evaluates for this event now, each with whether it held (guards are pure)."""
        wf = inst.workflow
        event = wf.events.get(event_name)
        candidates = self.compiled[wf.version].table.get((event_name, inst.status))
        if event is None or not candidates:
            return []
        ctx = Context(self.clock(), inst.status, actor if actor is not None else _EMPTY, inst.trays, self, inst.name)
        try:
            values = self._data(event, data, inst.fields, ctx, wf)
        except Refused:
            return []
        fields = inst.fields
        results = [(g, g.check.holds(values, fields, ctx)) for g in event.guards]
        if all(ok for _, ok in results):
            for tr in candidates:
                if tr.when is None or tr.when.holds(values, fields, ctx):
                    results.extend((g, g.check.holds(values, fields, ctx)) for g in tr.guards)
        return results

    def _plan(self, tr: Transition, wf: Workflow) -> tuple[tuple[Effect | Assignments, ...], tuple[str, ...]]:
        """A transition's effects as `plan.steps` gives them, and the indexed fields they may change."""
        found = self._plans.get(id(tr))
        if found is None:
            changed = {ef.target for ef in tr.effects if ef.kind in ("set", "number", "append")}
            found = self._plans[id(tr)] = (steps(tr, wf), tuple(f for f in self._indexed.get(wf.name, ()) if f in changed))
        return found

    def commit(self, o: Outcome) -> None:
        """Apply a decided outcome, all of it; or Refused, before anything changes, when it was decided from an
        instance that has changed since (it was committed already, or another event came first), or would
        change one instance twice (an event signalling an instance that signals it back)."""
        if o.base is not o.instance.fields:
            raise Refused("commit", [f"{o.instance.name} has changed since this outcome was decided: decide it "
                                     f"again"])
        if o.spawned or o.others:
            self._check_related(o, {o.instance.name})
        self._commit(o)

    def _check_related(self, o: Outcome, seen: set[str]) -> None:
        """The other instances an outcome changes: each once, and each as it was when the outcome was decided."""
        for other, _, _, base in o.others or ():
            if other.name in seen:
                raise Refused("commit", [f"this event would change {other.name} twice, and the second change "
                                         f"would undo the first"])
            seen.add(other.name)
            if base is not other.fields:
                raise Refused("commit", [f"{other.name} has changed since this outcome was decided: decide it again"])
        for sub in o.spawned or ():
            child = sub.instance
            if child.name in seen:
                raise Refused("commit", [f"this event would change {child.name} twice (from two signals or a chain "
                                         f"of them), and the second change would undo the first"])
            seen.add(child.name)
            registered = self.instances.get(child.name)
            if sub.base is not child.fields or (registered is not None and registered is not child):
                raise Refused("commit", [f"{child.name} has changed since this outcome was decided: decide it again"])
            self._check_related(sub, seen)

    def _commit(self, o: Outcome) -> None:
        """Apply an outcome checked by commit(). Nothing here can fail."""
        inst = o.instance
        plan = self._plans.get(id(o.transition)) or self._plan(o.transition, inst.workflow)  # made by decide()
        indexed = plan[1]  # decided from the fields as they are: only those the transition sets may change
        if indexed:
            self._reindex(inst, o.fields, indexed)
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
                    self._by_workflow[child.workflow.name][child.name] = child
                self._commit(sub)
        if o.others:
            for other, fields, logged, _ in o.others:
                indexed = self._indexed.get(other.workflow.name)
                if indexed:
                    self._reindex(other, fields, indexed)
                other.fields = fields
                append_history(other, logged)

    def _reindex(self, inst: Instance, fields: dict, indexed: tuple[str, ...]) -> None:
        old = inst.fields
        for name in indexed:
            before, after = old.get(name), fields.get(name)
            if before != after:
                index = self._indexes[(inst.workflow.name, name)]
                if before is not None:
                    index.get(before, {}).pop(inst.name, None)
                if after is not None:
                    index.setdefault(after, {})[inst.name] = inst


    def _data(self, event: Event, data: dict | None, fields: dict, ctx: Context, wf: Workflow) -> dict:
        """The event's data, typed, with defaults filled in; Refused for unknown, missing or bad values."""
        data = data or _EMPTY
        if data.__class__ is not dict and not isinstance(data, Mapping):
            raise Refused(event.name, [f"the data of an event is a mapping of its field names to values, not "
                                       f"{type(data).__name__} {data!r:.60}"])
        values: dict[str, Any] = {}
        lists = wf.lists
        for spec in event.data:
            raw = data.get(spec.name)
            if raw is None:
                if spec.default is not None:
                    try:
                        raw = spec.default.fn(values, fields, ctx)
                    except Exception as exc:  # defaults only read the clock and fields
                        raise Refused(event.name, [f"the default of {spec.label} could not be worked out: {exc}"]) from None
                    if raw is None:
                        values[spec.name] = None
                        continue
                elif spec.required:
                    raise Refused(event.name, [f"{spec.label} is required"])
                else:
                    values[spec.name] = None
                    continue
            try:
                values[spec.name] = COERCERS[spec.type](spec, raw, lists)  # coerce(), without its call
            except ValueProblem as exc:
                raise Refused(event.name, [str(exc)]) from None
        if not data.keys() <= values.keys():
            unknown = [k for k in data if event.data_field(k) is None]
            known = ", ".join(d.name for d in event.data) or "none"
            raise Refused(event.name, [f"{event.name} has no data field '{unknown[0]}' (its fields are {known})"])
        return values

    def _apply(self, inst: Instance, event: Event, tr: Transition, values: dict, ctx: Context) -> Outcome:
        wf = inst.workflow
        fields = dict(inst.fields)
        intrays = inst.trays
        copied = False
        letters: list[Letter] = []
        opened: list[tuple] = []
        closed: list[tuple] = []
        numbers: dict[tuple[str, str], int] = {}
        others: list[tuple[Instance, dict, tuple, dict]] | None = None
        spawned: list[Outcome] | None = None
        now = ctx.now
        try:
            for ef in (self._plans.get(id(tr)) or self._plan(tr, wf))[0]:
                if ef.__class__ is Assignments:  # consecutive `set:` effects, in one call
                    if ef.when is not None and not self._applies(ef.effects, ef.when, values, fields, ctx):
                        continue
                    if not inst.locked or ef.targets.isdisjoint(inst.locked):
                        saved = [(name, fields.get(name, _UNSET)) for name in ef.saved] if ef.saved else None
                        try:
                            ef.fn(values, fields, ctx)
                            continue
                        except Exception:  # done again one by one below, from the same fields, to say which and why
                            for name, value in saved or ():
                                if value is _UNSET:
                                    fields.pop(name, None)
                                else:
                                    fields[name] = value
                    for one in ef.effects:
                        self._set_value(inst, event, one, values, fields, ctx)
                    continue
                when = ef.when
                if when is not None:  # _applies((ef,), ...), without its call
                    try:
                        applies = when.fn(values, fields, ctx)
                    except Exception as exc:
                        raise self._failed(ef, when, exc) from None
                    if not applies:
                        if self._skipped is not None:
                            self._skipped.append(ef)
                        continue
                kind = ef.kind
                if kind == "set":
                    if ef.constant and ef.target not in inst.locked:  # a checked literal (trusted): no call
                        fields[ef.target] = ef.constant[0]
                    else:
                        self._set_value(inst, event, ef, values, fields, ctx)
                elif kind == "open":
                    if not copied:
                        intrays = ctx.intrays = list(intrays)
                        copied = True
                    item = (ef.target, now, self._due(wf, ef, values, fields, ctx),  # see model.TRAY_CODE
                            self._eval(ef, ef.about, values, fields, ctx) if ef.about else None,
                            self._eval(ef, ef.assign, values, fields, ctx) if ef.assign else None, None)
                    intrays.append(item)
                    opened.append(item)
                elif kind == "close" or kind == "assign":
                    about = self._eval(ef, ef.about, values, fields, ctx) if ef.about else None
                    who = self._eval(ef, ef.assign, values, fields, ctx) if kind == "assign" else None
                    for i, item in enumerate(intrays):
                        if item[TRAY_CLOSED] is None and item[TRAY_CODE] == ef.target and (
                                ef.about is None or item[TRAY_ABOUT] == about):
                            if not copied:
                                intrays = ctx.intrays = list(intrays)
                                copied = True
                            if kind == "close":
                                intrays[i] = (*item[:TRAY_CLOSED], now)
                                closed.append(intrays[i])
                            else:
                                intrays[i] = (*item[:TRAY_ASSIGNED], who, item[TRAY_CLOSED])
                elif kind == "letter":
                    letters.append(Letter(ef.target, ef.to, now))
                elif kind == "number":
                    key = (wf.name, ef.target)
                    number = self.sequences.get(key, 0) + 1
                    numbers[key] = number
                    self._set(inst, event, ef, fields, number)
                elif kind == "append":
                    record = {k: self._eval(ef, v, values, fields, ctx) for k, v in ef.record}
                    record = {k: v for k, v in record.items() if v is not None}
                    self._set(inst, event, ef, fields, [*(fields.get(ef.target) or ()), record])
                elif kind == "update":
                    others = self._update(inst, event, tr, ef, values, fields, ctx, others)
                elif kind == "start" or kind == "signal":
                    spawned = (spawned or []) + self._start_or_signal(inst, ef, values, fields, ctx, spawned)
        except Refused as exc:  # name the event, not the effect
            raise Refused(event.name, exc.reasons) from None
        status = tr.target_from(inst.status)
        locked = inst.locked
        if event.name in wf.locks:
            locked = self._locked_after(inst, event)
        logged = (now, event.name, ctx.actor, values, inst.status, status, tr.source)  # a HistoryEntry's values
        return Outcome(inst, tr, status, fields, intrays, letters, logged, inst.fields, opened, closed, numbers, locked, others,
                       spawned)

    def _start_or_signal(self, inst: Instance, ef: Effect, values: dict, fields: dict, ctx: Context,
                         pending: list[Outcome] | None) -> list[Outcome]:
        """`start:` a new instance of another workflow, or `signal:` the instances a query finds: the
        event on each is decided now and committed with this one, or the whole event is refused."""
        data = {k: self._eval(ef, v, values, fields, ctx) for k, v in ef.record}
        taken = {o.instance.name for o in pending or ()}
        if ef.kind == "start":
            name = self._eval(ef, ef.name, values, fields, ctx) if ef.name else f"{inst.name}.{ef.target}"
            base, n = str(name), 1
            while name in self.instances or name in taken:
                n += 1
                name = f"{base}-{n}"
            started = self.workflows.get(ef.target)
            if started is None:
                raise Refused("start", [f"this starts an instance of workflow {ef.target}, which this engine does not hold: "
                               f"load it too ({ef.source or 'start effect'})"])
            targets = [Instance(name, started)]
        else:
            assert ef.targets is not None
            found = self._eval(ef, ef.targets, values, fields, ctx)
            targets = [self.instances[r["instance"]] for r in found if r["instance"] != inst.name]
        outcomes = []
        for target in targets:
            try:
                outcomes.append(self.decide(target, ef.event, data, ctx.actor))
            except (Refused, Ambiguous) as exc:
                reasons = getattr(exc, "reasons", None) or [str(exc)]
                raise Refused(ef.kind, [f"{ef.event} on {target.name}: {r}" for r in reasons]) from None
        return outcomes

    def _update(self, inst: Instance, event: Event, tr: Transition, ef: Effect, values: dict, fields: dict,
                ctx: Context, others: list | None) -> list:
        """`update:`: the new fields of every other instance the query finds, each with a history entry."""
        assert ef.targets is not None
        found = self._eval(ef, ef.targets, values, fields, ctx)
        new_values = [(name, self._eval(ef, expr, values, fields, ctx)) for name, expr in ef.sets]
        others = list(others or ())
        for record in found:
            other = self.instances[record["instance"]]
            if other is inst:
                continue
            target_fields = next((f for o, f, _, _ in others if o is other), None)
            if target_fields is None:
                target_fields = dict(other.fields)
                data = {"by": inst.name, "event": event.name}
                logged = (ctx.now, event.name, ctx.actor, data, other.status, other.status, ef.source or tr.source)
                others.append((other, target_fields, logged, other.fields))
            for name, value in new_values:
                spec = other.workflow.fields[name]
                try:
                    target_fields[name] = coerce(spec, value, other.workflow.lists)
                except ValueProblem as exc:
                    raise Refused(event.name, [f"{exc} (on {other.name})"]) from None
        return others

    # -- queries --------------------------------------------------------------------------
    def run_query(self, name: str, args: tuple | list, now: datetime | None = None) -> list[dict]:
        """The records (fields, status, instance name) a declared query finds, in its order."""
        query = self.queries.get(name)
        if query is None:
            raise Refused(name, [f"unknown query '{name}' (known: {', '.join(self.queries) or 'none'})"])
        # positional arguments of a compiled call: the builder checked their number, so none is unknown
        return self._search(query, self._params(query, dict(zip([p.name for p in query.params], args, strict=False))),
                            now or self.clock())

    def search(self, name: str, given: dict, now: datetime | None = None) -> list[dict]:
        """A declared query with its parameters by name (as a scenario step or the CLI gives them)."""
        query = self.queries.get(name)
        if query is None:
            raise Refused(name, [f"unknown query '{name}' (known: {', '.join(self.queries) or 'none'})"])
        return self._search(query, self.query_params(query, given), now or self.clock())

    def query_params(self, query: Query, given: dict) -> dict:
        known = {p.name for p in query.params}
        unknown = [k for k in given if k not in known]
        if unknown:
            raise Refused(query.name, [query.not_a_criterion(unknown[0], self.workflows[query.workflow].fields)])
        return self._params(query, given)

    def _params(self, query: Query, given: dict) -> dict:
        wf = self.workflows[query.workflow]
        params = {}
        for spec in query.params:
            value = given.get(spec.name)
            if value is None and spec.required:
                raise Refused(query.name, [f"{spec.label} is required to search"])
            try:
                params[spec.name] = coerce(spec, value, wf.lists)
            except ValueProblem as exc:
                raise Refused(query.name, [str(exc)]) from None
        return params

    def _search(self, query: Query, params: dict, now: datetime) -> list[dict]:
        wf_name = query.workflow
        if query.match:
            field_name, param = query.match[0]
            candidates: Iterable[Instance] = self._indexes[(wf_name, field_name)].get(params[param], _EMPTY).values()
            rest = query.match[1:]
        else:
            candidates = self._by_workflow.get(wf_name, _EMPTY).values()
            rest = ()
        found = []
        for inst in candidates:
            f = inst.fields
            if any(f.get(field_name) != params[param] for field_name, param in rest):
                continue
            if query.where is not None and not query.where.holds(params, f,
                                                      Context(now, inst.status, _EMPTY, inst.trays)):
                continue
            found.append({**f, "status": inst.status, "instance": inst.name})
        for key in reversed(query.order_by):
            found.sort(key=lambda r, k=key: (r.get(k) is None, r.get(k) if r.get(k) is not None else 0))
        return found

    # -- the clock ------------------------------------------------------------------------
    def advance(self, to: datetime) -> list[Outcome]:
        """Move a simulated clock to `to`, firing every schedule whose time comes on the way, in order."""
        clock = self.clock
        if not hasattr(clock, "set"):
            raise Refused("advance", ["only a simulated clock can be moved: this engine reads the system clock"])
        if not isinstance(to, datetime):
            raise Refused("advance", [f"the clock moves to a date and time, not {type(to).__name__} {to!r:.60}"])
        start = clock()
        due: list[tuple[datetime, str, str]] = []
        for wf in self.workflows.values():
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
        fired = []
        system = {"role": "system"}
        for moment, wf_name, event in sorted(due):
            clock.set(moment)  # type: ignore[attr-defined]
            for inst in list(self._by_workflow.get(wf_name, _EMPTY).values()):
                try:
                    fired.append(self.fire(inst, event, None, system))
                except (Refused, Ambiguous):
                    continue
        clock.set(to)  # type: ignore[attr-defined]
        return fired

    def _applies(self, effects: tuple[Effect, ...], when: Expr, values: dict, fields: dict, ctx: Context) -> bool:
        """Whether the `if:` of these effects holds; skipped effects are noted while tracing (coverage)."""
        try:
            applies = when.fn(values, fields, ctx)
        except Exception as exc:
            raise self._failed(effects[0], when, exc) from None
        if not applies and self._skipped is not None:
            self._skipped.extend(effects)
        return bool(applies)

    def _set_value(self, inst: Instance, event: Event, ef: Effect, values: dict, fields: dict, ctx: Context) -> None:
        """One `set:` effect: its value worked out and set."""
        const = ef.constant
        if const:
            value = const[0]
        else:
            try:
                value = ef.value.fn(values, fields, ctx)  # type: ignore[union-attr]
            except Exception as exc:
                raise self._failed(ef, ef.value, exc) from None
        if ef.trusted and ef.target not in inst.locked:  # the common case, without a call
            fields[ef.target] = value
        else:
            self._set(inst, event, ef, fields, value)

    def _eval(self, ef: Effect, expr: Expr, values: dict, fields: dict, ctx: Context) -> Any:
        try:
            return expr.fn(values, fields, ctx)
        except Exception as exc:
            raise self._failed(ef, expr, exc) from None

    @staticmethod
    def _failed(ef: Effect, expr: Expr | None, exc: Exception) -> Refused:
        """The refusal for an effect whose expression raised."""
        where = f" ({ef.source})" if ef.source else ""
        return Refused(ef.kind, [f"the {ef.kind} {ef.target} effect could not be worked out{where}: "
                                 f"'{expr.text if expr else ''}' failed ({type(exc).__name__}: {exc})"])

    def _set(self, inst: Instance, event: Event, ef: Effect, fields: dict, value: Any) -> None:
        name = ef.target
        spec = inst.workflow.fields[name]
        if name in inst.locked and fields.get(name) != value:
            raise Refused(event.name, [f"{spec.label} cannot be changed after {inst.locked[name]}"])
        if ef.trusted:  # a data field of the same type, checked when the event's data was read
            fields[name] = value
            return
        try:
            fields[name] = coerce(spec, value, inst.workflow.lists)
        except ValueProblem as exc:
            where = f" ({ef.source})" if ef.source else ""
            raise Refused(event.name, [f"{exc}{where}"]) from None

    def _due(self, wf: Workflow, ef: Effect, values: dict, fields: dict, ctx: Context) -> datetime:
        try:
            if ef.due is None:  # the builder made sure the catalogue has a due period then
                return ctx.now + wf.intrays[ef.target].due  # type: ignore[operator]
            due = self._eval(ef, ef.due, values, fields, ctx)
            if isinstance(due, datetime):
                return due
            if isinstance(due, date):
                return datetime.combine(due, ctx.now.time())
            if isinstance(due, timedelta):
                return ctx.now + due
        except OverflowError:
            raise Refused("open", [f"intray {ef.target} would be due after the last date the calendar has "
                                   f"(now is {ctx.now:%Y-%m-%d %H:%M})"]) from None
        raise Refused("open", [f"the due of intray {ef.target} is not a date: '{ef.due.text}' gave {due!r}"])

    def _locked_after(self, inst: Instance, event: Event) -> dict[str, str]:
        """The fields locked once this event has happened; shared between instances where possible."""
        key = (id(inst.locked), event.name, inst.workflow.version)  # versions may lock differently
        found = self._lock_maps.get(key)
        if found is None:
            found = dict(inst.locked)
            for name in inst.workflow.locks[event.name]:
                found.setdefault(name, f"'{event.title}' ({event.source})")
            self._lock_maps[key] = found
        return found

    # -- asking ---------------------------------------------------------------------------
    def explain(self, inst: Instance, event: str, data: dict | None = None, actor: dict | None = None) -> list[str]:
        """Why this event cannot happen now with this data: the refusing guards' sentences ([] if it can)."""
        try:
            self.decide(inst, event, data, actor)
        except (Refused, Ambiguous) as exc:
            return getattr(exc, "reasons", None) or [str(exc)]
        return []

    def options(self, inst: Instance, actor: dict | None = None) -> list[EventOption]:
        """Every event of the workflow: can it be fired now (for some data), and if not, why not."""
        return [self.option(inst, name, actor) for name in inst.workflow.events]

    def option(self, inst: Instance, event_name: str, actor: dict | None = None) -> EventOption:
        """Whether the event can fire now for some data: the guards that read no event data must hold."""
        wf = inst.workflow
        event = wf.events.get(event_name)
        if event is None:
            raise Refused(event_name, [f"unknown event '{event_name}' in workflow {wf.name}"])
        candidates = self.compiled[wf.version].table.get((event_name, inst.status))
        if not candidates:
            return EventOption(event_name, event.title, False, [event.unavailable_in(inst.status)])
        data_names = {d.name for d in event.data}
        ctx = Context(self.clock(), inst.status, actor if actor is not None else _EMPTY, inst.trays, self, inst.name)

        def fixed(guards: Iterable[Guard]) -> list[str]:
            return [g.says for g in guards
                    if not (g.check.names & data_names) and not g.check.holds(_EMPTY, inst.fields, ctx)]

        reasons = fixed(event.guards)
        if reasons:
            return EventOption(event_name, event.title, False, reasons)
        all_reasons: list[str] = []
        for tr in candidates:
            if tr.when is not None and not (tr.when.names & data_names) and not tr.when.holds(_EMPTY, inst.fields, ctx):
                continue
            bad = fixed(tr.guards)
            if not bad:
                return EventOption(event_name, event.title, True, [])
            all_reasons.extend(b for b in bad if b not in all_reasons)
        return EventOption(event_name, event.title, False,
                           all_reasons or [event.unavailable_in(inst.status)])

    def state(self, inst: Instance) -> dict:
        """The instance as the JSON of the scenario spec."""
        return {
            "instance": inst.name,
            "workflow": inst.workflow.name,
            "version": inst.workflow.version,
            "status": inst.status,
            "fields": to_json(inst.fields),
            "intrays": [i.to_json() for i in inst.intrays],
            "letters": [lt.to_json() for lt in inst.letters],
            "history": inst.history_json(),
        }

