"""Immutable definitions of a workflow: statuses, events, transitions, guards, effects, catalogues.

The model knows nothing of YAML, of files or of running: `engine.spec` builds it from a document,
`engine.machine` compiles it, `engine.runtime` runs it.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

# A position in a source document: (file, line, column), 1-based; None when built in code.
Pos = tuple[str, int, int] | None

FIELD_TYPES = ("text", "integer", "boolean", "date", "datetime", "choice", "list")


@dataclass(frozen=True, slots=True)
class Expr:
    """A parsed, checked and compiled expression (see `engine.expr`)."""

    text: str
    fn: Any  # compiled callable(data, fields, ctx) -> value
    names: frozenset[str]  # instance fields and event data it reads
    pos: Pos = None
    # compiled callable(data, fields, ctx) -> bool: whether it holds, False where `fn` would raise
    # (a value it needs is missing or of another type); how guards are tested, one call and no
    # wrapper
    holds: Any = None
    # the checked expression as compiled (an `ast.expr` over data, fields, ctx), to compile with
    # others
    tree: Any = None

    def __repr__(self) -> str:
        return f"Expr({self.text!r})"


# An intray as an instance keeps it: a plain tuple (code, opened, due, about, assigned_to, closed),
# the order of runtime.Intray's arguments. Read by the runtime and by the expression helpers
# is_open/opened_on.
TRAY_CODE, TRAY_OPENED, TRAY_DUE, TRAY_ABOUT, TRAY_ASSIGNED, TRAY_CLOSED = range(6)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """The type of an instance field or of an event's data field."""

    name: str
    type: str
    title: str = ""
    required: bool = False
    default: Expr | None = None
    list: str | None = None  # named choice list, for type choice
    of: FieldSpec | None = None  # item type, for a list of values
    record: tuple[FieldSpec, ...] | None = None  # item fields, for a list of records
    locked_after: tuple[str, ...] = ()  # events after which the field is read-only
    source: str = ""
    assumption: str = ""
    pos: Pos = None

    @property
    def label(self) -> str:
        return self.title or self.name.replace("_", " ")


@dataclass(frozen=True, slots=True)
class ChoiceList:
    name: str
    values: tuple[str, ...]
    aliases: dict[str, str] = field(default_factory=dict)  # other spelling -> value
    source: str = ""
    assumption: str = ""
    pos: Pos = None
    # the values as a set, to test a value against without reading them all (see values._choice)
    members: frozenset = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "members", frozenset(self.values))


@dataclass(frozen=True, slots=True)
class Status:
    name: str
    description: str = ""
    final: bool = False
    group: str = ""
    aliases: tuple[str, ...] = ()
    source: str = ""
    assumption: str = ""
    pos: Pos = None


@dataclass(frozen=True, slots=True)
class IntrayType:
    code: str
    name: str
    due: timedelta | None
    # the due period in words, as the workflow writes it ('48 hours', not '2 days')
    due_text: str = ""
    source: str = ""
    assumption: str = ""
    pos: Pos = None
    # `stays_open:`: final statuses it may be left open in (() for any), why, and where that is
    # written
    stays_open: tuple[tuple[str, ...], str, Pos] | None = None


@dataclass(frozen=True, slots=True)
class LetterType:
    code: str
    title: str
    source: str = ""
    assumption: str = ""
    pos: Pos = None


@dataclass(frozen=True, slots=True)
class Guard:
    check: Expr
    says: str
    source: str = ""
    assumption: str = ""
    pos: Pos = None


@dataclass(frozen=True, slots=True)
class Effect:
    """One consequence of a transition. `kind` is one of EFFECT_KINDS."""

    kind: str
    target: str  # field name (set/number/append), intray code (open/close/assign), letter code
    value: Expr | None = None  # set: the new value
    record: tuple[tuple[str, Expr], ...] = ()  # append: the record's fields
    due: Expr | None = None  # open: overrides the catalogue's due period
    about: Expr | None = None  # open/close/assign: which party the intray is about
    assign: Expr | None = None  # open/assign: who it is routed to
    to: tuple[str, ...] = ()  # letter: recipients
    targets: Expr | None = None  # update/signal: a query call naming the other instances
    event: str = ""  # start/signal: the event fired on the other instance
    # start: the new instance's name (default: '<this instance>.<workflow>')
    name: Expr | None = None
    sets: tuple[tuple[str, Expr], ...] = ()  # update: their fields' new values
    # set: the value is already of the field's type (a data field of the same type)
    trusted: bool = False
    # set: (the value,) when it is a literal, checked against the field once
    constant: tuple[Any, ...] = ()
    when: Expr | None = None  # `if:`: the effect applies only when this holds
    source: str = ""
    assumption: str = ""
    pos: Pos = None


