"""Boundary values for analysis: candidate data, fields and intrays from what expressions mention,
and a bounded search."""
from __future__ import annotations

import ast
import hashlib
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from .expr import LIMITS, limit_message, source_tree
from .model import TRAY_CODE, Event, Expr, FieldSpec, Workflow

TODAY = date(2026, 1, 15)
NOW = datetime(2026, 1, 15, 9, 0)
CAP = 20000  # assignments tried at most by one search
_BUILTINS = {"len", "any", "all", "count", "min", "max", "is_open", "opened_on", "date", "days",
             "hours",
             "weeks", "minutes", "matches", "lookup"}
_INTRAY_FUNCS = {"is_open", "opened_on"}
_NOT_SUBJECTS = {"today", "now", "status", "actor", "instance", "true", "false", "null", "data",
                 "field", "fields"}

Subject = tuple[str, str]  # ("data" | "field" | "actor", name)


FakeTray = tuple  # an intray as expressions see it (see model.TRAY_CODE)


def _fake_tray(code: str, about: Any) -> FakeTray:
    """An intray opened yesterday, due in a week, about this party (or no one)."""
    return (code, NOW - timedelta(days=1), NOW + timedelta(days=7), about, None, None)


class FakeContext:
    """What expressions read besides data and fields; queries find nothing."""

    __slots__ = ("today", "now", "status", "actor", "intrays", "instance")

    def __init__(self, status: str, actor: dict, intrays: list[FakeTray]):
        self.today, self.now, self.status, self.actor, self.intrays = TODAY, NOW, status, actor, \
            intrays
        self.instance = None

    def query(self, name: str, *args: Any) -> list[dict]:
        return []


@dataclass
class Mentions:
    """What a group of expressions reads, and the literals each subject is compared with."""

    literals: dict[Subject, list[Any]] = field(default_factory=dict)
    # (list subject, record field)
    items: dict[tuple[Subject, str], list[Any]] = field(default_factory=dict)
    intrays: set[str] = field(default_factory=set)  # codes given to is_open()/opened_on()
    # subject used as a key of lookup('table', ...)
    lookups: dict[Subject, set[str]] = field(default_factory=dict)
    queries: bool = False  # calls a declared query (whose records are not known here)


def parse(expr: Expr) -> ast.AST | None:
    return source_tree(expr.text)


def mentions(exprs: list[Expr], event: Event | None) -> Mentions:
    """The subjects (data, fields, actor attributes) and literals of `exprs`."""
    found = Mentions()
    data_names = {d.name for d in event.data} if event else set()

    def subject(node: ast.AST, loops: dict[str, Subject]) -> Subject | tuple[Subject, str] | None:
        if isinstance(node, ast.Name) and node.id not in loops and node.id not in _NOT_SUBJECTS:
            return ("data" if node.id in data_names else "field", node.id)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            base = node.value.id
            if base in loops:
                return (loops[base], node.attr)
            if base in ("data", "field", "fields", "actor"):
                return ({"fields": "field"}.get(base, base), node.attr)
        return None

    def literals(node: ast.AST) -> list[Any]:
        if isinstance(node, ast.Constant):
            return [node.value]
        if isinstance(node, (ast.List, ast.Tuple)):
            return [e.value for e in node.elts if isinstance(e, ast.Constant)]
        return []

    def note(subj: Any, values: list[Any]) -> None:
        if subj is None:
            return
        table: dict = found.items if isinstance(subj[0], tuple) else found.literals
        known = table.setdefault(subj, [])
        known.extend(v for v in values if v not in known)

    def walk(node: ast.AST, loops: dict[str, Subject]) -> None:
        if isinstance(node, (ast.GeneratorExp, ast.ListComp)):
            gen = node.generators[0]
            walk(gen.iter, loops)
            inner = dict(loops)
            it = subject(gen.iter, loops)
            if isinstance(gen.target, ast.Name) and it is not None and not isinstance(it[0], tuple):
                inner[gen.target.id] = it  # type: ignore[assignment]
            for sub in [node.elt, *gen.ifs]:
                walk(sub, inner)
            return
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            values = [v for o in operands for v in literals(o)]
            for o in operands:
                target = o.args[0] if isinstance(o, ast.Call) and isinstance(o.func, ast.Name) \
                    and o.func.id == "len" and o.args else o
                note(subject(target, loops), values)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            name = node.func.id
            if name in _INTRAY_FUNCS and node.args and isinstance(node.args[0], ast.Constant):
                found.intrays.add(str(node.args[0].value))
            elif name == "lookup" and len(node.args) >= 2 \
                    and isinstance(node.args[0], ast.Constant):
                key = subject(node.args[1], loops)
                if key is not None and not isinstance(key[0], tuple):
                    note(key, [])
                    looked_up = str(node.args[0].value)
                    found.lookups.setdefault(key, set()).add(looked_up)  # type: ignore[arg-type]
            elif name not in _BUILTINS:
                found.queries = True
            for arg in node.args:
                walk(arg, loops)
            return
        subj = subject(node, loops)
        if subj is not None:
            note(subj, [])
            return
        for child in ast.iter_child_nodes(node):
            walk(child, loops)

    for expr in exprs:
        tree = parse(expr)
        if tree is not None:
            walk(tree, {})
    return found


