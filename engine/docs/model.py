"""The generated procedure document as data: what a page says, before any format (Markdown, HTML)
says it.

A `Document` holds, for one workflow: its purpose; each procedure table as numbered Step | Action
rows in the order of the text; the parts of the text that are not tables; the intray and letter
catalogues; the assumptions grouped by reading (R-number); and the cross-reference from each
source step to the rules that implement it. Text is plain (renderers escape it); links are `Ref`s.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Ref:
    """A link to a place of a generated page: `anchor` on this page, or on the page of workflow
    `page`."""

    label: str
    anchor: str = ""
    page: str = ""  # another workflow's page ("" for this one)


@dataclass(frozen=True, slots=True)
class Line:
    """One sentence of an Action cell.

    kind: do (what staff do: an event's title) | who | select | key | add | when (a transition:
    which outcome, which status) | save (what happens on saving) | refuse (a rule that refuses, and
    what it says) | unavailable (when the event cannot be done, and what it says) | blocked (the
    same, naming the event) | search | schedule | rule (a row of data the procedure gives).
    `depth` 1 lines belong to the `when` line before them. `notes` link to the assumptions behind
    it.
    """

    kind: str
    text: str
    depth: int = 0
    notes: tuple[Ref, ...] = ()


@dataclass(frozen=True, slots=True)
class Block:
    """What one event (or one other rule) does at a step: its title, then its lines."""

    title: str
    lines: tuple[Line, ...]
    notes: tuple[Ref, ...] = ()  # assumptions about the event as a whole
    kind: str = "event"  # event | search | schedule | table | status | unavailable

    @property
    def rank(self) -> int:
        """Where it goes in a step: what staff do first, what is not available then, the statuses
        last."""
        if self.kind == "status":
            return 2
        return 1 if self.kind == "unavailable" or self.lines and all(line.kind == "unavailable"
                                                                     for line in self.lines) \
            else 0


@dataclass(frozen=True, slots=True)
class Row:
    """A numbered step of a table (number None: the table as a whole), with its heading and
    Action."""

    number: int | None
    heading: str
    anchor: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class TableDoc:
    document: str  # the citation prefix: COA
    number: int
    title: str
    start: str
    columns: tuple[str, str]
    rows: tuple[Row, ...]
    anchor: str
    kind: str = "Step"


@dataclass(frozen=True, slots=True)
class PartDoc:
    """A part of the text that is not a numbered table ("CMA page alert (Separating Safely)")."""

    label: str
    anchor: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class IntrayEntry:
    code: str
    name: str
    due: str  # "35 days", or how an event sets it
    opened_at: tuple[Ref, ...]
    closed_at: tuple[Ref, ...]
    source: tuple[Ref, ...]  # where the catalogue entry comes from
    stays_open: str = ""  # where it may stay open at a final status, and why
    notes: tuple[Ref, ...] = ()


@dataclass(frozen=True, slots=True)
class LetterEntry:
    code: str
    title: str
    recipients: str
    issued_at: tuple[Ref, ...]
    source: tuple[Ref, ...]
    notes: tuple[Ref, ...] = ()


@dataclass(frozen=True, slots=True)
class Assumption:
    """One reading of the text, as written, with the places of the rules that rest on it."""

    # its R-number(s) as written ("R15/R49"), or "A3" for a reading the list does not number
    label: str
    text: str
    anchor: str
    places: tuple[Ref, ...]  # the steps (or rules) it applies to
    rules: int  # how many rules rest on it
    lines: tuple[int, ...]  # where they are written in the workflow file


@dataclass(frozen=True, slots=True)
class AssumptionGroup:
    key: str  # "R2", or "" for the readings without a number
    items: tuple[Assumption, ...]


@dataclass(frozen=True, slots=True)
class RuleRef:
    """A rule of the workflow that cites a step: what it is, and the line it is written on."""

    label: str
    line: int


@dataclass(frozen=True, slots=True)
class CrossRef:
    """A cited place of the procedure and the rules that cite it, grouped by event ('' for the
    others)."""

    place: Ref
    heading: str
    groups: tuple[tuple[str, tuple[RuleRef, ...]], ...]

    def said(self, esc: Callable[[str], str]) -> list[tuple[str, str]]:
        """Each group's title and its rules in a line ('label (line); ...'), escaped by `esc`."""
        return [(esc(group) if group else "Definitions",
                 "; ".join(f"{esc(r.label)} ({r.line})" if r.line else esc(r.label) for r in rules))
                for group, rules in self.groups]


@dataclass(frozen=True, slots=True)
class Document:
    workflow: str
    title: str  # the workflow's title
    procedure: str  # the procedure's title ("" without a `procedure:` catalogue)
    purpose: str
    description: str
    file: str
    version: str
    tables: tuple[TableDoc, ...]
    parts: tuple[PartDoc, ...]
    intrays: tuple[IntrayEntry, ...]
    letters: tuple[LetterEntry, ...]
    assumptions: tuple[AssumptionGroup, ...]
    crossref: tuple[CrossRef, ...]  # each step of the catalogue, in order, and the whole tables
    unimplemented: tuple[Ref, ...]  # catalogued steps no rule cites
    # cited places outside this workflow's tables (other documents, other tables)
    elsewhere: tuple[CrossRef, ...]

    @property
    def rows(self) -> int:
        return sum(len(t.rows) for t in self.tables)
