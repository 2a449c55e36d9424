"""`procflow case ...` and `procflow clock`: cases that last, in the case store (engine.store)."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from .options import (
    JSON_OPTION,
    STORE_OPTION,
    WORKFLOWS_OPTION,
    completion,
    echo,
    emit,
    usage_errors,
)
from .storing import STORE_EXTRA, Storing

ACTOR_OPTION = click.option("--actor", "actor_pairs", multiple=True, metavar="KEY=VALUE",
                            help="Who acts, e.g. --actor role=SCO --actor name=Sam (repeatable).")


def _actor(pairs: tuple[str, ...]) -> dict:
    from engine.store.present import typed_data

    with usage_errors("--actor: "):
        return typed_data(pairs, None)


def _event_data(store: Any, case_id: str, event: str, words: tuple[str, ...]) -> dict:
    from engine.store.present import typed_data

    wf = store.hold(store.case(case_id).workflow)
    with usage_errors():
        return typed_data(words, wf.events.get(event))


@click.group()
def case() -> None:
    """Cases that last, in a store: create them, fire events, look at them, list them.

    The store is a SQLite file (default procflow.db, or --store / PROCFLOW_STORE) or a PostgreSQL
    URL; it keeps every case, its history, the log of events and its own clock (`procflow clock`).
    """


@case.command("new")
@click.argument("workflow", shell_complete=completion("workflows"))
@click.option("--id", "case_id", help="The case's name (default: WORKFLOW-N).")
@ACTOR_OPTION
@click.option("--clock", "clock", metavar="MOMENT",
              help="A new store's clock starts here (default: now).")
@STORE_OPTION
@WORKFLOWS_OPTION
@JSON_OPTION
def case_new(workflow: str, case_id: str | None, actor_pairs: tuple[str, ...], clock: str | None,
             store_url: str, workflows_dir: Path, as_json: bool) -> None:
    """Start a case of WORKFLOW in its initial status."""
    from engine.store.present import case_json

    with Storing(store_url, workflows_dir, clock) as store:
        made = store.create(workflow, case_id, _actor(actor_pairs))
        said = f"{made.id}: a new {made.workflow} case in status {made.status}"
        emit(as_json, case_json(made, store.clock()), f"{said} (version {made.version})")


@case.command("fire")
@click.argument("case_id", metavar="ID")
@click.argument("event", shell_complete=completion("events"))
@click.argument("data", nargs=-1, metavar="[FIELD=VALUE]...")
@ACTOR_OPTION
@click.option("--version", "expected", type=int, metavar="N",
              help="The case's version as you saw it (case show): refused if it has changed since.")
@STORE_OPTION
@WORKFLOWS_OPTION
@JSON_OPTION
def case_fire(case_id: str, event: str, data: tuple[str, ...], actor_pairs: tuple[str, ...],
              expected: int | None, store_url: str, workflows_dir: Path, as_json: bool) -> None:
    """Fire EVENT on a case, with its data as FIELD=VALUE (typed as the event declares them; YAML
    for the others, e.g. reasons='[{reason: 8, sub_reason: a}]'). All of it happens, or nothing
    (exit 1)."""
    from engine.store.present import fired_text

    with Storing(store_url, workflows_dir) as store:
        given = _event_data(store, case_id, event, data)
        fired = store.fire(case_id, event, given, _actor(actor_pairs), expected)
        emit(as_json, fired.to_json(), fired_text(fired))


@case.command("show")
@click.argument("case_id", metavar="ID")
@click.option("--options", "with_options", is_flag=True,
              help="Also the events possible now, and why not the others.")
@STORE_OPTION
@WORKFLOWS_OPTION
@JSON_OPTION
def case_show(case_id: str, with_options: bool, store_url: str, workflows_dir: Path,
              as_json: bool) -> None:
    """A case: status, fields, open intrays with their due dates (overdue said so), letters,
    history."""
    from engine.report import options_text
    from engine.store.present import case_json, case_text, options_json

    with Storing(store_url, workflows_dir) as store:
        found, now = store.case(case_id), store.clock()
        out, text = case_json(found, now), case_text(found, now)
        if with_options:
            options = store.options(case_id)
            out["options"] = options_json(options)
            text += "\nevents:\n" + options_text(options)
        emit(as_json, out, text)


@case.command("list")
@click.option("--workflow", help="Only the cases of this workflow.")
@click.option("--status", help="Only the cases in this status.")
@click.option("--overdue", is_flag=True, help="Only the cases with an open intray past due.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=1000, show_default=True)
@STORE_OPTION
@WORKFLOWS_OPTION
@JSON_OPTION
def case_list(workflow: str | None, status: str | None, overdue: bool, limit: int, store_url: str,
              workflows_dir: Path, as_json: bool) -> None:
    """The cases in the store, by name."""
    from engine.store.present import rows_json, rows_text

    with Storing(store_url, workflows_dir) as store:
        rows, now = store.cases(workflow, status, overdue, limit), store.clock()
        emit(as_json, rows_json(rows, now), rows_text(rows, now))


@case.command("why")
@click.argument("case_id", metavar="ID")
@click.argument("event", shell_complete=completion("events"))
@click.argument("data", nargs=-1, metavar="[FIELD=VALUE]...")
@ACTOR_OPTION
@STORE_OPTION
@WORKFLOWS_OPTION
@JSON_OPTION
def case_why(case_id: str, event: str, data: tuple[str, ...], actor_pairs: tuple[str, ...],
             store_url: str, workflows_dir: Path, as_json: bool) -> None:
    """Why EVENT cannot happen on the case now (with this data): each refusing guard's sentence.
    Exit 1 when it cannot."""
    with Storing(store_url, workflows_dir) as store:
        given = _event_data(store, case_id, event, data)
        reasons = store.why(case_id, event, given, _actor(actor_pairs))
        emit(as_json, {"case": case_id, "event": event, "allowed": not reasons, "reasons": reasons},
             "\n".join(f"- {r}" for r in reasons) or f"{event} can happen now")
    sys.exit(1 if reasons else 0)


@case.command("log")
@click.argument("case_id", metavar="[ID]", required=False)
@STORE_OPTION
@WORKFLOWS_OPTION
@JSON_OPTION
def case_log(case_id: str | None, store_url: str, workflows_dir: Path, as_json: bool) -> None:
    """The store's log (of one case with ID): cases created, events fired, clock moves, in order."""
    from engine.store.present import log_json, log_text

    with Storing(store_url, workflows_dir) as store:
        entries = store.log(case_id)
        emit(as_json, log_json(entries), log_text(entries))


