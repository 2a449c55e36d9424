"""What changed between two versions of a workflow, in the procedure's own terms, and its renderings.

`compare(old, new)` gives a list of `Change` records: a status, event, transition, guard, effect,
intray, letter, field, list value, table row, query or schedule added, removed or changed, each
named as the procedure names it (titles, sentences, due periods), with the source of the rule and
where it is written (in the new file; in the old one for what was removed). A transition is
matched by its event, the statuses it leaves and the one it leads to (and its `when:`), a guard
by its check or its sentence, an effect by what it acts on, so that a reworded sentence shows as
a change, not as a removal and an addition.

`diff_text`, `diff_markdown` (a review comment) and `diff_json` render the list; `diagram_marks`
says what a diagram of the new version should colour; `removed_status_findings` is the warning
`procflow check` gives when a status that cases of the old version may be in is gone.

Pure: the models are compared as they are; reading files and git revisions is `engine.spec`'s.
"""
from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .findings import Finding
from .model import (
    ChoiceList,
    Effect,
    Event,
    Expr,
    FieldSpec,
    Guard,
    IntrayType,
    LetterType,
    Pos,
    Query,
    Schedule,
    Status,
    Table,
    Transition,
    Who,
    Workflow,
)
from .render.graph import Marks
from .render.labels import say

KINDS = ("added", "removed", "changed")
SIGN = {"added": "+", "removed": "-", "changed": "~"}

# the sections of a report, in order, and the kinds of thing ("what") each holds
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Workflow", ("workflow",)),
    ("Statuses", ("status",)),
    ("Events", ("event", "data field", "who may fire", "unavailable")),
    ("Transitions", ("transition",)),
    ("Guards", ("guard",)),
    ("Effects", ("effect",)),
    ("Intrays", ("intray",)),
    ("Letters", ("letter",)),
    ("Fields", ("field",)),
    ("Lists", ("list", "list value")),
    ("Tables", ("table", "table column", "table row")),
    ("Queries", ("query",)),
    ("Schedules", ("schedule",)),
)
_SECTION = {what: i for i, (_, whats) in enumerate(SECTIONS) for what in whats}
SIMILAR = 0.6  # two sentences this alike (difflib's ratio) are one guard reworded

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between two versions of a workflow, in words."""

    kind: str  # added | removed | changed
    what: str  # status, event, data field, who may fire, unavailable, transition, guard, effect, intray, ...
    name: str  # the thing as the procedure names it: "Poss Refusal", "'The NTD Return Date must be ...'"
    where: str = ""  # the rule it belongs to: "Finalise the application: Open → Var-Increase"
    aspect: str = ""  # what of it changed (for a change): "due", "recipients", "sentence", "check", ...
    before: str = ""  # the old value in words (for a change; what it was, for a removal)
    after: str = ""  # the new value in words (for a change; what it is, for an addition)
    source: str = ""  # the procedure's reference for the rule (the old one for a removal)
    pos: Pos = None  # where it is written in the new file (None when removed)
    old_pos: Pos = None  # where it was written in the old file (None when added)

    @property
    def at(self) -> Pos:
        """Where to look: the new file, or the old one for what was removed."""
        return self.old_pos if self.kind == "removed" else self.pos

    @property
    def section(self) -> str:
        return SECTIONS[_SECTION.get(self.what, 0)][0]

    def text(self) -> str:
        """The change as one sentence: 'intray COAINPRO (...): due 35 days → 42 days'."""
        where = f" in {self.where}" if self.where else ""
        if self.kind == "changed":
            return f"{self.what} {self.name}{where}: {self.aspect} {self.before or 'none'} → {self.after or 'none'}"
        said = self.after if self.kind == "added" else self.before
        return f"{self.what} {self.name} {self.kind}{where}" + (f": {said}" if said else "")

    def to_json(self) -> dict:
        return {"kind": self.kind, "what": self.what, "name": self.name, "where": self.where, "aspect": self.aspect,
                "before": self.before, "after": self.after, "source": self.source, "text": self.text(),
                "at": _place(self.pos), "was_at": _place(self.old_pos)}


def _place(pos: Pos) -> dict | None:
    return None if pos is None else {"file": pos[0], "line": pos[1], "col": pos[2]}


# -- words --------------------------------------------------------------------------------------

def due_words(intray: IntrayType) -> str:
    """An intray's due period as the workflow writes it ('48 hours'), or that the event sets it."""
    return intray.due_text or "none (set by the event)"


