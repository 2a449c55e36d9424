"""Graphviz drawing of a diagram description: DOT text, and SVG, PNG or PDF through the `dot` program."""
from __future__ import annotations

from html import escape

import graphviz

from .graph import Diagram, Edge, Node
from .style import EDGE, EFFECT, PATH, colours

FONT = "DejaVu Sans"


def _h(text: str) -> str:
    return escape(text, quote=False)


def _node_label(node: Node) -> str:
    name = f"<b>{_h(node.name)}</b>" if node.final else _h(node.name)
    if node.keeps:
        name += f'<br/><font point-size="8" color="#555555">⟲ {" ".join(node.keeps)}</font>'
    return f"<{name}>"


def _effect(diagram: Diagram, edge: Edge) -> str:
    marker = next(e.marker for e in diagram.effects if e.key == edge.effects)
    return f'<font color="{EFFECT}"><b>[{edge.effects}]</b> {marker}</font>'


def _edge_label(diagram: Diagram, edge: Edge) -> str:
    lines = [_h(t) for t in edge.title]
    lines += [f"<i>{_h(g)}</i>" for g in edge.guard]
    if edge.effects is not None and edge.kind != "branch":
        lines.append(_effect(diagram, edge))
    if edge.steps:
        lines.insert(0, f'<font color="{PATH}"><b>step {", ".join(map(str, edge.steps))}</b></font>')
    return f"<{'<br/>'.join(lines)}>" if lines else ""


def graph(diagram: Diagram) -> graphviz.Digraph:
    """The Digraph: a cluster per group, junction points, labelled edges and the legend below."""
    g = graphviz.Digraph(diagram.name)
    highlight = bool(diagram.path)
    g.attr("graph", rankdir=__import__("os").environ.get("RD", "LR"), fontname=FONT, fontsize="11", nodesep="0.18", ranksep="0.3",
           newrank="true", labelloc="b", labeljust="l", pad="0.2",
           label=f"<{legend(diagram)}>")
    g.attr("node", fontname=FONT, fontsize="10", shape="box", style="rounded,filled", penwidth="1.2",
           margin="0.12,0.04", height="0.35")
    g.attr("edge", fontname=FONT, fontsize="8", color=EDGE, arrowsize="0.6", penwidth="1")
    for i, group in enumerate(("", *diagram.groups)):
        _, bg, _, border = colours(diagram, group)
        members = [n for n in diagram.nodes if n.group == group and n.kind == "status"]
        if not members:
            continue
        sub = graphviz.Digraph(f"cluster_{i}") if group else g
        if group:
            sub.attr(label=f"<<b>{_h(group)}</b>>", style="rounded,filled", fillcolor=bg, color=border,
                     fontcolor=border, fontsize="11", margin="10")
        for n in members:
            _, _, fill, line = colours(diagram, n.group)
            attrs = {"fillcolor": fill, "color": line}
            if n.final:
                attrs["peripheries"] = "2"
            if highlight and n.taken:
                attrs.update(color=PATH, penwidth="2.5")
            sub.node(n.id, _node_label(n), **attrs)
        if group:
            g.subgraph(sub)
    for n in diagram.nodes:
        if n.kind == "start":
            g.node(n.id, "", shape="circle", style="filled", fillcolor="black", width="0.16", height="0.16")
        elif n.kind == "choice":
            g.node(n.id, "", shape="diamond", style="filled", fillcolor="white", width="0.22", height="0.22")
        elif n.kind == "merge":
            g.node(n.id, "", shape="circle", style="filled", fillcolor=EDGE, width="0.09", height="0.09")
    for e in diagram.edges:
        attrs = {}
        if e.kind in ("feed", "start"):
            attrs["arrowhead"] = "none" if e.kind == "feed" else "normal"
        tail, head = e.tail, e.head
        if e.back:  # drawn from its head, arrow at the start: the layout keeps the procedure's order
            tail, head = head, tail
            attrs.update(dir="back", style="dashed")
        if e.effects is not None and e.kind == "branch":  # beside the status it leads to
            attrs.update(headlabel=f"<{_effect(diagram, e)}>", labeldistance="2.2", labelangle="25")
            if e.back:
                attrs.update(taillabel=attrs.pop("headlabel"))
        if e.taken:
            attrs.update(color=PATH, penwidth="2.5", fontcolor=PATH if e.kind == "loop" else "black")
        label = _edge_label(diagram, e)
        g.edge(tail, head, label=label, **attrs) if label else g.edge(tail, head, **attrs)
    return g


