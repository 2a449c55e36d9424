"""The words a diff says things in: a field's type, an event's name, an effect as the procedure says
it."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..model import (
    Effect,
    Event,
    Expr,
    FieldSpec,
    IntrayType,
    Transition,
    Who,
    Workflow,
)
from ..render.labels import say

# -- words --------------------------------------------------------------------------------------

def due_words(intray: IntrayType) -> str:
    """An intray's due period as the workflow writes it ('48 hours'), or that the event sets it."""
    return intray.due_text or "none (set by the event)"


def quoted(text: str) -> str:
    return f"'{text}'"


def sentence(text: str) -> str:
    """A sentence to be followed by more on the same line: without its closing full stop ('made.,
    group')."""
    return text.rstrip().removesuffix(".")


def expr_text(e: Expr | None) -> str:
    return e.text if e is not None else ""


def when_text(e: Expr | None) -> str:
    """A `when:` or `if:` in words ('outcome is Var-Increase')."""
    if e is None:
        return ""
    import ast

    try:
        return say(ast.parse(e.text.strip(), mode="eval").body)
    except SyntaxError:
        return e.text


def listed(values: Iterable[Any]) -> str:
    return ", ".join(str(v) for v in values)


def yes_no(flag: bool, yes: str, no: str) -> str:
    return yes if flag else no


def field_type(spec: FieldSpec) -> str:
    if spec.type == "choice" and spec.list:
        return f"choice of {spec.list}"
    if spec.type == "list" and spec.of is not None:
        return f"list of {field_type(spec.of)}"
    if spec.type == "list" and spec.record is not None:
        return "list of records (" + ", ".join(f"{r.name}: {field_type(r)}" for r in spec.record) \
            + ")"
    return spec.type


def field_name(spec: FieldSpec) -> str:
    return f"{spec.label} ({spec.name})" if spec.title and spec.title != spec.name else spec.name


def event_name(ev: Event) -> str:
    return f"{ev.title} ({ev.name})"


def transition_name(ev: Event, tr: Transition) -> str:
    sources = ", ".join(tr.sources)
    move = f"{sources} → {tr.target}" if tr.target is not None \
        else f"in {sources}, keeping the status"
    when = f" when {when_text(tr.when)}" if tr.when is not None else ""
    return f"{ev.title}: {move}{when}"


def effect_name(wf: Workflow, ef: Effect) -> str:
    k, t = ef.kind, ef.target
    if k == "open":
        return f"open intray {t}" + (f" ({wf.intrays[t].name})" if t in wf.intrays else "")
    if k == "close":
        return f"close intray {t}"
    if k == "assign":
        return f"route intray {t}"
    if k == "letter":
        return f"letter {t}" + (f" ({wf.letters[t].title})" if t in wf.letters else "")
    label = wf.fields[t].label if t in wf.fields else t
    if k == "set":
        return f"set {label}"
    if k == "number":
        return f"number {label}"
    if k == "append":
        return f"add to {label}"
    if k == "update":
        return f"update {t} cases"
    if k == "start":
        return f"start a {t} case ({ef.event})"
    return f"signal {t} cases ({ef.event})"


def effect_said(ef: Effect) -> str:
    """What an added or removed effect does beyond its name."""
    parts = []
    if ef.kind == "letter":
        parts.append(f"to {listed(ef.to)}")
    if ef.kind == "set" and ef.value is not None:
        parts.append(f"to {ef.value.text}")
    if ef.due is not None:
        parts.append(f"due {ef.due.text}")
    if ef.when is not None:
        parts.append(f"if {when_text(ef.when)}")
    return "; ".join(parts)


def transition_said(wf: Workflow, tr: Transition) -> str:
    parts = []
    if tr.guards:
        parts.append("guards " + "; ".join(quoted(g.says) for g in tr.guards))
    if tr.effects:
        parts.append("effects " + ", ".join(effect_name(wf, ef) for ef in tr.effects))
    return "; ".join(parts)


def who_text(by: Who | None) -> str:
    if by is None:
        return "anyone"
    return listed([*(f"area {a}" for a in by.areas), *(f"role {r}" for r in by.roles)])