def _q(text: str) -> str:
    return f"'{text}'"


def _sentence(text: str) -> str:
    """A sentence to be followed by more on the same line: without its closing full stop ('made., group')."""
    return text.rstrip().removesuffix(".")


def _expr(e: Expr | None) -> str:
    return e.text if e is not None else ""


def _when(e: Expr | None) -> str:
    """A `when:` or `if:` in words ('outcome is Var-Increase')."""
    if e is None:
        return ""
    import ast

    try:
        return say(ast.parse(e.text.strip(), mode="eval").body)
    except SyntaxError:
        return e.text


def _list(values: Iterable[Any]) -> str:
    return ", ".join(str(v) for v in values)


def _yes(flag: bool, yes: str, no: str) -> str:
    return yes if flag else no


def _field_type(spec: FieldSpec) -> str:
    if spec.type == "choice" and spec.list:
        return f"choice of {spec.list}"
    if spec.type == "list" and spec.of is not None:
        return f"list of {_field_type(spec.of)}"
    if spec.type == "list" and spec.record is not None:
        return "list of records (" + ", ".join(f"{r.name}: {_field_type(r)}" for r in spec.record) + ")"
    return spec.type


def _field_name(spec: FieldSpec) -> str:
    return f"{spec.label} ({spec.name})" if spec.title and spec.title != spec.name else spec.name


def _event_name(ev: Event) -> str:
    return f"{ev.title} ({ev.name})"


def _transition_name(ev: Event, tr: Transition) -> str:
    sources = ", ".join(tr.sources)
    move = f"{sources} → {tr.target}" if tr.target is not None else f"in {sources}, keeping the status"
    when = f" when {_when(tr.when)}" if tr.when is not None else ""
    return f"{ev.title}: {move}{when}"


def _effect_name(wf: Workflow, ef: Effect) -> str:
    k, t = ef.kind, ef.target
    if k == "open":
        return f"open intray {t}" + (f" ({wf.intrays[t].name})" if t in wf.intrays else "")
    if k == "close":
        return f"close intray {t}"
    if k == "assign":
        return f"route intray {t}"
    if k == "letter":
        return f"letter {t}" + (f" ({wf.letters[t].title})" if t in wf.letters else "")
    label = wf.fields[t].label if t in wf.fields else t
    if k == "set":
        return f"set {label}"
    if k == "number":
        return f"number {label}"
    if k == "append":
        return f"add to {label}"
    if k == "update":
        return f"update {t} cases"
    if k == "start":
        return f"start a {t} case ({ef.event})"
    return f"signal {t} cases ({ef.event})"


def _effect_said(ef: Effect) -> str:
    """What an added or removed effect does beyond its name."""
    parts = []
    if ef.kind == "letter":
        parts.append(f"to {_list(ef.to)}")
    if ef.kind == "set" and ef.value is not None:
        parts.append(f"to {ef.value.text}")
    if ef.due is not None:
        parts.append(f"due {ef.due.text}")
    if ef.when is not None:
        parts.append(f"if {_when(ef.when)}")
    return "; ".join(parts)


def _transition_said(wf: Workflow, tr: Transition) -> str:
    parts = []
    if tr.guards:
        parts.append("guards " + "; ".join(_q(g.says) for g in tr.guards))
    if tr.effects:
        parts.append("effects " + ", ".join(_effect_name(wf, ef) for ef in tr.effects))
    return "; ".join(parts)


def _who(by: Who | None) -> str:
    if by is None:
        return "anyone"
    return _list([*(f"area {a}" for a in by.areas), *(f"role {r}" for r in by.roles)])


# -- matching -----------------------------------------------------------------------------------

def match(old: Sequence[T], new: Sequence[T], *same: Callable[[T, T], bool],
          ) -> tuple[list[tuple[T, T]], list[T], list[T]]:
    """Pairs of one old and one new item, tried with each test in turn (the strictest first), then what is
    left of the old (removed) and of the new (added). Items keep their order."""
    pairs: list[tuple[int, int]] = []
    left_old, left_new = list(range(len(old))), list(range(len(new)))
    for test in same:
        for j in list(left_new):
            for i in left_old:
                if test(old[i], new[j]):
                    pairs.append((i, j))
                    left_old.remove(i)
                    left_new.remove(j)
                    break
    pairs.sort(key=lambda p: p[1])
    return [(old[i], new[j]) for i, j in pairs], [old[i] for i in left_old], [new[j] for j in left_new]


