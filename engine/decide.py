"""Deciding an event: its outcome computed from the instance, the moment and the cases it reads,
without changing anything (the engine commits it). The guards are judged once (see judge); the
chosen transition's effects are then worked out on copies of the instance's fields and intrays."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from .findings import Ambiguous, Refused
from .instance import _EMPTY, Instance, Letter, kept_actor
from .judge import judge, refusal, typed_data
from .machine import Step
from .model import (
    TRAY_ABOUT,
    TRAY_ASSIGNED,
    TRAY_CLOSED,
    TRAY_CODE,
    Effect,
    Event,
    Expr,
    FieldSpec,
    Transition,
    Workflow,
)
from .outcome import Cases, Context, Outcome, Trace
from .plan import Assignments
from .values import ValueProblem, coerce, coerce_record

_UNSET = object()  # a field not in an instance's fields (see effects)


def decide(cases: Cases, inst: Instance, event_name: str, data: Any, actor: dict, now: datetime,
           trace: Callable[[Trace], None] | None = None) -> Outcome:
    """The outcome of an event on an instance at `now`, computed without changing anything; Refused
    or Ambiguous otherwise. `trace`, when given, is told what this event (and each it starts or
    signals) exercised, refused or not, as its judgement says."""
    status = inst.status
    j = None
    try:
        wf = inst.workflow
        event = wf.events.get(event_name)
        if event is None:
            raise Refused(event_name, [f"unknown event '{event_name}' in workflow {wf.name}"])
        machine = cases.compiled[wf.version]
        steps = machine.table.get((event_name, status))
        if not steps:
            raise Refused(event_name, [event.unavailable_in(status)])
        ctx = Context(now, status, actor, inst.trays, cases, inst.name)
        fields = inst.fields
        values = typed_data(event, data, fields, ctx, wf)
        j = judge(event, status, steps, machine.held[event_name], values, fields, ctx)
        if len(j.chosen) != 1:
            raise refusal(event, j)
        outcome = effects(cases, inst, event, j.chosen[0], values, ctx, trace)
    except (Refused, Ambiguous):
        if trace is not None:
            trace(Trace(inst, event_name, status, None, list(j.guards) if j is not None else [],
                        ()))
        raise
    if trace is not None:
        tr = outcome.transition
        skipped = outcome.skipped or ()
        applied = tuple(ef for ef in tr.effects if not any(ef is s for s in skipped))
        trace(Trace(inst, event_name, status, tr, list(j.guards), applied))
    return outcome


def refuses(cases: Cases, inst: Instance, event_name: str, actor: Any, now: datetime,
            table: dict, actors: dict[tuple, dict]) -> bool:
    """Whether the event, without data, is certainly refused now by the cheap checks decide
    begins with: no transition from the status, or the event's guards, combined, not holding.
    False means only that it may be taken (fire it to know); nothing is built to say why. What a
    schedule's run uses to pass over the instances it does not apply to (their refusals unread),
    without the cost of a refusal."""
    event = inst.workflow.events.get(event_name)
    if event is None:
        return True
    return _refused(cases, inst, event, actor, actors, now, table)


def screen(cases: Cases, wf: Workflow, event_name: str, actor: Any, clock: Callable[[], datetime],
           table: dict, actors: dict[tuple, dict]) -> Callable[[Instance], bool]:
    """refuses() for one event of one version of a workflow and one actor, what it looks up made
    once: a schedule's run asks it of every instance of `wf` it offers the event to."""
    event = wf.events.get(event_name)
    if event is None:
        return lambda inst: True
    try:
        kept = actor if actor is _EMPTY else kept_actor(actors, actor)
    except Exception:  # as refuses() finds it, when it comes to the actor
        return lambda inst: refuses(cases, inst, event_name, actor, clock(), table, actors)
    return lambda inst: _refused(cases, inst, event, kept, None, clock(), table)


