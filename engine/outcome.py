"""The records of judging an event: what expressions see (Context), the verdict on an event's guards
(Judgement), its outcome once decided (Outcome), what it exercised (Trace), an event as offered
(EventOption), and the read-only view of the cases that deciding needs (Cases)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from .findings import Refused
from .instance import HistoryEntry, Instance, Intray, Letter, entry_of
from .model import Effect, Guard, Transition, Workflow

if TYPE_CHECKING:  # pragma: no cover
    from .machine import CompiledMachine, Step


class Cases(Protocol):
    """What deciding an event reads besides the instance it is fired on, and never changes: the
    compiled workflows, the other instances (signalled, updated or counted), the numbering and the
    queries."""

    compiled: dict[str, CompiledMachine]  # by version
    workflows: dict[str, Workflow]  # the current version of each, by name
    instances: dict[str, Instance]
    sequences: dict[tuple[str, str], int]

    def run_query(self, name: str, args: tuple | list,
                  now: datetime | None = None) -> list[dict]: ...


class Context:
    """What expressions see besides data and fields: the clock, the status, the actor, the
    intrays."""

    __slots__ = ("today", "now", "status", "actor", "intrays", "engine", "instance")

    def __init__(self, now: datetime, status: str, actor: dict, intrays: list[tuple],
                 engine: Cases | None = None,
                 instance: str = ""):
        self.instance = instance
        self.now = now
        self.today = now.date()
        self.status = status
        self.actor = actor
        self.intrays = intrays
        self.engine = engine

    def query(self, name: str, *args: Any) -> list[dict]:
        """The records a declared query finds among the engine's instances (see
        Engine.run_query)."""
        assert self.engine is not None
        return self.engine.run_query(name, args, self.now)


@dataclass(slots=True, eq=False)
class Judgement:
    """The verdict on an event's guards: each guard evaluated with whether it held, in the order
    they are evaluated (the event's guards; then, if they all held, those of every transition whose
    `when:` holds), and the transitions whose guards all held (`chosen`). Guards reading data not
    given yet are not evaluated (see judge.option)."""

    event: str
    status: str
    guards: tuple[tuple[Guard, bool], ...]
    chosen: list[Step]
    failed: list[Guard]  # the guards that refused it, each sentence once among the transitions'


@dataclass(slots=True, eq=False)
class Outcome:
    """An accepted event, computed but not yet applied. Intrays are kept as tuples (see Instance):
    `intrays`, `opened` and `closed` give them as Intray records."""

    instance: Instance
    transition: Transition
    status: str
    fields: dict
    trays: list[tuple]
    letters: list[Letter]
    logged: tuple  # its history entry, as the log keeps it (see Instance)
    # the instance's fields it was decided from (commit refuses it if they have changed since)
    base: dict
    opened_trays: list[tuple]
    closed_trays: list[tuple]
    numbers: dict
    locked: dict[str, str]
    step: Step
    # other instances changed by `update:` effects: (instance, new fields, history entry, fields
    # decided from)
    others: list[tuple[Instance, dict, tuple, dict]] | None = None
    # events on other instances started or signalled by `start:`/`signal:`
    spawned: list[Outcome] | None = None
    skipped: list[Effect] | None = None  # effects whose `if:` did not hold

    @property
    def intrays(self) -> list[Intray]:
        return [Intray(*t) for t in self.trays]

    @property
    def entry(self) -> HistoryEntry:
        return entry_of(self.logged)

    @property
    def opened(self) -> list[Intray]:
        return [Intray(*t) for t in self.opened_trays]

    @property
    def closed(self) -> list[Intray]:
        return [Intray(*t) for t in self.closed_trays]


@dataclass(slots=True, eq=False)
class Trace:
    """What one decided event exercised, given to `Engine.trace` when it is set (coverage).

    `guards` are the guards evaluated, as decide() evaluates them, each with whether it passed;
    `transition` is None and `effects` empty when the event was refused.
    """

    instance: Instance
    event: str
    status: str
    transition: Transition | None
    guards: list[tuple[Guard, bool]]
    effects: tuple[Effect, ...]


@dataclass(slots=True, eq=False)
class EventOption:
    """An event as offered now: whether it can be fired, and if not, why."""

    event: str
    title: str
    allowed: bool
    reasons: list[str]


def check_related(o: Outcome, registered: Mapping[str, Instance], seen: set[str]) -> None:
    """Refused unless the other instances an outcome changes are each changed once, and each is as
    it was when the outcome was decided (and, when it is new, not registered since)."""
    for other, _, _, base in o.others or ():
        if other.name in seen:
            raise Refused("commit", [f"this event would change {other.name} twice, and the "
                                     f"second change would undo the first"])
        seen.add(other.name)
        if base is not other.fields:
            raise Refused("commit",
                          [f"{other.name} has changed since this outcome was decided: "
                           "decide it again"])
    for sub in o.spawned or ():
        child = sub.instance
        if child.name in seen:
            raise Refused("commit", [f"this event would change {child.name} twice (from two "
                                     "signals or a chain of them), and the second change "
                                     "would undo the first"])
        seen.add(child.name)
        known = registered.get(child.name)
        if sub.base is not child.fields or (known is not None and known is not child):
            raise Refused("commit",
                          [f"{child.name} has changed since this outcome was decided: "
                           "decide it again"])
        check_related(sub, registered, seen)
