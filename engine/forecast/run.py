"""A forecast run: the cases split into partitions with seeds spawned from the run's seed, played on
local worker processes or on a Dask cluster, and their figures merged as they finish.

The partitions depend only on the model, the seed and the number of cases (or the period), never on
the number of workers: the same seed gives the same figures however the partitions are played.
"""
from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ..model import Workflow
from .model import Model

PARTITION_CASES = 2000  # cases a partition is expected to hold: its memory is bounded by this
MAX_CASES = 100_000_000


@dataclass(frozen=True, slots=True)
class Source:
    """Where a worker reads a workflow: a file, or a file at a git revision."""

    name: str
    path: str
    rev: str | None = None


@dataclass(frozen=True)
class Plan:
    """What to play: the model checked against its workflow, where the workflows are read, the
    partitions."""

    model: Model
    sources: tuple[Source, ...]
    partitions: tuple[Any, ...]
    seed: int
    cases: int | None
    start: date
    end: date


@dataclass
class Outcome:
    figures: Any
    seconds: float
    workers: int
    partitions: int
    timings: dict = field(default_factory=dict)


_LOADED: dict[tuple[Source, ...], dict[str, Workflow]] = {}


def load_sources(sources: tuple[Source, ...]) -> dict[str, Workflow]:
    """The workflows of a plan, loaded once per process (a worker forked after loading finds them
    here)."""
    found = _LOADED.get(sources)
    if found is None:
        from .. import load_workflow
        from ..spec.history import load_at

        found = {}
        for s in sources:
            one = _LOADED.get((s,))
            found[s.name] = one[s.name] if one \
                else (load_at(s.path, s.rev) if s.rev else load_workflow(s.path))
        _LOADED[sources] = found
    return found


def make_plan(model_file: str | Path, workflows_dir: Path | None, seed: int | None = None,
              cases: int | None = None,
              start: date | None = None, end: date | None = None, main: Source | None = None,
              partition_cases: int = PARTITION_CASES) -> Plan:
    """Read the model against its workflow (or `main`, another version of it), find the other
    workflows it needs (set-up records, instances its effects start) in the same folder, and split
    the run."""
    from .model import load_model

    if cases is not None and not 1 <= cases <= MAX_CASES:
        raise ValueError(f"--cases is a number from 1 to {MAX_CASES:,}")
    model = load_model(model_file, workflows_dir)  # checked against the workflows folder first
    folder = Path(model.workflow_file).parent
    main = main or Source(model.workflow, model.workflow_file)
    loaded = dict(load_sources((main,)))
    if main.path != model.workflow_file or main.rev:
        model = load_model(model_file, workflows_dir, loaded)  # and against the other version
    # every workflow of the folder: the set-up's, those the effects start or signal, those whose
    # queries the guards call (the SCO records at a site)
    sources = {p.stem: Source(p.stem, str(p)) for p in sorted(folder.glob("*.yaml"))}
    sources[main.name] = main
    start, end = start or model.start, end or model.end
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    seed = model.seed if seed is None else seed
    ordered = tuple(sources[n] for n in sorted(sources))
    return Plan(model, ordered, partitions(model, seed, cases, start, end, partition_cases), seed,
                cases, start, end)


def partitions(model: Model, seed: int, cases: int | None, start: date, end: date,
               partition_cases: int = PARTITION_CASES) -> tuple[Any, ...]:
    """The run's partitions, each the cases arriving in one window of time at the model's full
    rate: their number from the expected number of cases alone, their seeds spawned. The windows
    follow one another, each holding an equal share of the expected arrivals: a number of cases
    is cut into runs of consecutive arrivals (each partition draws its own from the day its first
    case is expected), a period into spans of it (each partition's cases arrive in its span and are
    played to the period's end). So a case meets the other cases of its time, as at an office."""
    import numpy as np

    from .draw import MAX_SPAN_DAYS, expected_by_day
    from .play import Partition

    expected = cases if cases is not None else model.expected_cases(start, end)
    count = max(1, math.ceil(expected / partition_cases))
    seeds = np.random.SeedSequence(seed).spawn(count)
    # the expected arrivals up to the end of each day, from `start`
    through = expected_by_day(model, start, MAX_SPAN_DAYS, reach=cases) if cases is not None \
        else expected_by_day(model, start, (end - start).days + 1)
    if cases is not None:
        sizes = [cases // count + (1 if i < cases % count else 0) for i in range(count)]
        before = np.cumsum([0, *sizes[:-1]])
    else:
        before = np.arange(count) * (float(through[-1]) / count)
    # the day of each window's first expected case (the first window starts with the run)
    first = np.minimum(np.searchsorted(through, before, side="right"), len(through) - 1)
    first[0] = 0
    out = []
    for i, s in enumerate(seeds):
        begins = start + timedelta(days=int(first[i]))
        until = end if cases is not None or i == count - 1 \
            else start + timedelta(days=int(first[i + 1]) - 1)
        out.append(Partition(i, s, start, begins, until, end,
                             None if cases is None else sizes[i]))
    return tuple(out)


def play_partition(model: Model, sources: tuple[Source, ...], part: Any) -> Any:
    """One partition's figures (what a worker runs)."""
    from .play import play

    return play(model, load_sources(sources), part)


def _play_args(args: tuple) -> Any:
    return play_partition(*args)


def run(plan: Plan, workers: int | None = None, dask: str | None = None,
        progress: Callable[[int], None] | None = None) -> Outcome:
    """Play every partition of the plan and merge their figures; `progress` is told the cases of
    each partition as it finishes."""
    from .figures import Figures

    t0 = time.perf_counter()
    total = Figures(plan.start, (plan.end - plan.start).days + 1 if plan.cases is None else 0)
    jobs = [(plan.model, plan.sources, p) for p in plan.partitions]
    workers = max(1, workers or os.cpu_count() or 1)
    done = _on_dask(dask, jobs) if dask else _locally(jobs, workers)
    for figures in done:
        total.merge(figures)
        if progress is not None:
            progress(figures.cases)
    return Outcome(total, time.perf_counter() - t0, workers, len(jobs))


def _locally(jobs: list[tuple], workers: int) -> Iterator[Any]:
    if workers == 1 or len(jobs) == 1:
        for job in jobs:
            yield _play_args(job)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    load_sources(jobs[0][1])  # loaded once here: the forked workers find them loaded
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)),
                             mp_context=multiprocessing.get_context("fork")) as pool:
        for future in as_completed([pool.submit(_play_args, job) for job in jobs]):
            yield future.result()


def _on_dask(address: str, jobs: list[tuple]) -> Iterator[Any]:
    """The same partitions played on a Dask cluster (its workers read the workflows from the same
    paths)."""
    from dask.distributed import Client, as_completed

    with Client(address) as client:
        futures = client.map(_play_args, jobs, pure=False)
        for future in as_completed(futures):
            yield future.result()
