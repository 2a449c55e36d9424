"""The case store: cases that last, in SQLite (one file) or PostgreSQL, or in memory.

    from engine.store import open_store, folder
    store = open_store("procflow.db", folder("workflows"))
    case = store.create("coa", "c-1")
    fired = store.fire("c-1", "save_application", {...}, {"role": "SO"}, expected=case.version)
    store.advance("2026-03-05 09:00")          # the overnight schedules run on the way

It stands on the runtime's public names (Engine, its decide/commit/restore/state/advance) and
nothing below imports it. SQLAlchemy, psycopg and Alembic are the `store` extra: they load only
here.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .base import Case, CaseChanged, CaseRow, CaseStore, Fired, Logged, StoreError, WorkflowSource

__all__ = ["open_store", "folder", "CaseStore", "Case", "CaseRow", "Fired", "Logged", "CaseChanged",
           "StoreError",
           "WorkflowSource", "MISSING_EXTRA"]

MISSING_EXTRA = ("the case store needs the store extra: pip install 'procflow[store]' "
                 "(SQLAlchemy, psycopg, Alembic)")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,99}")


def folder(path: str | Path) -> WorkflowSource:
    """Workflows by name from a folder, as workflows/NAME.yaml: a name read from a store or a
    request is checked to be a plain name first (no file is read by a path a store carries)."""
    root = Path(path)

    def find(name: str) -> Any:
        from .. import load_workflow

        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise LookupError(f"{name!r:.60} is not a workflow name")
        file = root / f"{name}.yaml"
        if not file.is_file():
            known = sorted(p.stem for p in root.glob("*.yaml")) if root.is_dir() else []
            raise LookupError(f"unknown workflow '{name}' (no {file}; known: "
                              f"{', '.join(known) or 'none'})")
        wf = load_workflow(file)
        if wf.name != name:
            raise LookupError(f"{file} declares workflow '{wf.name}', not '{name}'")
        return wf

    find.folder = root  # type: ignore[attr-defined]
    return find


def open_store(url: str, workflows: WorkflowSource, *, clock: Any = None) -> CaseStore:
    """The store at `url`: ':memory:' (nothing lasts), a SQLite file (FILE or sqlite:///FILE) or a
    PostgreSQL URL. A new store starts its clock at `clock` (default: now, to the minute).
    StoreError when it cannot be opened; ImportError (see MISSING_EXTRA) when the store extra is not
    installed."""
    if url == ":memory:":
        from .memory import MemoryStore

        store: CaseStore = MemoryStore(workflows, clock or "2026-01-01 09:00")
    else:
        import sqlalchemy  # noqa: F401  (ImportError here: the extra is missing)

        from .sql import SqlStore

        store = SqlStore(url, workflows, clock=clock)
    root = getattr(workflows, "folder", None)
    if root is not None:
        def find_version(name: str, version: str) -> Any:
            """A case keeps the version it was started on: look for it in the workflow file's git
            history."""
            from ..spec.history import find_version as in_history

            return in_history(root / f"{name}.yaml", version)

        store.engine.find_version = find_version
    return store
