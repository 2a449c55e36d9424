"""Graphviz drawing of a diagram description: DOT text, and SVG, PNG or PDF through the `dot`
program."""
from __future__ import annotations

import re
from html import escape

from ..controls import visible
from .graph import Diagram, Edge, Node
from .style import EDGE, EFFECT, MARK_WORDS, MARKS, PATH, colours

FONT = "DejaVu Sans,Verdana,sans-serif"  # SVG viewers without DejaVu Sans take the next
REACH = ("move", "branch", "join")  # the edges that lead into a status


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
        lines.insert(0,
                     f'<font color="{PATH}"><b>step {", ".join(map(str, edge.steps))}</b></font>')
    return f"<{'<br/>'.join(lines)}>" if lines else ""


def layout(diagram: Diagram) -> tuple[set[int], list[list[str]]]:
    """What steers the layout: the edges that must not set a status's column, and the columns.

    A status is placed by the first event (in the workflow's order) that leads into it; a later
    event's edge into it is drawn without moving it (the Finalisation window's withdrawals stay
    with the other Table 3 outcomes). The statuses of one group that one choice first leads to
    share a column.
    """
    order = {name: i for i, name in enumerate(diagram.events)}
    into: dict[str, list[tuple[int, Edge]]] = {}
    for i, e in enumerate(diagram.edges):
        if e.kind in REACH and not e.back:
            into.setdefault(e.head, []).append((i, e))
    loose: set[int] = set()
    columns: dict[tuple[str, str], list[str]] = {}
    group = {n.id: n.group for n in diagram.nodes}
    for head, edges in into.items():
        first = min(order.get(e.events[0], 0) for _, e in edges)
        loose |= {i for i, e in edges if order.get(e.events[0], 0) > first}
        tails = {e.tail for _, e in edges if order.get(e.events[0], 0) == first}
        if len(tails) == 1 and all(e.kind == "branch" for _, e in edges if e.tail in tails):
            columns.setdefault((tails.pop(), group[head]), []).append(head)
    return loose, [ids for ids in columns.values() if len(ids) > 1]


def to_dot(diagram: Diagram) -> str:
    """The DOT text: a cluster per group, junction points, labelled edges and the legend below.

    Written here rather than by the graphviz package, so that the text (which diagrams/NAME.dot
    keeps, and the tests compare) depends on nothing but the diagram.
    """
    highlight = bool(diagram.path)
    loose, columns = layout(diagram)
    out = [f"digraph {_q(diagram.name)} {{",
           _stmt("graph", {"rankdir": "LR", "fontname": FONT, "fontsize": "11", "nodesep": "0.18",
                           "ranksep": "0.3",
                           "newrank": "true", "labelloc": "b", "labeljust": "l", "pad": "0.2",
                           "label": f"<{legend(diagram)}>"}),
           _stmt("node", {"fontname": FONT, "fontsize": "10", "shape": "box",
                          "style": "rounded,filled",
                          "penwidth": "1.2", "margin": "0.12,0.04", "height": "0.35"}),
           _stmt("edge", {"fontname": FONT, "fontsize": "8", "color": EDGE, "arrowsize": "0.6",
                          "penwidth": "1"})]
    for i, group in enumerate(("", *diagram.groups)):
        members = [n for n in diagram.nodes if n.group == group and n.kind == "status"]
        if not members:
            continue
        indent = "\t\t" if group else "\t"
        if group:
            _, bg, _, border = colours(diagram, group)
            out.append(f"\tsubgraph cluster_{i} {{")
            out.append(_stmt("graph", {"label": f"<<b>{_h(group)}</b>>", "style": "rounded,filled",
                                       "fillcolor": bg,
                                       "color": border, "fontcolor": border, "fontsize": "11",
                                       "margin": "10"},
                             indent))
        for n in members:
            _, _, fill, line = colours(diagram, n.group)
            attrs = {"label": _node_label(n), "fillcolor": fill, "color": line}
            if n.final:
                attrs["peripheries"] = "2"
            if highlight and n.taken:
                attrs.update(color=PATH, penwidth="2.5")
            if n.mark:
                attrs.update(color=MARKS[n.mark], penwidth="2.5")
                if n.mark == "removed":
                    attrs.update(style="rounded,dashed,filled", fillcolor="white",
                                 fontcolor=MARKS[n.mark])
            out.append(_stmt(n.id, attrs, indent))
        ids = {n.id for n in members}
        out += [f"{indent}{{rank=same; {'; '.join(column)}}}" for column in columns
                if column[0] in ids]
        if group:
            out.append("\t}")
    for n in diagram.nodes:
        if n.kind == "start":
            out.append(_stmt(n.id, {"label": "", "shape": "circle", "style": "filled",
                                    "fillcolor": "black",
                                    "width": "0.16", "height": "0.16"}))
        elif n.kind == "choice":
            out.append(_stmt(n.id, {"label": "", "shape": "diamond", "style": "filled",
                                    "fillcolor": "white",
                                    "width": "0.22", "height": "0.22"}))
        elif n.kind == "merge":
            out.append(_stmt(n.id, {"label": "", "shape": "circle", "style": "filled",
                                    "fillcolor": EDGE,
                                    "width": "0.09", "height": "0.09"}))
    for i, e in enumerate(diagram.edges):
        tail, head, attrs = _edge(diagram, e, i in loose)
        out.append(_stmt(f"{tail} -> {head}", attrs))
    out.append("}")
    return "\n".join(out) + "\n"


