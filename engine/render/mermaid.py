"""Mermaid `stateDiagram-v2` text of a diagram description, for Markdown viewers and wikis without
Graphviz."""
from __future__ import annotations

import json

from ..controls import visible
from .graph import Diagram, Edge, Node
from .labels import wrap
from .style import MARK_WORDS, MARKS, PATH, colours

# characters with a meaning in Mermaid's grammar, said as its entity codes
_ENTITIES = {"#": "#35;", ";": "#59;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "{": "#123;",
             "}": "#125;",
             "[": "#91;", "]": "#93;", ":": "#58;", "%": "#37;", "\u00a0": " "}


def text(value: str) -> str:
    """A name or label safe inside Mermaid: its special characters as entity codes, on one line."""
    return "".join(_ENTITIES.get(ch, ch) for ch in visible(value.replace("\n", " ")))


def _class(diagram: Diagram, node: Node) -> str:
    group = diagram.groups.index(node.group) + 1 if node.group in diagram.groups else 0
    return f"g{group}{'f' if node.final else ''}"


def _label(diagram: Diagram, edge: Edge) -> str:
    parts = [*edge.title, *edge.guard]
    if edge.effects is not None:
        marker = next(e.marker for e in diagram.effects if e.key == edge.effects)
        parts.append(f"[{edge.effects}] {marker}")
    if edge.steps:
        parts.insert(0, "step " + ", ".join(map(str, edge.steps)))
    if edge.mark:  # Mermaid's state diagrams cannot colour one transition: it says so
        parts.insert(0, edge.mark.upper())
    return "<br>".join(text(p) for p in parts if p)


def to_mermaid(diagram: Diagram) -> str:
    """stateDiagram-v2: statuses coloured by group (final ones with a thick border), choice points,
    a legend."""
    # a YAML double-quoted string
    title = json.dumps(f"{diagram.title} ({diagram.name})", ensure_ascii=False)
    out = ["---", f"title: {title}", "---", "stateDiagram-v2", "    direction LR"]
    for i, group in enumerate(("", *diagram.groups)):
        _, _, fill, line = colours(diagram, group)
        out.append(f"    classDef g{i} fill:{fill},stroke:{line},color:#000")
        out.append(f"    classDef g{i}f "
                   f"fill:{fill},stroke:{line},stroke-width:4px,color:#000,font-weight:bold")
    out.append(f"    classDef taken stroke:{PATH},stroke-width:4px")
    used = [m for m in MARKS
            if any(n.mark == m for n in diagram.nodes) or any(e.mark == m for e in diagram.edges)]
    for mark in used:
        dashes = ",stroke-dasharray:5 5,color:" + MARKS[mark] if mark == "removed" else ""
        out.append(f"    classDef {mark} stroke:{MARKS[mark]},stroke-width:4px{dashes}")
    classes: dict[str, list[str]] = {}
    for n in diagram.nodes:
        if n.kind == "status":
            out.append(f'    state "{text(n.name)}" as {n.id}')
            if n.keeps:
                out.append(f"    {n.id} : ⟲ {' '.join(n.keeps)}")
            classes.setdefault(_class(diagram, n), []).append(n.id)
            if n.taken:
                classes.setdefault("taken", []).append(n.id)
            if n.mark:
                classes.setdefault(n.mark, []).append(n.id)
        elif n.kind in ("choice", "merge"):
            out.append(f"    state {n.id} <<choice>>")
    backs = {e.head: f"r_{e.head}" for e in diagram.edges if e.kind == "return"}
    out += [f"    state {r} <<choice>>" for r in backs.values()]
    for e in diagram.edges:
        tail = "[*]" if e.tail == "start" else e.tail
        label = _label(diagram, e)
        # Mermaid has no arrow at both ends: a return goes to a choice of its own, and on to each
        # status
        head = backs[e.head] if e.kind == "return" else e.head
        out.append(f"    {tail} --> {head}" + (f" : {label}" if label else ""))
        if e.kind == "feed" and e.both:
            out.append(f"    {backs[e.head]} --> {e.tail}")
    out += _legend(diagram)
    out += [f"    class {','.join(ids)} {name}" for name, ids in classes.items()]
    return "\n".join(out) + "\n"


def _legend(diagram: Diagram) -> list[str]:
    """A state of its own holding the legend: how to read, groups, effects, kept events, codes and
    the path."""
    lines = []
    if any(n.final for n in diagram.nodes):
        lines.append("Thick border, bold name: a final status")
    if diagram.has("choice") or diagram.has("merge"):
        lines.append("Diamond: the event's data chooses the next status, or statuses join")
    lines += [f"{colours(diagram, g)[0].capitalize()}: {g}" for g in diagram.groups]
    if diagram.effects:
        marks = "".join(e.marker for e in diagram.effects)
        said = [f"{s} {w}" for s, w in (("↑", "intray opened"), ("↓", "closed"),
                                        ("✉", "letter issued"),
                                        ("▶ W:", "a case of workflow W started")) if s[0] in marks]
        if any(c.endswith("?") for e in diagram.effects
               for c in (*e.opened, *e.closed, *e.letters, *e.others)):
            said.append("? only in some cases")
        lines.append("Effects [n]: " + ", ".join(said))
        lines += [f"[{e.key}] {e.text()}" for e in diagram.effects]
    for k in diagram.kept:
        lines.append(f"⟲ {k.key}: these keep the status ({k.where})")
        lines += [f"- {title}" + (f" [{n}]" if n else "") for title, n in k.events]
    lines += [f"{code}: {name}" for code, name in (*diagram.intrays, *diagram.letters)]
    lines += [f"Step {s.number}: {s.title} ({s.source} → {s.target})" for s in diagram.path]
    marked = {n.mark for n in diagram.nodes} | {e.mark for e in diagram.edges}
    lines += [MARK_WORDS[m].capitalize() + f" (a transition's label starts {m.upper()})"
              for m in MARKS
              if m in marked]
    wrapped = [part for line in lines for part in wrap(line, 64, max_lines=20)]
    return ['    state "Legend" as legend', *(f"    legend : {text(line)}" for line in wrapped)]
