"""The registers that close a procedure document: the cross-reference from each step to the rules
citing it, the intrays, the letters and the numbered assumptions (a part of the document builder,
see build)."""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ..model import Pos, Workflow
from .common import R_NUMBER, Slot, line_of
from .model import (
    Assumption,
    AssumptionGroup,
    CrossRef,
    IntrayEntry,
    LetterEntry,
    Ref,
    RuleRef,
    TableDoc,
)
from .words import join


class Registers:
    """The registers of the document, for the document builder (whose slots, links and the places
    its rules fill in — xref, opened, closed, dues, recipients, issued — these read)."""

    wf: Workflow
    doc: str
    order: list[Slot]
    notes: dict[str, Ref]
    uses: dict[str, tuple[list[Slot], list[int]]]

    # -- assumptions ----------------------------------------------------------------------
    def number_assumptions(self) -> None:
        unnumbered = 0
        for _where, text, _pos in self.wf.assumptions():
            if text in self.notes:
                continue
            m = R_NUMBER.match(text)
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
        if line_of(pos) and line_of(pos) not in lines:
            lines.append(line_of(pos))

    def assumption_groups(self) -> tuple[AssumptionGroup, ...]:
        groups: dict[str, list[Assumption]] = {}
        for text, ref in self.notes.items():
            slots, lines = self.uses.get(text, ([], []))
            numbered = ref.label.startswith("R")
            key = ref.label.split("/")[0] if numbered else ""
            said = re.sub(r"^\s*R\d+(?:\s*/\s*R\d+)*\s*:\s*", "", text) if numbered else text
            groups.setdefault(key, []).append(Assumption(ref.label, said, ref.anchor,
                                                         self.refs(slots), len(lines),
                                                         tuple(sorted(lines))))

        def order(key: str) -> tuple[int, int, str]:
            # R2 before R10: by length, then digits (no int of any size)
            return (1, 0, "") if not key else (0, len(key), key)

        return tuple(AssumptionGroup(k, tuple(groups[k])) for k in sorted(groups, key=order))

    # -- the cross-reference --------------------------------------------------------------
    def sorted(self, slots: Iterable[Slot]) -> list[Slot]:
        """Table places in the order of the text (this document first), then the parts, as first
        cited."""
        def key(slot: Slot) -> tuple[Any, ...]:
            if slot[0] == "label":
                return (2, self.order.index(slot), "", 0, 0)
            return (0 if slot[1] == self.doc else 1, 0, slot[1], slot[2],
                    -1 if slot[3] is None else slot[3])
        return sorted(slots, key=key)

    def refs(self, slots: Iterable[Slot]) -> tuple[Ref, ...]:
        """Links to the rows of some slots, in the order of the text."""
        return tuple(self.ref(s) for s in self.sorted(slots))

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
        # the events first, in file order
        ordered = sorted(found.items(), key=lambda kv: kv[0] == "")
        return tuple((group, tuple(refs)) for group, refs in ordered)

    def crossref(self, tables: tuple[TableDoc, ...]
                 ) -> tuple[tuple[CrossRef, ...], tuple[Ref, ...]]:
        """Each row of the tables (and each part of the text) with the rules citing it; and the
        steps no rule cites."""
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
                heading = row.heading if row.number is not None else t.title
                found.append(CrossRef(ref, heading, groups))
                if row.number is not None and not groups:
                    label = f"{ref.label}: {row.heading}" if row.heading else ref.label
                    missing.append(Ref(label, ref.anchor))
        for label in self.labels():
            slot = ("label", label)
            found.append(CrossRef(self.ref(slot), "", self.groups(slot)))
        return tuple(found), tuple(missing)

    # -- intrays and letters --------------------------------------------------------------
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
            notes = self.note(it.assumption)
            if it.stays_open:
                notes += self.note(it.stays_open[1])
            out.append(IntrayEntry(code, it.name, due or "not given",
                                   self.refs(self.opened.get(code, [])),
                                   self.refs(self.closed.get(code, [])),
                                   self.source_refs(it.source), stays, notes))
        return tuple(out)

    def letters(self) -> tuple[LetterEntry, ...]:
        return tuple(LetterEntry(code, lt.title,
                                 "; or ".join(self.recipients.get(code, [])) or "not issued",
                                 self.refs(self.issued.get(code, [])),
                                 self.source_refs(lt.source), self.note(lt.assumption))
                     for code, lt in self.wf.letters.items())
