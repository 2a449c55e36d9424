"""`make bench`, the case store: events committed per second on SQLite and PostgreSQL, 1 and 4
writers, against the in-memory engine in the same run, and the store's size per case.

Each writer is its own process with its own cases: it creates a COA case, saves the application (its
rules search the other applications, so it runs alone: see README, "Keeping writers apart") and adds
notes and the case assessment (events on the case alone), EVENTS_PER_CASE events per case. Events
per second counts the events committed by all writers between the first writer's start and the last
one's end (process start-up and workflow loading are outside it). The in-memory figure is the same
path on one `Engine`. PostgreSQL is measured when a server answers at --postgres (a database made
for the run and dropped after it); otherwise its lines say why not.

The last lines: `store_<backend>_<n>w_events_per_s=`, `memory_events_per_s=`,
`store_<backend>_kib_per_case=`.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / "workflows"
MOMENT = "2026-03-02 09:00"


def path(case: str) -> list[tuple[str, dict]]:
    """The events of one case: a save (on its own Case Number: no other application to tick), then
    events on the case alone."""
    save = {"applicant": "payee", "lodgement_date": "2026-03-01", "case_number": f"C-{case}"}
    notes = [("add_note", {"text": f"note {n} on case {case}"}) for n in range(4)]
    return [("save_application", save), ("record_case_assessment", {"case_assessment": "Complex"}),
            *notes]


EVENTS_PER_CASE = len(path(""))


def writer(url: str, me: int, cases: int) -> None:
    """One writer process: play `cases` cases and print its start, end and event count as JSON."""
    from engine.store import folder, open_store

    store = open_store(url, folder(WORKFLOWS))
    store.hold("coa")
    start = time.time()
    events = 0
    for i in range(cases):
        name = f"w{me}-{i}"
        store.create("coa", name)
        for event, data in path(name):
            store.fire(name, event, data, {"name": f"writer-{me}"})
            events += 1
    print(json.dumps({"start": start, "end": time.time(), "events": events}))
    store.close()


def measure(url: str, writers: int, cases: int) -> float:
    """Events per second committed by `writers` processes on the store at `url`."""
    procs = [subprocess.Popen([sys.executable, __file__, "--writer", url, str(me), str(cases)],
                              cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for me in range(writers)]
    runs = []
    for proc in procs:
        out, err = proc.communicate(timeout=1800)
        if proc.returncode != 0:
            raise SystemExit(f"a writer failed: {err[-2000:]}")
        runs.append(json.loads(out.strip().splitlines()[-1]))
    seconds = max(r["end"] for r in runs) - min(r["start"] for r in runs)
    return sum(r["events"] for r in runs) / seconds


def in_memory(cases: int) -> float:
    from engine import Engine, SimulatedClock, load_workflow

    engine = Engine([load_workflow(WORKFLOWS / f"{n}.yaml") for n in ("coa", "sco", "cma")],
                    clock=SimulatedClock(MOMENT))
    start = time.perf_counter()
    for i in range(cases):
        inst = engine.create("coa", f"m-{i}")
        for event, data in path(inst.name):
            engine.fire(inst, event, data, {"name": "writer-0"})
    return cases * EVENTS_PER_CASE / (time.perf_counter() - start)


def new_store(url: str) -> None:
    from engine.store import folder, open_store

    open_store(url, folder(WORKFLOWS), clock=MOMENT).close()


def postgres(server: str) -> tuple[str | None, str]:
    """A new database on the server (its URL), or None and why not."""
    try:
        import psycopg

        name = f"procflow_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"{server}/{name}", ""
    except Exception as exc:  # any reason the server cannot be used is reported, not raised
        return None, str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def drop(url: str) -> None:
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def size_per_case(url: str) -> float:
    from engine.store import folder, open_store

    store = open_store(url, folder(WORKFLOWS))
    try:
        count = len(store.cases(limit=10**9))
        return (store.size() or 0) / 1024 / count
    finally:
        store.close()


@click.command()
@click.option("--cases", default=200, show_default=True, help="Cases per writer.")
@click.option("--postgres", "server", default="postgresql://postgres@127.0.0.1:5432",
              show_default=True)
@click.option("--writer", nargs=3, type=(str, int, int), default=None, hidden=True)
def main(cases: int, server: str, writer: tuple[str, int, int] | None) -> None:
    if writer is not None:
        globals()["writer"](*writer)
        return
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        backends: list[tuple[str, object]] = [("sqlite",
                                               lambda n: os.path.join(tmp, f"bench-{n}.db"))]
        made: list[str] = []

        def pg(_n: int) -> str | None:
            url, why = postgres(server)
            if url is None:
                click.echo(f"postgresql: not measured, no server at {server} ({why})")
                return None
            made.append(url)
            return url

        backends.append(("postgresql", pg))
        try:
            for backend, make in backends:
                for writers in (1, 4):
                    url = make(writers)  # type: ignore[operator]
                    if url is None:
                        break
                    new_store(url)
                    rate = measure(url, writers, cases)
                    figures[f"store_{backend}_{writers}w_events_per_s"] = rate
                    click.echo(f"{backend}: {writers} writer(s), {writers * cases} cases, "
                               f"{writers * cases * EVENTS_PER_CASE} events: {rate:,.0f} events/s")
                    if writers == 4:
                        figures[f"store_{backend}_kib_per_case"] = size_per_case(url)
        finally:
            for url in made:
                drop(url)
    memory = in_memory(cases * 4)
    click.echo(f"in memory (one Engine, the same path): {memory:,.0f} events/s")
    for name, value in figures.items():
        if name.endswith("events_per_s"):
            click.echo(f"{name}={value:.0f}")
    click.echo(f"memory_events_per_s={memory:.0f}")
    for name, value in figures.items():
        if name.endswith("kib_per_case"):
            click.echo(f"{name}={value:.1f}")


if __name__ == "__main__":
    main()
