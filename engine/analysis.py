"""Graph analysis of a workflow with networkx: positioned findings, and the routes from start to
end.

`analyse(wf)` reports, each at its place in the file:

| code | severity | meaning |
|---|---|---|
| unreachable | warning | no sequence of events leads from the initial status to this status |
| dead-end | error | a non-final status from which no final status can be reached: a case there is
stuck | | never-fires | warning | an event none of whose transitions can happen (only from
unreachable statuses, or its conditions never all pass on the boundary values they mention) | |
intray-left-open | warning | some route from where an intray is opened reaches a final status
without closing it | | unused-intray / unused-letter | warning | declared and never opened / never
issued | | overlapping-guards | warning | two transitions of one event from one status can both
pass, with a witness | | missing-source | warning | in a workflow with a `procedure:` catalogue, a
guard or an effect that does not say which step of the text it implements | | unknown-step | warning
| a `source:` cites a table or step of the workflow's own procedure document that its `procedure:`
catalogue (or the folder's other workflows' catalogues of that document) does not have |

Only `dead-end` is an error: it is certain from the graph and leaves cases with nowhere to go. The
others are certain but harmless to running (unreachable, unused), or found by sampling the values
the conditions mention (best effort), or questions for policy (intrays left open).
"""
from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterator
from itertools import combinations
from pathlib import Path
from typing import Any

import networkx as nx

from . import boundary_values as boundary
from .citations import number_runs
from .citations import parse as parse_citation
from .findings import Finding
from .model import Event, Expr, Pos, Transition, Workflow

SEVERITY = {"unreachable": "warning", "dead-end": "error", "never-fires": "warning",
            "intray-left-open": "warning",
            "unused-intray": "warning", "unused-letter": "warning", "overlapping-guards": "warning",
            "unknown-step": "warning", "missing-source": "warning", "file-name": "warning",
            "same-name": "error", "guard-limit": "error"}
MAX_ROUTES = 10000

Route = tuple[tuple[str, str], ...]  # (event, status reached), in order


def status_graph(wf: Workflow) -> nx.MultiDiGraph:
    """Statuses as nodes; one edge per transition and source status (a self-loop when it has no
    `to`)."""
    g = nx.MultiDiGraph()
    g.add_nodes_from(wf.statuses)
    for ev in wf.events.values():
        for i, tr in enumerate(ev.transitions):
            for src in tr.sources:
                g.add_edge(src, tr.target_from(src), key=(ev.name, i), event=ev.name, transition=tr)
    return g


def _finding(wf: Workflow, pos: Pos, code: str, message: str, hint: str = "") -> Finding:
    file, line, col = pos if pos else (wf.file, 0, 0)
    return Finding(file, line, col, message, code=code, severity=SEVERITY[code], hint=hint)


def _transitions(wf: Workflow) -> Iterator[tuple[Event, int, Transition]]:
    for ev in wf.events.values():
        for i, tr in enumerate(ev.transitions):
            yield ev, i, tr


def _line(tr: Transition) -> str:
    return f"line {tr.pos[1]}" if tr.pos else "a transition"


def analyse(wf: Workflow, memo: dict | None = None) -> list[Finding]:
    """Every finding of the graph checks, in file order. `memo`: a dict kept between analyses of
    versions of one file, so that an edit re-searches only the conditions it changed."""
    g = status_graph(wf)
    reach = {wf.initial} | nx.descendants(g, wf.initial) if wf.initial in g else set()
    found = [*_reachability(wf, g, reach), *_intrays_left_open(wf, g, reach), *_unused(wf),
             *_unknown_steps(wf),
             *_missing_sources(wf)]
    found += _searched(wf, lambda searches: [*_never_fires(wf, reach, searches),
                                             *_overlapping(wf, reach, searches)], memo)
    return sorted(found, key=lambda f: (f.file, f.line, f.col, f.code))