def _merged(old: Sequence[str], new: Sequence[str]) -> list[str]:
    """The names of both, in the new order, each removed one after the name that came before it in the old."""
    out = list(new)
    for i, name in enumerate(old):
        if name in out:
            continue
        before = next((old[k] for k in range(i - 1, -1, -1) if old[k] in out), None)
        out.insert(out.index(before) + 1 if before is not None else 0, name)
    return out


def _similar(a: str, b: str) -> bool:
    return difflib.SequenceMatcher(None, a.lower(), b.lower()).ratio() >= SIMILAR


# -- comparing ----------------------------------------------------------------------------------

@dataclass
class _Differ:
    old: Workflow
    new: Workflow
    changes: list[Change] = field(default_factory=list)
    # the moves (event, from, to) of the new version whose transition, guards or effects changed
    touched: set[tuple[str, str, str]] = field(default_factory=set)

    def add(self, kind: str, what: str, name: str, thing: Any, *, where: str = "", said: str = "",
            source: str = "") -> None:
        pos = getattr(thing, "pos", None)
        self.changes.append(Change(kind, what, name, where, "", said if kind == "removed" else "",
                                   said if kind == "added" else "", source or getattr(thing, "source", ""),
                                   pos if kind == "added" else None, pos if kind == "removed" else None))

    def aspects(self, what: str, name: str, old: Any, new: Any, pairs: Iterable[tuple[str, str, str]], *,
                where: str = "", source: str = "") -> bool:
        """A change for each (aspect, before, after) that differs; whether there was any."""
        found = False
        for aspect, before, after in pairs:
            if before != after:
                found = True
                self.changes.append(Change("changed", what, name, where, aspect, before, after,
                                           source or getattr(new, "source", ""), getattr(new, "pos", None),
                                           getattr(old, "pos", None)))
        return found

    def keyed(self, what: str, old: dict[str, T], new: dict[str, T], name: Callable[[T], str],
              said: Callable[[T], str], compare: Callable[[T, T], Any], where: str = "") -> None:
        for key in _merged(list(old), list(new)):
            if key not in old:
                self.add("added", what, name(new[key]), new[key], where=where, said=said(new[key]))
            elif key not in new:
                self.add("removed", what, name(old[key]), old[key], where=where, said=said(old[key]))
            else:
                compare(old[key], new[key])

    @staticmethod
    def notes(a: Any, b: Any) -> list[tuple[str, str, str]]:
        return [("source", a.source, b.source), ("assumption", _q(a.assumption) if a.assumption else "",
                                                 _q(b.assumption) if b.assumption else "")]

    # -- the whole ------------------------------------------------------------------------------
    def run(self) -> list[Change]:
        o, n = self.old, self.new
        self.aspects("workflow", n.name, o, n, [
            ("name", o.name, n.name), ("title", _q(o.title), _q(n.title)),
            ("description", _q(o.description) if o.description else "", _q(n.description) if n.description else ""),
            ("initial status", o.initial, n.initial), ("source", o.source, n.source)])
        self.keyed("status", o.statuses, n.statuses, lambda s: s.name, self.status_said, self.status)
        self.keyed("event", o.events, n.events, _event_name, self.event_said, self.event)
        self.keyed("intray", o.intrays, n.intrays, lambda i: f"{i.code} ({i.name})", lambda i: f"due {due_words(i)}",
                   self.intray)
        self.keyed("letter", o.letters, n.letters, lambda lt: f"{lt.code} ({lt.title})", lambda lt: "", self.letter)
        self.keyed("field", o.fields, n.fields, _field_name, _field_type, self.field_spec)
        self.keyed("list", o.lists, n.lists, lambda lst: lst.name, lambda lst: _list(lst.values), self.choice_list)
        self.keyed("table", o.tables, n.tables, lambda t: t.title or t.name, lambda t: f"{len(t.rows)} row(s)",
                   self.table)
        self.keyed("query", o.queries, n.queries, lambda q: f"{q.name} ({q.title})", lambda q: "", self.query)
        self.keyed("schedule", o.schedules, n.schedules, lambda s: s.name, lambda s: f"{s.event} at {s.at}",
                   self.schedule)
        return sorted(self.changes, key=lambda c: _SECTION.get(c.what, 0))

    # -- statuses, intrays, letters, fields, lists ---------------------------------------------------
    @staticmethod
    def status_said(s: Status) -> str:
        return ", ".join(p for p in (_sentence(s.description), "final" if s.final else "",
                                     f"group {s.group}" if s.group else "") if p)

    def status(self, a: Status, b: Status) -> None:
        self.aspects("status", b.name, a, b, [
            ("description", _q(a.description) if a.description else "", _q(b.description) if b.description else ""),
            ("final", _yes(a.final, "final", "not final"), _yes(b.final, "final", "not final")),
            ("group", a.group, b.group), ("aliases", _list(a.aliases), _list(b.aliases)), *self.notes(a, b)])

    def intray(self, a: IntrayType, b: IntrayType) -> None:
        def stays(it: IntrayType) -> str:
            if it.stays_open is None:
                return ""
            statuses, text, _ = it.stays_open
            return f"in {_list(statuses) or 'any final status'} ({_q(text)})"

        self.aspects("intray", f"{b.code} ({b.name})", a, b, [
            ("name", _q(a.name), _q(b.name)), ("due", due_words(a), due_words(b)),
            ("may stay open", stays(a), stays(b)), *self.notes(a, b)])

    def letter(self, a: LetterType, b: LetterType) -> None:
        self.aspects("letter", f"{b.code} ({b.title})", a, b, [("title", _q(a.title), _q(b.title)), *self.notes(a, b)])

    @staticmethod
    def field_pairs(a: FieldSpec, b: FieldSpec) -> list[tuple[str, str, str]]:
        return [("type", _field_type(a), _field_type(b)), ("title", a.title, b.title),
                ("required", _yes(a.required, "required", "optional"), _yes(b.required, "required", "optional")),
                ("default", _expr(a.default), _expr(b.default)),
                ("locked after", _list(a.locked_after), _list(b.locked_after))]

    def field_spec(self, a: FieldSpec, b: FieldSpec) -> None:
        self.aspects("field", _field_name(b), a, b, [*self.field_pairs(a, b), *self.notes(a, b)])

    def choice_list(self, a: ChoiceList, b: ChoiceList) -> None:
        where = f"list {b.name}"
        for value in _merged(list(a.values), list(b.values)):
            if value not in a.values:
                self.changes.append(Change("added", "list value", _q(value), where, source=b.source, pos=b.pos))
            elif value not in b.values:
                self.changes.append(Change("removed", "list value", _q(value), where, source=a.source, old_pos=a.pos))
        aliases = [f"{k} = {v}" for k, v in a.aliases.items()], [f"{k} = {v}" for k, v in b.aliases.items()]
        self.aspects("list", b.name, a, b, [("aliases", _list(aliases[0]), _list(aliases[1])), *self.notes(a, b)])

    # -- tables, queries, schedules ----------------------------------------------------------------
    def table(self, a: Table, b: Table) -> None:
        name = b.title or b.name
        self.aspects("table", name, a, b, [("title", a.title, b.title), ("key", a.key, b.key), *self.notes(a, b)])
        cols_a, cols_b = {c.name: c for c in a.columns}, {c.name: c for c in b.columns}
        self.keyed("table column", cols_a, cols_b, _field_name, _field_type,
                   lambda x, y: self.aspects("table column", _field_name(y), x, y, self.field_pairs(x, y),
                                             where=f"table {name}"), where=f"table {name}")
        where = f"table {name}"
        for key in _merged(list(a.rows), list(b.rows)):
            if key not in a.rows:
                src, _, pos = b.row_notes.get(key, ("", "", None))
                self.changes.append(Change("added", "table row", str(key), where, after=self.cells(b, key),
                                           source=src or b.source, pos=pos or b.pos))
            elif key not in b.rows:
                src, _, pos = a.row_notes.get(key, ("", "", None))
                self.changes.append(Change("removed", "table row", str(key), where, before=self.cells(a, key),
                                           source=src or a.source, old_pos=pos or a.pos))
            else:
                na, nb = a.row_notes.get(key, ("", "", None)), b.row_notes.get(key, ("", "", None))
                columns = _merged(list(a.rows[key]), list(b.rows[key]))
                pairs = [(cols_b[c].label if c in cols_b else c, _cell(a.rows[key].get(c)), _cell(b.rows[key].get(c)))
                         for c in columns]
                pairs += [("source", na[0], nb[0]), ("assumption", _q(na[1]) if na[1] else "",
                                                     _q(nb[1]) if nb[1] else "")]
                for aspect, before, after in pairs:
                    if before != after:
                        self.changes.append(Change("changed", "table row", str(key), where, aspect, before, after,
                                                   nb[0] or b.source, nb[2] or b.pos, na[2] or a.pos))

    @staticmethod
    def cells(t: Table, key: Any) -> str:
        labels = {c.name: c.label for c in t.columns}
        return "; ".join(f"{labels.get(c, c)} {_cell(v)}" for c, v in t.rows[key].items() if v is not None)

    def query(self, a: Query, b: Query) -> None:
        def params(q: Query) -> str:
            return _list(f"{p.name} ({_field_type(p)}{', required' if p.required else ''})" for p in q.params)

        self.aspects("query", f"{b.name} ({b.title})", a, b, [
            ("title", _q(a.title), _q(b.title)), ("parameters", params(a), params(b)),
            ("match", _list(f"{f} = {p}" for f, p in a.match), _list(f"{f} = {p}" for f, p in b.match)),
            ("where", _expr(a.where), _expr(b.where)), ("order", _list(a.order_by), _list(b.order_by)),
            ("refusing a criterion", _q(a.disabled) if a.disabled else "", _q(b.disabled) if b.disabled else ""),
            *self.notes(a, b)])

    def schedule(self, a: Schedule, b: Schedule) -> None:
        self.aspects("schedule", b.name, a, b, [("event", a.event, b.event), ("time", a.at, b.at), *self.notes(a, b)])

    # -- events ---------------------------------------------------------------------------------
    @staticmethod
    def event_said(ev: Event) -> str:
        """An added or removed event in full: its moves, data, who may fire it and every sentence refusing it."""
        parts = [_transition_name(ev, tr).partition(": ")[2] for tr in ev.transitions]
        if ev.data:
            parts.append("data: " + _list(
                (f"{d.label} ({d.name}: " if d.title and d.title != d.name else f"{d.name} (")
                + f"{_field_type(d)}{', required' if d.required else ''})" for d in ev.data))
        if ev.by is not None:
            parts.append(f"who may fire: {_who(ev.by)}")
        says = [g.says for g in (*_own(ev), *(g for tr in ev.transitions for g in tr.guards))]
        if says:
            parts.append("refused when: " + "; ".join(_q(_sentence(s)) for s in says))
        return "; ".join(parts)

    def moves_of(self, ev: Event, tr: Transition | None = None) -> set[tuple[str, str, str]]:
        return {(ev.name, s, t.target_from(s)) for t in ([tr] if tr is not None else ev.transitions)
                for s in t.sources}

    def event(self, a: Event, b: Event) -> None:
        name = _event_name(b)

        def unavailable(ev: Event) -> str:
            return "; ".join((f"in {_list(st)}: " if st else "") + _q(says) for st, says in ev.unavailable)

        before = len(self.changes)
        self.aspects("event", name, a, b, [("title", _q(a.title), _q(b.title)), *self.notes(a, b)])
        self.aspects("unavailable", "sentence", a, b, [("said", unavailable(a), unavailable(b))], where=name,
                     source=b.source)
        if a.by is not None or b.by is not None:
            old_by, new_by = a.by or Who(), b.by or Who()
            self.aspects("who may fire", _event_name(b), old_by if a.by else a, new_by if b.by else b, [
                ("who", _who(a.by), _who(b.by)),
                ("sentence", _q(old_by.says) if old_by.says else "", _q(new_by.says) if new_by.says else "")],
                source=new_by.source or b.source)
        data_a, data_b = {d.name: d for d in a.data}, {d.name: d for d in b.data}
        self.keyed("data field", data_a, data_b, _field_name, _field_type,
                   lambda x, y: self.aspects("data field", _field_name(y), x, y, self.field_pairs(x, y), where=name,
                                             source=b.source), where=name)
        self.guards(_own(a), _own(b), name, b.source)
        if len(self.changes) > before:  # what applies to every transition changes each of them
            self.touched |= self.moves_of(b)
        pairs, removed, added = match(
            a.transitions, b.transitions,
            lambda x, y: set(x.sources) == set(y.sources) and x.target == y.target and _expr(x.when) == _expr(y.when),
            lambda x, y: set(x.sources) == set(y.sources) and x.target == y.target,
            lambda x, y: bool(set(x.sources) & set(y.sources)) and x.target == y.target
            and _expr(x.when) == _expr(y.when),
            lambda x, y: set(x.sources) == set(y.sources) and _expr(x.when) == _expr(y.when),
            lambda x, y: bool(set(x.sources) & set(y.sources)) and x.target == y.target)
        for tr in removed:
            self.add("removed", "transition", _transition_name(a, tr), tr, said=_transition_said(self.old, tr))
        for x, y in pairs:
            self.transition(a, x, b, y)
        for tr in added:
            self.add("added", "transition", _transition_name(b, tr), tr, said=_transition_said(self.new, tr))

    def transition(self, ea: Event, a: Transition, eb: Event, b: Transition) -> None:
        name = _transition_name(eb, b)
        before = len(self.changes)
        self.aspects("transition", name, a, b, [
            ("from", _list(a.sources), _list(b.sources)), ("to", a.target or "(kept)", b.target or "(kept)"),
            ("when", _when(a.when), _when(b.when)), *self.notes(a, b)])
        self.guards(a.guards, b.guards, name, b.source)
        pairs, removed, added = match(
            a.effects, b.effects,
            lambda x, y: (x.kind, x.target, _expr(x.when)) == (y.kind, y.target, _expr(y.when)),
            lambda x, y: (x.kind, x.target) == (y.kind, y.target))
        for ef in removed:
            self.add("removed", "effect", _effect_name(self.old, ef), ef, where=_transition_name(ea, a),
                     said=_effect_said(ef), source=ef.source or a.source)
        for x, y in pairs:
            self.effect(x, y, name, b.source)
        for ef in added:
            self.add("added", "effect", _effect_name(self.new, ef), ef, where=name, said=_effect_said(ef),
                     source=ef.source or b.source)
        if len(self.changes) > before:
            self.touched |= self.moves_of(eb, b)

    def guards(self, old: Sequence[Guard], new: Sequence[Guard], where: str, source: str) -> None:
        pairs, removed, added = match(
            old, new,
            lambda x, y: x.check.text == y.check.text and x.says == y.says,
            lambda x, y: x.check.text == y.check.text,
            lambda x, y: x.says == y.says,
            lambda x, y: _similar(x.says, y.says))
        for g in removed:
            self.add("removed", "guard", _q(g.says), g, where=where, said=f"check {g.check.text}",
                     source=g.source or source)
        for x, y in pairs:  # a reworded guard is named by its check
            name = _q(y.says) if x.says == y.says else y.check.text
            self.aspects("guard", name, x, y, [("sentence", _q(x.says), _q(y.says)),
                                                     ("check", x.check.text, y.check.text), *self.notes(x, y)],
                         where=where, source=y.source or source)
        for g in added:
            self.add("added", "guard", _q(g.says), g, where=where, said=f"check {g.check.text}",
                     source=g.source or source)

    def effect(self, a: Effect, b: Effect, where: str, source: str) -> None:
        def record(pairs: Sequence[tuple[str, Expr]]) -> str:
            return _list(f"{k} = {v.text}" for k, v in pairs)

        self.aspects("effect", _effect_name(self.new, b), a, b, [
            ("recipients", f"[{_list(a.to)}]" if a.kind == "letter" else "",
             f"[{_list(b.to)}]" if b.kind == "letter" else ""),
            ("value", _expr(a.value), _expr(b.value)), ("record", record(a.record), record(b.record)),
            ("due", _expr(a.due), _expr(b.due)), ("about", _expr(a.about), _expr(b.about)),
            ("routed to", _expr(a.assign), _expr(b.assign)), ("cases", _expr(a.targets), _expr(b.targets)),
            ("event", a.event, b.event), ("case name", _expr(a.name), _expr(b.name)),
            ("fields set", record(a.sets), record(b.sets)), ("condition", _when(a.when), _when(b.when)),
            *self.notes(a, b)], where=where, source=b.source or source)