_KEYWORDS = {"node", "edge", "graph", "digraph", "subgraph", "strict"}


def _q(value: str) -> str:
    """A DOT ID: as it is when it is a plain name or number, `<...>` HTML as it is, else quoted."""
    if value.startswith("<") and value.endswith(">"):
        return value
    if (re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*|-?(\.[0-9]+|[0-9]+(\.[0-9]*)?)", value)
            and value.lower() not in _KEYWORDS):
        return value
    return '"' + visible(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _stmt(head: str, attrs: dict[str, str], indent: str = "\t") -> str:
    """`head [key=value ...]`, the keys sorted so that the text never depends on the order they were
    set in."""
    return f"{indent}{head} [{' '.join(f'{k}={_q(v)}' for k, v in sorted(attrs.items()))}]"


def _edge(diagram: Diagram, e: Edge, loose: bool) -> tuple[str, str, dict[str, str]]:
    attrs: dict[str, str] = {}
    if e.kind == "feed":
        attrs["arrowhead"] = "none"
        if e.both:
            attrs.update(dir="both", arrowtail="normal")
    tail, head = e.tail, e.head
    if e.back:  # drawn from its head, arrow at the start: the layout keeps the procedure's order
        tail, head = head, tail
        attrs.update(dir="back", style="dashed")
    if loose:
        attrs["constraint"] = "false"
    if e.effects is not None and e.kind == "branch":  # beside the status it leads to
        attrs.update({"taillabel" if e.back else "headlabel": f"<{_effect(diagram, e)}>",
                      "labeldistance": "2.2", "labelangle": "25"})
    if e.taken:
        attrs.update(color=PATH, penwidth="2.5", fontcolor=PATH if e.kind == "loop" else "black")
    if e.mark:
        attrs.update(color=MARKS[e.mark], fontcolor=MARKS[e.mark], penwidth="2")
        if e.mark == "removed":  # the old version's: it does not place the statuses
            attrs.update(style="dashed", constraint="false")
    label = _edge_label(diagram, e)
    if label:
        attrs["label"] = label
    return tail, head, attrs


def how_to_read(diagram: Diagram) -> list[str]:
    """The keys that this diagram needs, and no others."""
    keys = []
    if any(n.final for n in diagram.nodes):
        keys.append("double border, bold name: a final status")
    if diagram.has("choice"):
        keys.append("◇ the event's data chooses the next status")
    if diagram.has("merge"):
        keys.append("● one event leads on from several statuses")
    if any(e.both for e in diagram.edges):
        keys.append("arrows at both ends: there, and back again")
    if any(e.back for e in diagram.edges):
        keys.append("dashed: back to a status declared earlier")
    if diagram.effects:
        keys.append("[n] the event's effects (see Effects):")
        marks = "".join(e.marker for e in diagram.effects)
        said = [f"{s} {w}" for s, w in (("↑", "intray opened"), ("↓", "closed"),
                                        ("✉", "letter issued")) if s in marks]
        if said:
            keys.append(" " + ", ".join(said))
        if "▶" in marks:
            keys.append(" ▶ W: a case of workflow W started")
        if any(c.endswith("?") for e in diagram.effects
               for c in (*e.opened, *e.closed, *e.letters, *e.others)):
            keys.append(" ? only in some cases")
    if diagram.kept:
        keys.append("⟲ A: the events of row A keep the status")
    if diagram.path:
        keys.append("red: the path taken, its steps numbered")
    return keys


def marks_used(diagram: Diagram) -> list[str]:
    """The kinds of change (added, changed, removed) marked on the diagram, in that order."""
    used = {n.mark for n in diagram.nodes} | {e.mark for e in diagram.edges}
    return [m for m in MARKS if m in used]


Section = tuple[str, list[list[str]]]  # a title and rows of cells


def legend(diagram: Diagram) -> str:
    """The legend as one Graphviz HTML grid of three slots side by side: how to read; the effects
    and the codes they name; the events that keep the status and the path. A grid stretches whatever
    it holds to fit, so nothing is nested: the sections of one slot share its columns."""
    how = [[_td("&#160;" * 4 * (len(k) - len(k.lstrip())) + _h(k.lstrip()), raw=True)]
           for k in how_to_read(diagram)]
    for group in diagram.groups:
        _, _, fill, line = colours(diagram, group)
        how.append([f'<td align="left" bgcolor="{fill}" border="1"><font '
                    f'color="{line}">{_h(group)}</font></td>'])
    for mark in marks_used(diagram):
        how.append(['<td align="left" border="1"><font '
                    f'color="{MARKS[mark]}"><b>{_h(MARK_WORDS[mark])}</b></font></td>'])
    middle: list[Section] = []
    if diagram.effects:
        middle.append(("Effects", [[_td(str(e.key)), _td(e.text())] for e in diagram.effects]))
    codes = [[_td(c), _td(name)] for c, name in (*diagram.intrays, *diagram.letters)]
    if codes:
        middle.append(("Intrays and letters", codes))
    right: list[Section] = []
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
        right.append(("Events that keep the status", kept))
    if diagram.path:
        right.append(("Path", [[_td(str(s.number)), _td(s.title), _td(f"{s.source} → {s.target}")]
                               for s in diagram.path]))
    slots = [(cols, _stack(sections, cols))
             for cols, sections in ((1, [("How to read", how)]), (2, middle), (3, right))
             if sections]
    height = max(len(rows) for _, rows in slots)
    gap = '<td border="0" width="16"></td>'
    grid = ["<tr>" + gap.join("".join(rows[i]) if i < len(rows)
                              else f'<td border="0" colspan="{cols}"></td>'
                              for cols, rows in slots) + "</tr>" for i in range(height)]
    span = sum(cols for cols, _ in slots) + len(slots) - 1
    head = (f'<tr><td align="left" colspan="{span}" border="0"><font '
            f'point-size="13"><b>{_h(diagram.title)}</b> ({_h(diagram.name)})</font></td></tr>')
    return ('<table border="0" cellborder="0" cellspacing="0" cellpadding="3" color="#BBBBBB">'
            + head + "\n" + "\n".join(grid) + "</table>")


def _stack(sections: list[Section], cols: int) -> list[list[str]]:
    """Sections one under another: each a title row, then its rows, a blank row between them."""
    rows: list[list[str]] = []
    for title, mine in sections:
        if rows:
            rows.append([f'<td border="0" colspan="{cols}"></td>'])
        rows.append([f'<td align="left" colspan="{cols}" border="0"><b>{_h(title)}</b></td>'])
        rows += mine
    return rows


def _td(text: str, attrs: str = "", raw: bool = False) -> str:
    return f'<td align="left" balign="left" border="1"{attrs}>{text if raw else _h(text)}</td>'


def draw(diagram: Diagram, fmt: str) -> bytes:
    """SVG, PNG or PDF bytes, drawn by Graphviz's `dot` program."""
    import graphviz

    try:
        # its errors are said below
        return graphviz.Source(to_dot(diagram)).pipe(format=fmt, quiet=True)
    except graphviz.ExecutableNotFound as exc:
        raise RuntimeError("drawing needs Graphviz's `dot` program (apt-get install graphviz); "
                           "--format dot and --format mermaid work without it") from exc
    # dot is there but broken (half installed, no plugins)
    except graphviz.CalledProcessError as exc:
        raise RuntimeError(_dot_failed(f"exit {exc.returncode}", exc.stderr)) from None
    # it stopped before reading the diagram (a broken pipe), or cannot be run
    except OSError as exc:
        raise RuntimeError(_dot_failed(exc.strerror or str(exc), None)) from None


def _dot_failed(how: str, stderr: bytes | None) -> str:
    """Why drawing failed: how `dot` ended and the first lines it wrote, escaped for a terminal."""
    said = (stderr or b"").decode("utf-8", "replace").strip().splitlines()[:3]
    text = "; ".join(repr(line[:200])[1:-1] for line in said)
    return (f"Graphviz's `dot` program failed ({how}{', saying: ' + text if text else ''}); "
            "reinstall it (apt-get install --reinstall graphviz), or use --format dot or --format "
            "mermaid, which work without it")
