"""The one graph extraction behind every diagram: a workflow, and optionally a path taken, as a neutral description."""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from ..model import Transition, Workflow
from .labels import Condition, conditions, wrap

MERGE_AT = 3  # this many sources of one event into one status meet at a merge point first

# (event, from status, to status) of an accepted step
Taken = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class Node:
    id: str  # safe in DOT and Mermaid: letters, digits and _
    name: str  # the status's name; "" for the start and junction points
    kind: str  # status | start | choice (one event's branches) | merge (sources of one event meet)
    group: str = ""
    final: bool = False
    initial: bool = False
    keeps: tuple[str, ...] = ()  # keys of the Kept rows that apply in this status
    taken: bool = False  # the highlighted path visits it


@dataclass(frozen=True, slots=True)
class Edge:
    tail: str
    head: str
    # start | move | choose (to a choice) | branch (from a choice) | feed (into a merge) | join (from a merge) | loop
    kind: str
    events: tuple[str, ...] = ()
    title: tuple[str, ...] = ()  # the event's title, wrapped
    guard: tuple[str, ...] = ()  # the short form of the `when:`, wrapped
    effects: int | None = None  # key into Diagram.effects
    steps: tuple[int, ...] = ()  # numbers of the highlighted path's steps over this edge
    taken: bool = False  # the highlighted path goes over it
    back: bool = False  # leads only to statuses declared before its source: a layout need not follow it


@dataclass(frozen=True, slots=True)
class Move:
    """One change of status, merged per (event, from, to): what the analysis and the highlight speak of."""

    event: str
    source: str
    target: str
    guard: str  # in words; the alternatives of merged transitions joined with "or"
    effects: int | None


@dataclass(frozen=True, slots=True)
class Effects:
    """A distinct set of effects, keyed by number in the legend; a conditional code ends with '?'."""

    key: int
    opened: tuple[str, ...]
    closed: tuple[str, ...]
    letters: tuple[str, ...]

    @property
    def marker(self) -> str:
        return "".join(s for s, codes in (("↑", self.opened), ("↓", self.closed), ("✉", self.letters)) if codes)

    def text(self) -> str:
        return "  ".join(f"{s} {', '.join(c)}" for s, c in (("↑", self.opened), ("↓", self.closed),
                                                           ("✉", self.letters)) if c)


@dataclass(frozen=True, slots=True)
class Kept:
    """Events that keep the status, drawn once in the legend instead of a loop per event and status."""

    key: str
    statuses: tuple[str, ...]
    where: str  # the statuses in words
    events: tuple[tuple[str, int | None], ...]  # (title, effects key)


@dataclass(frozen=True, slots=True)
class PathStep:
    number: int
    event: str
    title: str
    source: str
    target: str


@dataclass(frozen=True, slots=True)
class Diagram:
    name: str
    title: str
    groups: tuple[str, ...]  # the statuses' groups, in the order they first appear
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    moves: tuple[Move, ...]
    effects: tuple[Effects, ...]
    kept: tuple[Kept, ...]
    intrays: tuple[tuple[str, str], ...]  # (code, name) of every intray the diagram mentions
    letters: tuple[tuple[str, str], ...]
    path: tuple[PathStep, ...] = ()

    def node(self, name: str) -> Node:
        return next(n for n in self.nodes if n.name == name and n.kind == "status")


def safe_id(text: str, taken: set[str], prefix: str = "s_") -> str:
    """An identifier of letters, digits and _ for `text`, distinct from those already taken."""
    base = prefix + (re.sub(r"\W+", "_", text, flags=re.ASCII).strip("_") or "x")
    found, n = base, 1
    while found in taken:
        n += 1
        found = f"{base}_{n}"
    taken.add(found)
    return found


@dataclass
class _Item:
    """One transition from one status to another while it is being drawn."""

    event: str
    source: str
    target: str
    transition: Transition
    conds: list[Condition]
    segments: list[int] = field(default_factory=list)


class _Builder:
    def __init__(self, wf: Workflow) -> None:
        self.wf = wf
        self.ids: set[str] = {"start"}
        self.sid = {name: safe_id(name, self.ids) for name in wf.statuses}
        self.edges: list[Edge] = []
        self.junctions: list[Node] = []
        self.effect_keys: dict[tuple, int] = {}

    def effects(self, transitions: Iterable[Transition]) -> int | None:
        found: dict[str, dict[str, bool]] = {"open": {}, "close": {}, "letter": {}}
        for t in transitions:
            mine: dict[tuple[str, str], bool] = {}
            for ef in t.effects:
                if ef.kind in found:
                    mine[(ef.kind, ef.target)] = mine.get((ef.kind, ef.target), False) or ef.when is None
            for (kind, code), sure in mine.items():
                found[kind][code] = found[kind].get(code, True) and sure
        sig = tuple(tuple(c + ("" if sure else "?") for c, sure in found[k].items()) for k in ("open", "close", "letter"))
        if not any(sig):
            return None
        return self.effect_keys.setdefault(sig, len(self.effect_keys) + 1)

    def add(self, edge: Edge) -> int:
        self.edges.append(edge)
        return len(self.edges) - 1

    def junction(self, kind: str, event: str, group: str) -> str:
        node_id = safe_id(event, self.ids, prefix="c_" if kind == "choice" else "m_")
        self.junctions.append(Node(node_id, "", kind, group=group))
        return node_id


