"""A difference between two versions of a workflow, in words (Change), and the sections a report
groups them in."""
from __future__ import annotations

from dataclasses import dataclass

from ..model import (
    Pos,
)

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
SECTION_OF = {what: i for i, (_, whats) in enumerate(SECTIONS) for what in whats}
SIMILAR = 0.6  # two sentences this alike (difflib's ratio) are one guard reworded

@dataclass(frozen=True, slots=True)
class Change:
    """One difference between two versions of a workflow, in words."""

    kind: str  # added | removed | changed
    # status, event, data field, who may fire, unavailable, transition, guard, effect, intray, ...
    what: str
    # the thing as the procedure names it: "Poss Refusal", "'The NTD Return Date must be ...'"
    name: str
    where: str = ""  # the rule it belongs to: "Finalise the application: Open → Var-Increase"
    # what of it changed (for a change): "due", "recipients", "sentence", "check", ...
    aspect: str = ""
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
        return SECTIONS[SECTION_OF.get(self.what, 0)][0]

    def text(self) -> str:
        """The change as one sentence: 'intray COAINPRO (...): due 35 days → 42 days'."""
        where = f" in {self.where}" if self.where else ""
        if self.kind == "changed":
            return f"{self.what} {self.name}{where}: {self.aspect} " \
                   f"{self.before or 'none'} → {self.after or 'none'}"
        said = self.after if self.kind == "added" else self.before
        return f"{self.what} {self.name} {self.kind}{where}" + (f": {said}" if said else "")

    def to_json(self) -> dict:
        return {"kind": self.kind, "what": self.what, "name": self.name, "where": self.where,
                "aspect": self.aspect,
                "before": self.before, "after": self.after, "source": self.source,
                "text": self.text(),
                "at": _place(self.pos), "was_at": _place(self.old_pos)}


def _place(pos: Pos) -> dict | None:
    return None if pos is None else {"file": pos[0], "line": pos[1], "col": pos[2]}