def _own(ev: Event) -> tuple[Guard, ...]:
    """The event's own guards: without the check `by:` adds first (compared as 'who may fire')."""
    return ev.guards[1:] if ev.by is not None and ev.guards else ev.guards


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return _list(_cell(v) for v in value)
    return str(value)


def compare(old: Workflow, new: Workflow) -> list[Change]:
    """Every difference between two versions of a workflow, by section, each in the order of the new file."""
    return _Differ(old, new).run()


# -- what cases of the old version may be in --------------------------------------------------------

def reachable(wf: Workflow) -> list[str]:
    """The statuses a case can be in: the initial one and every one some sequence of events leads to."""
    seen, todo = {wf.initial}, [wf.initial]
    leaving: dict[str, set[str]] = {}
    for tr in wf.transitions():
        for s in tr.sources:
            leaving.setdefault(s, set()).add(tr.target_from(s))
    while todo:
        for nxt in leaving.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return [s for s in wf.statuses if s in seen]


def removed_statuses(old: Workflow, new: Workflow) -> list[Status]:
    """The statuses of the old version that a case may be in and that the new version no longer has."""
    return [old.statuses[s] for s in reachable(old) if s not in new.statuses]


def reachable_in_document(doc: Any) -> list[str]:
    """`reachable` of a workflow document as read (not checked): its statuses a case can be in. What is not
    as the schema says is passed over, so that an old version is read even where it would not load now."""
    if not isinstance(doc, dict) or not isinstance(doc.get("statuses"), dict):
        return []
    statuses = [s for s in doc["statuses"] if isinstance(s, str)]
    leaving: dict[str, set[str]] = {}
    events = doc.get("events") if isinstance(doc.get("events"), dict) else {}
    for event in events.values():
        transitions = event.get("transitions") if isinstance(event, dict) else None
        for tr in transitions if isinstance(transitions, list) else ():
            if not isinstance(tr, dict):
                continue
            sources = tr.get("from")
            sources = [sources] if isinstance(sources, str) else sources if isinstance(sources, list) else []
            for s in sources:
                target = tr.get("to")
                if isinstance(s, str):
                    leaving.setdefault(s, set()).add(target if isinstance(target, str) else s)
    initial = doc.get("initial")
    if not isinstance(initial, str):
        return []
    seen, todo = {initial}, [initial]
    while todo:
        for nxt in leaving.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return [s for s in statuses if s in seen]