def legend(diagram: Diagram) -> str:
    """The legend as one Graphviz HTML grid: how to read, the effects, the kept events, the codes, the path."""
    keys = ["double border: final status (the application is finalised)",
            "◇ the event's data chooses the next status",
            "● several statuses lead on by one event",
            "[n] ↑ intrays opened ↓ closed ✉ letters issued (see Effects)",
            "? only in some cases",
            "dashed: back to a status of an earlier table",
            "⟲ A: the events of row A keep the status"]
    how = [[_td(k)] for k in keys]
    for group in diagram.groups:
        _, _, fill, line = colours(diagram, group)
        how.append([f'<td align="left" bgcolor="{fill}" border="1"><font color="{line}">{_h(group)}</font></td>'])
    sections = [("How to read", 1, how)]
    if diagram.effects:
        sections.append(("Effects", 2, [[_td(str(e.key)), _td(e.text())] for e in diagram.effects]))
    if diagram.kept:
        kept: list[list[str]] = []
        for k in diagram.kept:
            for i, (title, n) in enumerate(k.events):
                span = f' rowspan="{len(k.events)}"'
                row = [_td(k.key, span)] if i == 0 else []
                effect = f' <font color="{EFFECT}">[{n}]</font>' if n else ""
                row.append(_td(_h(title) + effect, raw=True))
                if i == 0:
                    row.append(_td(f"<i>{_h(k.where)}</i>", span, raw=True))
                kept.append(row)
        sections.append(("Events that keep the status", 3, kept))
    codes = [[_td(c), _td(name)] for c, name in (*diagram.intrays, *diagram.letters)]
    if codes:
        sections.append(("Intrays and letters", 2, codes))
    if diagram.path:
        sections.append(("Path", 3, [[_td(str(s.number)), _td(s.title), _td(f"{s.source} → {s.target}")]
                                     for s in diagram.path]))
    # two bands of sections side by side, so that the legend is about as wide as the drawing
    half = (len(sections) + 1) // 2
    bands = [_band(sections[:half]), _band(sections[half:])] if len(sections) > 2 else [_band(sections)]
    head = f'<tr><td align="left" border="0"><b>{_h(diagram.title)}</b> ({_h(diagram.name)})</td></tr>'
    body = "".join(f'<tr><td align="left" border="0">{band}</td></tr>' for band in bands if band)
    return f'<table border="0" cellborder="0" cellspacing="0" cellpadding="0">{head}\n{body}</table>'


def _band(sections: list[tuple[str, int, list[list[str]]]]) -> str:
    """Sections side by side in one grid: a title row, then row i of each section (padded)."""
    if not sections:
        return ""
    height = max(len(rows) for _, _, rows in sections)
    gap = '<td border="0" width="14"></td>'
    grid = ["<tr>" + gap.join(f'<td align="left" colspan="{cols}" border="0"><b>{_h(title)}</b></td>'
                              for title, cols, _ in sections) + "</tr>"]
    for i in range(height):
        cells = []
        for _, cols, rows in sections:
            cells.append("".join(rows[i]) if i < len(rows) else f'<td border="0" colspan="{cols}"></td>')
        grid.append("<tr>" + gap.join(cells) + "</tr>")
    return ('<table border="0" cellborder="0" cellspacing="0" cellpadding="3" color="#BBBBBB">'
            + "\n".join(grid) + "</table>")


def _td(text: str, attrs: str = "", raw: bool = False) -> str:
    return f'<td align="left" balign="left" border="1"{attrs}>{text if raw else _h(text)}</td>'


def to_dot(diagram: Diagram) -> str:
    return graph(diagram).source


def draw(diagram: Diagram, fmt: str) -> bytes:
    """SVG, PNG or PDF bytes, drawn by Graphviz's `dot` program."""
    try:
        return graph(diagram).pipe(format=fmt)
    except graphviz.ExecutableNotFound as exc:
        raise RuntimeError("drawing needs Graphviz's `dot` program (apt-get install graphviz); "
                           "--format dot and --format mermaid work without it") from exc
