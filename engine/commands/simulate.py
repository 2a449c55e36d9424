"""`procflow simulate`: a scenario file played step by step, or a workflow simulated interactively
on the case store, a line of standard input at a time."""
from __future__ import annotations

import json
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
    findings_end,
    load_workflow,
    usage_errors,
)
from .storing import Storing


@click.command()
@click.argument("target", shell_complete=completion("workflows", files=True))
@JSON_OPTION
@WORKFLOWS_OPTION
@STORE_OPTION
@click.option("--clock", metavar="MOMENT", envvar="PROCFLOW_CLOCK",
              help="Interactive: set the store's clock here first (a new store starts at "
                   "2026-01-01 09:00).")
@click.option("--case", "case_id", metavar="ID",
              help="Interactive: go on with this case of the store (or name the new one).")
def simulate(target: str, as_json: bool, workflows_dir: Path, store_url: str, clock: str | None,
             case_id: str | None) -> None:
    """Play a scenario file step by step, or with a workflow name, simulate interactively on the
    case store (--store): several cases (new WORKFLOW, use ID), the store's clock, and nothing lost
    on quit.

    With a scenario, --json prints the final state of every instance; interactively, --json makes
    every answer one JSON object on one line.
    """
    from engine.check import is_scenario
    from engine.report import played_text
    from engine.scenario import load_scenario, run_scenario

    if not is_scenario(Path(target)):
        interactive(load_workflow(target, workflows_dir), store_url, clock, case_id, as_json)
        return
    with findings_end():
        result = run_scenario(load_scenario(target))
    engine = result.engine
    if as_json:
        echo(json.dumps([engine.state(i) for i in engine.instances.values()], indent=2))
    else:
        echo(played_text(result))
    sys.exit(0 if result.passed else 1)


def interactive(wf: Any, store_url: str, clock: str | None, case_id: str | None,
                as_json: bool) -> None:
    """`simulate WORKFLOW`: a session on the case store (engine.store.session) fed the lines of
    standard input."""
    from engine.clock import parse_moment
    from engine.session import MAX_LINE, typed_lines

    if clock is not None:
        with usage_errors("--clock (or PROCFLOW_CLOCK): "):
            parse_moment(clock)
    with Storing(store_url, Path(wf.file).parent, clock or "2026-01-01 09:00") as store:
        from engine.store.session import StoreSession

        if clock is not None:
            store.set_clock(clock)
        session = StoreSession(store, wf.name, case_id, json_lines=as_json)
        echo(session.greeting)
        for line in typed_lines(sys.stdin):
            if line is None:
                said = (f"a line of more than {MAX_LINE:,} characters is not read: "
                        "type a shorter one")
                echo(json.dumps({"error": said}) if as_json else f"  {said}")
                continue
            answer = session.handle(line)
            if answer is None:
                break
            if answer:
                echo(answer)