def _groups(items: list[_Item]) -> list[tuple[list[str], list[_Item]]]:
    """Items sharing conditions, the most shared first: (the shared keys, the items); singles last."""
    left, found = list(items), []
    while left:
        counts: dict[str, int] = {}
        for it in left:
            for key in dict.fromkeys(c.key for c in it.conds):
                counts[key] = counts.get(key, 0) + 1
        best = max(counts.items(), key=lambda kv: kv[1], default=("", 0))
        if best[1] < 2:
            break
        mine = [it for it in left if any(c.key == best[0] for c in it.conds)]
        shared = [c.key for c in mine[0].conds if all(any(d.key == c.key for d in it.conds) for it in mine)]
        found.append((shared, mine))
        left = [it for it in left if it not in mine]
    if len(left) > 1 and len({it.target for it in left}) > 1:
        return [*found, ([], left)]
    return [*found, *(([], [it]) for it in left)]


def _words(conds: Iterable[Condition], hoisted: Sequence[str] = ()) -> str:
    return " and ".join(c.words for c in conds if c.key not in hoisted)


def _trunk_guard(conds: Sequence[Condition], hoisted: Sequence[str]) -> tuple[str, ...]:
    """The shared conditions of a choice's branches, then where the choice leads (`→ the FIELD`)."""
    mine = [c for c in conds if c.key in hoisted]
    return (*wrap(" and ".join(c.words for c in mine if not c.selects)),
            *wrap(" and ".join(dict.fromkeys(c.key for c in mine if c.selects))))


def _either(items: Sequence[_Item], hoisted: Sequence[str] = ()) -> str:
    alternatives = list(dict.fromkeys(_words(it.conds, hoisted) for it in items))
    if "" in alternatives:
        return ""
    if len(alternatives) > 1:
        alternatives = [f"({a})" if " and " in a else a for a in alternatives]
    return " or ".join(alternatives)


def extract(wf: Workflow, taken: Sequence[Taken] | None = None) -> Diagram:
    """The diagram of a workflow; with `taken`, the steps of a path marked and numbered on it."""
    b = _Builder(wf)
    status = wf.statuses
    b.add(Edge("start", b.sid[wf.initial], "start"))
    items: list[_Item] = []
    kept: dict[str, list[str]] = {}  # event -> statuses it keeps
    kept_tr: dict[str, list[Transition]] = {}
    for ev in wf.events.values():
        by_source: dict[str, list[_Item]] = {}
        for t in ev.transitions:
            for src in t.sources:
                dst = t.target_from(src)
                if dst == src:
                    kept.setdefault(ev.name, []).append(src)
                    kept_tr.setdefault(ev.name, []).append(t)
                    continue
                conds = conditions(t.when.text, dst) if t.when else []
                by_source.setdefault(src, []).append(_Item(ev.name, src, dst, t, conds))
        directs: dict[tuple, list[_Item]] = {}
        for src, mine in by_source.items():
            items += mine
            for shared, group in _groups(mine):
                if len(group) == 1 and not shared:
                    it = group[0]
                    sig = (it.target, _words(it.conds), b.effects([it.transition]))
                    directs.setdefault(sig, []).append(it)
                    continue
                choice = b.junction("choice", ev.name, status[src].group)
                hoisted = [c.key for c in group[0].conds if c.key in shared]
                trunk = b.add(Edge(b.sid[src], choice, "choose", (ev.name,), wrap(ev.title),
                                   _trunk_guard(group[0].conds, hoisted)))
                for dst in dict.fromkeys(it.target for it in group):
                    same = [it for it in group if it.target == dst]
                    branch = b.add(Edge(choice, b.sid[dst], "branch", (ev.name,), (), wrap(_either(same, hoisted)),
                                        b.effects(it.transition for it in same)))
                    for it in same:
                        it.segments += [trunk, branch]
        for (dst, words, effects), group in directs.items():
            if len(group) >= MERGE_AT:
                merge = b.junction("merge", ev.name, status[dst].group)
                trunk = b.add(Edge(merge, b.sid[dst], "join", (ev.name,), wrap(ev.title), wrap(words), effects))
                for it in group:
                    it.segments += [b.add(Edge(b.sid[it.source], merge, "feed", (ev.name,))), trunk]
            else:
                for it in group:
                    it.segments.append(b.add(Edge(b.sid[it.source], b.sid[dst], "move", (ev.name,), wrap(ev.title),
                                                  wrap(words), effects)))
    moves: dict[tuple[str, str, str], list[_Item]] = {}
    for it in items:
        moves.setdefault((it.event, it.source, it.target), []).append(it)
    _mark_back(wf, items, b)
    move_list = tuple(Move(e, s, d, _either(its), b.effects(it.transition for it in its))
                      for (e, s, d), its in moves.items())
    kept_rows = _kept(wf, kept, kept_tr, b)
    path, loops, visited = _path(wf, taken or (), moves, b)
    nodes = [Node("start", "", "start", taken=bool(path))]
    for name, st in status.items():
        keeps = tuple(k.key for k in kept_rows if name in k.statuses)
        nodes.append(Node(b.sid[name], name, "status", st.group, st.final, name == wf.initial, keeps, name in visited))
    for name, steps in loops.items():
        b.add(Edge(b.sid[name], b.sid[name], "loop", tuple(dict.fromkeys(s.event for s in steps)),
                   steps=tuple(s.number for s in steps), taken=True))
    effects = tuple(Effects(k, *sig) for sig, k in b.effect_keys.items())
    codes = {c.rstrip("?") for e in effects for c in (*e.opened, *e.closed)}
    sent = {c.rstrip("?") for e in effects for c in e.letters}
    return Diagram(
        wf.name, wf.title, tuple(dict.fromkeys(s.group for s in status.values() if s.group)),
        (*nodes, *b.junctions), tuple(b.edges), move_list, effects, kept_rows,
        tuple((c, it.name) for c, it in wf.intrays.items() if c in codes),
        tuple((c, lt.title) for c, lt in wf.letters.items() if c in sent), path)


