"""The case store's interface and the logic both stores share: cases that last beyond one command.

A store holds cases of every workflow, its own simulated clock, and the log of what happened.
Every change is one transaction (see `Transaction`): the store loads the cases the event needs into
its engine, the engine decides (pure) and commits in memory, and the store writes every instance
the event touched, each guarded by the version it was read at, or nothing at all. `MemoryStore`
(memory.py) keeps cases for as long as the process runs; `SqlStore` (sql.py) in SQLite or
PostgreSQL.

The interface a program (the CLI, a web app) uses: `create`, `case`, `cases`, `fire` (with the
version the user saw, for the optimistic check), `why`, `options`, `clock`, `set_clock`, `advance`,
`log`.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import datetime
from typing import Any

from ..clock import SimulatedClock, parse_moment
from ..findings import ProcflowError, Refused
from ..instance import Instance
from ..model import Event, Expr, Workflow
from ..runtime import Engine, EventOption, Outcome
from ..values import to_json

CASE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
CHANGED = "the case changed since it was read: look again"
START_CLOCK = "2026-01-01 09:00"


class StoreError(ProcflowError):
    """The store cannot be used (unreachable, not a store, another schema, busy): nothing
    changed."""


class CaseChanged(ProcflowError):
    """An event decided on a case as it was read, which has changed since: nothing changed."""

    def __init__(self, case: str, detail: str = ""):
        self.case = case
        super().__init__(f"{case}: {CHANGED}" + (f" ({detail})" if detail else ""))


@dataclass(frozen=True, slots=True)
class Case:
    """A case as the store keeps it: its state JSON (scenarios spec) and its row version."""

    id: str
    workflow: str
    status: str
    version: int  # 1 when created, one more at each change: give it back to `fire` as `expected`
    state: dict

    def overdue(self, now: datetime) -> list[dict]:
        """Its open intrays strictly past due at `now` (R48)."""
        return [i for i in self.open_intrays() if parse_moment(i["due"]) < now]

    def open_intrays(self) -> list[dict]:
        return [i for i in self.state.get("intrays") or () if i.get("state") == "open"]


@dataclass(frozen=True, slots=True)
class CaseRow:
    """A case as `cases()` lists it."""

    id: str
    workflow: str
    status: str
    version: int
    next_due: str | None
    events: int
    updated: str


@dataclass(frozen=True, slots=True)
class Fired:
    """An accepted event: what changed, and the new version of every case it touched."""

    case: str
    event: str
    at: datetime
    from_: str
    to: str
    opened: list[dict]
    closed: list[dict]
    letters: list[dict]
    versions: dict[str, int]  # every case written, with its new version
    created: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"case": self.case, "event": self.event, "at": to_json(self.at), "from": self.from_,
                "to": self.to,
                "opened": self.opened, "closed": self.closed, "letters": self.letters,
                "versions": self.versions,
                "created": self.created}


@dataclass(frozen=True, slots=True)
class Logged:
    """One entry of the store's log."""

    seq: int
    at: str
    kind: str  # create | event | advance | set | import
    case: str | None
    event: str | None
    data: Any
    actor: Any
    outcome: Any


class Transaction:
    """What a store does inside one transaction; each store implements it for where it keeps
    cases."""

    def clock(self) -> datetime:
        raise NotImplementedError

    def set_clock(self, moment: datetime) -> None:
        raise NotImplementedError

    def locate(self, case_id: str) -> tuple[str, int] | None:
        """The case's workflow and version, locked for this transaction; None when there is none."""
        raise NotImplementedError

    def load(self, ids: list[str]) -> None:
        """These cases, as they are now, into the store's engine."""
        raise NotImplementedError

    def load_workflows(self, names: list[str]) -> None:
        """Every case of these workflows, as they are now, into the store's engine."""
        raise NotImplementedError

    def workflow_names(self) -> list[str]:
        raise NotImplementedError

    def sequences(self) -> dict[tuple[str, str], int]:
        raise NotImplementedError

    def write(self, instances: list[Instance], numbers: dict[tuple[str, str], int],
              now: datetime) -> dict[str, int]:
        """Write these instances (their state as the engine holds it), each only if unchanged since
        it was read (CaseChanged otherwise); one not in the store yet is added. Their new versions
        (1 for a new one)."""
        raise NotImplementedError

    def log(self, at: datetime, kind: str, case: str | None, event: str | None, data: Any,
            actor: Any,
            outcome: Any) -> None:
        raise NotImplementedError


# a workflow by name (LookupError, saying why, when there is none)
WorkflowSource = Callable[[str], Workflow]