def _values(spec: FieldSpec | None, lits: list[Any], wf: Workflow, nullable: bool) -> list[Any]:
    """Candidate values of one field: the literals it meets, the values next to them, and None."""
    out: list[Any] = []

    def add(*values: Any) -> None:
        out.extend(v for v in values if v not in out and not (isinstance(v, bool) and spec
                                                              and spec.type != "boolean"))

    kind = spec.type if spec else ""
    if kind == "boolean":
        add(True, False)
    elif kind == "integer":
        for v in lits:
            if isinstance(v, int) and not isinstance(v, bool):
                add(v, v - 1, v + 1)
        add(0, 1)
    elif kind == "date":
        add(*(v for v in lits if isinstance(v, date)), TODAY - timedelta(days=1), TODAY,
            TODAY + timedelta(days=1))
    elif kind == "datetime":
        add(NOW - timedelta(days=1), NOW, NOW + timedelta(days=1))
    elif kind == "choice":
        values = wf.lists[spec.list].values if spec and spec.list in wf.lists else ()
        add(*(v for v in lits if v in values), *values)
    elif kind == "text":
        add(*(v for v in lits if isinstance(v, str)), "x")
    elif spec is None:
        add(*lits, True, 0, "x")
    else:
        add(*lits, "x")
    if nullable or not out:
        out.append(None)
    return out


def _list_values(spec: FieldSpec, subj: Subject, m: Mentions, wf: Workflow,
                 nullable: bool) -> list[Any]:
    """Candidate lists: empty, one item of each interesting kind, and None when it may be
    missing."""
    if spec.record is not None:
        fields = {f.name: _values(f, m.items.get((subj, f.name), []), wf, not f.required)
                  for f in spec.record}
        base = {k: next((v for v in vs if v is not None), None) for k, vs in fields.items()}
        records = [base] + [{**base, k: v} for k, vs in fields.items() for v in vs if v != base[k]]
        items: list[Any] = [[r] for r in records[:8]]
    else:
        lits = m.literals.get(subj, [])
        items = [[v] for v in _values(spec.of, lits, wf, False)[:6]]
    return [[], *items] + ([None] if nullable else [])


@dataclass
class Space:
    """The candidate values of every subject a group of expressions reads."""

    subjects: list[Subject]
    candidates: list[list[Any]]
    intrays: list[list[FakeTray]]
    opaque: bool  # reads a query's records, which are not known here

    def size(self) -> int:
        n = len(self.intrays)
        for c in self.candidates:
            n *= len(c)
        return n


def space(exprs: list[Expr], wf: Workflow, event: Event | None) -> Space:
    m = mentions(exprs, event)
    subjects = sorted(m.literals)
    candidates = []
    for subj in subjects:
        kind, name = subj
        lits = m.literals[subj] + [row for t in sorted(m.lookups.get(subj, ())) if t in wf.tables
                                   for row in wf.tables[t].rows]  # the keys lookup() finds
        if kind == "actor":
            candidates.append([*(v for v in lits if v is not None), "x", None])
            continue
        spec = event.data_field(name) if (kind == "data" and event) else wf.fields.get(name)
        nullable = kind == "field" or spec is None or (not spec.required and spec.default is None)
        if spec is not None and spec.type == "list":
            candidates.append(_list_values(spec, subj, m, wf, nullable))
        else:
            candidates.append(_values(spec, lits, wf, nullable))
    trays: list[list[FakeTray]] = [[]]
    if m.intrays:
        abouts = [None, *sorted({v for c in candidates for v in c if isinstance(v, str)})]
        trays.append([_fake_tray(code, about) for code in sorted(m.intrays) for about in abouts])
    return Space(subjects, candidates, trays, m.queries)