def _mark_back(wf: Workflow, items: list[_Item], b: _Builder) -> None:
    """An edge is back when every transition over it goes to a status declared before its source."""
    order = {name: i for i, name in enumerate(wf.statuses)}
    back: dict[int, bool] = {}
    for it in items:
        for seg in it.segments:
            back[seg] = back.get(seg, True) and order[it.target] < order[it.source]
    for seg, is_back in back.items():
        if is_back:
            b.edges[seg] = replace(b.edges[seg], back=True)


def _kept(wf: Workflow, kept: dict[str, list[str]], kept_tr: dict[str, list[Transition]], b: _Builder) -> tuple[Kept, ...]:
    rows: dict[tuple[str, ...], list[tuple[str, int | None]]] = {}
    for event, where in kept.items():
        statuses = tuple(s for s in wf.statuses if s in where)
        rows.setdefault(statuses, []).append((wf.events[event].title, b.effects(kept_tr[event])))
    out = []
    for i, (statuses, events) in enumerate(rows.items()):
        out.append(Kept(chr(ord("A") + i) if i < 26 else f"K{i + 1}", statuses, _where(wf, statuses), tuple(events)))
    return tuple(out)


def _where(wf: Workflow, statuses: tuple[str, ...]) -> str:
    others = [s for s in wf.statuses if s not in statuses]
    if not others:
        return "every status"
    if len(statuses) > 4 and len(others) <= 2:
        return "every status but " + " and ".join(others)
    return ", ".join(statuses)


def _path(wf: Workflow, taken: Sequence[Taken], moves: dict[tuple[str, str, str], list[_Item]],
          b: _Builder) -> tuple[tuple[PathStep, ...], dict[str, list[PathStep]], set[str]]:
    """Number the steps, mark the segments they went over, gather the steps that kept the status."""
    path, loops, visited = [], {}, set()  # type: ignore[var-annotated]
    marks: dict[int, list[int]] = {}
    for n, (event, src, dst) in enumerate(taken, 1):
        if event not in wf.events or src not in wf.statuses or dst not in wf.statuses:
            raise ValueError(f"step {n} ({event} from {src} to {dst}) is not part of workflow {wf.name}")
        step = PathStep(n, event, wf.events[event].title, src, dst)
        path.append(step)
        visited |= {src, dst}
        if src == dst:
            loops.setdefault(src, []).append(step)
            continue
        if (event, src, dst) not in moves:
            raise ValueError(f"step {n}: {event} does not move {src} to {dst} in workflow {wf.name}")
        for seg in dict.fromkeys(s for it in moves[(event, src, dst)] for s in it.segments):
            marks.setdefault(seg, []).append(n)
    if path:
        marks.setdefault(0, []).append(0)
    for i, steps in marks.items():
        b.edges[i] = replace(b.edges[i], steps=tuple(s for s in steps if s), taken=True)
    return tuple(path), loops, visited
