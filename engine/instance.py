"""Instances as plain data: a case's status, fields, intrays, letters and history, and the records
they are given as. Nothing here runs an event (see runtime)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .findings import Refused
from .model import TRAY_CLOSED, TRAY_DUE, Workflow
from .values import to_json

_EMPTY: dict = {}  # shared by new instances, never changed


@dataclass(slots=True, eq=False)
class Intray:
    """A work item, as `Instance.intrays` gives it. An instance keeps each as a plain tuple of these
    values in this order (see Instance); closing or routing one makes a new tuple: records are never
    changed in place."""

    code: str
    opened: datetime
    due: datetime
    about: Any = None
    assigned_to: Any = None
    closed: datetime | None = None

    def __repr__(self) -> str:
        state = "open" if self.closed is None else "closed"
        return f"Intray({self.code!r}, due {self.due}, {state})"

    @property
    def is_open(self) -> bool:
        return self.closed is None

    def as_tuple(self) -> tuple:
        return (self.code, self.opened, self.due, self.about, self.assigned_to, self.closed)

    def to_json(self) -> dict:
        out = {"code": self.code, "due": to_json(self.due),
               "state": "open" if self.closed is None else "closed",
               "opened": to_json(self.opened), "assigned_to": self.assigned_to}
        if self.closed is not None:
            out["closed"] = to_json(self.closed)
        if self.about is not None:
            out["about"] = self.about
        return out


@dataclass(slots=True, eq=False)
class Letter:
    code: str
    to: tuple[str, ...]
    issued: datetime

    def to_json(self) -> dict:
        return {"code": self.code, "to": list(self.to), "issued": to_json(self.issued)}


@dataclass(slots=True, eq=False)
class HistoryEntry:
    """An accepted event, as `Instance.history` gives it (an instance keeps these values, in this
    order, in its log)."""

    at: datetime
    event: str
    actor: dict
    data: dict
    from_: str
    to: str
    source: str

    def as_tuple(self) -> tuple:
        return (self.at, self.event, self.actor, self.data, self.from_, self.to, self.source)

    def to_json(self) -> dict:
        return {"at": to_json(self.at), "event": self.event, "actor": dict(self.actor),
                "data": to_json(self.data),
                "from": self.from_, "to": self.to, "source": self.source}


_ENTRY = 7  # values per history entry in an instance's log


def entry_of(values: list | tuple) -> HistoryEntry:
    """A history entry from its values in a log, with its own copies of the actor and the data: the
    log's are shared (an actor's copy by every entry of that actor, the data's lists with the
    fields)."""
    at, event, actor, data, from_, to, source = values
    return HistoryEntry(at, event, dict(actor), deepcopy(data), from_, to, source)


class Instance:
    """One case: its status, fields, intrays, letters and history. Plain data, no machinery.

    Its intrays are kept as plain tuples (`trays`, see model.TRAY_CODE) and its history as one flat
    list (`log`, seven values per entry), not as an object each: a tuple of plain values and a list
    of values add nothing for Python's cyclic garbage collector to walk, whose full collections
    otherwise grow with every case held (measured: README, Speed). `intrays` and `history` give them
    as Intray and HistoryEntry records.
    """

    __slots__ = ("name", "workflow", "status", "fields", "trays", "letters", "log", "locked")

    def __init__(self, name: str, workflow: Workflow):
        # A new instance shares immutable empties (no allocation per instance until its first
        # event); commit() replaces them: fields and intrays are never changed in place.
        self.name = name
        self.workflow = workflow
        self.status = workflow.initial
        self.fields: dict[str, Any] = _EMPTY
        self.trays: list[tuple] | tuple[()] = ()
        self.letters: list[Letter] | tuple[()] = ()
        self.log: list[Any] | tuple[()] = ()
        self.locked: dict[str, str] = _EMPTY  # field -> title of the event that locked it

    @property
    def intrays(self) -> list[Intray]:
        return [Intray(*t) for t in self.trays]

    @intrays.setter
    def intrays(self, items: Iterable[Intray]) -> None:
        self.trays = [i.as_tuple() for i in items]

    @property
    def history(self) -> list[HistoryEntry]:
        log = self.log
        return [entry_of(log[i:i + _ENTRY]) for i in range(0, len(log), _ENTRY)]

    @history.setter
    def history(self, entries: Iterable[HistoryEntry]) -> None:
        self.log = [v for e in entries for v in e.as_tuple()]

    @property
    def events(self) -> int:
        """How many events it has had (the length of its history)."""
        return len(self.log) // _ENTRY

    def entry(self, n: int) -> HistoryEntry:
        """The n-th entry of its history, from 0."""
        if not 0 <= n < self.events:
            raise IndexError(n)
        return entry_of(self.log[n * _ENTRY:(n + 1) * _ENTRY])

    def history_json(self) -> list[dict]:
        """Its history as `state()` writes it (new JSON values: nothing shared with the log)."""
        log = self.log
        return [HistoryEntry(*log[i:i + _ENTRY]).to_json() for i in range(0, len(log), _ENTRY)]

    def open_intrays(self) -> list[Intray]:
        return [Intray(*t) for t in self.trays if t[TRAY_CLOSED] is None]

    def overdue(self, now: datetime) -> list[Intray]:
        """Open intrays strictly past their due moment (R48)."""
        return [Intray(*t) for t in self.trays if t[TRAY_CLOSED] is None and now > t[TRAY_DUE]]


def append_history(inst: Instance, values: tuple) -> None:
    """Append an entry's values to the history log, which starts as the shared empty tuple."""
    if inst.log:
        inst.log.extend(values)  # type: ignore[union-attr]
    else:
        inst.log = list(values)


# distinct actors whose copies are shared between history entries (see kept_actor)
_ACTORS_SHARED = 10_000


def kept_actor(actors: dict[tuple, dict], actor: Any) -> dict:
    """The actor as the history keeps it: a copy (the caller may change theirs). An actor whose
    values are all text (or None), the usual name, role and area, has one copy shared by every
    entry with the same actor, so that a case's history adds no dict per event. Only text is
    shared: True, 1 and 1.0 are equal as keys but are not the same actor."""
    if actor.__class__ is not dict and not isinstance(actor, Mapping):
        raise Refused("actor", [f"the actor is a mapping such as {{role: SCO, name: Sam}}, not "
                                f"{type(actor).__name__} {actor!r:.60}"])
    try:
        key = tuple(actor.items())
        kept = actors.get(key)
    except TypeError:  # a value that cannot be a key (a list of roles)
        kept = None
    if kept is None:
        kept = deepcopy(dict(actor))
        if (len(actors) < _ACTORS_SHARED
            and all(v is None or v.__class__ is str for v in kept.values())
                and all(k.__class__ is str for k in kept)):
            actors[key] = kept
    return kept
