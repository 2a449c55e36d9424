"""A transition's effects as the runtime applies them: consecutive `set:` effects compiled into one call."""
from __future__ import annotations

from functools import partial

from .expr import compile_assignments
from .model import Effect, Transition, Workflow
from .values import coerce


class Assignments:
    """Consecutive `set:` effects of a transition under the same `if:` (or none), compiled into one call.

    `fn(data, fields, ctx)` does what the effects do one by one; `_apply` uses it when none of `targets` is
    locked, and does the effects one by one otherwise, or when it raised (to say which effect failed and why).
    """

    __slots__ = ("effects", "when", "targets", "fn")

    def __init__(self, effects: tuple[Effect, ...], wf: Workflow):
        self.effects = effects
        self.when = effects[0].when
        self.targets = frozenset(ef.target for ef in effects)
        self.fn = compile_assignments([
            (ef.target, ef.value, None if ef.trusted else partial(coerce, wf.fields[ef.target], lists=wf.lists),
             ef.constant) for ef in effects])


def steps(tr: Transition, wf: Workflow) -> tuple[Effect | Assignments, ...]:
    """A transition's effects in order, runs of two or more `set:` effects under the same `if:` (or none) as
    Assignments. Effects share an `if:` when they come from one `set:` entry, whose `if:` is tested once,
    before any of its fields is set."""
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
