"""A transition's effects as the runtime applies them: consecutive `set:` effects compiled into one
call."""
from __future__ import annotations

import ast
from functools import partial

from .expr import compile_assignments
from .model import Effect, Expr, Transition, Workflow
from .values import coerce


class Assignments:
    """Consecutive `set:` effects of a transition under the same `if:` (or none), compiled into one
    call.

    `fn(data, fields, ctx)` does what the effects do one by one; `_apply` uses it when none of
    `targets` is locked, and does the effects one by one otherwise, or when it raised (to say which
    effect failed and why). Done again after `fn` raised part-way, the effects must work from the
    fields as they were: `saved` names the targets the effects read (`n: n + 1`), put back first;
    the others are set again to the same values.
    """

    __slots__ = ("effects", "when", "targets", "saved", "fn")

    def __init__(self, effects: tuple[Effect, ...], wf: Workflow):
        self.effects = effects
        self.when = effects[0].when
        self.targets = frozenset(ef.target for ef in effects)
        read = set().union(*(_fields_read(ef.value) for ef in effects
                             if ef.value is not None and not ef.constant))
        self.saved = tuple(sorted(read & self.targets))
        self.fn = compile_assignments([
            (ef.target, ef.value,
             None if ef.trusted else partial(coerce, wf.fields[ef.target], lists=wf.lists),
             ef.constant) for ef in effects])


def _fields_read(expr: Expr) -> set[str]:
    """The instance fields a compiled expression reads (its `fields.get('NAME')` calls)."""
    return {node.args[0].value for node in ast.walk(expr.tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "fields"
            and node.args and isinstance(node.args[0], ast.Constant)}


def steps(tr: Transition, wf: Workflow) -> tuple[Effect | Assignments, ...]:
    """A transition's effects in order, runs of two or more `set:` effects under the same `if:` (or
    none) as Assignments. Effects share an `if:` when they come from one `set:` entry, whose `if:`
    is tested once, before any of its fields is set."""
    plan: list[Effect | Assignments] = []
    run: list[Effect] = []

    def flush() -> None:
        if len(run) > 1:
            plan.append(Assignments(tuple(run), wf))
        else:
            plan.extend(run)
        run.clear()

    for ef in tr.effects:
        joins = ef.kind == "set" and ef.value is not None and run and ef.when is run[0].when
        if not joins:
            flush()
        if ef.kind == "set" and ef.value is not None:
            run.append(ef)
        else:
            plan.append(ef)
    flush()
    return tuple(plan)
