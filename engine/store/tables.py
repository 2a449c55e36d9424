"""The store's tables, declared once (SQLAlchemy Core); the migrations in `migrations/` create them.

Moments are kept as ISO text (2026-03-02T09:00:00), which sorts as time does on every backend.
- `meta`: the store's clock (`clock`).
- `cases`: one row per case: its workflow, the version of the workflow it runs on, its status, its
  `row_version` (1 when created, one more at each change: the optimistic check), the earliest due
  moment of its open intrays (`next_due`, for `--overdue`), how many events it has had, and its
  state JSON (as `Engine.state` writes it: fields, intrays, letters, history).
- `events`: the append-only log of what happened to the store, in a serial order: cases created,
  events fired (data, actor, moment, outcome) and clock moves. Replaying it gives every case again.
- `sequences`: the last number given by each `number:` effect (application numbers).
"""
from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table, Text

ID_LENGTH = 200  # a case's name, as `--id` or a `start:` effect gives it
MOMENT_LENGTH = 19

metadata = MetaData()

meta = Table(
    "procflow_meta", metadata,
    Column("name", String(40), primary_key=True),
    Column("value", Text, nullable=False),
)

cases = Table(
    "procflow_cases", metadata,
    Column("id", String(ID_LENGTH), primary_key=True),
    Column("workflow", String(100), nullable=False),
    Column("version", String(100), nullable=False),
    Column("status", String(200), nullable=False),
    Column("row_version", Integer, nullable=False),
    Column("next_due", String(MOMENT_LENGTH)),
    Column("events", Integer, nullable=False),
    Column("created", String(MOMENT_LENGTH), nullable=False),
    Column("updated", String(MOMENT_LENGTH), nullable=False),
    Column("state", Text, nullable=False),
    Index("procflow_cases_workflow_status", "workflow", "status"),
    Index("procflow_cases_next_due", "next_due"),
)

events = Table(
    "procflow_events", metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("at", String(MOMENT_LENGTH), nullable=False),
    Column("kind", String(20), nullable=False),  # create | event | advance | set | import
    Column("case_id", String(ID_LENGTH)),
    Column("event", String(200)),
    Column("data", Text),
    Column("actor", Text),
    Column("outcome", Text),
    Index("procflow_events_case", "case_id"),
)

sequences = Table(
    "procflow_sequences", metadata,
    Column("workflow", String(100), primary_key=True),
    Column("field", String(100), primary_key=True),
    Column("value", BigInteger, nullable=False),
)