def _assignments(sp: Space, cap: int) -> Iterator[tuple[tuple[Any, ...], list[FakeTray]]]:
    if sp.size() <= cap:
        for trays in sp.intrays:
            for combo in itertools.product(*sp.candidates):
                yield combo, trays
        return
    base = tuple(c[0] for c in sp.candidates)
    for trays in sp.intrays:  # one subject at a time around the first values, then a seeded sample
        yield base, trays
        for i, cands in enumerate(sp.candidates):
            for v in cands[1:]:
                yield base[:i] + (v,) + base[i + 1:], trays
    rng = random.Random(0)
    for _ in range(cap):
        yield tuple(rng.choice(c) for c in sp.candidates), rng.choice(sp.intrays)


def search(exprs: list[Expr], sp: Space, status: str, cap: int = CAP) -> dict[str, Any] | None:
    """An assignment of the space under which every expression holds, or None when none was
    found."""
    for combo, trays in _assignments(sp, cap):
        data: dict[str, Any] = {}
        fields: dict[str, Any] = {}
        actor: dict[str, Any] = {}
        for (kind, name), value in zip(sp.subjects, combo, strict=True):
            {"data": data, "field": fields, "actor": actor}[kind][name] = value
        ctx = FakeContext(status, actor, trays)
        if all(_holds(e, data, fields, ctx) for e in exprs):
            witness = {f"{'' if kind == 'data' else kind + '.'}{name}": value
                       for (kind, name), value in zip(sp.subjects, combo, strict=True)}
            if trays:
                witness["open intrays"] = sorted({t[TRAY_CODE] for t in trays})
            return witness
    return None


class Stopped(Exception):
    """A condition tried on boundary values stopped at one of expr.LIMITS: `expr` is the one,
    `message` says so."""

    def __init__(self, expr: Expr, exc: BaseException):
        super().__init__(limit_message(expr, exc, placed=False))
        self.expr, self.message = expr, limit_message(expr, exc, placed=False)


def _holds(expr: Expr, data: dict, fields: dict, ctx: Any) -> bool:
    try:
        return expr.holds(data, fields, ctx)
    except LIMITS as exc:
        raise Stopped(expr, exc) from None


def show(witness: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v.isoformat() if isinstance(v, date) else repr(v)}"
                     for k, v in witness.items()) \
        or "any values"


_NO_SHAPE = frozenset({"pos", "fn", "holds", "tree", "all_guards", "source", "assumption", "title",
                       "description", "row_notes", "aliases"})
MEMO_SIZE = 20_000  # searches remembered at most; the memo starts again past it


def shape(value: Any) -> Any:
    """What a search depends on in a part of the model: expressions by their text, positions,
    compiled code and wording left out (so a memo survives an edit elsewhere in the file)."""
    if isinstance(value, Expr):
        return ("expr", value.text)
    if hasattr(value, "__dataclass_fields__"):
        return (type(value).__name__, *((k, shape(getattr(value, k)))
                                        for k in value.__dataclass_fields__
                                        if k not in _NO_SHAPE))
    if isinstance(value, dict):
        return tuple(sorted(((repr(k), shape(v)) for k, v in value.items()), key=lambda kv: kv[0]))
    if isinstance(value, list | tuple | set | frozenset):
        items = [shape(v) for v in value]
        return tuple(sorted(items, key=repr) if isinstance(value, set | frozenset) else items)
    return repr(value)


class Searches:
    """The boundary searches of one workflow's analysis, remembered in `memo` (a dict the caller
    keeps between analyses, as the language server does) by what each depends on: the conditions'
    text, the status, and the shape of the event's data and the workflow's fields, lists and
    tables."""

    def __init__(self, wf: Workflow, memo: dict | None = None):
        self.wf = wf
        self.memo = {} if memo is None else memo
        if len(self.memo) > MEMO_SIZE:
            self.memo.clear()
        self._workflow = _digest((wf.fields, wf.lists, wf.tables))
        self._events: dict[str, bytes] = {}

    def find(self, exprs: list[Expr], event: Event,
             status: str) -> tuple[bool, dict[str, Any] | None]:
        """(opaque, witness): whether the conditions call a query (whose records are not known
        here), and an assignment under which they all hold (None when none was found)."""
        if event.name not in self._events:
            self._events[event.name] = _digest(event.data)
        key = (tuple(e.text for e in exprs), status, self._events[event.name], self._workflow)
        if key not in self.memo:
            sp = space(exprs, self.wf, event)
            self.memo[key] = (sp.opaque, search(exprs, sp, status))
        return self.memo[key]


def _digest(part: Any) -> bytes:
    """A key for a part's shape: a digest of it, not Python's hash(), whose collisions between two
    shapes would give one the other's remembered verdicts."""
    return hashlib.blake2b(repr(shape(part)).encode(), digest_size=16).digest()
