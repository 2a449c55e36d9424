"""The one graph extraction behind every diagram: a workflow, and optionally a path taken, as a
neutral description."""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from ..model import Event, Transition, Workflow
from .labels import Condition, conditions, wrap

MERGE_AT = 3  # this many sources of one event into one status meet at a merge point first


class Taken(NamedTuple):
    """One accepted step of a path: the event, the statuses, and the transition taken when known."""

    event: str
    source: str
    target: str
    transition: Transition | None = None


@dataclass(frozen=True, slots=True)
class Marks:
    """Changes drawn over a diagram (`procflow diff --diagram`): what the new version added or
    changed, and what it removed, drawn from the old version. Moves are (event, from status, to
    status)."""

    statuses: dict[str, str] = field(default_factory=dict)  # status -> "added" | "changed"
    # move -> "added" | "changed"
    moves: dict[tuple[str, str, str], str] = field(default_factory=dict)
    # (name, group, final) in the old version
    removed_statuses: tuple[tuple[str, str, bool], ...] = ()
    # (event, its title, from, to) in the old version
    removed_moves: tuple[tuple[str, str, str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Node:
    id: str  # safe in DOT and Mermaid: ASCII letters, digits and _
    name: str  # the status's name; "" for the start and junction points
    kind: str  # status | start | choice (one event's branches) | merge (sources of one event meet)
    group: str = ""
    final: bool = False
    initial: bool = False
    keeps: tuple[str, ...] = ()  # keys of the Kept rows that apply in this status
    taken: bool = False  # the highlighted path visits it
    # with Marks: added | changed | removed (drawn from the old version); "" otherwise
    mark: str = ""


@dataclass(frozen=True, slots=True)
class Edge:
    tail: str
    head: str
    # start | move | choose (to a choice) | branch (from a choice) | feed (into a merge) | join
    # (from a merge) | return (back into a merge: to the status the case came from) | loop (a path's
    # step that kept the status)
    kind: str
    events: tuple[str, ...] = ()
    title: tuple[str, ...] = ()  # the event's title, wrapped
    guard: tuple[str, ...] = ()  # the short form of the `when:`, wrapped
    effects: int | None = None  # key into Diagram.effects
    steps: tuple[int, ...] = ()  # numbers of the highlighted path's steps over this edge
    taken: bool = False  # the highlighted path goes over it
    # leads only to statuses declared before its source: a layout need not follow it
    back: bool = False
    # a feed a return also goes over, the other way: drawn with an arrow at its status
    both: bool = False
    # with Marks: added | changed | removed (drawn from the old version); "" otherwise
    mark: str = ""


@dataclass(frozen=True, slots=True)
class Move:
    """One change of status, merged per (event, from, to): what the analysis and the highlight speak
    of."""

    event: str
    source: str
    target: str
    guard: str  # in words; the alternatives of merged transitions joined with "or"


@dataclass(frozen=True, slots=True)
class Effects:
    """A distinct set of effects, keyed by number in the legend; a conditional one ends with '?'."""

    key: int
    opened: tuple[str, ...]
    closed: tuple[str, ...]
    letters: tuple[str, ...]
    others: tuple[str, ...] = ()  # workflows a case of which is started or signalled

    def _parts(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return (("↑", self.opened), ("↓", self.closed), ("✉", self.letters), ("▶", self.others))

    @property
    def marker(self) -> str:
        return "".join(s for s, codes in self._parts() if codes)

    def text(self) -> str:
        return "  ".join(f"{s} {', '.join(c)}" for s, c in self._parts() if c)


@dataclass(frozen=True, slots=True)
class Kept:
    """Events that keep the status, drawn once in the legend instead of a loop per event and
    status."""

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
    events: tuple[str, ...] = ()  # the workflow's events, in the order it declares them

    def node(self, name: str) -> Node:
        return next(n for n in self.nodes if n.name == name and n.kind == "status")

    def has(self, kind: str) -> bool:
        """Whether some edge (start, move, choose, ..., return) or node (choice, merge) is of this
        kind."""
        return any(e.kind == kind for e in self.edges) or any(n.kind == kind for n in self.nodes)


def safe_id(text: str, taken: set[str], prefix: str = "s_") -> str:
    """An identifier of ASCII letters, digits and _ for `text`, distinct from those already
    taken."""
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


@dataclass
class _Plan:
    """How one event's changes of status are drawn, decided before any is drawn."""

    event: Event
    trees: list[tuple[str, list[_Item]]]  # (source, items): a choice from that status
    directs: dict[tuple[str, str, int | None], list[_Item]]  # (target, words, effects) -> items


_EFFECT_KINDS = ("open", "close", "letter", "start")


class _DiagramBuilder:
    def __init__(self, wf: Workflow) -> None:
        self.wf = wf
        self.ids: set[str] = {"start", "legend"}
        self.sid = {name: safe_id(name, self.ids) for name in wf.statuses}
        self.edges: list[Edge] = []
        self.junctions: list[Node] = []
        self.effect_keys: dict[tuple, int] = {}

    def effects(self, transitions: Iterable[Transition]) -> int | None:
        """The key of the intrays, letters and other cases of these transitions; '?' where not in
        every case."""
        per: list[dict[tuple[str, str], bool]] = []
        for t in transitions:
            mine: dict[tuple[str, str], bool] = {}
            for ef in t.effects:
                kind = "start" if ef.kind == "signal" else ef.kind
                if kind in _EFFECT_KINDS:
                    mine[(kind, ef.target)] = mine.get((kind, ef.target), False) or ef.when is None
            per.append(mine)
        found: dict[tuple[str, str], bool] = {}
        for mine in per:
            for key, sure in mine.items():
                found[key] = found.get(key, True) and sure
        found = {key: sure and all(key in mine for mine in per) for key, sure in found.items()}
        sig = tuple(tuple(code + ("" if sure else "?") for (k, code), sure in found.items()
                          if k == kind)
                    for kind in _EFFECT_KINDS)
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


def _groups(items: list[_Item], hoisted: Sequence[str] = ()) -> list[tuple[list[str], list[_Item]]]:
    """Items sharing conditions beyond `hoisted`, the most shared first: (the shared keys, the
    items); the rest last, together."""
    left, found = list(items), []
    while left:
        counts: dict[str, int] = {}
        for it in left:
            for key in dict.fromkeys(c.key for c in it.conds if c.key not in hoisted):
                counts[key] = counts.get(key, 0) + 1
        best = max(counts.items(), key=lambda kv: kv[1], default=("", 0))
        if best[1] < 2 or best[1] == len(items):
            break
        mine = [it for it in left if any(c.key == best[0] for c in it.conds)]
        shared = [c.key for c in mine[0].conds if c.key not in hoisted
                  and all(any(d.key == c.key for d in it.conds) for it in mine)]
        found.append((shared, mine))
        left = [it for it in left if it not in mine]
    return [*found, ([], left)] if left else found


def _common(items: Sequence[_Item]) -> list[str]:
    """The condition keys every item has, in the first item's order."""
    return [c.key for c in items[0].conds
            if all(any(d.key == c.key for d in it.conds) for it in items[1:])]


def _words(conds: Iterable[Condition], hoisted: Sequence[str] = ()) -> str:
    return " and ".join(c.words for c in conds if c.key not in hoisted)


def _guard(conds: Sequence[Condition], keys: Sequence[str], back: bool = False) -> tuple[str, ...]:
    """Conditions said once for several branches, then where the choice leads (`→ the FIELD`)."""
    mine = [c for c in conds if c.key in keys]
    selectors = dict.fromkeys(c.selects for c in mine if c.selects)
    lead = "→ back to the " if back else "→ the "
    return (*wrap(" and ".join(c.words for c in mine if not c.selects)),
            *wrap(" and ".join(lead + s for s in selectors)))


def _either(items: Sequence[_Item], hoisted: Sequence[str] = ()) -> str:
    alternatives = list(dict.fromkeys(_words(it.conds, hoisted) for it in items))
    if "" in alternatives:
        return ""
    if len(alternatives) > 1:
        alternatives = [f"({a})" if " and " in a else a for a in alternatives]
    return " or ".join(alternatives)


def _plan(ev: Event, b: _DiagramBuilder, kept: dict[str, list[Transition]]) -> _Plan:
    """An event's items: several from one status make a choice there; a single one goes direct."""
    by_source: dict[str, list[_Item]] = {}
    for t in ev.transitions:
        for src in t.sources:
            dst = t.target_from(src)
            if dst == src:
                kept.setdefault(ev.name, []).append(t)
                continue
            conds = conditions(t.when.text, dst) if t.when else []
            by_source.setdefault(src, []).append(_Item(ev.name, src, dst, t, conds))
    plan = _Plan(ev, [], {})
    for src, mine in by_source.items():
        if len({it.target for it in mine}) > 1:
            plan.trees.append((src, mine))
        else:
            sig = (mine[0].target, _either(mine), b.effects(it.transition for it in mine))
            plan.directs.setdefault(sig, []).extend(mine)
    return plan


def _round_trip(group: list[_Item], hoisted: Sequence[str],
                merges: dict[tuple[str, str], dict[str, int]],
                ) -> dict[str, int] | None:
    """The feeds of a merge into the items' status that they go back over: when they go back to
    exactly the statuses the merge comes from, each chosen by one field (`original_outcome ==
    '<status>'`), and nothing else tells them apart."""
    selects = {c.selects for it in group for c in it.conds if c.selects}
    if len(selects) != 1 or len(group) < 2:
        return None
    rest = [*hoisted, *(c.key for it in group for c in it.conds if c.selects)]
    if any(_words(it.conds, rest) != _words(group[0].conds, rest) for it in group):
        return None
    targets = {it.target for it in group}
    src = group[0].source
    if len(targets) != len(group):
        return None
    for (event, dst), feeds in merges.items():
        if dst == src and event != group[0].event and set(feeds) == targets:
            return feeds
    return None


class _Drawer:
    """Draws the plans: direct edges (several sources meeting at a merge point), and choice
    trees."""

    def __init__(self, wf: Workflow, b: _DiagramBuilder) -> None:
        self.wf, self.b = wf, b
        # (event, target) -> {source: feed edge}
        self.merges: dict[tuple[str, str], dict[str, int]] = {}

    def directs(self, p: _Plan) -> None:
        b, ev = self.b, p.event
        for (dst, words, effects), group in p.directs.items():
            if len(group) < MERGE_AT:
                for it in group:
                    it.segments.append(b.add(Edge(b.sid[it.source], b.sid[dst], "move", (ev.name,),
                                                  wrap(ev.title), wrap(words), effects)))
                continue
            merge = b.junction("merge", ev.name, self.wf.statuses[dst].group)
            trunk = b.add(Edge(merge, b.sid[dst], "join", (ev.name,), wrap(ev.title), wrap(words),
                               effects))
            feeds = self.merges.setdefault((ev.name, dst), {})
            for it in group:
                feeds[it.source] = b.add(Edge(b.sid[it.source], merge, "feed", (ev.name,)))
                it.segments += [feeds[it.source], trunk]

    def tree(self, ev: Event, src: str, items: list[_Item]) -> None:
        """A choice at `src`: the event's title and the conditions all its branches share on the way
        in."""
        b = self.b
        if self.back(items, [], b.sid[src], wrap(ev.title)):  # all of them: one edge, no choice
            return
        common = _common(items)
        choice = b.junction("choice", ev.name, self.wf.statuses[src].group)
        trunk = b.add(Edge(b.sid[src], choice, "choose", (ev.name,), wrap(ev.title),
                           _guard(items[0].conds, common)))
        for it in items:
            it.segments.append(trunk)
        self.branches(ev, choice, items, common)

    def back(self, group: list[_Item], hoisted: list[str], tail: str,
             title: tuple[str, ...] = ()) -> bool:
        """Items that go back to where a merge came from, drawn as one edge back into the merge; it
        says the conditions not already said on the way to `tail`."""
        feeds = _round_trip(group, hoisted, self.merges)
        if feeds is None:
            return False
        b = self.b
        shown = [c.key for c in group[0].conds if c.key not in hoisted]
        edge = b.add(Edge(tail, b.edges[next(iter(feeds.values()))].head, "return",
                          (group[0].event,), title,
                          _guard(group[0].conds, shown, back=True),
                          b.effects(it.transition for it in group)))
        for it in group:
            b.edges[feeds[it.target]] = replace(b.edges[feeds[it.target]], both=True)
            it.segments += [edge, feeds[it.target]]
        return True

    def branches(self, ev: Event, at: str, items: list[_Item], hoisted: list[str]) -> None:
        b = self.b
        for shared, group in _groups(items, hoisted):
            targets = list(dict.fromkeys(it.target for it in group))
            if shared and len(targets) > 1:
                if self.back(group, hoisted, at):
                    continue
                sub = b.junction("choice", ev.name, self.wf.statuses[group[0].source].group)
                edge = b.add(Edge(at, sub, "choose", (ev.name,), (),
                                  _guard(group[0].conds, shared)))
                for it in group:
                    it.segments.append(edge)
                self.branches(ev, sub, group, [*hoisted, *shared])
                continue
            for dst in targets:
                same = [it for it in group if it.target == dst]
                branch = b.add(Edge(at, b.sid[dst], "branch", (ev.name,), (),
                                    wrap(_either(same, hoisted)),
                                    b.effects(it.transition for it in same)))
                for it in same:
                    it.segments.append(branch)


def extract(wf: Workflow, taken: Sequence[Taken | tuple[str, str, str]] | None = None,
            marks: Marks | None = None) -> Diagram:
    """The diagram of a workflow; with `taken`, the steps of a path marked and numbered on it; with
    `marks`, what changed since another version coloured, and what it removed drawn in."""
    b = _DiagramBuilder(wf)
    status = wf.statuses
    b.add(Edge("start", b.sid[wf.initial], "start"))
    kept: dict[str, list[Transition]] = {}  # event -> its transitions that keep the status
    plans = [_plan(ev, b, kept) for ev in wf.events.values()]
    items = [it for p in plans for _, group in p.trees for it in group]
    items += [it for p in plans for group in p.directs.values() for it in group]
    drawer = _Drawer(wf, b)
    for p in plans:  # merges first: a choice elsewhere may go back over their feeds
        drawer.directs(p)
    for p in plans:
        for src, group in p.trees:
            drawer.tree(p.event, src, group)
    moves: dict[tuple[str, str, str], list[_Item]] = {}
    for it in items:
        moves.setdefault((it.event, it.source, it.target), []).append(it)
    _mark_back(wf, items, b)
    move_list = tuple(Move(e, s, d, _either(its)) for (e, s, d), its in moves.items())
    kept_rows = _kept(wf, kept, b)
    path, loops, visited = _path(wf, taken or (), moves, b)
    nodes = [Node("start", "", "start", taken=bool(path))]
    for name, st in status.items():
        keeps = tuple(k.key for k in kept_rows if name in k.statuses)
        nodes.append(Node(b.sid[name], name, "status", st.group, st.final, name == wf.initial,
                          keeps, name in visited))
    for name, steps in loops.items():
        b.add(Edge(b.sid[name], b.sid[name], "loop", tuple(dict.fromkeys(s.event for s in steps)),
                   steps=tuple(s.number for s in steps), taken=True))
    if marks is not None:
        nodes = _marked(wf, nodes, marks, moves, b)
    effects = tuple(Effects(k, *sig) for sig, k in b.effect_keys.items())
    codes = {c.rstrip("?") for e in effects for c in (*e.opened, *e.closed)}
    sent = {c.rstrip("?") for e in effects for c in e.letters}
    return Diagram(
        wf.name, wf.title, tuple(dict.fromkeys(s.group for s in status.values() if s.group)),
        (*nodes, *b.junctions), tuple(b.edges), move_list, effects, kept_rows,
        tuple((c, it.name) for c, it in wf.intrays.items() if c in codes),
        tuple((c, lt.title) for c, lt in wf.letters.items() if c in sent), path, tuple(wf.events))


def _marked(wf: Workflow, nodes: list[Node], marks: Marks,
            moves: dict[tuple[str, str, str], list[_Item]],
            b: _DiagramBuilder) -> list[Node]:
    """Colour what changed; draw in the statuses and moves the other version had (after the others,
    so that the ids and edges of the plain diagram stay as they are)."""
    nodes = [replace(n, mark=marks.statuses[n.name])
             if n.kind == "status" and n.name in marks.statuses else n
             for n in nodes]
    per: dict[int, list[str]] = {}
    for key, its in moves.items():
        for it in its:
            for seg in it.segments:
                per.setdefault(seg, []).append(marks.moves.get(key, ""))
    for seg, found in per.items():
        mark = "added" if all(m == "added" for m in found) else "changed" if any(found) else ""
        if mark:
            b.edges[seg] = replace(b.edges[seg], mark=mark)
    groups = {st.group for st in wf.statuses.values()}
    for name, group, final in marks.removed_statuses:
        if name not in b.sid:
            b.sid[name] = safe_id(name, b.ids)
            nodes.append(Node(b.sid[name], name, "status", group if group in groups else "", final,
                              mark="removed"))
    for event, title, src, dst in marks.removed_moves:
        if src in b.sid and dst in b.sid:
            b.add(Edge(b.sid[src], b.sid[dst], "move" if src != dst else "loop", (event,),
                       wrap(title),
                       mark="removed"))
    return nodes


def _mark_back(wf: Workflow, items: list[_Item], b: _DiagramBuilder) -> None:
    """An edge is back when every transition over it goes to a status declared before its source."""
    order = {name: i for i, name in enumerate(wf.statuses)}
    back: dict[int, bool] = {}
    for it in items:
        for seg in it.segments:
            back[seg] = back.get(seg, True) and order[it.target] < order[it.source]
    for seg, is_back in back.items():
        if is_back:
            b.edges[seg] = replace(b.edges[seg], back=True)


def _kept(wf: Workflow, kept: dict[str, list[Transition]], b: _DiagramBuilder) -> tuple[Kept, ...]:
    rows: dict[tuple[str, ...], list[tuple[str, int | None]]] = {}
    for event, transitions in kept.items():
        where = {s for t in transitions for s in t.sources}
        statuses = tuple(s for s in wf.statuses if s in where)
        rows.setdefault(statuses, []).append((wf.events[event].title, b.effects(transitions)))
    out = []
    for i, (statuses, events) in enumerate(rows.items()):
        out.append(Kept(chr(ord("A") + i) if i < 26 else f"K{i + 1}", statuses,
                        _where(wf, statuses), tuple(events)))
    return tuple(out)


def _where(wf: Workflow, statuses: tuple[str, ...]) -> str:
    others = [s for s in wf.statuses if s not in statuses]
    if not others:
        return "every status"
    if len(statuses) > 4 and len(others) <= 2:
        return "every status but " + " and ".join(others)
    return ", ".join(statuses)


def _same(a: Transition, b: Transition) -> bool:
    """One transition, though perhaps of another load of the same file: the same place in it."""
    return a is b or (a.pos is not None and b.pos is not None and a.event == b.event
                      and a.pos[1:] == b.pos[1:])


def _path(wf: Workflow, taken: Sequence[Taken | tuple[str, str, str]],
          moves: dict[tuple[str, str, str], list[_Item]],
          b: _DiagramBuilder) -> tuple[tuple[PathStep, ...], dict[str, list[PathStep]], set[str]]:
    """Number the steps, mark the segments they went over, gather the steps that kept the status."""
    path: list[PathStep] = []
    loops: dict[str, list[PathStep]] = {}
    visited: set[str] = set()
    marks: dict[int, list[int]] = {}
    for n, raw in enumerate(taken, 1):
        step = Taken(*raw)
        event, src, dst = step.event, step.source, step.target
        if event not in wf.events or src not in wf.statuses or dst not in wf.statuses:
            raise ValueError(f"step {n} ({event} from {src} to {dst}) is not part of "
                             f"workflow {wf.name}")
        path.append(PathStep(n, event, wf.events[event].title, src, dst))
        visited |= {src, dst}
        if src == dst:
            loops.setdefault(src, []).append(path[-1])
            continue
        if (event, src, dst) not in moves:
            raise ValueError(
                f"step {n}: {event} does not move {src} to {dst} in workflow {wf.name}")
        over = moves[(event, src, dst)]
        if step.transition is not None:  # the transition taken, when the caller knows it
            over = [it for it in over if _same(it.transition, step.transition)] or over
        for seg in dict.fromkeys(s for it in over for s in it.segments):
            marks.setdefault(seg, []).append(n)
    if path:
        marks.setdefault(0, []).append(0)
    for i, steps in marks.items():
        b.edges[i] = replace(b.edges[i], steps=tuple(s for s in steps if s), taken=True)
    return tuple(path), loops, visited
