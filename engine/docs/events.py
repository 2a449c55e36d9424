"""The blocks an event contributes to the steps it cites: its title, who may do it, the data it asks
for, the outcomes and what refuses it (a part of the document builder, see build)."""
from __future__ import annotations

from ..model import Event, Expr, FieldSpec, Transition
from .common import SELECT_TYPES, At, Slot, shortened
from .model import (
    Block,
    Line,
    Ref,
)
from .words import Words, choices, join


class EventBlocks:
    """Events placed at their steps, for the document builder (whose slots, words and effects these
    use)."""

    def event(self, ev: Event) -> None:
        words = self.event_words(ev)
        ev_slots = self.slots(ev.source)
        at: dict[Slot, At] = {}

        def get(slot: Slot) -> At:
            return at.setdefault(slot, At())

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
            self.rule(g_slots, ev.title, f"refusal “{shortened(g.says, 60)}”", g.pos, g.assumption)
            for slot in g_slots:
                get(slot).guards.append(g)
        for i, tr in enumerate(ev.transitions):
            t_slots = self.slots(tr.source)
            self.rule(t_slots, ev.title, f"{self.statuses(tr.sources)} → "
                      f"{f'“{tr.target}”' if tr.target else 'the same status'}", tr.pos,
                      tr.assumption)
            for slot in t_slots:
                get(slot).heads.add(i)
            for g in tr.guards:
                g_slots = self.slots(g.source) or t_slots
                self.rule(g_slots, ev.title, f"refusal “{shortened(g.says, 60)}”", g.pos,
                          g.assumption)
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
            self.rule(u_slots, ev.title, f"not available “{shortened(ev.unavailable[i][1], 60)}”",
                      pos, text)
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

    def place_fields(self, ev: Event, at: dict[Slot, At], ev_slots: list[Slot]) -> None:
        """Each data field goes where it is named: its own source, its dropdown's source, the rules
        that read it."""
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
                # what decides the effect, and what it records as keyed
                for ef in here.effects.get(i, []):
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
            first = next((s for s in ev_slots if s[0] == "place" and self.own(s)),
                         ev_slots[0] if ev_slots else None)
            if first is not None:
                at.setdefault(first, At(event=True)).fields |= rest

    def block(self, ev: Event, here: At, words: Words, cites_event: bool) -> Block:
        lines: list[Line] = []
        if here.who and ev.by is not None:
            who = join(list(ev.by.areas) + [f"the role {r}" for r in ev.by.roles], "or")
            lines.append(Line("who", f"Only {who} may do this.", notes=self.note(ev.by.assumption)))
        lines += self.field_lines([d for d in ev.data if d.name in here.fields], words)
        for g in here.guards:
            lines.append(Line("refuse", g.says, notes=self.note(g.assumption)))
        # (heads, body): equal bodies share one list
        bodies: list[tuple[list[Line], tuple[Line, ...]]] = []
        for i in here.transitions():
            tr = ev.transitions[i]
            refusals = tuple(Line("refuse", g.says, 1, self.note(g.assumption))
                             for g in here.tguards.get(i, []))
            body = refusals + tuple(self.effect_lines(here.effects.get(i, []), words, ev))
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
            if spec.type in SELECT_TYPES or spec.type == "list" and spec.of is not None \
                    and spec.of.type in SELECT_TYPES:
                verb = "select"
            elif spec.type == "list":
                verb = "add"
            else:
                verb = "key"
            verbs[verb].append(self.field_text(spec, words))
            notes[verb] += [n for n in self.note(spec.assumption) if n not in notes[verb]]
        return [Line(verb, "; ".join(texts), notes=tuple(notes[verb]))
                for verb, texts in verbs.items() if texts]

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
