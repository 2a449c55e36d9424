"""What the document builder's parts share: slots (the places of the text a rule cites), what one
event contributes to one (At), and small wording helpers."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..model import Effect, Guard, Pos

Slot = tuple[Any, ...]  # ("place", doc, table, step or None) or ("label", text)

R_NUMBER = re.compile(r"^\s*(R\d+(?:\s*/\s*R\d+)*)")
SELECT_TYPES = ("choice", "boolean")



def the_title(title: str) -> str:
    """'the Lodgement Date', but 'The decision ...' stays as it is."""
    return f"the {title[4:]}" if title[:4].lower() == "the " else f"the {title}"


def article(noun: str) -> str:
    """The article before a noun: 'an Objection', 'a COA Pending Information'."""
    return "an" if noun[:1] in "AEIOUaeiou" else "a"


def split_labels(labels: str) -> list[str]:
    """'CMA introduction, CMA page alert (Separating Safely)' -> its two parts (commas in brackets
    stay)."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(labels):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch in ",;" and depth == 0:
            parts.append(labels[start:i])
            start = i + 1
    parts.append(labels[start:])
    return [p.strip() for p in parts if p.strip()]


def line_of(pos: Pos) -> int:
    return pos[1] if pos else 0


def shortened(text: str, width: int = 90) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


@dataclass
class At:
    """What one event contributes to one slot, before it is said."""

    event: bool = False
    who: bool = False
    guards: list[Guard] = field(default_factory=list)
    # transitions shown (their own source cites the slot)
    heads: set[int] = field(default_factory=set)
    effects: dict[int, list[Effect]] = field(default_factory=dict)
    tguards: dict[int, list[Guard]] = field(default_factory=dict)
    unavailable: list[int] = field(default_factory=list)
    fields: set[str] = field(default_factory=set)

    def transitions(self) -> list[int]:
        return sorted(self.heads | set(self.effects) | set(self.tguards))