def analyse_part(wf: Workflow, events_set_aside: set[str],
                 memo: dict | None = None) -> list[Finding]:
    """The checks that look at one event or one citation at a time (overlapping guards, citations),
    on the part of a file the schema accepts when the rest has schema errors; events with a part set
    aside are not searched. The checks of the whole graph (reachability, dead ends, intrays left
    open, events that never fire, unused intrays and letters) wait for the whole file: on a part
    they would report what the parts set aside do."""
    found = [*_unknown_steps(wf), *_missing_sources(wf)]
    found += _searched(wf, lambda searches: list(_overlapping(wf, set(wf.statuses), searches,
                                                              skip=events_set_aside)), memo)
    return sorted(found, key=lambda f: (f.file, f.line, f.col, f.code))


def _searched(wf: Workflow, checks: Any, memo: dict | None) -> list[Finding]:
    """The findings of checks that try guards on boundary values, or the guard that stopped them."""
    try:
        return checks(boundary.Searches(wf, memo))
    except boundary.Stopped as exc:
        return [_finding(wf, exc.expr.pos, "guard-limit", exc.message,
                         "a condition must end quickly on any values: build no long lists, "
                         "texts or numbers")]


def names(workflows: list[Workflow]) -> list[Finding]:
    """Workflows are found by their file's name in a `workflows` folder (workflows/NAME.yaml: for
    scenarios, `start:` and queries): a file there named otherwise cannot be found by its name
    (warning); two files of one folder declaring the same workflow make it ambiguous (error, at the
    second)."""
    found: list[Finding] = []
    first: dict[tuple[Path, str], Workflow] = {}
    for wf in workflows:
        file = Path(wf.file) if wf.file else None
        if file is None:
            continue
        key = (file.resolve().parent, wf.name)
        if key in first:
            found.append(_finding(wf, wf.name_pos, "same-name",
                                  f"workflow '{wf.name}' is also declared by "
                                  f"{Path(first[key].file).name}",
                                  "each workflow has one file, named after it"))
            continue
        first[key] = wf
        if file.name != f"{wf.name}.yaml" and file.resolve().parent.name == "workflows":
            rename = f"rename the file {wf.name}.yaml" + (
                "" if file.stem == wf.name else f", or the workflow '{file.stem}'")
            found.append(_finding(wf, wf.name_pos, "file-name",
                                  f"this file declares workflow '{wf.name}' but is "
                                  f"named {file.name}: it is found as workflows/{wf.name}.yaml",
                                  rename))
    return found


def _reachability(wf: Workflow, g: nx.MultiDiGraph, reach: set[str]) -> Iterator[Finding]:
    finals = {s for s, st in wf.statuses.items() if st.final}
    can_finish = set(finals).union(*(nx.ancestors(g, f) for f in finals)) if finals else set()
    for name, st in wf.statuses.items():
        if name not in reach:
            yield _finding(wf, st.pos, "unreachable",
                           f"status '{name}' cannot be reached from the initial status "
                           f"'{wf.initial}'", "add a transition to it, or remove it")
        if not st.final and name not in can_finish:
            yield _finding(wf, st.pos, "dead-end",
                           f"no final status can be reached from status '{name}': a case "
                           "there can never be finalised",
                           "add a transition towards a final status, or mark it "
                           "`final: true`")


def _conditions(ev: Event, tr: Transition) -> list[Expr]:
    return [g.check for g in ev.guards] + ([tr.when] if tr.when else []) \
        + [g.check for g in tr.guards]


def _never_fires(wf: Workflow, reach: set[str], searches: boundary.Searches) -> Iterator[Finding]:
    for ev in wf.events.values():
        live = [(tr, s) for tr in ev.transitions for s in tr.sources if s in reach]
        if not ev.transitions:
            yield _finding(wf, ev.pos, "never-fires", f"event '{ev.name}' has no transitions")
        elif not live:
            sources = sorted({s for tr in ev.transitions for s in tr.sources})
            yield _finding(wf, ev.pos, "never-fires",
                           f"event '{ev.name}' can never fire: it leaves only from "
                           f"statuses no case reaches ({', '.join(sources)})")
        elif not any(_can_pass(searches, ev, tr, s) for tr, s in live):
            yield _finding(wf, ev.pos, "never-fires",
                           f"event '{ev.name}' can never fire: for each of its "
                           "transitions, its guards and `when:` never all pass on the values "
                           "they mention (boundary values tried)",
                           "look for conditions that contradict each other")


