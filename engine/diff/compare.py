"""Comparing two versions of a workflow: matching what is the same thing, listing every Change, the
statuses cases of the old version may be in that are gone, and what a diagram of the new one
colours."""
from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..findings import Finding
from ..model import (
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
from ..render.graph import Marks
from .change import SECTION_OF, SIMILAR, Change
from .words import (
    due_words,
    effect_name,
    effect_said,
    event_name,
    expr_text,
    field_name,
    field_type,
    listed,
    quoted,
    sentence,
    transition_name,
    transition_said,
    when_text,
    who_text,
    yes_no,
)

# -- matching -----------------------------------------------------------------------------------

T = TypeVar("T")

def match(old: Sequence[T], new: Sequence[T], *same: Callable[[T, T], bool],
          ) -> tuple[list[tuple[T, T]], list[T], list[T]]:
    """Pairs of one old and one new item, tried with each test in turn (the strictest first), then
    what is left of the old (removed) and of the new (added). Items keep their order."""
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
    return [(old[i], new[j]) for i, j in pairs], [old[i] for i in left_old], \
        [new[j] for j in left_new]


def _merged(old: Sequence[str], new: Sequence[str]) -> list[str]:
    """The names of both, in the new order, each removed one after the name that came before it in
    the old."""
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
                                   said if kind == "added" else "",
                                   source or getattr(thing, "source", ""),
                                   pos if kind == "added" else None,
                                   pos if kind == "removed" else None))

    def aspects(self, what: str, name: str, old: Any, new: Any,
                pairs: Iterable[tuple[str, str, str]], *,
                where: str = "", source: str = "") -> bool:
        """A change for each (aspect, before, after) that differs; whether there was any."""
        found = False
        for aspect, before, after in pairs:
            if before != after:
                found = True
                self.changes.append(Change("changed", what, name, where, aspect, before, after,
                                           source or getattr(new, "source", ""),
                                           getattr(new, "pos", None),
                                           getattr(old, "pos", None)))
        return found

    def keyed(self, what: str, old: dict[str, T], new: dict[str, T], name: Callable[[T], str],
              said: Callable[[T], str], compare: Callable[[T, T], Any], where: str = "") -> None:
        for key in _merged(list(old), list(new)):
            if key not in old:
                self.add("added", what, name(new[key]), new[key], where=where, said=said(new[key]))
            elif key not in new:
                self.add("removed", what, name(old[key]), old[key], where=where,
                         said=said(old[key]))
            else:
                compare(old[key], new[key])


    # -- the whole ------------------------------------------------------------------------------
    def run(self) -> list[Change]:
        o, n = self.old, self.new
        self.aspects("workflow", n.name, o, n, [
            ("name", o.name, n.name), ("title", quoted(o.title), quoted(n.title)),
            ("description", quoted(o.description) if o.description else "",
             quoted(n.description) if n.description else ""),
            ("initial status", o.initial, n.initial), ("source", o.source, n.source)])
        self.keyed("status", o.statuses, n.statuses, lambda s: s.name, _status_said,
                   self.status)
        self.keyed("event", o.events, n.events, event_name, _event_said, self.event)
        self.keyed("intray", o.intrays, n.intrays, lambda i: f"{i.code} ({i.name})",
                   lambda i: f"due {due_words(i)}",
                   self.intray)
        self.keyed("letter", o.letters, n.letters, lambda lt: f"{lt.code} ({lt.title})",
                   lambda lt: "", self.letter)
        self.keyed("field", o.fields, n.fields, field_name, field_type, self.field_spec)
        self.keyed("list", o.lists, n.lists, lambda lst: lst.name, lambda lst: listed(lst.values),
                   self.choice_list)
        self.keyed("table", o.tables, n.tables, lambda t: t.title or t.name,
                   lambda t: f"{len(t.rows)} row(s)",
                   self.table)
        self.keyed("query", o.queries, n.queries, lambda q: f"{q.name} ({q.title})", lambda q: "",
                   self.query)
        self.keyed("schedule", o.schedules, n.schedules, lambda s: s.name,
                   lambda s: f"{s.event} at {s.at}",
                   self.schedule)
        return sorted(self.changes, key=lambda c: SECTION_OF.get(c.what, 0))

    # -- statuses, intrays, letters, fields, lists -------------------------------------------------

    def status(self, a: Status, b: Status) -> None:
        self.aspects("status", b.name, a, b, [
            ("description", quoted(a.description) if a.description else "",
             quoted(b.description) if b.description else ""),
            ("final", yes_no(a.final, "final", "not final"), yes_no(b.final, "final", "not final")),
            ("group", a.group, b.group), ("aliases", listed(a.aliases), listed(b.aliases)),
            *_notes(a, b)])

    def intray(self, a: IntrayType, b: IntrayType) -> None:
        def stays(it: IntrayType) -> str:
            if it.stays_open is None:
                return ""
            statuses, text, _ = it.stays_open
            return f"in {listed(statuses) or 'any final status'} ({quoted(text)})"

        self.aspects("intray", f"{b.code} ({b.name})", a, b, [
            ("name", quoted(a.name), quoted(b.name)), ("due", due_words(a), due_words(b)),
            ("may stay open", stays(a), stays(b)), *_notes(a, b)])

    def letter(self, a: LetterType, b: LetterType) -> None:
        self.aspects("letter", f"{b.code} ({b.title})", a, b,
                     [("title", quoted(a.title), quoted(b.title)), *_notes(a, b)])


    def field_spec(self, a: FieldSpec, b: FieldSpec) -> None:
        self.aspects("field", field_name(b), a, b, [*_field_pairs(a, b), *_notes(a, b)])

    def choice_list(self, a: ChoiceList, b: ChoiceList) -> None:
        where = f"list {b.name}"
        for value in _merged(list(a.values), list(b.values)):
            if value not in a.values:
                self.changes.append(Change("added", "list value", quoted(value), where,
                                           source=b.source, pos=b.pos))
            elif value not in b.values:
                self.changes.append(Change("removed", "list value", quoted(value), where,
                                           source=a.source, old_pos=a.pos))
        aliases = [f"{k} = {v}" for k, v in a.aliases.items()], \
            [f"{k} = {v}" for k, v in b.aliases.items()]
        self.aspects("list", b.name, a, b,
                     [("aliases", listed(aliases[0]), listed(aliases[1])), *_notes(a, b)])

    # -- tables, queries, schedules ----------------------------------------------------------------
    def table(self, a: Table, b: Table) -> None:
        name = b.title or b.name
        self.aspects("table", name, a, b,
                     [("title", a.title, b.title), ("key", a.key, b.key), *_notes(a, b)])
        cols_a, cols_b = {c.name: c for c in a.columns}, {c.name: c for c in b.columns}
        self.keyed("table column", cols_a, cols_b, field_name, field_type,
                   lambda x, y: self.aspects("table column", field_name(y), x, y,
                                             _field_pairs(x, y),
                                             where=f"table {name}"), where=f"table {name}")
        where = f"table {name}"
        for key in _merged(list(a.rows), list(b.rows)):
            if key not in a.rows:
                src, _, pos = b.row_notes.get(key, ("", "", None))
                self.changes.append(Change("added", "table row", str(key), where,
                                           after=_cells(b, key),
                                           source=src or b.source, pos=pos or b.pos))
            elif key not in b.rows:
                src, _, pos = a.row_notes.get(key, ("", "", None))
                self.changes.append(Change("removed", "table row", str(key), where,
                                           before=_cells(a, key),
                                           source=src or a.source, old_pos=pos or a.pos))
            else:
                na, nb = a.row_notes.get(key, ("", "", None)), b.row_notes.get(key, ("", "", None))
                columns = _merged(list(a.rows[key]), list(b.rows[key]))
                pairs = [(cols_b[c].label if c in cols_b else c, _cell(a.rows[key].get(c)),
                          _cell(b.rows[key].get(c)))
                         for c in columns]
                pairs += [("source", na[0], nb[0]), ("assumption", quoted(na[1]) if na[1] else "",
                                                     quoted(nb[1]) if nb[1] else "")]
                for aspect, before, after in pairs:
                    if before != after:
                        self.changes.append(Change("changed", "table row", str(key), where, aspect,
                                                   before, after,
                                                   nb[0] or b.source, nb[2] or b.pos,
                                                   na[2] or a.pos))


    def query(self, a: Query, b: Query) -> None:
        def params(q: Query) -> str:
            return listed(f"{p.name} ({field_type(p)}{', required' if p.required else ''})"
                          for p in q.params)

        self.aspects("query", f"{b.name} ({b.title})", a, b, [
            ("title", quoted(a.title), quoted(b.title)), ("parameters", params(a), params(b)),
            ("match", listed(f"{f} = {p}" for f, p in a.match),
             listed(f"{f} = {p}" for f, p in b.match)),
            ("where", expr_text(a.where), expr_text(b.where)),
            ("order", listed(a.order_by), listed(b.order_by)),
            ("refusing a criterion", quoted(a.disabled) if a.disabled else "",
             quoted(b.disabled) if b.disabled else ""),
            *_notes(a, b)])

    def schedule(self, a: Schedule, b: Schedule) -> None:
        self.aspects("schedule", b.name, a, b,
                     [("event", a.event, b.event), ("time", a.at, b.at), *_notes(a, b)])

    # -- events ---------------------------------------------------------------------------------

    def moves_of(self, ev: Event, tr: Transition | None = None) -> set[tuple[str, str, str]]:
        return {(ev.name, s, t.target_from(s)) for t in ([tr] if tr is not None else ev.transitions)
                for s in t.sources}

    def event(self, a: Event, b: Event) -> None:
        name = event_name(b)

        def unavailable(ev: Event) -> str:
            return "; ".join((f"in {listed(st)}: " if st else "") + quoted(says)
                             for st, says in ev.unavailable)

        before = len(self.changes)
        self.aspects("event", name, a, b,
                     [("title", quoted(a.title), quoted(b.title)), *_notes(a, b)])
        self.aspects("unavailable", "sentence", a, b, [("said", unavailable(a), unavailable(b))],
                     where=name,
                     source=b.source)
        if a.by is not None or b.by is not None:
            old_by, new_by = a.by or Who(), b.by or Who()
            self.aspects("who may fire", event_name(b), old_by if a.by else a,
                         new_by if b.by else b, [
                ("who", who_text(a.by), who_text(b.by)),
                ("sentence", quoted(old_by.says) if old_by.says else "",
                 quoted(new_by.says) if new_by.says else "")],
                source=new_by.source or b.source)
        data_a, data_b = {d.name: d for d in a.data}, {d.name: d for d in b.data}
        self.keyed("data field", data_a, data_b, field_name, field_type,
                   lambda x, y: self.aspects("data field", field_name(y), x, y,
                                             _field_pairs(x, y), where=name,
                                             source=b.source), where=name)
        self.guards(_own(a), _own(b), name, b.source)
        if len(self.changes) > before:  # what applies to every transition changes each of them
            self.touched |= self.moves_of(b)
        pairs, removed, added = match(
            a.transitions, b.transitions,
            lambda x, y: set(x.sources) == set(y.sources) and x.target == y.target
            and expr_text(x.when) == expr_text(y.when),
            lambda x, y: set(x.sources) == set(y.sources) and x.target == y.target,
            lambda x, y: bool(set(x.sources) & set(y.sources)) and x.target == y.target
            and expr_text(x.when) == expr_text(y.when),
            lambda x,
            y: set(x.sources) == set(y.sources) and expr_text(x.when) == expr_text(y.when),
            lambda x, y: bool(set(x.sources) & set(y.sources)) and x.target == y.target)
        for tr in removed:
            self.add("removed", "transition", transition_name(a, tr), tr,
                     said=transition_said(self.old, tr))
        for x, y in pairs:
            self.transition(a, x, b, y)
        for tr in added:
            self.add("added", "transition", transition_name(b, tr), tr,
                     said=transition_said(self.new, tr))

    def transition(self, ea: Event, a: Transition, eb: Event, b: Transition) -> None:
        name = transition_name(eb, b)
        before = len(self.changes)
        self.aspects("transition", name, a, b, [
            ("from", listed(a.sources), listed(b.sources)),
            ("to", a.target or "(kept)", b.target or "(kept)"),
            ("when", when_text(a.when), when_text(b.when)), *_notes(a, b)])
        self.guards(a.guards, b.guards, name, b.source)
        pairs, removed, added = match(
            a.effects, b.effects,
            lambda x,
            y: (x.kind, x.target, expr_text(x.when)) == (y.kind, y.target, expr_text(y.when)),
            lambda x, y: (x.kind, x.target) == (y.kind, y.target))
        for ef in removed:
            self.add("removed", "effect", effect_name(self.old, ef), ef,
                     where=transition_name(ea, a),
                     said=effect_said(ef), source=ef.source or a.source)
        for x, y in pairs:
            self.effect(x, y, name, b.source)
        for ef in added:
            self.add("added", "effect", effect_name(self.new, ef), ef, where=name,
                     said=effect_said(ef),
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
            self.add("removed", "guard", quoted(g.says), g, where=where,
                     said=f"check {g.check.text}",
                     source=g.source or source)
        for x, y in pairs:  # a reworded guard is named by its check
            name = quoted(y.says) if x.says == y.says else y.check.text
            self.aspects("guard", name, x, y, [("sentence", quoted(x.says), quoted(y.says)),
                                                     ("check", x.check.text, y.check.text),
                                               *_notes(x, y)],
                         where=where, source=y.source or source)
        for g in added:
            self.add("added", "guard", quoted(g.says), g, where=where, said=f"check {g.check.text}",
                     source=g.source or source)

    def effect(self, a: Effect, b: Effect, where: str, source: str) -> None:
        def record(pairs: Sequence[tuple[str, Expr]]) -> str:
            return listed(f"{k} = {v.text}" for k, v in pairs)

        self.aspects("effect", effect_name(self.new, b), a, b, [
            ("recipients", f"[{listed(a.to)}]" if a.kind == "letter" else "",
             f"[{listed(b.to)}]" if b.kind == "letter" else ""),
            ("value", expr_text(a.value), expr_text(b.value)),
            ("record", record(a.record), record(b.record)),
            ("due", expr_text(a.due), expr_text(b.due)),
            ("about", expr_text(a.about), expr_text(b.about)),
            ("routed to", expr_text(a.assign), expr_text(b.assign)),
            ("cases", expr_text(a.targets), expr_text(b.targets)),
            ("event", a.event, b.event), ("case name", expr_text(a.name), expr_text(b.name)),
            ("fields set", record(a.sets), record(b.sets)),
            ("condition", when_text(a.when), when_text(b.when)),
            *_notes(a, b)], where=where, source=b.source or source)


def _notes(a: Any, b: Any) -> list[tuple[str, str, str]]:
    """The source and the assumption of an entry, old and new, as aspects to compare."""
    return [("source", a.source, b.source), ("assumption",
                                             quoted(a.assumption) if a.assumption else "",
                                             quoted(b.assumption) if b.assumption else "")]


def _status_said(s: Status) -> str:
    return ", ".join(p for p in (sentence(s.description), "final" if s.final else "",
                                 f"group {s.group}" if s.group else "") if p)


def _field_pairs(a: FieldSpec, b: FieldSpec) -> list[tuple[str, str, str]]:
    return [("type", field_type(a), field_type(b)), ("title", a.title, b.title),
            ("required", yes_no(a.required, "required", "optional"),
             yes_no(b.required, "required", "optional")),
            ("default", expr_text(a.default), expr_text(b.default)),
            ("locked after", listed(a.locked_after), listed(b.locked_after))]


def _cells(t: Table, key: Any) -> str:
    labels = {c.name: c.label for c in t.columns}
    return "; ".join(f"{labels.get(c, c)} {_cell(v)}" for c, v in t.rows[key].items()
                     if v is not None)


def _event_said(ev: Event) -> str:
    """An added or removed event in full: its moves, data, who may fire it and every sentence
    refusing it."""
    parts = [transition_name(ev, tr).partition(": ")[2] for tr in ev.transitions]
    if ev.data:
        parts.append("data: " + listed(
            (f"{d.label} ({d.name}: " if d.title and d.title != d.name else f"{d.name} (")
            + f"{field_type(d)}{', required' if d.required else ''})" for d in ev.data))
    if ev.by is not None:
        parts.append(f"who may fire: {who_text(ev.by)}")
    says = [g.says for g in (*_own(ev), *(g for tr in ev.transitions for g in tr.guards))]
    if says:
        parts.append("refused when: " + "; ".join(quoted(sentence(s)) for s in says))
    return "; ".join(parts)


def _own(ev: Event) -> tuple[Guard, ...]:
    """The event's own guards: without the check `by:` adds first (compared as 'who may fire')."""
    return ev.guards[1:] if ev.by is not None and ev.guards else ev.guards


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return listed(_cell(v) for v in value)
    return str(value)


def compare(old: Workflow, new: Workflow) -> list[Change]:
    """Every difference between two versions of a workflow, by section, each in the order of the new
    file."""
    return _Differ(old, new).run()


# -- what cases of the old version may be in -------------------------------------------------------

def reachable(wf: Workflow) -> list[str]:
    """The statuses a case can be in: the initial one and every one some sequence of events leads
    to."""
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
    """The statuses of the old version that a case may be in and that the new version no longer
    has."""
    return [old.statuses[s] for s in reachable(old) if s not in new.statuses]


def reachable_in_document(doc: Any) -> list[str]:
    """`reachable` of a workflow document as read (not checked): its statuses a case can be in. What
    is not as the schema says is passed over, so that an old version is read even where it would not
    load now."""
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
            sources = [sources] if isinstance(sources, str) else sources \
                if isinstance(sources, list) else []
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


def removed_status_findings(gone: Iterable[tuple[str, int]], at: Pos,
                            against: str = "the previous version",
                            ) -> list[Finding]:
    """`removed-status` warnings for the statuses (name, line in the old file) that cases of the old
    version may be in and that are gone, at `at` (the new file's `statuses:`)."""
    file, line, col = at if at is not None else ("", 0, 0)
    found = []
    for name, was in gone:
        where = f" (line {was} there)" if was else ""
        found.append(Finding(file, line, col,
                             f"status '{name}' of {against}{where} is gone, and cases of that "
                             f"version may be in it", code="removed-status", severity="warning",
                             hint=f"keep '{name}' until no case is in it, or move those cases to "
                                  "another status before this version goes live"))
    return found


# -- diagrams --------------------------------------------------------------------------------------

def diagram_marks(old: Workflow, new: Workflow) -> Marks:
    """What a diagram of the new version colours: statuses and moves added or changed, and the
    statuses and moves of the old version that are gone."""
    differ = _Differ(old, new)
    changes = differ.run()

    def moves(wf: Workflow) -> dict[tuple[str, str, str], str]:
        return {(t.event, s, t.target_from(s)): wf.events[t.event].title for t in wf.transitions()
                for s in t.sources}

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
                 removed_statuses=tuple((st.name, st.group, st.final)
                                        for st in old.statuses.values()
                                        if st.name not in new.statuses),
                 removed_moves=tuple((e, title, s, d) for (e, s, d), title in old_moves.items()
                                     if (e, s, d) not in new_moves))
