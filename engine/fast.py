"""An event from one status, decided by one function made for it: what decide() does when the event
is taken, written out for that event's data fields, guards, transitions and effects, without
looking up at each event what the workflow says.

The function returns the same Outcome as decide(), or None whenever anything is not plain: data
that is not a dict, a value that does not fit, a guard that does not hold, no transition or more
than one, a locked field, an expression that raises. decide() then decides the event again, from
the same instance, and says why it is refused; the function changes nothing, so nothing is
undone. The engine uses it only without a trace (a trace is told what each event exercised).

The text compiled is made of this module's templates and the names it makes (`_v0`, `_v1`...); every
value taken from the workflow (names, specs, compiled expressions, effects) is bound to such a name
in the function's namespace, never written into the text.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .decide import _append, _due, _set, _start_or_signal, _update
from .instance import _EMPTY, Letter
from .machine import CompiledMachine, Step
from .model import TRAY_ABOUT, TRAY_ASSIGNED, TRAY_CLOSED, TRAY_CODE, Effect, Workflow
from .outcome import Context, Outcome
from .plan import Assignments
from .values import COERCERS, coerce

Fast = Callable[[Any, Any, Any, dict, Any], "Outcome | None"]


class _Source:
    """The text of one generated function, and the values its names are bound to."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.namespace: dict[str, Any] = {}
        self._count = 0

    def bind(self, value: Any) -> str:
        name = f"_v{self._count}"
        self._count += 1
        self.namespace[name] = value
        return name

    def add(self, depth: int, line: str) -> None:
        self.lines.append("    " * depth + line)


def compile_fast(wf: Workflow, machine: CompiledMachine, event_name: str,
                 status: str) -> Fast | None:
    """`fast(cases, inst, data, actor, now)` for `event_name` from `status`: the Outcome decide()
    gives when the event is taken, or None (see the module's docstring). None when the event has no
    transition from the status."""
    event = wf.events.get(event_name)
    steps = machine.table.get((event_name, status))
    if event is None or not steps:
        return None
    src = _Source()
    b = src.bind
    src.add(0, "def _fast(cases, inst, data, actor, now):")
    src.add(1, "try:")
    body = 2
    src.add(body, "fields0 = inst.fields")
    src.add(body, f"ctx = {b(Context)}(now, {b(status)}, actor, inst.trays, cases, inst.name)")
    # the data, typed (judge.typed_data)
    src.add(body, "if not data:")
    src.add(body + 1, f"data = {b(_EMPTY)}")
    src.add(body, "elif data.__class__ is not dict:")
    src.add(body + 1, "return None")
    src.add(body, "values = {}")
    lists = b(wf.lists)
    for spec in event.data:
        name, coercer, spec_name = b(spec.name), b(COERCERS[spec.type]), b(spec)
        src.add(body, f"raw = data.get({name})")
        src.add(body, "if raw is None:")
        if spec.default is not None:
            src.add(body + 1, f"raw = {b(spec.default.fn)}(values, fields0, ctx)")
            src.add(body, "if raw is None:")
            src.add(body + 1, f"values[{name}] = None")
            src.add(body, "else:")
            src.add(body + 1, f"values[{name}] = {coercer}({spec_name}, raw, {lists})")
        else:
            src.add(body + 1, "return None" if spec.required else f"values[{name}] = None")
            src.add(body, "else:")
            src.add(body + 1, f"values[{name}] = {coercer}({spec_name}, raw, {lists})")
    src.add(body, "if not data.keys() <= values.keys():")
    src.add(body + 1, "return None")
    # the guards (judge.judge): the event's, then the transition chosen by its `when:` and guards
    if event.guards:
        src.add(body, f"if not {b(event.all_guards.holds)}(values, fields0, ctx):")  # type: ignore
        src.add(body + 1, "return None")
    src.add(body, "chosen = None")
    for i, step in enumerate(steps):
        tr = step.transition
        tests = []
        if tr.when is not None:
            tests.append(f"{b(tr.when.holds)}(values, fields0, ctx)")
        if tr.guards:
            tests.append(f"{b(tr.all_guards.holds)}(values, fields0, ctx)")  # type: ignore
        src.add(body, f"if {' and '.join(tests) or 'True'}:")
        if i:
            src.add(body + 1, "if chosen is not None:")
            src.add(body + 2, "return None")
        src.add(body + 1, f"chosen = {i}")
    src.add(body, "if chosen is None:")
    src.add(body + 1, "return None")
    for i, step in enumerate(steps):
        src.add(body, f"if chosen == {i}:")
        _effects(src, body + 1, wf, machine, event_name, status, step)
    src.add(1, "except Exception:")
    src.add(2, "return None")
    code = compile("\n".join(src.lines), f"<{wf.name}: {event_name} from {status}>", "exec")
    exec(code, src.namespace)  # defines _fast, from this module's templates only
    return src.namespace["_fast"]  # type: ignore[no-any-return]