def _can_pass(searches: boundary.Searches, ev: Event, tr: Transition, status: str) -> bool:
    opaque, witness = searches.find(_conditions(ev, tr), ev, status)
    return opaque or witness is not None  # a query's records are unknown here


def _requires_closed(ev: Event, tr: Transition) -> set[str]:
    """Intrays a transition can only be taken without: a condition `not is_open('CODE')` in a
    top-level `and`."""
    codes: set[str] = set()
    for expr in _conditions(ev, tr):
        tree = boundary.parse(expr)
        parts = tree.body.values \
            if tree and isinstance(tree.body, ast.BoolOp) and isinstance(tree.body.op, ast.And) \
            else [tree.body] if tree else []
        for part in parts:
            if (isinstance(part, ast.UnaryOp) and isinstance(part.op, ast.Not)
                and isinstance(part.operand, ast.Call)
                    and isinstance(part.operand.func, ast.Name)
                and part.operand.func.id == "is_open"
                    and len(part.operand.args) == 1
                and isinstance(part.operand.args[0], ast.Constant)):
                codes.add(str(part.operand.args[0].value))
    return codes


def _intrays_left_open(wf: Workflow, g: nx.MultiDiGraph, reach: set[str]) -> Iterator[Finding]:
    finals = {s for s, st in wf.statuses.items() if st.final}
    closers: dict[str, set[tuple[str, int]]] = {}
    for ev, i, tr in _transitions(wf):
        for ef in tr.effects:
            if ef.kind == "close":
                closers.setdefault(ef.target, set()).add((ev.name, i))
        for code in _requires_closed(ev, tr):
            closers.setdefault(code, set()).add((ev.name, i))
    # opened, never closed: (opening events, finals reached)
    never: dict[str, tuple[set[str], set[str]]] = {}
    for ev, _i, tr in _transitions(wf):
        for j, ef in enumerate(tr.effects):
            if ef.kind != "open" or any(e.kind == "close"
                                        and e.target == ef.target for e in tr.effects[j + 1:]):
                continue
            # the routes on which nothing closes it, up to the first final status
            h = nx.MultiDiGraph(g)
            h.remove_edges_from([(u, v, k) for u, v, k in g.edges(keys=True)
                                 if k in closers.get(ef.target, ())
                                 or u in finals])
            ends: dict[str, str] = {}
            for src in tr.sources:
                if src not in reach:
                    continue
                for end, path in nx.single_source_shortest_path(h, tr.target_from(src)).items():
                    route = f"{src} -{ev.name}-> " + _walk(h, path)
                    if end in finals and (end not in ends or len(route) < len(ends[end])):
                        ends[end] = route
            stays = wf.intrays[ef.target].stays_open
            if stays is not None:  # left open there on purpose, as policy was asked to confirm
                ends = {end: route for end, route in ends.items()
                        if stays[0] and end not in stays[0]}
            if not ends:
                continue
            if ef.target not in closers:
                opening, reached = never.setdefault(ef.target, (set(), set()))
                opening.add(ev.name)
                reached.update(ends)
                continue
            yield _finding(wf, ef.pos or tr.pos, "intray-left-open",
                           f"intray {ef.target} opened by {ev.name} can still be open when the "
                           f"case reaches final status {', '.join(sorted(ends))} (e.g. "
                           f"{min(ends.values(), key=len)})",
                           "close it on the way there, if the procedure means it to be closed; "
                           "else ask policy and record the answer with `stays_open:` on the intray")
    for code, (opening, reached) in never.items():
        yield _finding(wf, wf.intrays[code].pos, "intray-left-open",
                       f"intray {code} is opened (by {', '.join(sorted(opening))}) but nothing in "
                       "the workflow closes it: it stays open in final status "
                       f"{', '.join(sorted(reached))}",
                       "close it where the procedure says; if it is closed outside this workflow, "
                       "say so with `stays_open:` on the intray, for policy to confirm")


def _walk(h: nx.MultiDiGraph, path: list[str]) -> str:
    """`A -event-> B -event-> C` along a path of statuses."""
    text = path[0]
    for u, v in zip(path, path[1:], strict=False):
        text += f" -{next(iter(h[u][v]))[0]}-> {v}"
    return text


