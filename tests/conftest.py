"""Shared fixtures: the repository's folders and a small workflow to drive the engine."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import settings

# Hypothesis profiles: `repeatable` for make test and CI, the same examples on every run (a failure
# is a failure of the code, never of the draw: the property tests also check that their runs saw
# enough of each kind of event); HYPOTHESIS_PROFILE=long for a long run with new random examples
# (the README records one). A property test's own count is a floor under the profile's: see
# test_properties.py.
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("long", max_examples=2_000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture(scope="session")
def mini():
    from engine import load_workflow

    return load_workflow(FIXTURES / "workflows" / "mini.yaml")


@pytest.fixture
def engine(mini):
    from engine.clock import SimulatedClock
    from engine.runtime import Engine

    return Engine([mini], clock=SimulatedClock("2026-03-02 09:00"))


# -- git repositories (tests/test_diff.py, tests/test_versions.py) -----------------------------
class GitRepo:
    """A git repository in a folder, for the tests of `diff --git` and of a workflow's past
    versions."""

    def __init__(self, path: Path):
        self.path = path
        self.git("init", "-q")

    def git(self, *args: str) -> str:
        out = subprocess.run(["git", "-c", "user.name=Test", "-c", "user.email=test@example.org",
                              "-c", "commit.gpgsign=false", *args],
                             cwd=self.path, capture_output=True, text=True, check=True)
        return out.stdout.strip()

    def write(self, name: str, text: str) -> Path:
        path = self.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def commit(self, message: str, files: dict[str, str] | None = None,
               add: tuple[str, ...] = ()) -> None:
        """Write `files` (name: text) and add them and the paths `add`, then commit them with every
        change to a file git tracks already."""
        for name, text in (files or {}).items():
            self.write(name, text)
        if files or add:
            self.git("add", *(files or {}), *add)
        self.git("commit", "-q", "-a", "-m", message)


@pytest.fixture
def git_repo(tmp_path):
    """An empty git repository in the test's temporary folder; the test skips where git is not
    installed."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    return GitRepo(tmp_path)


# -- the case store's backends (tests/test_store*.py) ------------------------------------------
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"


def _pg_reachable() -> str:
    """'' when the PostgreSQL server answers, else why not."""
    try:
        import psycopg
    except ImportError as exc:
        return f"psycopg is not installed ({exc})"
    try:
        with psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=3):
            return ""
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """A new, empty store on each backend: a SQLite file, or a PostgreSQL database made for the test
    and dropped after it. Without a reachable server the PostgreSQL runs skip saying so, except in
    CI (CI=true), where they fail: .ci/run starts the server."""
    if request.param == "sqlite":
        yield str(tmp_path / "store.db")
        return
    why = _pg_reachable()
    if why:
        import os

        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at {PG_SERVER} is not reachable, and CI must run these "
                        f"tests: {why}")
        pytest.skip(f"no PostgreSQL server at {PG_SERVER} ({why}): the PostgreSQL store "
                    "tests need one")
    import uuid

    import psycopg

    name = f"procflow_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def open_test_store(store_url):
    """Opens the test's store (again, as another process would) on the repository's workflows."""
    from engine.store import folder, open_store

    opened = []

    def make(clock: str = "2026-03-02 09:00"):
        store = open_store(store_url, folder(ROOT / "workflows"), clock=clock)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture(autouse=True)
def _case_store_in_tmp(tmp_path, monkeypatch):
    """`procflow simulate WORKFLOW` and `procflow case` keep cases in a store (default procflow.db
    in the current folder): each test gets its own, never the repository's folder."""
    monkeypatch.setenv("PROCFLOW_STORE", str(tmp_path / "procflow.db"))
