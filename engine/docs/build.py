"""A workflow as its procedure document (engine.docs.model): each rule placed at the steps it cites.

Every rule says where it comes from (`source:`). A step's Action is written from the rules citing
it: an event's title (what staff do) and the data it asks for, the transitions it takes (which
outcome leads to which status), what saving does (intrays opened with their due periods, closed,
routed; letters and their recipients; fields filled in; other records updated or started), and
the rules that refuse it with what they say. A rule without a `source:` belongs where its
transition (or event) does. Pure: no I/O.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..citations import parse as parse_citation
from ..model import Effect, Event, Expr, FieldSpec, Guard, Pos, Transition, Workflow
from .model import (
    Assumption,
    AssumptionGroup,
    Block,
    CrossRef,
    Document,
    IntrayEntry,
    LetterEntry,
    Line,
    PartDoc,
    Ref,
    Row,
    RuleRef,
    TableDoc,
)
from .words import Words, choices, join, value

Slot = tuple[Any, ...]  # ("place", doc, table, step or None) or ("label", text)

_R_NUMBER = re.compile(r"^\s*(R\d+(?:\s*/\s*R\d+)*)")
_SELECT_TYPES = ("choice", "boolean")


def document(wf: Workflow, related: Iterable[Workflow] = ()) -> Document:
    """The procedure document of `wf`; `related`: the other workflows of the site (titles, links)."""
    return _Builder(wf, {w.name: w for w in related if w.name != wf.name}).build()


def _the(title: str) -> str:
    """'the Lodgement Date', but 'The decision ...' stays as it is."""
    return f"the {title[4:]}" if title[:4].lower() == "the " else f"the {title}"


def _a(noun: str) -> str:
    """The article before a noun: 'an Objection', 'a COA Pending Information'."""
    return "an" if noun[:1] in "AEIOUaeiou" else "a"


def _split(labels: str) -> list[str]:
    """'CMA introduction, CMA page alert (Separating Safely)' -> its two parts (commas in brackets stay)."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(labels):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch in ",;" and depth == 0:
            parts.append(labels[start:i])
            start = i + 1
    parts.append(labels[start:])
    return [p.strip() for p in parts if p.strip()]


def _line_of(pos: Pos) -> int:
    return pos[1] if pos else 0


def _short(text: str, width: int = 90) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


@dataclass
class _At:
    """What one event contributes to one slot, before it is said."""

    event: bool = False
    who: bool = False
    guards: list[Guard] = field(default_factory=list)
    heads: set[int] = field(default_factory=set)  # transitions shown (their own source cites the slot)
    effects: dict[int, list[Effect]] = field(default_factory=dict)
    tguards: dict[int, list[Guard]] = field(default_factory=dict)
    unavailable: list[int] = field(default_factory=list)
    fields: set[str] = field(default_factory=set)

    def transitions(self) -> list[int]:
        return sorted(self.heads | set(self.effects) | set(self.tguards))