def _missing_sources(wf: Workflow) -> Iterator[Finding]:
    """Each rule cites its source: guards and effects may omit `source:` in the schema, but a
    workflow that catalogues its procedure should say where every rule comes from."""
    if wf.procedure is None:
        return

    def uncited(pos: Pos, what: str) -> Finding:
        return _finding(wf, pos, "missing-source", f"{what} cites no step of the procedure",
                        "add `source:` naming the table and step it implements")

    for ev in wf.events.values():
        guards = [*ev.guards, *(g for tr in ev.transitions for g in tr.guards)]
        yield from (uncited(g.pos, f"the guard of {ev.name} that says '{g.says}'") for g in guards
                    if not g.source)
        yield from (uncited(ef.pos, f"the {ef.kind} {ef.target} effect of {ev.name}")
                    for tr in ev.transitions for ef in tr.effects if not ef.source)


def _unused(wf: Workflow) -> Iterator[Finding]:
    opened, used, issued = set(), set(), set()
    for _ev, _i, tr in _transitions(wf):
        for ef in tr.effects:
            if ef.kind == "open":
                opened.add(ef.target)
            elif ef.kind in ("close", "assign"):
                used.add(ef.target)
            elif ef.kind == "letter":
                issued.add(ef.target)
    texts = " ".join(e.text for ev, _i, tr in _transitions(wf) for e in _conditions(ev, tr))
    for code, it in wf.intrays.items():
        if code in opened:
            continue
        if code in used or f"'{code}'" in texts or f'"{code}"' in texts:
            yield _finding(wf, it.pos, "unused-intray",
                           f"intray {code} is never opened (it is only closed, routed "
                           "or checked)", "open it where the procedure says, or remove it")
        else:
            yield _finding(wf, it.pos, "unused-intray", f"intray {code} is declared but never used",
                           "open it where the procedure says, or remove it")
    for code, lt in wf.letters.items():
        if code not in issued:
            yield _finding(wf, lt.pos, "unused-letter",
                           f"letter {code} is declared but never issued",
                           "issue it with a `letter:` effect, or remove it")


def _unknown_steps(wf: Workflow) -> Iterator[Finding]:
    """Citations of the workflow's own document that name a table or step no catalogue of it has."""
    proc = wf.procedure
    if proc is None:
        return
    known: dict[int, tuple[set[int], str]] = {t.number: ({s.number for s in t.steps}, "")
                                              for t in proc.tables}
    for table, steps, other in proc.elsewhere:
        known.setdefault(table, (set(steps), other))
    for text, pos in wf.citations:
        for place in parse_citation(text, proc.document).places:
            if place.doc != proc.document:
                # another document's step (a CMA rule citing COA Table 4 Step 7) is not checked
                continue
            if place.table not in known:
                yield _finding(wf, pos, "unknown-step",
                               f"source cites {proc.document} Table {place.table}, which no "
                               f"procedure catalogue of {proc.document} has (catalogued: Tables "
                               f"{_ranges(sorted(known))})",
                               "correct the citation, or add the table under `procedure: tables:`")
            elif place.step is not None and place.step not in known[place.table][0]:
                steps, other = known[place.table]
                where = f" (catalogued by workflow {other})" if other else ""
                yield _finding(wf, pos, "unknown-step",
                               f"source cites {place}, which the procedure catalogue does "
                               f"not have: Table {place.table}{where} has {place.kind}s "
                               f"{_ranges(sorted(steps))}",
                               "correct the citation, or add the step to the catalogue")


def _ranges(numbers: list[int]) -> str:
    """1, 2, 3, 5 as '1-3, 5'."""
    return ", ".join(number_runs(numbers)) or "none"