class CaseStore:
    """Cases, the clock and the log, whatever keeps them (see the module's docstring)."""

    def __init__(self, workflows: WorkflowSource):
        self._source = workflows
        self._clock = SimulatedClock(START_CLOCK)
        self.engine = Engine(clock=self._clock)
        # (workflow version, event) -> whether it reads other cases
        self._reads: dict[tuple[str, str], bool] = {}

    # -- what each store provides ------------------------------------------------------------
    def _transaction(self, *, write: bool,
                     exclusive: bool = False) -> AbstractContextManager[Transaction]:
        """A transaction: `exclusive` when what it decides reads other cases (no other write runs
        meanwhile)."""
        raise NotImplementedError

    def _forget(self, ids: list[str]) -> None:
        """After a failed write: the engine's copies of these cases are no longer the store's."""
        for case_id in ids:
            self.engine.forget(case_id)

    def case(self, case_id: str) -> Case:
        raise NotImplementedError

    def cases(self, workflow: str | None = None, status: str | None = None, overdue: bool = False,
              limit: int = 1000) -> list[CaseRow]:
        raise NotImplementedError

    def log(self, case_id: str | None = None, limit: int = 100_000) -> list[Logged]:
        raise NotImplementedError

    def close(self) -> None:
        """Release what the store holds open."""

    # -- workflows ------------------------------------------------------------------------------
    def hold(self, name: str) -> Workflow:
        """The current version of a workflow, held by the engine with the workflows it needs."""
        held = self.engine.workflows.get(name)
        if held is not None:
            return held
        try:
            wf = self._source(name)
        except LookupError as exc:
            raise Refused("workflow", [str(exc.args[0]) if exc.args
                                       else f"unknown workflow '{name}'"]) from None
        wf = self.engine.add_workflow(wf)
        for other in sorted(wf.requires):
            self.hold(other)
        return wf

    def reads_others(self, wf: Workflow, event: str) -> bool:
        """Whether the event's rules may read or change other cases (queries, update/signal/start)
        or number (a sequence shared by the cases): such an event runs alone, with every case it may
        read loaded."""
        key = (wf.version, event)
        found = self._reads.get(key)
        if found is None:
            ev = wf.events.get(event)
            found = self._reads[key] = ev is not None and self._event_reads(ev)
        return found

    def _event_reads(self, event: Event) -> bool:
        names = set(self.engine.queries)
        if not names:
            return any(ef.kind in ("update", "signal", "start", "number")
                       for tr in event.transitions
                       for ef in tr.effects)
        call = re.compile(r"\b(" + "|".join(map(re.escape, sorted(names))) + r")\s*\(")
        for obj in _parts(event):
            if isinstance(obj, Expr) and call.search(obj.text):
                return True
            if getattr(obj, "kind", None) in ("update", "signal", "start", "number"):
                return True
        return False

    def _reach(self, wf: Workflow) -> list[str]:
        """The workflows whose cases an event of `wf` may read: its own and those it requires."""
        return sorted({wf.name, *wf.requires})

    # -- the clock ------------------------------------------------------------------------------
    def clock(self) -> datetime:
        with self._transaction(write=False) as tx:
            return tx.clock()

    def set_clock(self, moment: Any) -> datetime:
        """Set the clock to a moment (forwards or back); no schedule runs (see advance)."""
        to = _moment(moment)
        with self._transaction(write=True, exclusive=True) as tx:
            before = tx.clock()
            tx.set_clock(to)
            tx.log(to, "set", None, None, {"from": to_json(before), "to": to_json(to)}, None, None)
        return to

    def advance(self, to: Any) -> list[Fired]:
        """Move the clock on to a moment; the overnight schedules run on the way, as in
        scenarios."""
        to = _moment(to)
        with self._transaction(write=True, exclusive=True) as tx:
            start = tx.clock()
            if to < start:
                raise Refused("advance", ["the clock only moves forward with advance (it is "
                                          f"{start:%Y-%m-%d %H:%M}); set it to move it back"])
            scheduled = []
            for name in tx.workflow_names():
                wf = self.hold(name)
                if wf.schedules:
                    scheduled.extend(self._reach(wf))
            tx.load_workflows(sorted(set(scheduled)))
            self.engine.sequences.update(tx.sequences())
            self._clock.set(start)
            outcomes = self.engine.advance(to)
            fired = self._write(tx, outcomes, to, committed=True) if outcomes else []
            tx.set_clock(to)
            tx.log(to, "advance", None, None, {"from": to_json(start), "to": to_json(to)}, None,
                   {"fired": [[f.case, f.event] for f in fired]})
        return fired

    # -- cases ----------------------------------------------------------------------------------
    def create(self, workflow: str, case_id: str | None = None, actor: dict | None = None) -> Case:
        """A new case of a workflow, in its initial status; named `case_id`, or WORKFLOW-N."""
        wf = self.hold(workflow)
        if case_id is not None and not CASE_ID.fullmatch(case_id):
            raise Refused("create", ["a case is named with letters, digits, '.', '_' and '-' "
                                     "(at most 200, starting with a letter or digit), not "
                                     f"{case_id!r:.60}"])
        with self._transaction(write=True) as tx:
            name = case_id or self._free_name(tx, wf.name)
            if tx.locate(name) is not None:
                raise Refused("create", [f"a case called '{name}' already exists"])
            self.engine.forget(name)
            now = tx.clock()
            inst = self.engine.create(wf.name, name)
            try:
                tx.write([inst], {}, now)
                tx.log(now, "create", name, None, {"workflow": wf.name, "version": wf.version},
                       actor or {}, None)
            except BaseException:
                self._forget([name])
                raise
            return Case(name, wf.name, inst.status, 1, self.engine.state(inst))

    def restore_all(self, states: list[Any]) -> list[str]:
        """Cases given as their state JSON (a JSON store read in), added as they are: all of them,
        or Refused and none (each is checked on a scratch engine first). Their names."""
        scratch = Engine(clock=self._clock)
        scratch.find_version = self.engine.find_version
        for state in states:
            name = state.get("workflow") if isinstance(state, dict) else None
            if not isinstance(name, str):
                raise Refused("import",
                              [f"a case is a mapping with its workflow, not {state!r:.60}"])
            for wf_name in (name, *sorted(self.hold(name).requires)):
                if wf_name not in scratch.workflows:
                    scratch.add_workflow(self.hold(wf_name))
            label = state.get("instance")
            if not isinstance(label, str) or not CASE_ID.fullmatch(label):
                raise Refused("import",
                              ["a case is named with letters, digits, '.', '_' and '-', not "
                               f"{label!r:.60}"])
            scratch.restore(state)
        with self._transaction(write=True, exclusive=True) as tx:
            now = tx.clock()
            taken = [name for name in scratch.instances if tx.locate(name) is not None]
            if taken:
                raise Refused("import", [f"the store already has a case called {taken[0]}"])
            held = dict(tx.sequences())
            numbers = {k: max(v, held.get(k, 0)) for k, v in scratch.sequences.items()}
            added = []
            try:
                for state in states:
                    self.engine.forget(state["instance"])
                    added.append(self.engine.restore(
                        self.engine.state(scratch.instances[state["instance"]])))
                tx.write(added, numbers, now)
                for inst in added:
                    tx.log(now, "import", inst.name, None, {"workflow": inst.workflow.name,
                                                             "state": self.engine.state(inst)},
                           None, None)
            except BaseException:
                self._forget([inst.name for inst in added])
                raise
        return [inst.name for inst in added]

    def _free_name(self, tx: Transaction, workflow: str) -> str:
        n = sum(1 for _ in self.cases(workflow=workflow, limit=10**9)) + 1
        while tx.locate(f"{workflow}-{n}") is not None:
            n += 1
        return f"{workflow}-{n}"

    def fire(self, case_id: str, event: str, data: dict | None = None, actor: dict | None = None,
             expected: int | None = None) -> Fired:
        """Fire an event on a case: decided and written with every case it touches, or
        Refused/Ambiguous/ CaseChanged and nothing changed. `expected`: the case's version as the
        user saw it."""
        wf = self._workflow_of(case_id)
        exclusive = self.reads_others(wf, event)
        while True:
            try:
                with self._transaction(write=True, exclusive=exclusive) as tx:
                    inst = self._load(tx, case_id, expected, exclusive, event)
                    # its older version reads others
                    if not exclusive and self.reads_others(inst.workflow, event):
                        raise _Retry()
                    now = tx.clock()
                    self._clock.set(now)
                    outcome = self.engine.decide(inst, event, data, actor)
                    return self._write(tx, [outcome], now)[0]
            except _Retry:
                exclusive = True

    def why(self, case_id: str, event: str, data: dict | None = None,
            actor: dict | None = None) -> list[str]:
        """Why the event cannot happen now with this data: the refusing guards' sentences ([] if it
        can)."""
        with self._transaction(write=False) as tx:
            inst = self._load(tx, case_id, None, True, event)
            self._clock.set(tx.clock())
            return self.engine.explain(inst, event, data, actor)

    def options(self, case_id: str, actor: dict | None = None) -> list[EventOption]:
        """Every event of the case's workflow: can it be fired now, and if not, why not."""
        with self._transaction(write=False) as tx:
            inst = self._load(tx, case_id, None, True, None)
            self._clock.set(tx.clock())
            return self.engine.options(inst, actor)

    def _workflow_of(self, case_id: str) -> Workflow:
        # a case's workflow never changes: the copy held says it
        held = self.engine.instances.get(case_id)
        if held is not None:
            return self.hold(held.workflow.name)
        with self._transaction(write=False) as tx:
            found = tx.locate(case_id)
        if found is None:
            raise Refused("case", [f"no case called {case_id!r:.60} in the store"])
        return self.hold(found[0])

    def _load(self, tx: Transaction, case_id: str, expected: int | None, others: bool,
              event: str | None) -> Instance:
        found = tx.locate(case_id)
        if found is None:
            raise Refused("case", [f"no case called {case_id!r:.60} in the store"])
        workflow, version = found
        if expected is not None and expected != version:
            raise CaseChanged(case_id,
                              f"it is at version {version}, the event was decided on "
                              f"version {expected}")
        wf = self.hold(workflow)
        if others and (event is None or self.reads_others(wf, event)):
            tx.load_workflows(self._reach(wf))
            self.engine.sequences.update(tx.sequences())
        tx.load([case_id])
        return self.engine.instances[case_id]

    def _write(self, tx: Transaction, outcomes: list[Outcome], now: datetime,
               committed: bool = False) -> list[Fired]:
        """Commit decided outcomes in memory (unless `committed`: the schedules advance() fired,
        logged with it), then write every case they touch; on any failure, forget them (the store
        keeps what it had)."""
        touched: dict[str, Instance] = {}
        numbers: dict[tuple[str, str], int] = {}
        for outcome in outcomes:
            _touched(outcome, touched, numbers)
        try:
            if not committed:
                for outcome in outcomes:
                    self.engine.commit(outcome)
            versions = tx.write(list(touched.values()), numbers, now)
            fired = [_fired(o, versions) for o in outcomes]
            for f, o in zip(fired if not committed else (), outcomes, strict=False):
                tx.log(now, "event", f.case, f.event, to_json(o.logged[3]), to_json(o.logged[2]),
                       {"from": f.from_, "to": f.to, "opened": [i["code"] for i in f.opened],
                        "closed": [i["code"] for i in f.closed],
                        "letters": [lt["code"] for lt in f.letters],
                        "versions": f.versions, "created": f.created})
        except BaseException:
            self._forget(list(touched))
            raise
        return fired


