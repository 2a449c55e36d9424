"""What the workbench's pages show, as plain data for the templates: no I/O, no HTML.

The diagrams are Graphviz's SVG (drawn by engine.render, kept in a small cache since a workflow
version and a route always draw the same picture), readied to sit inline in a page with the current
status marked.
"""
from __future__ import annotations

import re
from collections import OrderedDict
from datetime import datetime
from threading import Lock
from typing import Any

from ..clock import parse_moment
from ..docs.html import inline_svg
from ..model import Event, Workflow
from ..render import extract, render

_CACHE: OrderedDict[tuple, str] = OrderedDict()
_CACHE_LOCK = Lock()
CACHE_SIZE = 64


def diagram_svg(wf: Workflow, taken: tuple[tuple[str, str, str], ...] = (),
                current: str = "") -> str:
    """The workflow's diagram as inline SVG: the route `taken` drawn over it, the status `current`
    marked (class "current"); a sentence instead when Graphviz cannot draw it."""
    key = (wf.name, wf.version, taken, current)
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    try:
        svg = render(wf, "svg", list(taken) if taken else None).decode("utf-8")
    except (RuntimeError, OSError, ValueError):  # Graphviz is missing or failed: the page says so
        return ""
    svg = inline_svg(svg, f"Diagram of {wf.title}")
    if current:
        node = next((n.id for n in extract(wf).nodes if n.kind == "status" and n.name == current),
                    None)
        if node is not None:
            svg = re.sub(r'<g id="(node\d+)" class="node">\s*<title>' + re.escape(node)
                         + "</title>",
                         lambda m: m.group(0).replace('class="node"', 'class="node current"'), svg,
                         count=1)
    with _CACHE_LOCK:
        _CACHE[key] = svg
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return svg


def route(state: dict) -> tuple[tuple[str, str, str], ...]:
    """The route a case took: each event of its history with the statuses it went from and to."""
    return tuple((h["event"], h["from"], h["to"]) for h in state.get("history")
                 or () if h.get("event"))


def intrays(state: dict, now: datetime) -> list[dict]:
    """The case's intrays, open first, each with `overdue` (open and strictly past due, R48)."""
    out = []
    for item in state.get("intrays") or ():
        late = item.get("state") == "open" and item.get("due") is not None \
            and parse_moment(item["due"]) < now
        out.append({**item, "overdue": late, "due_shown": moment(item.get("due"))})
    return sorted(out, key=lambda i: (i.get("state") != "open", str(i.get("due") or "")))


def moment(text: Any) -> str:
    return "" if text is None else str(text).replace("T", " ")[:16]


def shown(value: Any) -> str:
    """A field's value as words (a list of records one per line)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return "; ".join(shown(v) for v in value) or "none"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {shown(v)}" for k, v in value.items())
    return str(value).replace("T", " ") \
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:]+", value) \
        else str(value)


def field_rows(wf: Workflow, fields: dict) -> list[tuple[str, str]]:
    """The case's fields that have a value, each under its title."""
    out = []
    for name, value in fields.items():
        if value is None or value == [] or value == "":
            continue
        spec = wf.fields.get(name)
        out.append((spec.title if spec is not None and spec.title else name.replace("_", " "),
                    shown(value)))
    return out


def areas_and_roles(workflows: list[Workflow]) -> tuple[list[str], list[str]]:
    """The areas and roles the workflows' events name in `by:` (who may fire them)."""
    areas: set[str] = set()
    roles: set[str] = set()
    for wf in workflows:
        for ev in wf.events.values():
            if ev.by is not None:
                areas.update(ev.by.areas)
                roles.update(ev.by.roles)
    return sorted(areas), sorted(roles)


def event_title(wf: Workflow, name: str) -> str:
    ev: Event | None = wf.events.get(name)
    return ev.title if ev is not None and ev.title else name.replace("_", " ")