def removed_status_findings(gone: Iterable[tuple[str, int]], at: Pos, against: str = "the previous version",
                            ) -> list[Finding]:
    """`removed-status` warnings for the statuses (name, line in the old file) that cases of the old version
    may be in and that are gone, at `at` (the new file's `statuses:`)."""
    file, line, col = at if at is not None else ("", 0, 0)
    found = []
    for name, was in gone:
        where = f" (line {was} there)" if was else ""
        found.append(Finding(file, line, col, f"status '{name}' of {against}{where} is gone, and cases of that "
                             f"version may be in it", code="removed-status", severity="warning",
                             hint=f"keep '{name}' until no case is in it, or move those cases to another status "
                                  "before this version goes live"))
    return found


# -- diagrams ---------------------------------------------------------------------------------------

def diagram_marks(old: Workflow, new: Workflow) -> Marks:
    """What a diagram of the new version colours: statuses and moves added or changed, and the statuses and
    moves of the old version that are gone."""
    differ = _Differ(old, new)
    changes = differ.run()

    def moves(wf: Workflow) -> dict[tuple[str, str, str], str]:
        return {(t.event, s, t.target_from(s)): wf.events[t.event].title for t in wf.transitions() for s in t.sources}

    old_moves, new_moves = moves(old), moves(new)
    statuses = {s: "added" for s in new.statuses if s not in old.statuses}
    for c in changes:
        if c.what == "status" and c.kind == "changed":
            statuses.setdefault(c.name, "changed")
    marked = {m: "added" for m in new_moves if m not in old_moves}
    for m in sorted(differ.touched):
        if m in new_moves:
            marked.setdefault(m, "changed")
    return Marks(statuses=statuses, moves=marked,
                 removed_statuses=tuple((st.name, st.group, st.final) for st in old.statuses.values()
                                        if st.name not in new.statuses),
                 removed_moves=tuple((e, title, s, d) for (e, s, d), title in old_moves.items()
                                     if (e, s, d) not in new_moves))


