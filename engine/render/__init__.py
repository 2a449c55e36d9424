"""Diagrams of workflows: one graph extraction (graph.py), drawn as DOT/SVG/PNG/PDF (dot.py) or
Mermaid."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..model import Workflow
from .graph import Diagram, Marks, Taken, extract

FORMATS = ("svg", "png", "pdf", "dot", "mermaid")
TEXT_FORMATS = ("svg", "dot", "mermaid")
SUFFIXES = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot",
            ".mmd": "mermaid", ".mermaid": "mermaid"}  # the format a diagram file's name asks for

__all__ = ["FORMATS", "SUFFIXES", "TEXT_FORMATS", "Diagram", "Marks", "Taken", "extract", "render",
           "taken_steps"]


def taken_steps(steps: Iterable[Any], instance: str = "main",
                traces: Iterable[Any] = ()) -> list[Taken]:
    """The accepted events of one instance among a scenario's step results, in order.

    `traces` (what `run_scenario(..., trace=...)` was told, see `engine.outcome.Trace`) say which
    transition each event took, so that of two transitions between the same statuses only the one
    taken is drawn as the path; without them both are.
    """
    chosen = [t for t in traces if t.transition is not None and t.instance.name == instance]
    found = []
    for s in steps:
        if s.kind != "event" or s.refused or s.instance != instance:
            continue
        transition = None
        for i, t in enumerate(chosen):  # the first trace of this step's event between its statuses
            if (t.event == s.event and t.status == s.from_status
                    and t.transition.target_from(t.status) == s.to_status):
                transition = t.transition
                del chosen[: i + 1]
                break
        found.append(Taken(s.event, s.from_status, s.to_status, transition))
    return found


def render(wf: Workflow, fmt: str, taken: Iterable[Taken | tuple[str, str, str]] | None = None,
           marks: Marks | None = None) -> bytes:
    """The diagram of a workflow in a format; `taken` steps are drawn as a numbered path over it,
    `marks` (what changed since another version) coloured over it."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown diagram format '{fmt}' (known: {', '.join(FORMATS)})")
    diagram = extract(wf, list(taken) if taken is not None else None, marks)
    if fmt == "mermaid":
        from .mermaid import to_mermaid

        return to_mermaid(diagram).encode("utf-8")
    from .dot import draw, to_dot

    if fmt == "dot":
        return to_dot(diagram).encode("utf-8")
    return draw(diagram, fmt)