class _Builder:
    def __init__(self, wf: Workflow, related: Mapping[str, Workflow]):
        self.wf = wf
        self.related = related
        self.doc = wf.procedure.document if wf.procedure else ""
        self.blocks: dict[Slot, list[Block]] = {}
        self.xref: dict[Slot, dict[str, list[RuleRef]]] = {}
        self.order: list[Slot] = []  # slots in the order the file first cites them
        self.notes: dict[str, Ref] = {}  # assumption text -> its link
        self.uses: dict[str, tuple[list[Slot], list[int]]] = {}  # assumption text -> (slots, lines)
        self.opened: dict[str, list[Slot]] = {}
        self.closed: dict[str, list[Slot]] = {}
        self.dues: dict[str, list[str]] = {}
        self.recipients: dict[str, list[str]] = {}
        self.issued: dict[str, list[Slot]] = {}
        self.statuses_at: dict[Slot, list[Block]] = {}  # the statuses a step defines, said after its events
        self.words = Words(titles={n: f.label for n, f in wf.fields.items()},
                           kinds={n: f.type for n, f in wf.fields.items()},
                           intrays={c: i.name for c, i in wf.intrays.items()},
                           queries=self.query_titles(),
                           tables={n: (t.title or n, {c.name: c.label for c in t.columns})
                                   for n, t in wf.tables.items()})
        self.number_assumptions()

    # -- places ---------------------------------------------------------------------------
    def slots(self, source: str) -> list[Slot]:
        if not source:
            return []
        cited = parse_citation(source, self.doc)
        found: list[Slot] = [("place", p.doc, p.table, p.step) for p in cited.places]
        found += [("label", label) for text in cited.labels for label in _split(text)]
        for slot in found:
            if slot not in self.xref:
                self.xref[slot] = {}
                self.order.append(slot)
        return found

    def table_of(self, doc: str, number: int) -> Any:
        proc = self.wf.procedure
        return proc.table(number) if proc is not None and doc == proc.document else None

    def own(self, slot: Slot) -> bool:
        """Is the slot a row of this page: a step (or a whole table) of the catalogue, or a part of the text?"""
        if slot[0] == "label":
            return True
        if self.wf.procedure is None:
            return True
        table = self.table_of(slot[1], slot[2])
        return table is not None and (slot[3] is None or table.step(slot[3]) is not None)

    def anchor(self, slot: Slot) -> str:
        if slot[0] == "label":
            labels = self.labels()
            return f"part-{labels.index(slot[1]) + 1}" if slot[1] in labels else ""
        doc = (slot[1] or "doc").lower()
        return f"{doc}-t{slot[2]}-{'all' if slot[3] is None else f's{slot[3]}'}"

    def labels(self) -> list[str]:
        return [s[1] for s in self.order if s[0] == "label" and self.placed(s)]

    def placed(self, slot: Slot) -> bool:
        return bool(self.blocks.get(slot)) or bool(self.xref.get(slot))

    def kind_of(self, doc: str, table: int) -> str:
        found = self.table_of(doc, table)
        if found is not None:
            return found.rows
        for other in self.related.values():
            if other.procedure and other.procedure.document == doc and other.procedure.table(table):
                return other.procedure.table(table).rows  # type: ignore[union-attr]
        return "Step"

    def ref(self, slot: Slot, *, full: bool = False) -> Ref:
        """A link to the row of a slot: on this page, on another workflow's page, or nowhere."""
        if slot[0] == "label":
            return Ref(slot[1], self.anchor(slot))
        _, doc, table, step = slot
        kind = self.kind_of(doc, table)
        here = f"Table {table}" + ("" if step is None else f" {kind} {step}")
        label = f"{doc} {here}" if (full or doc != self.doc) and doc else here
        if self.own(slot):
            return Ref(label, self.anchor(slot))
        for other in self.related.values():
            proc = other.procedure
            if proc and proc.document == doc and proc.table(table) and (step is None or proc.table(table).step(step)):
                return Ref(label, self.anchor(slot), other.name)
        return Ref(label)

    # -- assumptions ----------------------------------------------------------------------
    def number_assumptions(self) -> None:
        unnumbered = 0
        for _where, text, _pos in self.wf.assumptions():
            if text in self.notes:
                continue
            m = _R_NUMBER.match(text)
            if m:
                label = re.sub(r"\s+", "", m.group(1))
            else:
                unnumbered += 1
                label = f"A{unnumbered}"
            self.notes[text] = Ref(label, f"a-{len(self.notes) + 1}")

    def note(self, text: str) -> tuple[Ref, ...]:
        return (self.notes[text],) if text and text in self.notes else ()

    def use(self, text: str, slots: list[Slot], pos: Pos) -> None:
        if not text:
            return
        found_slots, lines = self.uses.setdefault(text, ([], []))
        found_slots.extend(s for s in slots if s not in found_slots)
        if _line_of(pos) and _line_of(pos) not in lines:
            lines.append(_line_of(pos))

    # -- the cross-reference ----------------------------------------------------------------
    def rule(self, slots: list[Slot], group: str, label: str, pos: Pos, assumption: str = "") -> None:
        for slot in slots:
            refs = self.xref[slot].setdefault(group, [])
            last = refs[-1] if refs else None
            if last is not None and last.line == _line_of(pos) and last.label.startswith("sets ") \
                    and label.startswith("sets "):  # one `set:` of several fields: one rule
                refs[-1] = RuleRef(f"{last.label}, {label[5:]}", last.line)
            else:
                refs.append(RuleRef(label, _line_of(pos)))
        self.use(assumption, slots, pos)

    def definitions(self) -> None:
        wf, group = self.wf, ""
        for lst in wf.lists.values():
            self.rule(self.slots(lst.source), group, f"dropdown {lst.name}", lst.pos, lst.assumption)
        for t in wf.tables.values():
            self.rule(self.slots(t.source), group, f"table {t.title or t.name}", t.pos, t.assumption)
            for key, (source, text, pos) in t.row_notes.items():
                self.rule(self.slots(source), group, f"table {t.title or t.name}, row {key}", pos, text)
        for spec in wf.fields.values():
            self.rule(self.slots(spec.source), group, f"field {spec.label}", spec.pos, spec.assumption)
        for st in wf.statuses.values():
            st_slots = self.slots(st.source)
            self.rule(st_slots, group, f"status {st.name}", st.pos, st.assumption)
            said = (st.description or "").strip() + (" A final status: the case is finalised." if st.final else "")
            for slot in st_slots:
                self.statuses_at.setdefault(slot, []).append(
                    Block(f"Status “{st.name}”", (Line("rule", said.strip()),) if said.strip() else (),
                          self.note(st.assumption), "status"))
        for it in wf.intrays.values():
            self.rule(self.slots(it.source), group, f"intray {it.code}", it.pos, it.assumption)
            if it.stays_open is not None:
                self.use(it.stays_open[1], self.slots(it.source), it.stays_open[2])
        for lt in wf.letters.values():
            self.rule(self.slots(lt.source), group, f"letter {lt.code}", lt.pos, lt.assumption)
        for q in wf.queries.values():
            self.rule(self.slots(q.source), group, f"search “{q.title}”", q.pos, q.assumption)
        for sc in wf.schedules.values():
            self.rule(self.slots(sc.source), group, f"schedule {sc.name} ({sc.at})", sc.pos, sc.assumption)

    # -- words for one event --------------------------------------------------------------
    def query_titles(self) -> dict[str, str]:
        found = {n: q.title for w in self.related.values() for n, q in w.queries.items()}
        found.update({n: q.title for n, q in self.wf.queries.items()})
        return found

    def event_words(self, ev: Event) -> Words:
        titles = {**self.words.titles, **{d.name: d.label for d in ev.data}}
        kinds = {**self.words.kinds, **{d.name: d.type for d in ev.data}}
        return Words(titles=titles, kinds=kinds, intrays=self.words.intrays, queries=self.words.queries,
                     tables=self.words.tables)

    def statuses(self, sources: Iterable[str]) -> str:
        sources = list(sources)
        every = set(self.wf.statuses)
        if len(sources) > 3 and set(sources) == every - {self.wf.initial}:
            return f"any status but “{self.wf.initial}”"
        if len(sources) > 3 and set(sources) == every:
            return "any status"
        return ("status " if len(sources) == 1 else "statuses ") + join([f"“{s}”" for s in sources], "or")

    # -- events ---------------------------------------------------------------------------
    def event(self, ev: Event) -> None:
        words = self.event_words(ev)
        ev_slots = self.slots(ev.source)
        at: dict[Slot, _At] = {}

        def get(slot: Slot) -> _At:
            return at.setdefault(slot, _At())

        self.rule(ev_slots, ev.title, "the event", ev.pos, ev.assumption)
        for slot in ev_slots:
            get(slot).event = True
        guards = list(ev.guards)
        if ev.by is not None:
            guards = guards[1:]  # the first guard is the `by:` check, said as who may do it
            by_slots = self.slots(ev.by.source) or ev_slots
            self.rule(by_slots, ev.title, "who may do it", ev.by.pos, ev.by.assumption)
            for slot in by_slots:
                get(slot).who = True
        for g in guards:
            g_slots = self.slots(g.source) or ev_slots
            self.rule(g_slots, ev.title, f"refusal “{_short(g.says, 60)}”", g.pos, g.assumption)
            for slot in g_slots:
                get(slot).guards.append(g)
        for i, tr in enumerate(ev.transitions):
            t_slots = self.slots(tr.source)
            self.rule(t_slots, ev.title, f"{self.statuses(tr.sources)} → "
                      f"{f'“{tr.target}”' if tr.target else 'the same status'}", tr.pos, tr.assumption)
            for slot in t_slots:
                get(slot).heads.add(i)
            for g in tr.guards:
                g_slots = self.slots(g.source) or t_slots
                self.rule(g_slots, ev.title, f"refusal “{_short(g.says, 60)}”", g.pos, g.assumption)
                for slot in g_slots:
                    get(slot).tguards.setdefault(i, []).append(g)
            for ef in tr.effects:
                e_slots = self.slots(ef.source) or t_slots
                self.rule(e_slots, ev.title, self.effect_label(ef), ef.pos, ef.assumption)
                for slot in e_slots:
                    get(slot).effects.setdefault(i, []).append(ef)
                self.catalogue_use(ef, e_slots, words)
        for i, (source, text, pos) in enumerate(ev.unavailable_notes):
            u_slots = self.slots(source)
            self.rule(u_slots, ev.title, f"not available “{_short(ev.unavailable[i][1], 60)}”", pos, text)
            for slot in u_slots:
                get(slot).unavailable.append(i)
        for spec in ev.data:
            f_slots = self.slots(spec.source)
            self.rule(f_slots, ev.title, f"data {spec.label}", spec.pos, spec.assumption)
            for slot in f_slots:
                get(slot).fields.add(spec.name)
        self.place_fields(ev, at, ev_slots)
        for slot, here in at.items():
            self.blocks.setdefault(slot, []).append(self.block(ev, here, words, slot in ev_slots))

    def place_fields(self, ev: Event, at: dict[Slot, _At], ev_slots: list[Slot]) -> None:
        """Each data field goes where it is named: its own source, its dropdown's source, the rules that read it."""
        names = {d.name for d in ev.data}
        shown: set[str] = set()
        for slot, here in at.items():
            read: set[str] = set(here.fields)
            for spec in ev.data:
                lst = self.wf.lists.get(spec.list or "")
                if lst is not None and here.event and slot in self.slots(lst.source):
                    read.add(spec.name)
            exprs: list[Expr | None] = [g.check for g in here.guards]
            for i in here.transitions():
                tr = ev.transitions[i]
                if i in here.heads:
                    exprs.append(tr.when)
                exprs += [g.check for g in here.tguards.get(i, [])]
                for ef in here.effects.get(i, []):  # what decides the effect, and what it records as keyed
                    exprs += [ef.due, ef.about, ef.assign, ef.when]
                    if len(self.slots(ef.source or tr.source)) == 1:
                        exprs += [e for e in (ef.value, *(v for _, v in ef.record)) if e is not None
                                  and str(e.text).strip().removeprefix("data.") in names]
            for expr in exprs:
                if expr is not None:
                    read |= set(expr.names) & names
            here.fields = read
            shown |= read
        rest = {d.name for d in ev.data} - shown
        if rest:
            first = next((s for s in ev_slots if s[0] == "place" and self.own(s)), ev_slots[0] if ev_slots else None)
            if first is not None:
                at.setdefault(first, _At(event=True)).fields |= rest

    def block(self, ev: Event, here: _At, words: Words, cites_event: bool) -> Block:
        lines: list[Line] = []
        if here.who and ev.by is not None:
            who = join(list(ev.by.areas) + [f"the role {r}" for r in ev.by.roles], "or")
            lines.append(Line("who", f"Only {who} may do this.", notes=self.note(ev.by.assumption)))
        lines += self.field_lines([d for d in ev.data if d.name in here.fields], words)
        for g in here.guards:
            lines.append(Line("refuse", g.says, notes=self.note(g.assumption)))
        bodies: list[tuple[list[Line], tuple[Line, ...]]] = []  # (heads, body): equal bodies share one list
        for i in here.transitions():
            tr = ev.transitions[i]
            body = tuple(Line("refuse", g.says, 1, self.note(g.assumption)) for g in here.tguards.get(i, [])) + tuple(
                self.effect_lines(here.effects.get(i, []), words, ev))
            head = Line("when", self.head(tr, words), notes=self.note(tr.assumption))
            for heads, other in bodies:
                if other == body and body:
                    heads.append(head)
                    break
            else:
                bodies.append(([head], body))
        for heads, body in bodies:
            lines += heads
            lines += body
        if cites_event and not bodies:  # say where it can be done
            sources = list(dict.fromkeys(s for tr in ev.transitions for s in tr.sources))
            lines.append(Line("when", f"Can be done in {self.statuses(sources)}."))
        for i in here.unavailable:
            _, says = ev.unavailable[i]
            lines.append(Line("unavailable", says, notes=self.note(ev.unavailable_notes[i][1])))
        return Block(ev.title, tuple(lines), self.note(ev.assumption) if cites_event else ())

    def head(self, tr: Transition, words: Words) -> str:
        where = self.statuses(tr.sources)
        cond = f", when {words.condition(tr.when.text)}" if tr.when is not None else ""
        if tr.target is None or tr.target in tr.sources and len(tr.sources) == 1:
            return f"In {where}{cond} (the status stays as it is):"
        return f"From {where}{cond}: the status becomes “{tr.target}”."

    def field_lines(self, specs: list[FieldSpec], words: Words) -> list[Line]:
        verbs: dict[str, list[str]] = {"select": [], "key": [], "add": []}
        notes: dict[str, list[Ref]] = {"select": [], "key": [], "add": []}
        for spec in specs:
            if spec.type in _SELECT_TYPES or spec.type == "list" and spec.of is not None \
                    and spec.of.type in _SELECT_TYPES:
                verb = "select"
            elif spec.type == "list":
                verb = "add"
            else:
                verb = "key"
            verbs[verb].append(self.field_text(spec, words))
            notes[verb] += [n for n in self.note(spec.assumption) if n not in notes[verb]]
        return [Line(verb, "; ".join(texts), notes=tuple(notes[verb])) for verb, texts in verbs.items() if texts]

    def field_text(self, spec: FieldSpec, words: Words) -> str:
        details = ["required"] if spec.required else []
        details += [self.values(spec)] if self.values(spec) else []
        if spec.default is not None:
            said = words.default(spec.default.text, spec.name)
            if said:
                details.append(f"defaults to {said}")
        return spec.label + (f" ({', '.join(details)})" if details else "")

    def values(self, spec: FieldSpec) -> str:
        if spec.type == "choice" and spec.list in self.wf.lists:
            return choices(self.wf.lists[spec.list].values)
        if spec.type == "boolean":
            return "yes or no"
        if spec.type == "list" and spec.of is not None:
            inner = self.values(spec.of)
            return f"one or more of {inner}" if inner else "a list"
        if spec.type == "list" and spec.record is not None:
            parts = []
            for sub in spec.record:
                details = ["required"] if sub.required else []
                details += [self.values(sub)] if self.values(sub) else []
                parts.append(sub.label + (f" ({', '.join(details)})" if details else ""))
            return "each with " + join(parts)
        return ""

    # -- effects --------------------------------------------------------------------------
    def effect_lines(self, effects: list[Effect], words: Words, ev: Event) -> list[Line]:
        lines: list[Line] = []
        i = 0
        while i < len(effects):
            ef = effects[i]
            j = i + 1
            when = ef.when.text if ef.when is not None else None
            if ef.kind in ("set", "close"):
                while j < len(effects) and effects[j].kind == ef.kind and (
                        effects[j].when.text if effects[j].when is not None else None) == when and (
                        ef.kind == "set" or (effects[j].about.text if effects[j].about else None)
                        == (ef.about.text if ef.about else None)):
                    j += 1
            group = effects[i:j]
            notes: list[Ref] = []
            for e in group:
                notes += [n for n in self.note(e.assumption) if n not in notes]
            prefix = f"If {words.condition(when)}: " if when is not None else ""
            for text in self.effect_texts(group, words, ev):
                lines.append(Line("save", prefix + text, 1, tuple(notes)))
            i = j
        return lines

    def effect_texts(self, group: list[Effect], words: Words, ev: Event) -> list[str]:
        ef = group[0]
        data = {d.name: d for d in ev.data}
        if ef.kind == "set":
            keyed, moved, filled, ticked, unticked, cleared = [], [], [], [], [], []
            for e in group:
                target = self.words.name(e.target)
                text = e.value.text if e.value is not None else None
                source = str(text).strip()
                source = source[5:] if source.startswith("data.") else source
                boolean = self.wf.fields[e.target].type == "boolean" if e.target in self.wf.fields else False
                if source in data and data[source].label == target:
                    keyed.append(target)
                elif source in data:
                    moved.append(f"{_the(data[source].label)} keyed as {_the(target)}")
                elif text is None or source in ("None", "null"):
                    cleared.append(target)
                elif boolean and source in ("true", "True", "false", "False"):
                    (ticked if source in ("true", "True") else unticked).append(target)
                elif boolean:
                    filled.append(f"ticks {target} when {words.condition(text)} (else leaves it unticked)")
                else:
                    filled.append(f"sets {target} to {self.the(words, text)}")
            out = []
            if keyed:
                out.append(f"Records {_the(join(keyed))} as keyed.")
            if moved:
                out.append(f"Records {join(moved)}.")
            if filled:
                said = "; ".join(filled)
                out.append(f"{said[0].upper()}{said[1:]}.")
            if ticked:
                out.append(f"Ticks {join(ticked)}.")
            if unticked:
                out.append(f"Leaves {join(unticked)} unticked.")
            if cleared:
                out.append(f"Clears the {join(cleared)}.")
            return out
        if ef.kind == "close":
            trays = [f"{self.wf.intrays[e.target].name} ({e.target})" if e.target in self.wf.intrays else e.target
                     for e in group]
            about = f" for {self.the(words, ef.about.text)}" if ef.about is not None else ""
            noun = "intray" if len(trays) == 1 else "intrays"
            return [f"Closes the {join(trays)} {noun}{about}."]
        if ef.kind == "number":
            return [f"Gives the {self.words.name(ef.target)} field a unique number."]
        if ef.kind == "append":
            spec = self.wf.fields.get(ef.target)
            subs = {s.name: s.label for s in (spec.record or ())} if spec else {}
            parts = []
            for name, expr in ef.record:
                text = expr.text.strip() if isinstance(expr.text, str) else expr.text
                label = subs.get(name, name.replace("_", " "))
                parts.append(label if text in data and data[text].label == label else f"{label}: {words.say(expr.text)}")
            return [f"Adds an entry to {self.words.name(ef.target)} ({'; '.join(parts)})."]
        if ef.kind == "open":
            it = self.wf.intrays.get(ef.target)
            name = f"{it.name} ({ef.target})" if it else ef.target
            if ef.due is not None:
                due = f"due on {self.the(words, ef.due.text)}"
            else:
                due = f"due in {it.due_text}" if it and it.due_text else ""
            about = f" for {self.the(words, ef.about.text)}" if ef.about is not None else ""
            routed = f", routed to {self.the(words, ef.assign.text)}" if ef.assign is not None else ""
            return [f"Opens {_a(name)} {name} intray{about}, {due}{routed}.".replace(" intray, .", " intray.")]
        if ef.kind == "assign":
            it = self.wf.intrays.get(ef.target)
            name = f"{it.name} ({ef.target})" if it else ef.target
            to = self.the(words, ef.assign.text) if ef.assign is not None else "someone"
            return [f"Routes the {name} intray to {to}."]
        if ef.kind == "letter":
            lt = self.wf.letters.get(ef.target)
            title = f" {lt.title}" if lt else ""
            noun = "" if title.lower().endswith("letter") else " letter"
            return [f"Issues the {ef.target}{title}{noun} to {self.recipients_text(ef.to)}."]
        if ef.kind == "update":
            other = self.related.get(ef.target) or (self.wf if ef.target == self.wf.name else None)
            fields = other.fields if other else {}
            said = []
            for n, e in ef.sets:
                label = fields[n].label if n in fields else n.replace("_", " ")
                text = str(e.text).strip()
                if n in fields and fields[n].type == "boolean" and text in ("true", "True", "false", "False"):
                    said.append(f"{'ticks' if text in ('true', 'True') else 'unticks'} {label}")
                else:
                    said.append(f"sets {label} to {self.the(words, e.text)}")
            found = words.say(ef.targets.text) if ef.targets is not None else "a search"
            return [f"On each of {found.removeprefix('the ')}: {'; '.join(said)}."]
        if ef.kind in ("start", "signal"):
            other = self.related.get(ef.target) or (self.wf if ef.target == self.wf.name else None)
            event = other.events.get(ef.event) if other else None
            doing = f"“{event.title}”" if event else ef.event
            titles = {d.name: d.label for d in event.data} if event else {}
            given = "; ".join(f"{titles.get(n, n.replace('_', ' '))}: {self.the(words, e.text)}" for n, e in ef.record)
            given = f" ({given})" if given else ""
            if ef.kind == "start":
                what = f"{other.title} ({ef.target})" if other else f"a {ef.target} record"
                return [f"Starts a new {what} with {doing}{given}."]
            found = words.say(ef.targets.text) if ef.targets is not None else "a search"
            return [f"Does {doing} on each record found by {found}{given}."]
        return [f"{ef.kind} {ef.target}"]  # pragma: no cover - every effect kind is said above

    @staticmethod
    def the(words: Words, text: Any) -> str:
        """A value in a sentence: 'the Due Date' for a field, the words otherwise."""
        return f"the {words.say(text)}" if words.simple(text) else words.say(text)

    @staticmethod
    def recipients_text(to: Iterable[str]) -> str:
        return join([f"the {r}" for r in to]) or "no one"

    def effect_label(self, ef: Effect) -> str:
        verb = {"set": "sets", "number": "numbers", "append": "adds to", "open": "opens", "close": "closes",
                "assign": "routes", "letter": "issues letter", "update": "updates records of", "start": "starts",
                "signal": "signals"}.get(ef.kind, ef.kind)
        target = self.words.name(ef.target) if ef.kind in ("set", "number", "append") else ef.target
        return f"{verb} {target}"

    def catalogue_use(self, ef: Effect, slots: list[Slot], words: Words) -> None:
        mine = [s for s in slots if self.own(s)] or slots
        if ef.kind == "open":
            self.opened.setdefault(ef.target, []).extend(s for s in mine if s not in self.opened[ef.target])
            if ef.due is not None:
                said = self.the(words, ef.due.text)
                if said not in self.dues.setdefault(ef.target, []):
                    self.dues[ef.target].append(said)
        elif ef.kind == "close":
            self.closed.setdefault(ef.target, []).extend(s for s in mine if s not in self.closed[ef.target])
        elif ef.kind == "letter":
            self.issued.setdefault(ef.target, []).extend(s for s in mine if s not in self.issued[ef.target])
            text = self.recipients_text(ef.to)
            if text not in self.recipients.setdefault(ef.target, []):
                self.recipients[ef.target].append(text)

    # -- other rules placed at steps: searches, schedules, rows of data -----------------------
    def others(self) -> None:
        wf = self.wf
        for q in wf.queries.values():
            words = Words(titles={**self.words.titles, **{p.name: p.label for p in q.params}},
                          kinds={**self.words.kinds, **{p.name: p.type for p in q.params}},
                          intrays=self.words.intrays, queries=self.words.queries, tables=self.words.tables,
                          recorded="the record's")
            lines = self.field_lines(list(q.params), words)
            given = {p.name: p.label for p in q.params}
            found = "Finds the records"
            if q.match:
                found += " whose " + join([f"{self.words.name(f)} is the {given.get(p, p)} given" for f, p in q.match])
            if q.where is not None:
                found += f"{' and' if q.match else ''} where {words.condition(q.where.text)}"
            if q.order_by:
                found += f", sorted by {join([self.words.name(n) for n in q.order_by])}"
            lines.append(Line("search", found + ".", notes=self.note(q.assumption)))
            for slot in self.slots(q.source):
                self.blocks.setdefault(slot, []).append(Block(f"Search: {q.title}", tuple(lines), kind="search"))
        for sc in wf.schedules.values():
            ev = wf.events.get(sc.event)
            line = Line("schedule", f"Every day at {sc.at} the system does “{ev.title if ev else sc.event}” on every "
                        "record where it can happen.", notes=self.note(sc.assumption))
            for slot in self.slots(sc.source):
                self.blocks.setdefault(slot, []).append(Block("Overnight run" if sc.at == "00:00" else "Daily run",
                                                              (line,), kind="schedule"))
        for t in wf.tables.values():
            title = t.title or t.name
            keys = join([str(k) for k in t.rows])
            for slot in self.slots(t.source):
                self.blocks.setdefault(slot, []).append(Block(
                    f"The {title} table", (Line("rule", f"One row for each of: {keys}.", notes=self.note(t.assumption)),),
                    kind="table"))
            for key, row in t.rows.items():
                source, text, _pos = t.row_notes.get(key, ("", "", None))
                lines = tuple(Line("rule", f"{c.label}: {value(row[c.name])}") for c in t.columns
                              if row.get(c.name) is not None)
                for slot in self.slots(source):
                    self.blocks.setdefault(slot, []).append(Block(f"{title}: {key}", lines, self.note(text), "table"))

    # -- the document ---------------------------------------------------------------------
    def build(self) -> Document:
        wf = self.wf
        self.definitions()
        for ev in wf.events.values():
            self.event(ev)
        self.others()
        for slot, blocks in self.statuses_at.items():
            self.blocks.setdefault(slot, []).extend(blocks)
        for slot, blocks in self.blocks.items():
            blocks.sort(key=lambda b: b.rank)
            closed = [b for b in blocks if b.rank == 1]
            if len(closed) > 1:  # the events this step makes unavailable, said together
                said: dict[tuple[str, tuple[Ref, ...]], list[str]] = {}  # one sentence, the events saying it
                for b in closed:
                    for line in b.lines:
                        said.setdefault((line.text, line.notes), []).append(b.title)
                merged = Block("Not available", tuple(Line("blocked", f"{'; '.join(titles)}: {text}", notes=notes)
                                                      for (text, notes), titles in said.items()), kind="unavailable")
                self.blocks[slot] = [b for b in blocks if b.rank == 0] + [merged] + [b for b in blocks if b.rank == 2]
        tables = self.tables()
        shown = {(t.document, t.number, r.number) for t in tables for r in t.rows}
        parts = tuple(PartDoc(label, self.anchor(("label", label)), tuple(self.blocks.get(("label", label), ())))
                      for label in self.labels())
        crossref, unimplemented = self.crossref(tables)
        elsewhere = tuple(
            CrossRef(self.ref(slot, full=True), self.heading(slot), self.groups(slot))
            for slot in sorted((s for s in self.order if s[0] == "place" and (s[1], s[2], s[3]) not in shown
                                and self.xref.get(s)), key=lambda s: (s[1], s[2], s[3] or 0)))
        proc = wf.procedure
        return Document(
            workflow=wf.name, title=wf.title, procedure=proc.title if proc else "",
            purpose=proc.purpose if proc else "", description=wf.description, file=wf.file, version=wf.version,
            tables=tables, parts=parts, intrays=self.intrays(), letters=self.letters(),
            assumptions=self.assumption_groups(), crossref=crossref, unimplemented=unimplemented,
            elsewhere=elsewhere)

    def tables(self) -> tuple[TableDoc, ...]:
        proc = self.wf.procedure
        found: list[TableDoc] = []
        if proc is not None:
            for t in proc.tables:
                steps: list[tuple[int | None, str]] = [(s.number, s.heading) for s in t.steps]
                found.append(self.table_doc(proc.document, t.number, t.title, t.start, t.columns, t.rows, steps))
            return tuple(found)
        cited: dict[tuple[str, int], set[int]] = {}
        for slot in self.order:
            if slot[0] == "place":
                cited.setdefault((slot[1], slot[2]), set()).update([slot[3]] if slot[3] is not None else [])
        for (doc, number), numbers in sorted(cited.items()):
            steps = [(n, "") for n in sorted(numbers)]
            title = f"{doc} Table {number}".strip()
            found.append(self.table_doc(doc, number, title, "", ("Step", "Action"), "Step", steps))
        return tuple(found)

    def table_doc(self, doc: str, number: int, title: str, start: str, columns: tuple[str, str], kind: str,
                  steps: list[tuple[int | None, str]]) -> TableDoc:
        rows = []
        whole: Slot = ("place", doc, number, None)
        if self.blocks.get(whole):
            rows.append(Row(None, f"All {kind.lower()}s", self.anchor(whole), tuple(self.blocks[whole])))
        for n, heading in steps:
            slot: Slot = ("place", doc, number, n)
            rows.append(Row(n, heading, self.anchor(slot), tuple(self.blocks.get(slot, ()))))
        return TableDoc(doc, number, title, start, columns, tuple(rows), f"{(doc or 'doc').lower()}-t{number}", kind)

    def source_refs(self, source: str) -> tuple[Ref, ...]:
        return tuple(self.ref(s) for s in self.slots(source))

    def sorted(self, slots: Iterable[Slot]) -> list[Slot]:
        """Table places in the order of the text (this document first), then the parts, as first cited."""
        def key(slot: Slot) -> tuple[Any, ...]:
            if slot[0] == "label":
                return (2, self.order.index(slot), "", 0, 0)
            return (0 if slot[1] == self.doc else 1, 0, slot[1], slot[2], -1 if slot[3] is None else slot[3])
        return sorted(slots, key=key)

    def heading(self, slot: Slot) -> str:
        if slot[0] == "label":
            return ""
        for wf in (self.wf, *self.related.values()):
            proc = wf.procedure
            if proc and proc.document == slot[1] and proc.table(slot[2]):
                table = proc.table(slot[2])
                if slot[3] is None:
                    return table.title  # type: ignore[union-attr]
                step = table.step(slot[3])  # type: ignore[union-attr]
                return step.heading if step else ""
        return ""

    def groups(self, slot: Slot) -> tuple[tuple[str, tuple[RuleRef, ...]], ...]:
        found = self.xref.get(slot, {})
        ordered = sorted(found.items(), key=lambda kv: kv[0] == "")  # the events first, in file order
        return tuple((group, tuple(refs)) for group, refs in ordered)

    def crossref(self, tables: tuple[TableDoc, ...]) -> tuple[tuple[CrossRef, ...], tuple[Ref, ...]]:
        found: list[CrossRef] = []
        missing: list[Ref] = []
        for t in tables:
            whole: Slot = ("place", t.document, t.number, None)
            if not any(row.number is None for row in t.rows) and self.xref.get(whole):
                found.append(CrossRef(self.ref(whole), t.title, self.groups(whole)))
            for row in t.rows:
                slot: Slot = ("place", t.document, t.number, row.number)
                groups = self.groups(slot)
                ref = self.ref(slot)
                found.append(CrossRef(ref, row.heading if row.number is not None else t.title, groups))
                if row.number is not None and not groups:
                    missing.append(Ref(f"{ref.label}: {row.heading}" if row.heading else ref.label, ref.anchor))
        for label in self.labels():
            slot = ("label", label)
            found.append(CrossRef(self.ref(slot), "", self.groups(slot)))
        return tuple(found), tuple(missing)

    def intrays(self) -> tuple[IntrayEntry, ...]:
        out = []
        for code, it in self.wf.intrays.items():
            due = it.due_text
            overrides = self.dues.get(code, [])
            if overrides:
                due = (f"{due}, or " if due else "") + join([f"on {o}" for o in overrides], "or")
            stays = ""
            if it.stays_open is not None:
                where = join(list(it.stays_open[0]), "or") or "any final status"
                stays = f"May stay open in {where}."
            notes = self.note(it.assumption) + (self.note(it.stays_open[1]) if it.stays_open else ())
            out.append(IntrayEntry(code, it.name, due or "not given",
                                   tuple(self.ref(s) for s in self.sorted(self.opened.get(code, []))),
                                   tuple(self.ref(s) for s in self.sorted(self.closed.get(code, []))),
                                   self.source_refs(it.source), stays, notes))
        return tuple(out)

    def letters(self) -> tuple[LetterEntry, ...]:
        return tuple(LetterEntry(code, lt.title, "; or ".join(self.recipients.get(code, [])) or "not issued",
                                 tuple(self.ref(s) for s in self.sorted(self.issued.get(code, []))),
                                 self.source_refs(lt.source),
                                 self.note(lt.assumption))
                     for code, lt in self.wf.letters.items())

    def assumption_groups(self) -> tuple[AssumptionGroup, ...]:
        groups: dict[str, list[Assumption]] = {}
        for text, ref in self.notes.items():
            slots, lines = self.uses.get(text, ([], []))
            places = tuple(self.ref(s) for s in self.sorted(slots))
            key = ref.label.split("/")[0] if ref.label.startswith("R") else ""
            said = re.sub(r"^\s*R\d+(?:\s*/\s*R\d+)*\s*:\s*", "", text) if ref.label.startswith("R") else text
            groups.setdefault(key, []).append(Assumption(ref.label, said, ref.anchor, places, len(lines),
                                                         tuple(sorted(lines))))

        def order(key: str) -> tuple[int, int, str]:  # R2 before R10: by length, then digits (no int of any size)
            return (1, 0, "") if not key else (0, len(key), key)

        return tuple(AssumptionGroup(k, tuple(groups[k])) for k in sorted(groups, key=order))