def _refused(cases: Cases, inst: Instance, event: Event, actor: Any,
             actors: dict[tuple, dict] | None, now: datetime, table: dict) -> bool:
    """refuses() once the event is found; `actors` None: `actor` is kept already."""
    status = inst.status
    if not table.get((event.name, status)):
        return True
    check = event.all_guards
    if check is None:
        return False
    fields = inst.fields
    try:
        kept = actor if actors is None or actor is _EMPTY else kept_actor(actors, actor)
        ctx = Context(now, status, kept, inst.trays, cases, inst.name)
        values = typed_data(event, None, fields, ctx, inst.workflow) if event.data else {}
        return not check.holds(values, fields, ctx)
    # data the event requires, or an actor that is not a mapping: fire refuses them too
    except Refused:
        return True
    except Exception:  # a bound (expr.LIMITS): decide says how it is refused
        return False


def effects(cases: Cases, inst: Instance, event: Event, step: Step, values: dict, ctx: Context,
            trace: Callable[[Trace], None] | None) -> Outcome:
    """The outcome of taking `step`: its effects worked out in order on copies of the instance's
    fields and intrays; Refused, naming the event, when one cannot be."""
    wf = inst.workflow
    tr = step.transition
    fields = dict(inst.fields)
    intrays = inst.trays
    copied = False
    letters: list[Letter] = []
    opened: list[tuple] = []
    closed: list[tuple] = []
    numbers: dict[tuple[str, str], int] = {}
    others: list[tuple[Instance, dict, tuple, dict]] | None = None
    spawned: list[Outcome] | None = None
    skipped: list[Effect] | None = None
    now = ctx.now
    try:
        for ef in step.effects:
            if ef.__class__ is Assignments:  # consecutive `set:` effects, in one call
                if ef.when is not None and not _applies(ef.effects[0], ef.when, values, fields,
                                                        ctx):
                    skipped = [*(skipped or ()), *ef.effects]
                    continue
                if not inst.locked or ef.targets.isdisjoint(inst.locked):
                    saved = [(name, fields.get(name, _UNSET)) for name in ef.saved] if ef.saved \
                        else None
                    try:
                        ef.fn(values, fields, ctx)
                        continue
                    # done again one by one below, from the same fields, to say which and why
                    except Exception:
                        for name, value in saved or ():
                            if value is _UNSET:
                                fields.pop(name, None)
                            else:
                                fields[name] = value
                for one in ef.effects:
                    _set_value(inst, event, one, values, fields, ctx)
                continue
            when = ef.when
            if when is not None:  # _applies(), without its call
                try:
                    applies = when.fn(values, fields, ctx)
                except Exception as exc:
                    raise _failed(ef, when, exc) from None
                if not applies:
                    skipped = [*(skipped or ()), ef]
                    continue
            kind = ef.kind
            if kind == "set":
                # a checked literal (trusted): no call
                if ef.constant and ef.target not in inst.locked:
                    fields[ef.target] = ef.constant[0]
                else:
                    _set_value(inst, event, ef, values, fields, ctx)
            elif kind == "open":
                if not copied:
                    intrays = ctx.intrays = list(intrays)
                    copied = True
                item = (ef.target, now, _due(wf, ef, values, fields, ctx),  # see model.TRAY_CODE
                        _eval(ef, ef.about, values, fields, ctx) if ef.about else None,
                        _eval(ef, ef.assign, values, fields, ctx) if ef.assign else None, None)
                intrays.append(item)
                opened.append(item)
            elif kind == "close" or kind == "assign":
                about = _eval(ef, ef.about, values, fields, ctx) if ef.about else None
                who = _eval(ef, ef.assign, values, fields, ctx) if kind == "assign" else None
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
                number = cases.sequences.get(key, 0) + 1
                numbers[key] = number
                _set(inst, event, ef, fields, number)
            elif kind == "append":
                record = {k: _eval(ef, v, values, fields, ctx) for k, v in ef.record}
                record = {k: v for k, v in record.items() if v is not None}
                _append(inst, event, ef, fields, record)
            elif kind == "update":
                others = _update(cases, inst, event, tr, ef, values, fields, ctx, others)
            elif kind == "start" or kind == "signal":
                spawned = (spawned or []) \
                    + _start_or_signal(cases, inst, ef, values, fields, ctx, spawned, trace)
    except Refused as exc:  # name the event, not the effect
        raise Refused(event.name, exc.reasons) from None
    status = tr.target_from(inst.status)
    locked = inst.locked
    if event.name in wf.locks:
        locked = cases.compiled[wf.version].locked_after(locked, event.name)
    # a HistoryEntry's values
    logged = (now, event.name, ctx.actor, values, inst.status, status, tr.source)
    return Outcome(inst, tr, status, fields, intrays, letters, logged, inst.fields, opened, closed,
                   numbers, locked,
                   step, others, spawned, skipped)