class _Retry(Exception):
    """The transaction must be run again, holding the store alone (see CaseStore.fire)."""


def _moment(value: Any) -> datetime:
    try:
        return parse_moment(value)
    except ValueError as exc:
        raise Refused("clock", [str(exc)]) from None


def _parts(obj: Any, depth: int = 0) -> Iterator[Any]:
    """Every dataclass and expression inside an event (its guards, data, transitions and
    effects)."""
    if depth > 8:
        return
    yield obj
    if isinstance(obj, Expr):
        return
    if is_dataclass(obj):
        for f in fields(obj):
            if f.name in ("pos", "tree", "fn", "holds"):
                continue
            yield from _parts(getattr(obj, f.name), depth + 1)
    elif isinstance(obj, (tuple, list)):
        for item in obj:
            yield from _parts(item, depth + 1)


def _touched(o: Outcome, touched: dict[str, Instance], numbers: dict[tuple[str, str], int]) -> None:
    touched[o.instance.name] = o.instance
    numbers.update(o.numbers)
    for other, *_ in o.others or ():
        touched[other.name] = other
    for sub in o.spawned or ():
        _touched(sub, touched, numbers)


def _fired(o: Outcome, versions: dict[str, int]) -> Fired:
    names: dict[str, int] = {}

    def walk(x: Outcome) -> None:
        names[x.instance.name] = versions[x.instance.name]
        for other, *_ in x.others or ():
            names[other.name] = versions[other.name]
        for sub in x.spawned or ():
            walk(sub)

    walk(o)
    entry = o.logged
    return Fired(o.instance.name, entry[1], entry[0], entry[4], entry[5],
                 [i.to_json() for i in o.opened],
                 [i.to_json() for i in o.closed], [lt.to_json() for lt in o.letters], names,
                 sorted(n for n, v in names.items() if v == 1))


def loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)
