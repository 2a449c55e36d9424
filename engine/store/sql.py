"""The store in a SQL database: SQLite (one file, the default) or PostgreSQL (a team's server), one
code path.

Each event is one database transaction. The engine decides on the cases as the transaction reads
them; every case the event touched is then written with `UPDATE ... WHERE row_version = <as read>`,
so an outcome decided from a case that has changed since is refused (CaseChanged), never a lost
update.

How writers are kept apart:
- SQLite: every writing transaction starts with BEGIN IMMEDIATE, which takes the database's write
  lock at once: writers run one after another, readers go on meanwhile (WAL journal).
- PostgreSQL (READ COMMITTED): a writing transaction locks the row of the case it fires on (SELECT
  ... FOR UPDATE) and holds a transaction-level advisory lock, shared by events that read and change
  only their own case, exclusive for the events whose rules read or change other cases (queries,
  update:, signal:, start:, numbering) and for clock moves. What such an event reads cannot change
  under it and no case appears that its queries would have found, and the log's order is an order
  the events could have run in one after another (the log replays). See README, "The case store".
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from ..clock import parse_moment
from ..findings import Refused
from ..instance import Instance
from ..values import to_json
from .base import (
    Case,
    CaseChanged,
    CaseRow,
    CaseStore,
    Logged,
    StoreError,
    Transaction,
    WorkflowSource,
    loads,
)
from .memory import _next_due
from .schema import connect, prepare
from .tables import cases, events, meta, sequences

LOCK_KEY = 7_240_014  # the advisory lock of the store's writers (PostgreSQL)
_STATEMENTS: dict[str, Any] = {}


def _sql(name: str) -> Any:
    """The statements every event runs, made once (building a statement costs more than SQLite
    running it)."""
    found = _STATEMENTS.get(name)
    if found is None:
        from sqlalchemy import bindparam, insert, select, text, update

        made = {
            "clock": text("SELECT value FROM procflow_meta WHERE name = 'clock'"),
            "locate": text("SELECT workflow, row_version FROM procflow_cases WHERE id = :id"),
            "locate_locked": text("SELECT workflow, row_version FROM procflow_cases WHERE id = "
                                  ":id FOR UPDATE"),
            "update": update(cases).where(cases.c.id == bindparam("case_id"),
                                          cases.c.row_version == bindparam("old")),
            "insert": insert(cases),
            "log": insert(events),
            "versions": select(cases.c.id, cases.c.row_version)
            .where(cases.c.id.in_(bindparam("ids", expanding=True))),
        }
        _STATEMENTS.update(made)
        found = made[name]
    return found


class SqlStore(CaseStore):
    """Cases in a database at `url` (a SQLite file name, sqlite:///FILE or postgresql://...)."""

    def __init__(self, url: str, workflows: WorkflowSource, *, clock: Any = None):
        super().__init__(workflows)
        self.url = url
        self.db = connect(url)
        self.postgres = self.db.dialect.name == "postgresql"
        self._known: dict[str, int] = {}  # the version of each case as the engine holds it
        now = datetime.now().replace(second=0, microsecond=0)
        prepare(self.db, parse_moment(clock) if clock is not None else now)

    def close(self) -> None:
        self.db.dispose()

    @contextmanager
    def _transaction(self, *, write: bool, exclusive: bool = False) -> Iterator[Transaction]:
        from sqlalchemy import exc as sa_exc
        from sqlalchemy import text

        tx: _SqlTransaction | None = None
        try:
            with self.db.connect() as conn:
                if self.postgres:
                    # one snapshot for every case a read looks at; writers: the default, READ
                    # COMMITTED
                    if not write:
                        conn = conn.execution_options(isolation_level="REPEATABLE READ")
                else:
                    conn = conn.execution_options(procflow_write=write)
                with conn.begin():
                    if self.postgres and write:
                        lock = "pg_advisory_xact_lock" if exclusive \
                            else "pg_advisory_xact_lock_shared"
                        conn.execute(text(f"SELECT {lock}(:key)"), {"key": LOCK_KEY})
                    tx = _SqlTransaction(self, conn, write)
                    yield tx
        except sa_exc.IntegrityError:
            self._forget(list(tx.pending) if tx else [])
            raise CaseChanged("a case",
                              "another was written with the same name meanwhile") from None
        except sa_exc.DBAPIError as exc:
            self._forget(list(tx.pending) if tx else [])
            raise StoreError(_db_problem(exc)) from None
        except BaseException:
            self._forget(list(tx.pending) if tx else [])
            raise
        if tx is not None:
            self._known.update(tx.pending)

    def _forget(self, ids: list[str]) -> None:
        super()._forget(ids)
        for case_id in ids:
            self._known.pop(case_id, None)

    def case(self, case_id: str) -> Case:
        from sqlalchemy import select

        with self._transaction(write=False) as tx:
            row = tx.conn.execute(select(cases.c.workflow, cases.c.status, cases.c.row_version,
                                         cases.c.state)
                                  .where(cases.c.id == case_id)).first()
        if row is None:
            raise Refused("case", [f"no case called {case_id!r:.60} in the store"])
        return Case(case_id, row.workflow, row.status, row.row_version, json.loads(row.state))

    def cases(self, workflow: str | None = None, status: str | None = None, overdue: bool = False,
              limit: int = 1000) -> list[CaseRow]:
        from sqlalchemy import select

        query = select(cases.c.id, cases.c.workflow, cases.c.status, cases.c.row_version,
                       cases.c.next_due,
                       cases.c.events, cases.c.updated).order_by(cases.c.id).limit(limit)
        if workflow:
            query = query.where(cases.c.workflow == workflow)
        if status:
            query = query.where(cases.c.status == status)
        with self._transaction(write=False) as tx:
            if overdue:
                query = query.where(cases.c.next_due < to_json(tx.clock()))
            return [CaseRow(*row) for row in tx.conn.execute(query)]

    def log(self, case_id: str | None = None, limit: int = 100_000) -> list[Logged]:
        from sqlalchemy import select

        query = select(events).order_by(events.c.seq).limit(limit)
        if case_id is not None:
            query = query.where(events.c.case_id == case_id)
        with self._transaction(write=False) as tx:
            return [Logged(r.seq, r.at, r.kind, r.case_id, r.event, loads(r.data), loads(r.actor),
                           loads(r.outcome))
                    for r in tx.conn.execute(query)]

    def size(self) -> int | None:
        """The bytes the store takes (the database file, or the PostgreSQL database)."""
        from sqlalchemy import text

        if self.postgres:
            with self.db.connect() as conn:
                return int(
                    conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())
        path = self.db.url.database
        return sum(os.path.getsize(p) for p in (path, f"{path}-wal") if p and os.path.exists(p))


class _SqlTransaction(Transaction):
    def __init__(self, store: SqlStore, conn: Any, write: bool):
        self.store = store
        self.conn = conn
        self.writing = write
        # cases written, with their new versions (the engine's once committed)
        self.pending: dict[str, int] = {}
        self.located: dict[str, int] = {}  # the version of each case locate() read

    def clock(self) -> datetime:
        return parse_moment(self.conn.execute(_sql("clock")).scalar_one())

    def set_clock(self, moment: datetime) -> None:
        from sqlalchemy import update

        self.conn.execute(update(meta).where(meta.c.name == "clock").values(value=to_json(moment)))

    def locate(self, case_id: str) -> tuple[str, int] | None:
        # SQLite's writer holds the whole database already
        locked = self.writing and self.store.postgres
        row = self.conn.execute(_sql("locate_locked" if locked else "locate"),
                                {"id": case_id}).first()
        if row is None:
            return None
        self.located[case_id] = row.row_version
        return row.workflow, row.row_version

    def load(self, ids: list[str]) -> None:
        known, engine, located = self.store._known, self.store.engine, self.located
        if all(i in located and known.get(i) == located[i] and i in engine.instances for i in ids):
            # read (and on PostgreSQL locked) by locate() in this transaction: the copy held is
            # current
            return
        rows = self.conn.execute(_sql("versions"), {"ids": ids})
        if any(known.get(r.id) != r.row_version or r.id not in engine.instances for r in rows):
            self._refresh(cases.c.id.in_(ids))

    def load_workflows(self, names: list[str]) -> None:
        for name in names:
            self.store.hold(name)
        self._refresh(cases.c.workflow.in_(names))

    def _refresh(self, which: Any) -> None:
        """The engine's copies of these cases made those of the store, reading only the ones that
        changed."""
        from sqlalchemy import select

        store = self.store
        known = store._known
        stale = [r.id
                 for r in self.conn.execute(select(cases.c.id, cases.c.row_version).where(which))
                 if known.get(r.id) != r.row_version or r.id not in store.engine.instances]
        for start in range(0, len(stale), 500):
            for row in self.conn.execute(select(cases.c.id, cases.c.row_version, cases.c.state)
                                         .where(cases.c.id.in_(stale[start:start + 500]))):
                store.engine.forget(row.id)
                known.pop(row.id, None)
                try:
                    state = json.loads(row.state)
                    store.hold(state.get("workflow") if isinstance(state, dict) else "")
                    store.engine.restore(state)
                except (ValueError, RecursionError, Refused) as exc:
                    why = "; ".join(exc.reasons) if isinstance(exc, Refused) else str(exc) \
                        or "nested too deeply"
                    raise StoreError(f"case {row.id} in the store cannot be read: {why}") from None
                known[row.id] = row.row_version

    def workflow_names(self) -> list[str]:
        from sqlalchemy import select

        return sorted(self.conn.execute(select(cases.c.workflow).distinct()).scalars())

    def sequences(self) -> dict[tuple[str, str], int]:
        from sqlalchemy import select

        return {(r.workflow, r.field): r.value for r in self.conn.execute(select(sequences))}

    def write(self, instances: list[Instance], numbers: dict[tuple[str, str], int],
              now: datetime) -> dict[str, int]:
        from sqlalchemy import insert, update

        at = to_json(now)
        versions: dict[str, int] = {}
        for inst in instances:
            state = self.store.engine.state(inst)
            due = _next_due(inst)
            values = {"workflow": inst.workflow.name, "version": inst.workflow.version,
                      "status": inst.status,
                      "next_due": to_json(due) if due else None, "events": inst.events,
                      "updated": at,
                      "state": json.dumps(state, ensure_ascii=False, separators=(",", ":"))}
            old = self.pending.get(inst.name) or self.store._known.get(inst.name)
            if old is None:
                self.conn.execute(_sql("insert"),
                                  {"id": inst.name, "row_version": 1, "created": at, **values})
                versions[inst.name] = 1
            else:
                done = self.conn.execute(_sql("update"), {"case_id": inst.name, "old": old,
                                                          "row_version": old + 1,
                                                          **values})
                if done.rowcount != 1:
                    raise CaseChanged(inst.name)
                versions[inst.name] = old + 1
            self.pending[inst.name] = versions[inst.name]
        for (workflow, field), number in numbers.items():
            done = self.conn.execute(update(sequences).where(sequences.c.workflow == workflow,
                                                             sequences.c.field
                                                             == field).values(value=number))
            if done.rowcount == 0:
                self.conn.execute(insert(sequences).values(workflow=workflow, field=field,
                                                           value=number))
        return versions

    def log(self, at: datetime, kind: str, case: str | None, event: str | None, data: Any,
            actor: Any,
            outcome: Any) -> None:
        def dump(value: Any) -> str | None:
            return None if value is None \
                else json.dumps(value, ensure_ascii=False, separators=(",", ":"))

        self.conn.execute(_sql("log"), {"at": to_json(at), "kind": kind, "case_id": case,
                                        "event": event,
                                        "data": dump(data), "actor": dump(actor),
                                        "outcome": dump(outcome)})


def _db_problem(exc: Any) -> str:
    """A database error as a sentence for the user."""
    text = str(getattr(exc, "orig", exc)).strip().splitlines()[0] \
        if str(getattr(exc, "orig", exc)).strip() else ""
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    if "locked" in text or code in ("55P03", "57014", "40P01"):
        return f"the store is busy (another writer held it too long): try again ({text})"
    return f"the store could not be used: {text}"
