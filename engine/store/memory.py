"""A store that keeps its cases in the engine's memory, for as long as the process runs.

The same interface and rules as the SQL store (see base), without a database: what scenarios,
tests and bulk runs can use where nothing has to last, and what the SQL store is compared with.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from ..clock import parse_moment
from ..instance import Instance
from ..model import TRAY_CLOSED, TRAY_DUE
from ..values import to_json
from .base import START_CLOCK, Case, CaseRow, CaseStore, Logged, Transaction, WorkflowSource


class MemoryStore(CaseStore):
    def __init__(self, workflows: WorkflowSource, clock: Any = START_CLOCK):
        super().__init__(workflows)
        self._now = parse_moment(clock)
        self._versions: dict[str, int] = {}
        self._updated: dict[str, datetime] = {}
        self._log: list[Logged] = []
        self._numbers: dict[tuple[str, str], int] = {}

    @contextmanager
    def _transaction(self, *, write: bool, exclusive: bool = False) -> Iterator[Transaction]:
        saved = (self._now, len(self._log), dict(self._numbers))
        try:
            yield _MemoryTransaction(self)
        except BaseException:
            self._now, kept, self._numbers = saved
            del self._log[kept:]
            raise

    def _forget(self, ids: list[str]) -> None:
        """Nothing to forget: the engine's instances are the store's (a refused commit changes
        nothing)."""

    def case(self, case_id: str) -> Case:
        from ..findings import Refused

        inst = self.engine.instances.get(case_id)
        if inst is None:
            raise Refused("case", [f"no case called {case_id!r:.60} in the store"])
        return Case(case_id, inst.workflow.name, inst.status, self._versions[case_id],
                    self.engine.state(inst))

    def cases(self, workflow: str | None = None, status: str | None = None, overdue: bool = False,
              limit: int = 1000) -> list[CaseRow]:
        rows = []
        for name in sorted(self.engine.instances):
            inst = self.engine.instances[name]
            due = _next_due(inst)
            if (workflow and inst.workflow.name != workflow) or (status and inst.status != status) \
                    or (overdue and (due is None or due >= self._now)):
                continue
            rows.append(CaseRow(name, inst.workflow.name, inst.status, self._versions[name],
                                to_json(due) if due else None, inst.events,
                                to_json(self._updated[name])))
        return rows[:limit]

    def log(self, case_id: str | None = None, limit: int = 100_000) -> list[Logged]:
        return [e for e in self._log if case_id is None or e.case == case_id][:limit]


class _MemoryTransaction(Transaction):
    def __init__(self, store: MemoryStore):
        self.store = store

    def clock(self) -> datetime:
        return self.store._now

    def set_clock(self, moment: datetime) -> None:
        self.store._now = moment

    def locate(self, case_id: str) -> tuple[str, int] | None:
        inst = self.store.engine.instances.get(case_id)
        return None if inst is None else (inst.workflow.name, self.store._versions[case_id])

    def load(self, ids: list[str]) -> None:
        pass  # the engine holds every case

    def load_workflows(self, names: list[str]) -> None:
        for name in names:
            self.store.hold(name)

    def workflow_names(self) -> list[str]:
        return sorted({i.workflow.name for i in self.store.engine.instances.values()})

    def sequences(self) -> dict[tuple[str, str], int]:
        return dict(self.store._numbers)

    def write(self, instances: list[Instance], numbers: dict[tuple[str, str], int],
              now: datetime) -> dict[str, int]:
        versions = self.store._versions
        for inst in instances:
            versions[inst.name] = versions.get(inst.name, 0) + 1
            self.store._updated[inst.name] = now
        self.store._numbers.update(numbers)
        return {inst.name: versions[inst.name] for inst in instances}

    def log(self, at: datetime, kind: str, case: str | None, event: str | None, data: Any,
            actor: Any,
            outcome: Any) -> None:
        log = self.store._log
        log.append(Logged(len(log) + 1, to_json(at), kind, case, event, data, actor, outcome))


def _next_due(inst: Instance) -> datetime | None:
    """The earliest due moment of the instance's open intrays."""
    dues = [t[TRAY_DUE] for t in inst.trays if t[TRAY_CLOSED] is None]
    return min(dues) if dues else None
