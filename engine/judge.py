"""Judging an event's guards, once, into one record (Judgement): what decide refuses with, what
`option` offers, what a trace reports and what "why not" says are all read from it. Pure: nothing
here reads the clock or changes anything."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .expr import LIMITS, limit_message
from .findings import Ambiguous, Refused, did_you_mean
from .instance import _EMPTY
from .machine import CompiledMachine, Step
from .model import Event, Guard, Workflow
from .outcome import Context, EventOption, Judgement
from .values import COERCERS, ValueProblem


def judge(event: Event, status: str, steps: tuple[Step, ...], held: tuple[tuple[Guard, bool], ...],
          values: dict,
          fields: dict, ctx: Context, unknown: frozenset[str] = frozenset()) -> Judgement:
    """The verdict on an event's guards with this data (see Judgement). `held` is the event's guards
    with the verdict True: what is recorded when their combined check holds, without evaluating
    each. Guards and `when:`s reading a name of `unknown` (data not given yet) are not evaluated and
    count as holding. A condition stopped at a bound (expr.LIMITS) refuses the event naming the
    condition, never as its `says:`."""
    try:
        return _judge(event, status, steps, held, values, fields, ctx, unknown)
    except LIMITS as exc:
        stopped = _stopped(event, steps, values, fields, ctx, exc)
        return Judgement(event.name, status, ((stopped, False),), [], [stopped])


def _stopped(event: Event, steps: tuple[Step, ...], values: dict, fields: dict, ctx: Context,
             exc: BaseException) -> Guard:
    """The first condition of the event that stops at one of LIMITS, as a refusing guard saying
    so."""
    guards = [*event.guards, *(g for s in steps for g in s.transition.guards)]
    whens = [s.transition.when for s in steps if s.transition.when is not None]
    for expr, guard in [*((g.check, g) for g in guards), *((w, None) for w in whens)]:
        try:
            expr.holds(values, fields, ctx)
        except LIMITS as found:
            return Guard(expr, limit_message(expr, found), guard.source if guard else "",
                         pos=expr.pos)
    first = guards[0].check if guards else whens[0]
    return Guard(first, limit_message(first, exc), pos=first.pos)


def _judge(event: Event, status: str, steps: tuple[Step, ...], held: tuple[tuple[Guard, bool], ...],
           values: dict,
           fields: dict, ctx: Context, unknown: frozenset[str]) -> Judgement:
    guards: tuple[tuple[Guard, bool], ...] = ()
    if event.guards:
        if not unknown and event.all_guards is not None and event.all_guards.holds(values, fields,
                                                                                   ctx):
            guards = held
        else:
            guards = _verdicts(event.guards, values, fields, ctx, unknown)
            failed = [g for g, ok in guards if not ok]
            if failed:
                return Judgement(event.name, status, guards, [], failed)
    chosen: list[Step] = []
    failed = []
    for step in steps:
        tr = step.transition
        when = tr.when
        if when is not None and not (unknown and when.names & unknown) \
                and not when.holds(values, fields, ctx):
            continue
        if not tr.guards:
            chosen.append(step)
        elif not unknown and tr.all_guards is not None and tr.all_guards.holds(values, fields, ctx):
            guards += step.held
            chosen.append(step)
        else:
            results = _verdicts(tr.guards, values, fields, ctx, unknown)
            guards += results
            bad = [g for g, ok in results if not ok]
            if bad:
                failed.extend(_new(bad, failed))
            else:
                chosen.append(step)
    return Judgement(event.name, status, guards, chosen, failed)


def _verdicts(guards: tuple[Guard, ...], values: dict, fields: dict, ctx: Context,
              unknown: frozenset[str]) -> tuple[tuple[Guard, bool], ...]:
    if unknown:
        return tuple([(g, g.check.holds(values, fields, ctx)) for g in guards
                      if not g.check.names & unknown])
    return tuple([(g, g.check.holds(values, fields, ctx)) for g in guards])


def _new(guards: list[Guard], known: list[Guard]) -> list[Guard]:
    """The guards whose sentence is not said yet, each sentence once."""
    out: list[Guard] = []
    for g in guards:
        if not any(g.says == k.says for k in (*known, *out)):
            out.append(g)
    return out


def refusal(event: Event, j: Judgement) -> Refused | Ambiguous:
    """Why a judged event is not taken: Ambiguous when more than one transition's guards hold, else
    Refused with the sentences of the guards that refused it (`detail`: each with its place in the
    file)."""
    if len(j.chosen) > 1:
        exc: Refused | Ambiguous = Ambiguous(event.name, [
            f"{s.transition.sources[0]} -> {s.transition.target_from(j.status)} "
            f"({s.transition.source})"
            for s in j.chosen])
    else:
        exc = Refused(event.name, [g.says for g in j.failed] or [
            f"{event.title}: no rule applies with this data while the status is {j.status}"],
            detail=[guard_place(g) for g in j.failed])
    return exc


def guard_place(g: Guard) -> dict:
    """A refusing guard as a refusal's detail: its sentence, its citation and where it is
    written."""
    file, line, col = g.pos or ("", 0, 0)
    return {"says": g.says, "source": g.source, "file": file, "line": line, "col": col}


def option(event: Event, status: str, machine: CompiledMachine, fields: dict,
           ctx: Context) -> EventOption:
    """Whether the event can fire now for some data: judged with its data unknown (see judge)."""
    steps = machine.table.get((event.name, status))
    if not steps:
        return EventOption(event.name, event.title, False, [event.unavailable_in(status)])
    j = judge(event, status, steps, machine.held[event.name], _EMPTY, fields, ctx,
              frozenset(d.name for d in event.data))
    if j.chosen:
        return EventOption(event.name, event.title, True, [])
    return EventOption(event.name, event.title, False,
                       [g.says for g in j.failed] or [event.unavailable_in(status)])


def typed_data(event: Event, data: Any, fields: dict, ctx: Context, wf: Workflow) -> dict:
    """The event's data, typed, with defaults filled in; Refused for unknown, missing or bad
    values."""
    data = data or _EMPTY
    if data.__class__ is not dict and not isinstance(data, Mapping):
        raise Refused(event.name, ["the data of an event is a mapping of its field names to "
                                   f"values, not {type(data).__name__} {data!r:.60}"])
    values: dict[str, Any] = {}
    lists = wf.lists
    for spec in event.data:
        raw = data.get(spec.name)
        if raw is None:
            if spec.default is not None:
                try:
                    raw = spec.default.fn(values, fields, ctx)
                except Exception as exc:  # defaults only read the clock and fields
                    why = f"the default of {spec.label} could not be worked out: {exc}"
                    raise Refused(event.name, [why]) from None
                if raw is None:
                    values[spec.name] = None
                    continue
            elif spec.required:
                raise Refused(event.name, [f"{spec.label} is required to "
                                           f"{_lower_first(event.title)}"
                                           + (f" ({event.source})" if event.source else "")])
            else:
                values[spec.name] = None
                continue
        try:
            values[spec.name] = COERCERS[spec.type](spec, raw, lists)  # coerce(), without its call
        except ValueProblem as exc:
            raise Refused(event.name, [str(exc)]) from None
    if not data.keys() <= values.keys():
        unknown = [k for k in data if event.data_field(k) is None]
        known = [d.name for d in event.data]
        hint = did_you_mean(unknown[0], known) or f"its fields are {', '.join(known) or 'none'}"
        raise Refused(event.name,
                      [f"{event.title} ({event.name}) has no data field "
                       f"'{unknown[0]!s:.60}': {hint}"])
    return values


def _lower_first(title: str) -> str:
    """A title inside a sentence: 'Save the application details' -> 'save the application details'
    (COA stays)."""
    return title[:1].lower() + title[1:] if title[1:2].islower() else title