def _effects(src: _Source, d: int, wf: Workflow, machine: CompiledMachine, event_name: str,
             status: str, step: Step) -> None:
    """What decide.effects does for this step, written out."""
    b = src.bind
    tr = step.transition
    event, tr_ = b(wf.events[event_name]), b(tr)
    src.add(d, "locked = inst.locked")
    src.add(d, "fields = dict(fields0)")
    src.add(d, "intrays = ctx.intrays")
    src.add(d, "copied = False")
    src.add(d, "letters = []")
    src.add(d, "opened = []")
    src.add(d, "closed = []")
    src.add(d, "numbers = {}")
    src.add(d, "others = None")
    src.add(d, "spawned = None")
    src.add(d, "skipped = None")
    for ef in step.effects:
        if ef.__class__ is Assignments:
            when = ef.when
            inner = d
            if when is not None:
                src.add(d, f"if not {b(when.fn)}(values, fields, ctx):")
                src.add(d + 1, f"skipped = [*(skipped or ()), *{b(ef.effects)}]")
                src.add(d, "else:")
                inner = d + 1
            src.add(inner, f"if locked and not {b(ef.targets)}.isdisjoint(locked):")
            src.add(inner + 1, "return None")
            src.add(inner, f"{b(ef.fn)}(values, fields, ctx)")
            continue
        assert isinstance(ef, Effect)
        ef_ = b(ef)
        inner = d
        if ef.when is not None:
            src.add(d, f"if not {b(ef.when.fn)}(values, fields, ctx):")
            src.add(d + 1, f"skipped = [*(skipped or ()), {ef_}]")
            src.add(d, "else:")
            inner = d + 1
        _effect(src, inner, wf, ef, ef_, event, tr_)
    status_to = tr.target_from(status)
    src.add(d, "locked_after = locked")
    if event_name in wf.locks:
        src.add(d, f"locked_after = {b(machine.locked_after)}(locked, {b(event_name)})")
    src.add(d, f"logged = (now, {b(event_name)}, actor, values, {b(status)}, {b(status_to)}, "
               f"{b(tr.source)})")
    src.add(d, f"return {b(Outcome)}(inst, {tr_}, {b(status_to)}, fields, intrays, letters, "
               f"logged, fields0, opened, closed, numbers, locked_after, {b(step)}, others, "
               "spawned, skipped)")


def _effect(src: _Source, d: int, wf: Workflow, ef: Effect, ef_: str, event: str,
            tr_: str) -> None:
    """One effect, as decide.effects works it out (`ef_`, `event`, `tr_`: the names bound to the
    effect, its event and its transition)."""
    b = src.bind
    kind = ef.kind
    target = b(ef.target)
    if kind == "set":
        src.add(d, f"if {target} in locked:")  # decide says whether it may be set
        src.add(d + 1, "return None")
        value = b(ef.constant[0]) if ef.constant \
            else f"{b(ef.value.fn)}(values, fields, ctx)"  # type: ignore[union-attr]
        if ef.trusted or ef.constant:
            src.add(d, f"fields[{target}] = {value}")
        else:
            src.add(d, f"fields[{target}] = {b(coerce)}({b(wf.fields[ef.target])}, {value}, "
                       f"{b(wf.lists)})")
    elif kind == "open":
        src.add(d, "if not copied:")
        src.add(d + 1, "intrays = ctx.intrays = list(intrays)")
        src.add(d + 1, "copied = True")
        about = f"{b(ef.about.fn)}(values, fields, ctx)" if ef.about else "None"
        assign = f"{b(ef.assign.fn)}(values, fields, ctx)" if ef.assign else "None"
        src.add(d, f"item = ({target}, now, {b(_due)}({b(wf)}, {ef_}, values, fields, ctx), "
                   f"{about}, {assign}, None)")
        src.add(d, "intrays.append(item)")
        src.add(d, "opened.append(item)")
    elif kind in ("close", "assign"):
        about = f"{b(ef.about.fn)}(values, fields, ctx)" if ef.about else "None"
        src.add(d, f"about = {about}")
        if kind == "assign":
            src.add(d, f"who = {b(ef.assign.fn)}(values, fields, ctx)")  # type: ignore
        src.add(d, "for i, item in enumerate(intrays):")
        test = f"item[{TRAY_CLOSED}] is None and item[{TRAY_CODE}] == {target}"
        if ef.about is not None:
            test += f" and item[{TRAY_ABOUT}] == about"
        src.add(d + 1, f"if {test}:")
        src.add(d + 2, "if not copied:")
        src.add(d + 3, "intrays = ctx.intrays = list(intrays)")
        src.add(d + 3, "copied = True")
        if kind == "close":
            src.add(d + 2, f"intrays[i] = (*item[:{TRAY_CLOSED}], now)")
            src.add(d + 2, "closed.append(intrays[i])")
        else:
            src.add(d + 2, f"intrays[i] = (*item[:{TRAY_ASSIGNED}], who, item[{TRAY_CLOSED}])")
    elif kind == "letter":
        src.add(d, f"letters.append({b(Letter)}({target}, {b(ef.to)}, now))")
    elif kind == "number":
        key = b((wf.name, ef.target))
        src.add(d, f"number = cases.sequences.get({key}, 0) + 1")
        src.add(d, f"numbers[{key}] = number")
        src.add(d, f"{b(_set)}(inst, {event}, {ef_}, fields, number)")
    elif kind == "append":
        parts = ", ".join(f"({b(k)}, {b(v.fn)}(values, fields, ctx))" for k, v in ef.record)
        src.add(d, f"record = {{k: v for k, v in ({parts},) if v is not None}}" if ef.record
                else "record = {}")
        src.add(d, f"{b(_append)}(inst, {event}, {ef_}, fields, record)")
    elif kind == "update":
        src.add(d, f"others = {b(_update)}(cases, inst, {event}, {tr_}, {ef_}, values, fields, "
                   "ctx, others)")
    else:  # start, signal
        src.add(d, f"spawned = (spawned or []) + {b(_start_or_signal)}(cases, inst, {ef_}, "
                   "values, fields, ctx, spawned, None)")