def _overlapping(wf: Workflow, reach: set[str], searches: boundary.Searches,
                 skip: set[str] | frozenset[str] = frozenset()) -> Iterator[Finding]:
    for ev in wf.events.values():
        if ev.name in skip:
            continue
        pairs: dict[tuple[int, int], list[str]] = {}
        for status in wf.statuses:
            here = [i for i, tr in enumerate(ev.transitions) if status in tr.sources]
            for pair in combinations(here, 2):
                pairs.setdefault(pair, []).append(status)
        for (i, j), statuses in pairs.items():
            a, b = ev.transitions[i], ev.transitions[j]
            status = next((s for s in statuses if s in reach), statuses[0])
            whens = [w for w in (a.when, b.when) if w is not None]
            if whens and searches.find(whens, ev, status)[1] is None:
                continue  # their `when:`s exclude each other
            exprs = [*_conditions(ev, a), *(g.check for g in b.guards),
                     *([b.when] if b.when else [])]
            witness = searches.find(exprs, ev, status)[1]
            if witness is None:
                continue
            yield _finding(wf, b.pos, "overlapping-guards",
                           f"event '{ev.name}' from {status}: this transition ({status} -> "
                           f"{b.target_from(status)}) and the one at {_line(a)} ({status} -> "
                           f"{a.target_from(status)}) can both be taken, e.g. with "
                           f"{boundary.show(witness)}",
                           "make their `when:` or guards exclude each other")


# -- routes ------------------------------------------------------------------------------------

def routes(wf: Workflow, to: str | None = None, max_visits: int = 1) -> tuple[list[Route], bool]:
    """The distinct routes from the initial status to a final status (or to `to`), and whether the
    list was cut.

    A route ends at the first final status (or at `to`); a status appears at most 1 + `max_visits`
    times on a route; transitions that stay in their status are skipped.
    """
    g = status_graph(wf)
    found: list[Route] = []
    seen: set[Route] = set()

    def done(status: str) -> bool:
        return status == to if to is not None else wf.statuses[status].final

    stack: list[tuple[str, Route, dict[str, int]]] = [(wf.initial, (), {wf.initial: 1})]
    while stack:
        status, route, visits = stack.pop()
        if done(status):
            if route not in seen:
                seen.add(route)
                found.append(route)
                if len(found) >= MAX_ROUTES:
                    return found, True
            continue
        nexts: list[tuple[str, str]] = []
        for _u, v, data in g.out_edges(status, data=True):
            step = (data["event"], v)
            if v != status and step not in nexts and visits.get(v, 0) <= max_visits:
                nexts.append(step)
        for step in reversed(nexts):  # the workflow's order once popped
            stack.append((step[1], (*route, step), {**visits, step[1]: visits.get(step[1], 0) + 1}))
    return found, False


def show_route(wf: Workflow, route: Route) -> str:
    return wf.initial + "".join(f" -{event}-> {status}" for event, status in route)


def skeleton_file_name(index: int, route: Route) -> str:
    last = route[-1][1] if route else "start"
    return f"{index:02d}_{re.sub(r'[^a-z0-9]+', '_', last.lower()).strip('_') or 'status'}.yaml"


def skeleton_text(wf: Workflow, route: Route, schema: str = "") -> str:
    """The skeleton as a YAML file, its first line naming the scenario schema for editors."""
    import yaml

    head = f"# yaml-language-server: $schema={schema}\n" if schema else ""
    return head + yaml.safe_dump(skeleton(wf, route), sort_keys=False, allow_unicode=True,
                                 width=1000,
                                 default_flow_style=None)


def skeleton(wf: Workflow, route: Route, clock: str = "2026-01-01 09:00") -> dict[str, Any]:
    """A scenario document for a route: its events with empty data, and the status expected after
    each."""
    return {"scenario": f"{wf.name}: {' -> '.join([wf.initial, *(s for _, s in route)])}",
            "workflow": wf.name,
            "clock": clock,
            "source": "procflow paths: fill in each step's data and what must hold after it",
            "steps": [{"event": event, "data": {}, "expect": {"status": status}}
                      for event, status in route]}


def skeleton_files(wf: Workflow, found: list[Route], folder: Path) -> list[tuple[Path, str]]:
    """A scenario skeleton for each route that takes an event, as (file in `folder`, text), each
    naming the scenario schema by its path from `folder`."""
    schema = Path(__file__).resolve().parent / "schemas" / "scenario.schema.json"
    ref = os.path.relpath(schema, folder.resolve()) if schema.is_file() else ""
    return [(folder / skeleton_file_name(i, route), skeleton_text(wf, route, ref))
            for i, route in enumerate((r for r in found if r), 1)]