EFFECT_KINDS = ("set", "number", "append", "open", "close", "assign", "letter", "update", "start",
                "signal")


@dataclass(frozen=True, slots=True)
class Transition:
    event: str
    sources: tuple[str, ...]
    target: str | None  # None: stays in the same status
    when: Expr | None = None  # selects this transition among the event's transitions
    guards: tuple[Guard, ...] = ()
    effects: tuple[Effect, ...] = ()
    source: str = ""
    assumption: str = ""
    pos: Pos = None
    # the guards as one check: true when every one passes (a fast path)
    all_guards: Expr | None = None

    def target_from(self, status: str) -> str:
        return status if self.target is None else self.target


@dataclass(frozen=True, slots=True)
class Event:
    name: str
    title: str
    data: tuple[FieldSpec, ...] = ()
    guards: tuple[Guard, ...] = ()  # apply to every transition of the event
    # the guards as one check: true when every one passes (a fast path)
    all_guards: Expr | None = None
    transitions: tuple[Transition, ...] = ()
    # said when no transition leaves the current status: (statuses or () for any other, sentence),
    # in order
    unavailable: tuple[tuple[tuple[str, ...], str], ...] = ()
    # each entry's (source, assumption, place)
    unavailable_notes: tuple[tuple[str, str, Pos], ...] = ()
    by: Who | None = None  # who may fire it (its check is the first of `guards`)
    source: str = ""
    assumption: str = ""
    pos: Pos = None

    def unavailable_in(self, status: str) -> str:
        for statuses, says in self.unavailable:
            if not statuses or status in statuses:
                return says
        return f"{self.title} cannot be done while the status is {status}" \
            + (f" ({self.source})" if self.source else "")

    def data_field(self, name: str) -> FieldSpec | None:
        for spec in self.data:
            if spec.name == name:
                return spec
        return None


@dataclass(frozen=True, slots=True)
class Table:
    """Data the procedure gives as a table (e.g. the CMA areas and their rules), read by
    `lookup()`."""

    name: str
    key: str
    columns: tuple[FieldSpec, ...]
    rows: dict[Any, dict[str, Any]]  # key -> {column: value}
    # key -> (source, assumption, place)
    row_notes: dict[Any, tuple[str, str, Pos]] = field(default_factory=dict)
    title: str = ""
    source: str = ""
    assumption: str = ""
    pos: Pos = None


@dataclass(frozen=True, slots=True)
class Who:
    """Who may fire an event: actors of these areas or roles; others are refused with `says`."""

    areas: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    says: str = ""
    source: str = ""
    assumption: str = ""
    pos: Pos = None


@dataclass(frozen=True, slots=True)
class Query:
    """A named search over the instances of the workflow that declares it."""

    name: str
    title: str
    workflow: str  # the workflow whose instances are searched (the one declaring it)
    params: tuple[FieldSpec, ...]
    match: tuple[tuple[str, str], ...] = ()  # (field, param): equality served by an index
    where: Expr | None = None
    order_by: tuple[str, ...] = ()
    # said when a criterion it does not take is given; {criterion} names that criterion
    disabled: str = ""
    source: str = ""
    assumption: str = ""
    pos: Pos = None

    def not_a_criterion(self, name: Any, fields: Mapping[str, FieldSpec]) -> str:
        """What the search says of a criterion it does not take: its own sentence (`disabled:`),
        else its parameters."""
        if not self.disabled:
            return f"query {self.name} has no parameter '{name!s:.60}'"
        spec = fields.get(name) if isinstance(name, str) else None
        return self.disabled.replace("{criterion}",
                                     spec.label if spec is not None else f"'{name!s:.60}'")


@dataclass(frozen=True, slots=True)
class Schedule:
    """An event the clock fires every day at a time, on each instance where it can happen."""

    name: str
    event: str
    at: str  # "HH:MM"
    source: str = ""
    assumption: str = ""
    pos: Pos = None


@dataclass(frozen=True, slots=True)
class ProcedureStep:
    """One numbered step (or item) of a procedure table, with its heading as the text gives it."""

    number: int
    heading: str
    pos: Pos = None


@dataclass(frozen=True, slots=True)
class ProcedureTable:
    """One table of the procedure text: number, title, start point, and its steps in order."""

    number: int
    title: str
    steps: tuple[ProcedureStep, ...]
    # the start point the text gives ("COA Maintenance window"); "" when it gives none
    start: str = ""
    rows: str = "Step"  # what citations call its rows: Step or Item
    columns: tuple[str, str] = ("Step", "Action")  # its column headings as the text gives them
    pos: Pos = None

    def step(self, number: int) -> ProcedureStep | None:
        return next((s for s in self.steps if s.number == number), None)


