"""`procflow forecast`: a model played (and, with --compare, played again on another version of its
workflow with the same draws), its figures as JSON, a text summary, CSV files, plots and an HTML
report."""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from .run import PARTITION_CASES, Plan, Source, load_sources, make_plan, run

EXTRA = "pip install 'procflow[forecast]'"
NEEDED = ("numpy", "matplotlib", "tqdm")


def missing_modules(dask: bool = False) -> list[str]:
    """The modules of the forecast extra that cannot be imported."""
    import importlib.util

    names = list(NEEDED) + (["distributed"] if dask else [])
    return [n for n in names if importlib.util.find_spec(n) is None]


@dataclass
class Options:
    model: Path
    workflows_dir: Path | None = None
    cases: int | None = None
    start: date | None = None
    end: date | None = None
    seed: int | None = None
    workers: int | None = None
    dask: str | None = None
    compare: str | None = None
    progress: bool = False
    partition_cases: int = PARTITION_CASES


def other_source(plan: Plan, other: str) -> Source:
    """--compare OTHER: a workflow file, or a git revision of the model's workflow file."""
    if Path(other).is_file():
        return Source(plan.model.workflow, str(Path(other)))
    return Source(plan.model.workflow, plan.model.workflow_file, other)


def _run_json(plan: Plan, outcome: Any, label: str) -> dict:
    wf = load_sources(plan.sources)[plan.model.workflow]
    figures = outcome.figures.to_json(list(wf.statuses), list(wf.intrays))
    events = sum(figures["events"].values()) + sum(figures["nightly"].values())
    return {"run": label, "model": plan.model.name, "model_file": plan.model.file,
            "workflow": wf.name,
            "version": wf.version, "seed": plan.seed, "period": {"from": plan.start.isoformat(),
                                                                 "to": plan.end.isoformat()},
            "cases_asked": plan.cases, "partitions": len(plan.partitions), "figures": figures,
            "timings": {"seconds": round(outcome.seconds, 3), "workers": outcome.workers,
                        "events_per_s": round(events / outcome.seconds) if outcome.seconds
                        else None}}


def _play(plan: Plan, opts: Options, label: str) -> dict:
    bar = None
    if opts.progress:
        from tqdm import tqdm

        total = plan.cases or round(plan.model.expected_cases(plan.start, plan.end))
        bar = tqdm(total=total, unit="case", desc=label, leave=False)
    try:
        outcome = run(plan, opts.workers, opts.dask, bar.update if bar is not None else None)
    finally:
        if bar is not None:
            bar.close()
    return _run_json(plan, outcome, label)


def forecast(opts: Options) -> dict:
    """Play the model (and its comparison); the result as JSON. DefinitionError for a bad model or
    workflow, ValueError for options that do not fit, HistoryError for a revision that cannot be
    read."""
    plan = make_plan(opts.model, opts.workflows_dir, opts.seed, opts.cases, opts.start, opts.end,
                     partition_cases=opts.partition_cases)
    base = _play(plan, opts, "base")
    if opts.compare is None:
        return {"runs": {"base": base}}
    from ..diff import compare, diff_json, diff_text
    from .report import comparison

    source = other_source(plan, opts.compare)
    other_plan = make_plan(opts.model, opts.workflows_dir, opts.seed, opts.cases, opts.start,
                           opts.end, source,
                           opts.partition_cases)
    other = _play(other_plan, opts, "other")
    old = load_sources(plan.sources)[plan.model.workflow]
    new = load_sources(other_plan.sources)[plan.model.workflow]
    changes = compare(old, new)
    return {"runs": {"base": base, "other": other},
            "comparison": comparison(base["figures"], other["figures"]),
            "changes": diff_json(old, new, changes), "changes_text": diff_text(old, new, changes)}


def text(result: dict) -> str:
    from .report import compare_text, summary_text

    runs = result["runs"]
    if "comparison" not in result:
        return summary_text(runs["base"])
    return compare_text(runs["base"], runs["other"], result["comparison"], result["changes_text"])


def write_outputs(result: dict, out_dir: Path) -> list[Path]:
    """figures.json, the CSV files, the plots (PNG) and report.html in `out_dir`; the files
    written."""
    from . import plots
    from .report import comparison_csv, csv_files, html_report

    out_dir.mkdir(parents=True, exist_ok=True)
    runs = result["runs"]
    files: dict[str, bytes] = {"figures.json": (json.dumps(result, indent=1, ensure_ascii=False)
                                                + "\n").encode()}
    for name, body in csv_files(runs).items():
        files[name] = body.encode()
    if "comparison" in result:
        files["comparison.csv"] = comparison_csv(result["comparison"]).encode()
    images = plots.all_plots(runs)
    if "comparison" in result:  # the intrays whose daily figures differ, on their own
        daily = [r["figures"]["daily"]["intrays"] for r in runs.values()]
        changed = [code for code in daily[0] if daily[0][code] != daily[-1].get(code)]
        if changed:
            images["changed"] = plots.backlog(runs, changed)
    for name, png in images.items():
        files[f"{name}.png"] = png
    files["report.html"] = html_report(runs,
                                       {k: base64.b64encode(v).decode() for k, v in images.items()},
                                       result.get("comparison"),
                                       result.get("changes_text", "")).encode()
    from ..files import write_atomic

    written = []
    for name, body in files.items():
        write_atomic(out_dir / name, body)
        written.append(out_dir / name)
    return written