def _start_or_signal(cases: Cases, inst: Instance, ef: Effect, values: dict, fields: dict,
                     ctx: Context,
                     pending: list[Outcome] | None,
                     trace: Callable[[Trace], None] | None) -> list[Outcome]:
    """`start:` a new instance of another workflow, or `signal:` the instances a query finds: the
    event on each is decided now, to be committed with this one, or the whole event is refused."""
    data = {k: _eval(ef, v, values, fields, ctx) for k, v in ef.record}
    taken = {o.instance.name for o in pending or ()}
    if ef.kind == "start":
        name = _eval(ef, ef.name, values, fields, ctx) if ef.name else f"{inst.name}.{ef.target}"
        base, n = str(name), 1
        while name in cases.instances or name in taken:
            n += 1
            name = f"{base}-{n}"
        started = cases.workflows.get(ef.target)
        if started is None:
            raise Refused("start", [f"this starts an instance of workflow {ef.target}, which this "
                                    "engine does not hold: load it too "
                                    f"({ef.source or 'start effect'})"])
        targets = [Instance(name, started)]
    else:
        assert ef.targets is not None
        found = _eval(ef, ef.targets, values, fields, ctx)
        targets = [cases.instances[r["instance"]] for r in found if r["instance"] != inst.name]
    outcomes = []
    for target in targets:
        try:
            outcomes.append(decide(cases, target, ef.event, data, ctx.actor, ctx.now, trace))
        except (Refused, Ambiguous) as exc:
            reasons = getattr(exc, "reasons", None) or [str(exc)]
            raise Refused(ef.kind, [f"{ef.event} on {target.name}: {r}" for r in reasons]) from None
    return outcomes


def _update(cases: Cases, inst: Instance, event: Event, tr: Transition, ef: Effect, values: dict,
            fields: dict,
            ctx: Context, others: list | None) -> list:
    """`update:`: the new fields of every other instance the query finds, each with a history
    entry."""
    assert ef.targets is not None
    found = _eval(ef, ef.targets, values, fields, ctx)
    new_values = [(name, _eval(ef, expr, values, fields, ctx)) for name, expr in ef.sets]
    others = list(others or ())
    for record in found:
        other = cases.instances[record["instance"]]
        if other is inst:
            continue
        target_fields = next((f for o, f, _, _ in others if o is other), None)
        if target_fields is None:
            target_fields = dict(other.fields)
            data = {"by": inst.name, "event": event.name}
            logged = (ctx.now, event.name, ctx.actor, data, other.status, other.status,
                      ef.source or tr.source)
            others.append((other, target_fields, logged, other.fields))
        for name, value in new_values:
            spec = other.workflow.fields[name]
            try:
                target_fields[name] = coerce(spec, value, other.workflow.lists)
            except ValueProblem as exc:
                raise Refused(event.name, [f"{exc} (on {other.name})"]) from None
    return others


def _applies(ef: Effect, when: Expr, values: dict, fields: dict, ctx: Context) -> bool:
    """Whether the `if:` of an effect (or of a run of them, `ef` the first) holds."""
    try:
        return bool(when.fn(values, fields, ctx))
    except Exception as exc:
        raise _failed(ef, when, exc) from None