@case.command("export")
@click.argument("case_id", metavar="ID")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Scenario file.")
@STORE_OPTION
@WORKFLOWS_OPTION
def case_export(case_id: str, output: Path, store_url: str, workflows_dir: Path) -> None:
    """Write the case's history as a scenario file, with each step's outcome as its expectations."""
    from engine.store.scenarios import export_scenario, scenario_yaml

    with Storing(store_url, workflows_dir) as store:
        text = scenario_yaml(export_scenario(store, case_id))
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise click.UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
    echo(f"{output} written; run it with: procflow test {output}")


@case.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--prefix", default="",
              help="Name the scenario's cases PREFIX + their names in the scenario.")
@STORE_OPTION
@WORKFLOWS_OPTION
def case_import(file: Path, prefix: str, store_url: str, workflows_dir: Path) -> None:
    """Play a scenario file into the store (its clock set to the scenario's), or read in a JSON
    store (the list of cases `simulate --json` prints)."""
    from engine.store.scenarios import import_json_store, import_scenario

    with Storing(store_url, workflows_dir) as store:
        if file.suffix == ".json":
            added = import_json_store(store, file)
            echo(f"{len(added)} case(s) read in: {', '.join(added)}")
            return
        from engine.scenario import load_scenario

        played, problems = import_scenario(store, load_scenario(file), prefix)
        for problem in problems:
            echo(problem, err=True)
        echo(f"{played} event(s) played into the store"
             + (f"; {len(problems)} not as expected" if problems else ""))
    sys.exit(1 if problems else 0)


@case.command("verify")
@STORE_OPTION
@WORKFLOWS_OPTION
def case_verify(store_url: str, workflows_dir: Path) -> None:
    """Replay the store's log on a fresh engine and compare every case with it (exit 1 on a
    difference)."""
    from engine.store.replay import verify

    with Storing(store_url, workflows_dir) as store:
        problems = verify(store)
        count = len(store.cases(limit=10**9))
    echo("\n".join(problems) if problems else f"{count} case(s) as their log says")
    sys.exit(1 if problems else 0)


@case.command("migrate")
@STORE_OPTION
def case_migrate(store_url: str) -> None:
    """Bring a store written by an older procflow to this one's schema (back it up first)."""
    try:
        from engine.store import MISSING_EXTRA, StoreError
        from engine.store.schema import connect, migrate
    except ImportError:
        raise click.ClickException(STORE_EXTRA) from None
    try:
        before, after = migrate(connect(store_url))
    except ImportError:  # SQLAlchemy or Alembic, imported when first used
        raise click.ClickException(MISSING_EXTRA) from None
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    echo(f"{store_url}: schema {before or 'none'} -> {after}")


@click.command("clock")
@click.argument("action", type=click.Choice(["show", "set", "advance"]), default="show")
@click.argument("value", nargs=-1, metavar="[MOMENT | PERIOD]")
@STORE_OPTION
@WORKFLOWS_OPTION
@JSON_OPTION
def clock(action: str, value: tuple[str, ...], store_url: str, workflows_dir: Path,
          as_json: bool) -> None:
    """The store's clock: show it, set it to a MOMENT (no schedule runs), or advance it by a PERIOD
    (3d, 48h) or to a MOMENT, running the overnight schedules on the way as scenarios do."""
    from engine.clock import advanced
    from engine.store.present import fired_text

    text = " ".join(value)
    if (action == "show") != (not text):
        raise click.UsageError("clock show takes nothing; clock set MOMENT; "
                               "clock advance PERIOD (or MOMENT)")
    with Storing(store_url, workflows_dir) as store:
        fired = []
        if action == "set":
            store.set_clock(text)
        elif action == "advance":
            with usage_errors():
                to = advanced(store.clock(), text)
            fired = store.advance(to)
        now = store.clock()
        moved = {"clock": now.isoformat(timespec="seconds"), "fired": [f.to_json() for f in fired]}
        emit(as_json, moved, "\n".join([*map(fired_text, fired), f"clock: {now:%Y-%m-%d %H:%M}"]))
