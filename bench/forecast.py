"""`make bench` (forecast part): models/coa.yaml played through the full path at growing sizes.

Each size is a whole `procflow forecast` run in this process's API (partitions on every core,
figures merged), timed from the plan to the merged figures. Reported per size: seconds, cases/s,
events/s (accepted events of the cases and of the overnight run), events/s per core (wall time),
events per CPU-second of the processes that played (what a core does while it runs them: the figure
to read when the machine is shared with other work), and the peak resident memory of the parent and
of the largest worker (ru_maxrss). Next to them, from the same run, the
hand-written `transitions` machine of bench/baseline.py (the plain state machine, one core, no
engine): its events/s is the limit a played event is measured against.

The scaling is the cost per case at each size against the smallest. The goal (1,000,000 cases in
at most 60 s, at most 1 GiB in any process) is measured by default, and the output says whether it
is met; with --sizes leaving out 1,000,000 (a quick look), the time is extrapolated linearly from
the largest size and said so.
"""
from __future__ import annotations

import os
import resource
import sys
from datetime import date, datetime
from pathlib import Path

import click
from baseline import run_baseline  # bench/ is sys.path[0]

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "coa.yaml"
GOAL_CASES, GOAL_SECONDS, GOAL_MIB = 1_000_000, 60.0, 1024


def _maxrss_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux: KiB


def _cpu_seconds() -> float:
    """CPU seconds used so far by this process and by its children that have ended (the pool's
    workers)."""
    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                  resource.getrusage(resource.RUSAGE_CHILDREN)))


def play(cases: int, workers: int) -> dict:
    from engine.forecast.run import load_sources, make_plan, run

    plan = make_plan(MODEL, None, cases=cases)
    # the workflows are read once, before the timing (as a worker finds them)
    load_sources(plan.sources)
    cpu = _cpu_seconds()
    out = run(plan, workers=workers)
    # the workers' (ended with the run's pool), or this process's with 1 worker
    cpu = _cpu_seconds() - cpu
    f = out.figures
    events = sum(f.events.values()) + sum(f.nightly.values())
    return {"cases": f.cases, "seconds": out.seconds, "events": events,
            "partitions": out.partitions,
            "events_per_s": events / out.seconds,
            "events_per_s_core": events / out.seconds / workers,
            "events_per_cpu_s": events / cpu, "refusals": sum(f.refusals.values())}


@click.command(help=__doc__.splitlines()[0])
@click.option("--sizes", default="10000,100000,1000000", show_default=True,
              help="Numbers of cases, comma-separated (10000,40000 for a quick look).")
@click.option("--workers", type=click.IntRange(1), default=None,
              help="Worker processes (default: all cores).")
def main(sizes: str, workers: int | None) -> None:
    workers = workers or os.cpu_count() or 1
    counts = [int(s) for s in sizes.split(",") if s.strip()]
    base = run_baseline(20_000, date(2026, 3, 2), datetime(2026, 3, 2, 9), gc_enabled=True)
    baseline_eps = base["events"] / base["seconds"]
    print(f"forecast bench: {MODEL.relative_to(ROOT)}, {workers} worker(s), Python "
          f"{sys.version.split()[0]}")
    print("hand-written transitions machine (bench/baseline.py, 1 core): "
          f"{baseline_eps:,.0f} events/s")
    print(f"{'cases':>10} {'parts':>5} {'seconds':>8} {'cases/s':>8} {'events/s':>9} "
          f"{'ev/s/core':>9} {'vs machine':>10} {'us/case':>8} {'ev/cpu-s':>8}")
    rows = []
    for n in counts:
        r = play(n, workers)
        r["us_per_case"] = r["seconds"] / r["cases"] * 1e6
        rows.append(r)
        print(f"{r['cases']:>10,} {r['partitions']:>5} {r['seconds']:>8.2f} "
              f"{r['cases'] / r['seconds']:>8,.0f} {r['events_per_s']:>9,.0f} "
              f"{r['events_per_s_core']:>9,.0f} {r['events_per_s_core'] / baseline_eps:>9.3f}x "
              f"{r['us_per_case']:>8.1f} {r['events_per_cpu_s']:>8,.0f}")
    first, last = rows[0], rows[-1]
    scaling = last["us_per_case"] / first["us_per_case"]
    print(f"scaling {first['cases']:,} -> {last['cases']:,} cases: {scaling:.2f}x the cost per "
          "case (1.00 = linear)")
    measured = next((r for r in rows if r["cases"] == GOAL_CASES), None)
    if measured is not None:
        print(f"1,000,000 cases: {measured['seconds']:.1f} s measured (goal <= "
              f"{GOAL_SECONDS:.0f} s)")
    else:
        estimate = last["us_per_case"] * GOAL_CASES / 1e6
        print(f"1,000,000 cases: about {estimate:.0f} s, extrapolated linearly from "
              f"{last['cases']:,} (not measured: the default sizes measure it; goal <= "
              f"{GOAL_SECONDS:.0f} s)")
    parent, child = _maxrss_mib(resource.RUSAGE_SELF), _maxrss_mib(resource.RUSAGE_CHILDREN)
    print(f"peak resident memory: parent {parent:.0f} MiB, largest worker {child:.0f} MiB "
          f"(goal <= {GOAL_MIB} MiB; a worker holds one partition of about 2,000 cases at a time)")
    if measured is not None:
        met = measured["seconds"] <= GOAL_SECONDS and max(parent, child) <= GOAL_MIB
        print(f"goal {'met' if met else 'NOT met'}: 1,000,000 cases in {measured['seconds']:.1f} s "
              f"(<= {GOAL_SECONDS:.0f} s), at most {max(parent, child):.0f} MiB in one process "
              f"(<= {GOAL_MIB} MiB)")
    print(f"events_per_s_per_core={last['events_per_s_core']:.0f}")
    print(f"events_per_cpu_s={last['events_per_cpu_s']:.0f}   # what a core did when it ran: read "
          "it on a shared machine")
    print(f"ratio_vs_machine={last['events_per_s_core'] / baseline_eps:.3f}")
    print(f"scaling={scaling:.2f}")


if __name__ == "__main__":
    main()
