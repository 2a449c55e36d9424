"""A workflow as its procedure document (engine.docs.model): each rule placed at the steps it cites.

Every rule says where it comes from (`source:`). A step's Action is written from the rules citing
it: an event's title (what staff do) and the data it asks for, the transitions it takes (which
outcome leads to which status), what saving does (intrays opened with their due periods, closed,
routed; letters and their recipients; fields filled in; other records updated or started), and
the rules that refuse it with what they say. A rule without a `source:` belongs where its
transition (or event) does. Pure: no I/O.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..citations import parse as parse_citation
from ..model import Event, Pos, Query, Workflow
from .common import Slot, line_of, split_labels
from .effects import EffectLines
from .events import EventBlocks
from .model import (
    Block,
    CrossRef,
    Document,
    Line,
    PartDoc,
    Ref,
    Row,
    RuleRef,
    TableDoc,
)
from .registers import Registers
from .words import Words, join, value


def document(wf: Workflow, related: Iterable[Workflow] = ()) -> Document:
    """The procedure document of `wf`; `related`: the other workflows of the site (titles,
    links)."""
    return _DocumentBuilder(wf, {w.name: w for w in related if w.name != wf.name}).build()


class _DocumentBuilder(EventBlocks, EffectLines, Registers):
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
        # the statuses a step defines, said after its events
        self.statuses_at: dict[Slot, list[Block]] = {}
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
        found += [("label", label) for text in cited.labels for label in split_labels(text)]
        for slot in found:
            if slot not in self.xref:
                self.xref[slot] = {}
                self.order.append(slot)
        return found

    def table_of(self, doc: str, number: int) -> Any:
        proc = self.wf.procedure
        return proc.table(number) if proc is not None and doc == proc.document else None

    def own(self, slot: Slot) -> bool:
        """Is the slot a row of this page: a step (or a whole table) of the catalogue, or a part of
        the text?"""
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
            if (proc and proc.document == doc and proc.table(table)
                    and (step is None or proc.table(table).step(step))):
                return Ref(label, self.anchor(slot), other.name)
        return Ref(label)

    # -- the cross-reference ----------------------------------------------------------------
    def rule(self, slots: list[Slot], group: str, label: str, pos: Pos,
             assumption: str = "") -> None:
        for slot in slots:
            refs = self.xref[slot].setdefault(group, [])
            last = refs[-1] if refs else None
            if last is not None and last.line == line_of(pos) and last.label.startswith("sets ") \
                    and label.startswith("sets "):  # one `set:` of several fields: one rule
                refs[-1] = RuleRef(f"{last.label}, {label[5:]}", last.line)
            else:
                refs.append(RuleRef(label, line_of(pos)))
        self.use(assumption, slots, pos)

    def definitions(self) -> None:
        wf = self.wf

        def rule(source: str, label: str, pos: Pos, assumption: str) -> None:
            self.rule(self.slots(source), "", label, pos, assumption)

        for lst in wf.lists.values():
            rule(lst.source, f"dropdown {lst.name}", lst.pos, lst.assumption)
        for t in wf.tables.values():
            rule(t.source, f"table {t.title or t.name}", t.pos, t.assumption)
            for key, (source, text, pos) in t.row_notes.items():
                rule(source, f"table {t.title or t.name}, row {key}", pos, text)
        for spec in wf.fields.values():
            rule(spec.source, f"field {spec.label}", spec.pos, spec.assumption)
        for st in wf.statuses.values():
            st_slots = self.slots(st.source)
            self.rule(st_slots, "", f"status {st.name}", st.pos, st.assumption)
            final = " A final status: the case is finalised." if st.final else ""
            said = ((st.description or "").strip() + final).strip()
            for slot in st_slots:
                self.statuses_at.setdefault(slot, []).append(
                    Block(f"Status “{st.name}”", (Line("rule", said),) if said else (),
                          self.note(st.assumption), "status"))
        for it in wf.intrays.values():
            rule(it.source, f"intray {it.code}", it.pos, it.assumption)
            if it.stays_open is not None:
                self.use(it.stays_open[1], self.slots(it.source), it.stays_open[2])
        for lt in wf.letters.values():
            rule(lt.source, f"letter {lt.code}", lt.pos, lt.assumption)
        for q in wf.queries.values():
            rule(q.source, f"search “{q.title}”", q.pos, q.assumption)
        for sc in wf.schedules.values():
            rule(sc.source, f"schedule {sc.name} ({sc.at})", sc.pos, sc.assumption)

    # -- words for one event --------------------------------------------------------------
    def query_titles(self) -> dict[str, str]:
        found = {n: q.title for w in self.related.values() for n, q in w.queries.items()}
        found.update({n: q.title for n, q in self.wf.queries.items()})
        return found

    def event_words(self, ev: Event) -> Words:
        titles = {**self.words.titles, **{d.name: d.label for d in ev.data}}
        kinds = {**self.words.kinds, **{d.name: d.type for d in ev.data}}
        return Words(titles=titles, kinds=kinds, intrays=self.words.intrays,
                     queries=self.words.queries, tables=self.words.tables)

    def statuses(self, sources: Iterable[str]) -> str:
        sources = list(sources)
        every = set(self.wf.statuses)
        if len(sources) > 3 and set(sources) == every - {self.wf.initial}:
            return f"any status but “{self.wf.initial}”"
        if len(sources) > 3 and set(sources) == every:
            return "any status"
        said = join([f"“{s}”" for s in sources], "or")
        return ("status " if len(sources) == 1 else "statuses ") + said

    # -- other rules placed at steps: searches, schedules, rows of data -----------------------
    def others(self) -> None:
        wf = self.wf
        for q in wf.queries.values():
            self.add(q.source, Block(f"Search: {q.title}", tuple(self.search_lines(q)),
                                     kind="search"))
        for sc in wf.schedules.values():
            ev = wf.events.get(sc.event)
            line = Line("schedule", f"Every day at {sc.at} the system does "
                        f"“{ev.title if ev else sc.event}” on every record where it can happen.",
                        notes=self.note(sc.assumption))
            self.add(sc.source, Block("Overnight run" if sc.at == "00:00" else "Daily run", (line,),
                                      kind="schedule"))
        for t in wf.tables.values():
            title = t.title or t.name
            keys = join([str(k) for k in t.rows])
            rows = Line("rule", f"One row for each of: {keys}.", notes=self.note(t.assumption))
            self.add(t.source, Block(f"The {title} table", (rows,), kind="table"))
            for key, row in t.rows.items():
                source, text, _pos = t.row_notes.get(key, ("", "", None))
                lines = tuple(Line("rule", f"{c.label}: {value(row[c.name])}") for c in t.columns
                              if row.get(c.name) is not None)
                self.add(source, Block(f"{title}: {key}", lines, self.note(text), "table"))

    def add(self, source: str, block: Block) -> None:
        """`block` placed at each step `source` cites."""
        for slot in self.slots(source):
            self.blocks.setdefault(slot, []).append(block)

    def search_lines(self, q: Query) -> list[Line]:
        """What a search asks for and finds."""
        words = Words(titles={**self.words.titles, **{p.name: p.label for p in q.params}},
                      kinds={**self.words.kinds, **{p.name: p.type for p in q.params}},
                      intrays=self.words.intrays, queries=self.words.queries,
                      tables=self.words.tables, recorded="the record's")
        lines = self.field_lines(list(q.params), words)
        given = {p.name: p.label for p in q.params}
        found = "Finds the records"
        if q.match:
            found += " whose " + join([f"{self.words.name(f)} is the {given.get(p, p)} given"
                                       for f, p in q.match])
        if q.where is not None:
            found += f"{' and' if q.match else ''} where {words.condition(q.where.text)}"
        if q.order_by:
            found += f", sorted by {join([self.words.name(n) for n in q.order_by])}"
        lines.append(Line("search", found + ".", notes=self.note(q.assumption)))
        return lines

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
            self.blocks[slot] = self.unavailable_together(blocks)
        tables = self.tables()
        shown = {(t.document, t.number, r.number) for t in tables for r in t.rows}
        parts = tuple(PartDoc(label, self.anchor(("label", label)),
                              tuple(self.blocks.get(("label", label), ())))
                      for label in self.labels())
        crossref, unimplemented = self.crossref(tables)
        cited_elsewhere = (s for s in self.order if s[0] == "place"
                           and (s[1], s[2], s[3]) not in shown and self.xref.get(s))
        elsewhere = tuple(
            CrossRef(self.ref(slot, full=True), self.heading(slot), self.groups(slot))
            for slot in sorted(cited_elsewhere, key=lambda s: (s[1], s[2], s[3] or 0)))
        proc = wf.procedure
        return Document(
            workflow=wf.name, title=wf.title, procedure=proc.title if proc else "",
            purpose=proc.purpose if proc else "", description=wf.description, file=wf.file,
            version=wf.version, tables=tables, parts=parts, intrays=self.intrays(),
            letters=self.letters(), assumptions=self.assumption_groups(), crossref=crossref,
            unimplemented=unimplemented, elsewhere=elsewhere)

    @staticmethod
    def unavailable_together(blocks: list[Block]) -> list[Block]:
        """A step's blocks in their order; the events it makes unavailable said together."""
        blocks.sort(key=lambda b: b.rank)
        closed = [b for b in blocks if b.rank == 1]
        if len(closed) <= 1:
            return blocks
        said: dict[tuple[str, tuple[Ref, ...]], list[str]] = {}  # a sentence: the events saying it
        for b in closed:
            for line in b.lines:
                said.setdefault((line.text, line.notes), []).append(b.title)
        merged = Block("Not available", tuple(
            Line("blocked", f"{'; '.join(titles)}: {text}", notes=notes)
            for (text, notes), titles in said.items()), kind="unavailable")
        return [b for b in blocks if b.rank == 0] + [merged] + [b for b in blocks if b.rank == 2]

    def tables(self) -> tuple[TableDoc, ...]:
        proc = self.wf.procedure
        found: list[TableDoc] = []
        if proc is not None:
            for t in proc.tables:
                steps: list[tuple[int | None, str]] = [(s.number, s.heading) for s in t.steps]
                found.append(self.table_doc(proc.document, t.number, t.title, t.start, t.columns,
                                            t.rows, steps))
            return tuple(found)
        cited: dict[tuple[str, int], set[int]] = {}
        for slot in self.order:
            if slot[0] == "place":
                numbers = cited.setdefault((slot[1], slot[2]), set())
                numbers.update([slot[3]] if slot[3] is not None else [])
        for (doc, number), numbers in sorted(cited.items()):
            steps = [(n, "") for n in sorted(numbers)]
            title = f"{doc} Table {number}".strip()
            found.append(self.table_doc(doc, number, title, "", ("Step", "Action"), "Step", steps))
        return tuple(found)

    def table_doc(self, doc: str, number: int, title: str, start: str, columns: tuple[str, str],
                  kind: str, steps: list[tuple[int | None, str]]) -> TableDoc:
        rows = []
        whole: Slot = ("place", doc, number, None)
        if self.blocks.get(whole):
            rows.append(Row(None, f"All {kind.lower()}s", self.anchor(whole),
                            tuple(self.blocks[whole])))
        for n, heading in steps:
            slot: Slot = ("place", doc, number, n)
            rows.append(Row(n, heading, self.anchor(slot), tuple(self.blocks.get(slot, ()))))
        return TableDoc(doc, number, title, start, columns, tuple(rows),
                        f"{(doc or 'doc').lower()}-t{number}", kind)

    def source_refs(self, source: str) -> tuple[Ref, ...]:
        return tuple(self.ref(s) for s in self.slots(source))