@dataclass(frozen=True, slots=True)
class Procedure:
    """The procedure text a workflow encodes (`procedure:`): the citation prefix, title, purpose,
    tables."""

    document: str  # the prefix citations of it use: COA in "COA Table 4 Step 7"
    title: str
    tables: tuple[ProcedureTable, ...]
    purpose: str = ""
    # tables of the same document that the folder's other workflows catalogue: (table, its steps,
    # workflow)
    elsewhere: tuple[tuple[int, tuple[int, ...], str], ...] = ()
    pos: Pos = None

    def table(self, number: int) -> ProcedureTable | None:
        return next((t for t in self.tables if t.number == number), None)


@dataclass(frozen=True, slots=True)
class Workflow:
    name: str
    title: str
    initial: str
    statuses: dict[str, Status]
    events: dict[str, Event]
    fields: dict[str, FieldSpec]
    lists: dict[str, ChoiceList]
    intrays: dict[str, IntrayType]
    letters: dict[str, LetterType]
    description: str = ""
    source: str = ""
    file: str = ""
    version: str = ""  # content hash of the file it was loaded from
    name_pos: Pos = None  # where its `workflow:` name is written
    # names of fields locked by each event: {event: (field, ...)}
    locks: dict[str, tuple[str, ...]] = field(default_factory=dict)
    queries: dict[str, Query] = field(default_factory=dict)
    schedules: dict[str, Schedule] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)
    requires: frozenset[str] = frozenset()  # other workflows whose queries it calls
    # the procedure text's tables and steps, when the file gives them
    procedure: Procedure | None = None
    # every `source:` of the file and where its text is written
    citations: tuple[tuple[str, Pos], ...] = ()

    def transitions(self) -> list[Transition]:
        return [t for e in self.events.values() for t in e.transitions]

    def assumptions(self) -> list[tuple[str, str, Pos]]:
        """Every assumption in the workflow as (where, text, position), in document order."""
        found: list[tuple[str, str, Pos]] = []
        seen: set[tuple[str, Pos]] = set()

        def add(where: str, obj: Any) -> None:
            # one `set:` of several fields is one effect in the file: list its assumption once
            if getattr(obj, "assumption", "") and (obj.assumption, obj.pos) not in seen:
                seen.add((obj.assumption, obj.pos))
                found.append((where, obj.assumption, obj.pos))

        for lst in self.lists.values():
            add(f"list {lst.name}", lst)
        for spec in self.fields.values():
            add(f"field {spec.name}", spec)
        for st in self.statuses.values():
            add(f"status {st.name}", st)
        for it in self.intrays.values():
            add(f"intray {it.code}", it)
            if it.stays_open is not None:
                statuses, text, pos = it.stays_open
                found.append((f"intray {it.code} stays open in "
                              f"{', '.join(statuses) or 'any final status'}", text,
                              pos))
        for lt in self.letters.values():
            add(f"letter {lt.code}", lt)
        for t in self.tables.values():
            add(f"table {t.name}", t)
            for key, (_, text, pos) in t.row_notes.items():
                if text:
                    found.append((f"table {t.name} row {key}", text, pos or t.pos))
        for q in self.queries.values():
            add(f"query {q.name}", q)
        for sc in self.schedules.values():
            add(f"schedule {sc.name}", sc)
        for ev in self.events.values():
            add(f"event {ev.name}", ev)
            if ev.by is not None:
                add(f"event {ev.name} by", ev.by)
            for (statuses, _), (_, text, pos) in zip(ev.unavailable, ev.unavailable_notes,
                                                     strict=False):
                if text:
                    where = f"in {', '.join(statuses)}" if statuses else "in any other status"
                    found.append((f"event {ev.name} unavailable {where}", text, pos))
            for spec in ev.data:
                add(f"event {ev.name} data {spec.name}", spec)
            for g in ev.guards:
                add(f"event {ev.name} guard", g)
            for i, tr in enumerate(ev.transitions, 1):
                here = f"event {ev.name} transition {i}"
                add(here, tr)
                for g in tr.guards:
                    add(f"{here} guard", g)
                for ef in tr.effects:
                    add(f"{here} {ef.kind} {ef.target}", ef)
        return found


PARTY_LIST = "party"  # the list naming the parties of a case (payee, payer)
# the customers of a Child Support case as the procedures address letters to them (the schema's
# `to:`)
PARTIES = frozenset({"applicant", "respondent", "payee", "payer"})


def recipients(lists: Mapping[str, ChoiceList], fields: Mapping[str, FieldSpec]) -> frozenset[str]:
    """Who a letter of a workflow with these lists and fields can go to: the customers of a case
    (PARTIES), the values of its `party` list, and its fields chosen from that list."""
    party = lists.get(PARTY_LIST)
    if party is None:
        return PARTIES
    return PARTIES | set(map(str, party.values)) \
        | {n for n, f in fields.items() if f.type == "choice" and f.list == PARTY_LIST}
