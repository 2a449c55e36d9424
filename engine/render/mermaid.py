"""Mermaid `stateDiagram-v2` text of a diagram description, for Markdown viewers and wikis without Graphviz."""
from __future__ import annotations

from .graph import Diagram, Edge, Node
from .style import PATH, colours

# characters with a meaning in Mermaid's grammar, said as its entity codes
_ENTITIES = {"#": "#35;", ";": "#59;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "{": "#123;", "}": "#125;",
             "[": "#91;", "]": "#93;", ":": "#58;", "\u00a0": " "}


def text(value: str) -> str:
    """A name or label safe inside Mermaid: its special characters as entity codes, on one line."""
    return "".join(_ENTITIES.get(ch, ch) for ch in value.replace("\n", " "))


def _class(diagram: Diagram, node: Node) -> str:
    group = diagram.groups.index(node.group) + 1 if node.group in diagram.groups else 0
    return f"g{group}{'f' if node.final else ''}"


def _label(diagram: Diagram, edge: Edge) -> str:
    parts = [" ".join(edge.title), " ".join(edge.guard)]
    if edge.effects is not None:
        marker = next(e.marker for e in diagram.effects if e.key == edge.effects)
        parts.append(f"[{edge.effects}] {marker}")
    if edge.steps:
        parts.insert(0, "step " + ", ".join(map(str, edge.steps)))
    return "<br>".join(text(p) for p in parts if p)


def to_mermaid(diagram: Diagram) -> str:
    """stateDiagram-v2: statuses coloured by group (final ones with a thick border), choice points, a legend."""
    out = ["---", f"title: {text(diagram.title)} ({diagram.name})", "---", "stateDiagram-v2", "    direction LR"]
    for i, group in enumerate(("", *diagram.groups)):
        _, _, fill, line = colours(diagram, group)
        out.append(f"    classDef g{i} fill:{fill},stroke:{line},color:#000")
        out.append(f"    classDef g{i}f fill:{fill},stroke:{line},stroke-width:4px,color:#000,font-weight:bold")
    out.append(f"    classDef taken stroke:{PATH},stroke-width:4px")
    classes: dict[str, list[str]] = {}
    for n in diagram.nodes:
        if n.kind == "status":
            out.append(f'    state "{text(n.name)}" as {n.id}')
            if n.keeps:
                out.append(f"    {n.id} : ⟲ {' '.join(n.keeps)}")
            classes.setdefault(_class(diagram, n), []).append(n.id)
            if n.taken:
                classes.setdefault("taken", []).append(n.id)
        elif n.kind in ("choice", "merge"):
            out.append(f"    state {n.id} <<choice>>")
    for e in diagram.edges:
        tail = "[*]" if e.tail == "start" else e.tail
        label = _label(diagram, e)
        out.append(f"    {tail} --> {e.head}" + (f" : {label}" if label else ""))
    out += _legend(diagram)
    out += [f"    class {','.join(ids)} {name}" for name, ids in classes.items()]
    return "\n".join(out) + "\n"


def _legend(diagram: Diagram) -> list[str]:
    """A state of its own holding the legend: groups, effects, kept events, codes and the path."""
    lines = ["Thick border: final status. Diamond: the event's data chooses, or statuses join."]
    lines += [f"{colours(diagram, g)[0].capitalize()}: {g}" for g in diagram.groups]
    lines += [f"[{e.key}] {e.text()}" for e in diagram.effects]
    lines += ["↑ intray opened, ↓ closed, ✉ letter issued, ? only in some cases"] if diagram.effects else []
    for k in diagram.kept:
        events = "; ".join(title + (f" [{n}]" if n else "") for title, n in k.events)
        lines.append(f"⟲ {k.key} keep the status ({k.where}): {events}")
    lines += [f"{code}: {name}" for code, name in (*diagram.intrays, *diagram.letters)]
    lines += [f"Step {s.number}: {s.title} ({s.source} → {s.target})" for s in diagram.path]
    return ['    state "Legend" as legend', *(f"    legend : {text(line)}" for line in lines)]