# -- renderings -------------------------------------------------------------------------------------

def reworded(before: str, after: str, mark: Callable[[str, str], str],
             plain: Callable[[str], str] = str) -> str | None:
    """A long text changed in a few words, said once with its changed words marked (`mark(old, new)` says
    one replaced run: either may be ''); None when it is short, or changed too much to read so."""
    if min(len(before), len(after)) < 40:
        return None
    a, b = before.split(" "), after.split(" ")
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.ratio() < SIMILAR:
        return None
    out = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(plain(" ".join(a[i1:i2])))
        else:
            out.append(mark(" ".join(a[i1:i2]), " ".join(b[j1:j2])))
    return " ".join(p for p in out if p)


def _text_mark(old: str, new: str) -> str:
    return (f"[-{old}-]" if old else "") + (f"{{+{new}+}}" if new else "")


def _md_mark(old: str, new: str) -> str:
    return (f"~~{_md(old)}~~" if old else "") + (" " if old and new else "") + (f"**{_md(new)}**" if new else "")


def _change_text(c: Change) -> str:
    """A change as `Change.text()` says it, a reworded text with its changed words marked as git's --word-diff."""
    if c.kind == "changed":
        words = reworded(c.before, c.after, _text_mark)
        if words is not None:
            where = f" in {c.where}" if c.where else ""
            return f"{c.what} {c.name}{where}: {c.aspect} reworded: {words}"
    return c.text()


