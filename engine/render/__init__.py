"""Diagrams of workflows: one graph extraction (graph.py), drawn as DOT/SVG/PNG/PDF (dot.py) or Mermaid."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..model import Workflow
from .graph import Diagram, Taken, extract

FORMATS = ("svg", "png", "pdf", "dot", "mermaid")
TEXT_FORMATS = ("svg", "dot", "mermaid")

__all__ = ["FORMATS", "TEXT_FORMATS", "Diagram", "Taken", "extract", "render", "taken_steps"]


def taken_steps(steps: Iterable[Any], instance: str = "main") -> list[Taken]:
    """The accepted events of one instance among a scenario's step results, as (event, from, to)."""
    return [(s.event, s.from_status, s.to_status) for s in steps
            if s.kind == "event" and not s.refused and s.instance == instance]


def render(wf: Workflow, fmt: str, taken: list[Taken] | None = None) -> bytes:
    """The diagram of a workflow in a format; `taken` (event, from, to) steps are drawn as a path."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown diagram format '{fmt}' (known: {', '.join(FORMATS)})")
    diagram = extract(wf, taken)
    if fmt == "mermaid":
        from .mermaid import to_mermaid

        return to_mermaid(diagram).encode("utf-8")
    from .dot import draw, to_dot

    if fmt == "dot":
        return to_dot(diagram).encode("utf-8")
    return draw(diagram, fmt)
