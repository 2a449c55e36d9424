"""Connecting to a store's database and keeping its schema: Alembic migrations shipped in the
package, run here.

A new (empty) database is given the current schema and the clock. A store whose schema is older than
this procflow's is a message saying how to migrate it (`procflow case migrate`); a newer one, or a
database holding other tables, is a message too: never a traceback, and nothing is changed.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from ..values import to_json
from .base import StoreError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "procflow_schema"


def connect(url: str) -> Any:
    """A SQLAlchemy engine for a store: a PostgreSQL URL, sqlite:///FILE, or a file name
    (SQLite)."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.exc import ArgumentError

    if url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        target = "postgresql+psycopg://" + url.split("://", 1)[1]
        try:
            return create_engine(target, connect_args={"connect_timeout": 10,
                                                       "options": "-c lock_timeout=30000"})
        except ArgumentError as exc:
            raise StoreError(f"{url}: not a PostgreSQL URL such as "
                             f"postgresql://user@host/db ({exc})") from None
    if "://" in url and not url.startswith("sqlite:///"):
        raise StoreError(f"{url}: a store is a SQLite file (FILE or sqlite:///FILE) or "
                         "postgresql://user@host/db")
    path = Path(url.removeprefix("sqlite:///"))
    if path.is_dir():
        raise StoreError(f"{path}: is a folder; a SQLite store is a file")
    if not path.parent.is_dir():
        raise StoreError(f"{path}: its folder {path.parent} does not exist")
    db = create_engine(f"sqlite:///{path}", connect_args={"timeout": 30})

    @event.listens_for(db, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # transactions are begun below, not by the driver
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers go on while one writer writes
        cursor.execute("PRAGMA synchronous=NORMAL")  # WAL: a killed process loses nothing committed
        cursor.close()

    @event.listens_for(db, "begin")
    def _on_begin(conn: Any) -> None:
        # a writer takes the write lock at once, so that what it reads cannot change before it
        # writes
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("procflow_write")
                             else "BEGIN")

    return db


def _config(connection: Any = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    from alembic.script import ScriptDirectory

    return str(ScriptDirectory.from_config(_config()).get_current_head())


def revision(db: Any) -> tuple[str | None, list[str]]:
    """The store's schema revision (None when it has none) and the tables the database holds."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import exc as sa_exc
    from sqlalchemy import inspect

    try:
        with db.connect() as conn:
            context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
            current = context.get_current_revision()
            tables = inspect(conn).get_table_names()
    except sa_exc.DBAPIError as exc:
        first = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() \
            else type(exc.orig).__name__
        raise StoreError(f"{_where(db)}: not a store that can be opened: {first}") from None
    return current, tables


def prepare(db: Any, clock: datetime) -> None:
    """Check the store's schema is this procflow's; give an empty database the schema and the
    clock."""
    current, tables = revision(db)
    wanted = head()
    if current == wanted:
        return
    if current is None:
        if tables:
            raise StoreError(f"{_where(db)}: holds tables ({', '.join(sorted(tables)[:5])}) but is "
                             f"not a procflow store; give a new file or an empty database")
        migrate(db, clock)
        return
    if _known(current):
        raise StoreError(f"{_where(db)}: the store's schema is revision {current}, older than "
                         f"this procflow's ({wanted}): run `procflow case migrate` (back "
                         "it up first)")
    raise StoreError(f"{_where(db)}: the store's schema is revision {current}, which this procflow "
                     f"does not know (its newest is {wanted}): it was written by a newer procflow; "
                     "use that one")


def migrate(db: Any, clock: datetime | None = None) -> tuple[str | None, str]:
    """Bring the store's schema to this procflow's (creating it in an empty database); the revisions
    before and after. A store of a newer schema is refused."""
    from alembic import command
    from sqlalchemy import insert, select

    from .tables import meta

    current, _ = revision(db)
    wanted = head()
    if current is not None and not _known(current):
        raise StoreError(f"{_where(db)}: the store's schema is revision {current}, newer than "
                         "this procflow's")
    with db.connect() as conn:
        conn = conn.execution_options(procflow_write=True)
        with conn.begin():
            command.upgrade(_config(conn), "head")
            if conn.execute(select(meta.c.value).where(meta.c.name == "clock")).first() is None:
                moment = clock or datetime.now().replace(second=0, microsecond=0)
                conn.execute(insert(meta).values(name="clock", value=to_json(moment)))
    return current, wanted


def _known(rev: str) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        return ScriptDirectory.from_config(_config()).get_revision(rev) is not None
    except CommandError:
        return False


def _where(db: Any) -> str:
    return db.url.render_as_string(hide_password=True) if db.dialect.name != "sqlite" \
        else str(db.url.database)
