"""What saving does, in words: intrays opened, closed and routed, letters, fields, other records (a
part of the document builder, see build)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..model import Effect, Event
from .common import Slot, article, the_title
from .model import (
    Line,
    Ref,
)
from .words import Words, join


class EffectLines:
    """Effects said as lines of an Action, for the document builder (whose words and catalogues
    these use)."""

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
                boolean = self.wf.fields[e.target].type == "boolean" if e.target in self.wf.fields \
                    else False
                if source in data and data[source].label == target:
                    keyed.append(target)
                elif source in data:
                    moved.append(f"{the_title(data[source].label)} keyed as {the_title(target)}")
                elif text is None or source in ("None", "null"):
                    cleared.append(target)
                elif boolean and source in ("true", "True", "false", "False"):
                    (ticked if source in ("true", "True") else unticked).append(target)
                elif boolean:
                    filled.append(f"ticks {target} when {words.condition(text)} (else leaves "
                                  "it unticked)")
                else:
                    filled.append(f"sets {target} to {self.the(words, text)}")
            out = []
            if keyed:
                out.append(f"Records {the_title(join(keyed))} as keyed.")
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
            trays = [f"{self.wf.intrays[e.target].name} ({e.target})" if e.target in self.wf.intrays
                     else e.target
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
                parts.append(label if text in data and data[text].label == label
                             else f"{label}: {words.say(expr.text)}")
            return [f"Adds an entry to {self.words.name(ef.target)} ({'; '.join(parts)})."]
        if ef.kind == "open":
            it = self.wf.intrays.get(ef.target)
            name = f"{it.name} ({ef.target})" if it else ef.target
            if ef.due is not None:
                due = f"due on {self.the(words, ef.due.text)}"
            else:
                due = f"due in {it.due_text}" if it and it.due_text else ""
            about = f" for {self.the(words, ef.about.text)}" if ef.about is not None else ""
            routed = f", routed to {self.the(words, ef.assign.text)}" if ef.assign is not None \
                else ""
            return [f"Opens {article(name)} {name} intray{about}, {due}{routed}.".replace(
                " intray, .", " intray.")]
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
                if n in fields and fields[n].type == "boolean" \
                        and text in ("true", "True", "false", "False"):
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
            given = "; ".join(f"{titles.get(n, n.replace('_', ' '))}: {self.the(words, e.text)}"
                              for n, e in ef.record)
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
        verb = {"set": "sets", "number": "numbers", "append": "adds to", "open": "opens",
                "close": "closes",
                "assign": "routes", "letter": "issues letter", "update": "updates records of",
                "start": "starts",
                "signal": "signals"}.get(ef.kind, ef.kind)
        target = self.words.name(ef.target) if ef.kind in ("set", "number", "append") else ef.target
        return f"{verb} {target}"

    def catalogue_use(self, ef: Effect, slots: list[Slot], words: Words) -> None:
        mine = [s for s in slots if self.own(s)] or slots
        if ef.kind == "open":
            self.opened.setdefault(ef.target, []).extend(s for s in mine
                                                         if s not in self.opened[ef.target])
            if ef.due is not None:
                said = self.the(words, ef.due.text)
                if said not in self.dues.setdefault(ef.target, []):
                    self.dues[ef.target].append(said)
        elif ef.kind == "close":
            self.closed.setdefault(ef.target, []).extend(s for s in mine
                                                         if s not in self.closed[ef.target])
        elif ef.kind == "letter":
            self.issued.setdefault(ef.target, []).extend(s for s in mine
                                                         if s not in self.issued[ef.target])
            text = self.recipients_text(ef.to)
            if text not in self.recipients.setdefault(ef.target, []):
                self.recipients[ef.target].append(text)