def summary(changes: Sequence[Change]) -> dict[str, int]:
    counts = {k: sum(c.kind == k for c in changes) for k in KINDS}
    return {"total": len(changes), **counts}


def _version(wf: Workflow) -> str:
    return wf.version or "?"


def _headline(changes: Sequence[Change]) -> str:
    s = summary(changes)
    if not s["total"]:
        return "no change"
    parts = ", ".join(f"{s[k]} {k}" for k in KINDS if s[k])
    return f"{s['total']} change{'' if s['total'] == 1 else 's'} ({parts})"


def _where(pos: Pos) -> str:
    if pos is None:
        return ""
    return f"{pos[0]}:{pos[1]}:{pos[2]}" if pos[1] else pos[0]


def _by_section(changes: Sequence[Change]) -> list[tuple[str, list[Change]]]:
    out: dict[str, list[Change]] = {}
    for c in changes:
        out.setdefault(c.section, []).append(c)
    return [(title, out[title]) for title, _ in SECTIONS if title in out]


def diff_text(old: Workflow, new: Workflow, changes: Sequence[Change]) -> str:
    """For a terminal: a headline, then per section one line per change, `file:line:col: ` first."""
    out = [f"{new.title} ({new.name}): version {_version(old)} → {_version(new)}: {_headline(changes)}"]
    for title, mine in _by_section(changes):
        out.append(f"\n{title}:")
        for c in mine:
            where = _where(c.at)
            source = f" ({c.source})" if c.source else ""
            out.append(f"  {SIGN[c.kind]} {where + ': ' if where else ''}{_change_text(c)}{source}")
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    """Text safe in a Markdown table cell."""
    return (text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace("*", "\\*")
            .replace("_", "\\_").replace("\n", " "))