def _set_value(inst: Instance, event: Event, ef: Effect, values: dict, fields: dict,
               ctx: Context) -> None:
    """One `set:` effect: its value worked out and set."""
    const = ef.constant
    if const:
        value = const[0]
    else:
        try:
            value = ef.value.fn(values, fields, ctx)  # type: ignore[union-attr]
        except Exception as exc:
            raise _failed(ef, ef.value, exc) from None
    if ef.trusted and ef.target not in inst.locked:  # the common case, without a call
        fields[ef.target] = value
    else:
        _set(inst, event, ef, fields, value)


def _eval(ef: Effect, expr: Expr, values: dict, fields: dict, ctx: Context) -> Any:
    try:
        return expr.fn(values, fields, ctx)
    except Exception as exc:
        raise _failed(ef, expr, exc) from None


def _failed(ef: Effect, expr: Expr | None, exc: Exception) -> Refused:
    """The refusal for an effect whose expression raised."""
    where = f" ({ef.source})" if ef.source else ""
    return Refused(ef.kind, [f"the {ef.kind} {ef.target} effect could not be worked out{where}: "
                             f"'{expr.text if expr else ''}' failed ({type(exc).__name__}: {exc})"])


def _set(inst: Instance, event: Event, ef: Effect, fields: dict, value: Any) -> None:
    name = ef.target
    spec = inst.workflow.fields[name]
    if name in inst.locked and fields.get(name) != value:
        raise _locked(event, spec, inst.locked[name])
    if ef.trusted:  # a data field of the same type, checked when the event's data was read
        fields[name] = value
        return
    try:
        fields[name] = coerce(spec, value, inst.workflow.lists)
    except ValueProblem as exc:
        raise _bad_value(event, ef, exc) from None


def _append(inst: Instance, event: Event, ef: Effect, fields: dict, record: dict) -> None:
    """An `append:` effect: the record added to the end of its list. The items already there were
    typed when they were set, so only the new record is (as a whole list is, see values._list)."""
    name = ef.target
    spec = inst.workflow.fields[name]
    if spec.type != "list" or spec.record is None or ef.trusted:
        _set(inst, event, ef, fields, [*(fields.get(name) or ()), record])
        return
    if name in inst.locked:  # a list with one more item is never the same list
        raise _locked(event, spec, inst.locked[name])
    try:
        item = coerce_record(spec, record, inst.workflow.lists)
    except ValueProblem as exc:
        raise _bad_value(event, ef, exc) from None
    fields[name] = [*(fields.get(name) or ()), item]


def _locked(event: Event, spec: FieldSpec, after: str) -> Refused:
    return Refused(event.name, [f"{spec.label} cannot be changed after {after}"])


def _bad_value(event: Event, ef: Effect, exc: ValueProblem) -> Refused:
    """The refusal for a value an effect sets that does not fit its field."""
    where = f" ({ef.source})" if ef.source else ""
    return Refused(event.name, [f"{exc}{where}"])


def _due(wf: Workflow, ef: Effect, values: dict, fields: dict, ctx: Context) -> datetime:
    try:
        if ef.due is None:  # the builder made sure the catalogue has a due period then
            return ctx.now + wf.intrays[ef.target].due  # type: ignore[operator]
        due = _eval(ef, ef.due, values, fields, ctx)
        if isinstance(due, datetime):
            return due
        if isinstance(due, date):
            return datetime.combine(due, ctx.now.time())
        if isinstance(due, timedelta):
            return ctx.now + due
    except OverflowError:
        raise Refused("open", [f"intray {ef.target} would be due after the last date the "
                               f"calendar has (now is {ctx.now:%Y-%m-%d %H:%M})"]) from None
    raise Refused("open",
                  [f"the due of intray {ef.target} is not a date: '{ef.due.text}' gave {due!r}"])
