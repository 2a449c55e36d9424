"""`procflow forecast`: a workload model's cases played through the workflow (engine.forecast)."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from .options import JSON_OPTION, fail_usage, findings_end, writing


@click.command()
@click.argument("model", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--cases", type=click.IntRange(1, 100_000_000), default=None, metavar="N",
              help="Play N cases (arriving from the period's start at the model's rate) to their "
                   "last step.")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Start of the period.")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="End of the period.")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=None,
              help="The random seed (default: the model's).")
@click.option("--workers", type=click.IntRange(1, 256), default=None,
              help="Worker processes (default: all cores).")
@click.option("--dask", metavar="ADDRESS", default=None,
              help="Play the partitions on this Dask scheduler.")
@click.option("--compare", "other", metavar="OTHER", default=None,
              help="Also play another version of the workflow (a file, or a git revision of the "
                   "model's workflow file) on the same arrivals and random draws, side by side.")
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None,
              help="Write figures.json, CSV files, PNG plots and report.html into this folder.")
@click.option("--workflows", "workflows_dir", default=None,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder holding NAME.yaml workflow files (default: workflows/ beside the "
                   "model's folder, or in the current folder).")
@JSON_OPTION
def forecast(model: Path, cases: int | None, start: Any, end: Any, seed: int | None,
             workers: int | None, dask: str | None, other: str | None, out_dir: Path | None,
             workflows_dir: Path | None, as_json: bool) -> None:
    """Forecast a caseload: play a workload MODEL's cases through the workflow.

    Every case is played through the engine (guards, effects, intrays, letters); the figures are
    the cases in each status by day, intrays opened, closed, open and overdue, letters, cycle
    times, final statuses and refusals. The same seed gives the same figures whatever the number of
    workers.
    """
    from engine.forecast.command import EXTRA, missing_modules

    missing = missing_modules(dask is not None)
    if missing:
        fail_usage(f"procflow forecast needs {', '.join(missing)}: {EXTRA}")
    from engine.forecast.command import Options, text, write_outputs
    from engine.forecast.command import forecast as play
    from engine.spec.history import HistoryError

    opts = Options(model, workflows_dir, cases, start and start.date(), end and end.date(), seed,
                   workers, dask, other, progress=not as_json and sys.stderr.isatty())
    with findings_end():
        try:
            result = play(opts)
        except (ValueError, HistoryError) as exc:
            fail_usage(str(exc))
    if out_dir is not None:
        with writing(f"into {out_dir}", whole=False):
            write_outputs(result, out_dir)
    click.echo(json.dumps(result, indent=1, ensure_ascii=False) if as_json else text(result))