def _md_where(pos: Pos) -> str:
    if pos is None:
        return ""
    return f"`{pos[0]}:{pos[1]}`" if pos[1] else f"`{pos[0]}`"


def diff_markdown(old: Workflow, new: Workflow, changes: Sequence[Change]) -> str:
    """A review comment: a summary line, then a table per section (change, what, details, source, where)."""
    s = summary(changes)
    out = [f"### Procedure change: {_md(new.title)} (`{new.name}`)", ""]
    if not s["total"]:
        out.append(f"No change to the procedure (version `{_version(old)}` → `{_version(new)}`).")
        return "\n".join(out) + "\n"
    counts = ", ".join(f"{s[k]} {k}" for k in KINDS if s[k])
    out.append(f"Version `{_version(old)}` → `{_version(new)}`: **{s['total']} change"
               f"{'' if s['total'] == 1 else 's'}** ({counts}).")
    for title, mine in _by_section(changes):
        out += ["", f"#### {title}", "", "| change | what | details | source | where |", "|---|---|---|---|---|"]
        for c in mine:
            what = f"{c.what} **{_md(c.name)}**" + (f"<br>in {_md(c.where)}" if c.where else "")
            words = reworded(c.before, c.after, _md_mark, _md) if c.kind == "changed" else None
            if words is not None:
                details = f"{_md(c.aspect)} reworded: {words}"
            elif c.kind == "changed":
                details = f"{_md(c.aspect)}: {_md(c.before or 'none')} → {_md(c.after or 'none')}"
            else:
                details = _md(c.after if c.kind == "added" else c.before)
            out.append(f"| {c.kind} | {what} | {details} | {_md(c.source)} | {_md_where(c.at)} |")
    return "\n".join(out) + "\n"


def diff_json(old: Workflow, new: Workflow, changes: Sequence[Change]) -> dict:
    """Stable keys: workflow, old and new ({file, version, title}), summary ({total, added, removed, changed})
    and changes (each: kind, what, name, where, aspect, before, after, source, text, at, was_at)."""
    def side(wf: Workflow) -> dict:
        return {"workflow": wf.name, "title": wf.title, "file": wf.file, "version": wf.version}

    return {"workflow": new.name, "old": side(old), "new": side(new), "summary": summary(changes),
            "changes": [c.to_json() for c in changes]}
