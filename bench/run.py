"""`make bench`: procflow's per-event cost on the COA path against a hand-written `transitions`
machine.

Every case is played through the same full path of `workflows/coa.yaml`: save, record the case
assessment, allocate a decision maker, App to Proceed, a contact, finalise as Var-Increase with
Reason 8 (opens COADECVR and COAR8INC), refer for amendment and decide the amendment
(Var-Decrease, opens COADECVR). Every case is checked afterwards: status, open intrays, history.

- Timing: baseline and procflow passes are interleaved (baseline, procflow, ...), GC on for both,
  garbage collected before each pass; the ratio uses each side's median us/event. procflow's cost
  includes `engine.create` (the baseline's models are attached before its timing starts). The
  progress bar (stderr) is updated between batches of cases, outside the timed sections.
- Creation: a separate pass times each `engine.create` alone, while the engine fills up with played
  cases; a second one creates cases without playing them (the registry alone), and a plain Python
  loop doing the same registration while keeping as much memory per case shows the drift any growing
  heap has.
- Memory: a separate pass under tracemalloc, creating and playing instances that are kept alive.

The last three lines of the output are `events_per_s=`, `ratio_vs_transitions=`,
`kib_per_instance=`.
"""
from __future__ import annotations

import gc
import os
import platform
import statistics
import sys
import tracemalloc
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from time import perf_counter_ns
from typing import Any

import click
from baseline import EXPECTED_CLOSED, EXPECTED_OPEN, run_baseline  # bench/ is sys.path[0]

from engine import Engine, Instance, SimulatedClock, load_workflow
from engine.model import Workflow

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / "workflows" / "coa.yaml"
SCO_WORKFLOW = ROOT / "workflows" / "sco.yaml"  # the allocation checks the officer's SCO record
# a Var-Increase due to Reason 8 starts a CMA contact
CMA_WORKFLOW = ROOT / "workflows" / "cma.yaml"
MOMENT = "2026-03-02 09:00"
BATCH = 1000  # cases between two progress-bar updates
CREATION_WINDOW = 1000  # the first and the last this many instances are compared
MEMORY_CASES = 2000
# the allocated officer: closes COAINCON
ACTOR: dict[str, Any] = {"name": "officer-2", "role": "SCO"}

Steps = list[tuple[str, dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class Run:
    events: int
    ns: int

    @property
    def us_per_event(self) -> float:
        return self.ns / 1e3 / self.events


@dataclass(frozen=True, slots=True)
class Creation:
    """us per `engine.create`: mean and median over the first and the last instances."""

    first_mean: float
    last_mean: float
    first_median: float
    last_median: float


def coa_path(today: date) -> Steps:
    """The 8 events of the path with their data, prepared once (the engine copies what it keeps)."""
    return [
        ("save_application", {"applicant": "payee", "lodgement_date": today - timedelta(days=20),
                              "reasons": [{"reason": 8, "sub_reason": "a"}]}),
        ("record_case_assessment", {"case_assessment": "Complex"}),
        ("allocate_decision_maker",
         {"coa_site": "Hobart", "officer": "officer-2", "officer_level": "SCO"}),
        ("set_application_status", {"application_status": "App to Proceed", "complete": True,
                                    "eligible": True}),
        ("record_contact", {"customer": "payer", "action": "contact",
                            "phone_number": "0400 000 000",
                            "outcome": "Successful"}),
        ("finalise", {"outcome": "Var-Increase", "ntd_return_date": today - timedelta(days=5),
                      "outcome_date": today, "parental_agreement": "SCO decision",
                      "successful_reasons": [8]}),
        ("refer_for_amendment", {"decision_maker": "officer-3", "referred_date": today}),
        ("decide_amendment", {"decision": "Amend and Change", "decision_date": today,
                              "outcome": "Var-Decrease",
                              "parental_agreement": "SCO decision"}),
    ]


def check(instances: list[Instance], path: Steps) -> int:
    """Every case ended where the path leads; the number of events recorded in their histories."""
    names = [name for name, _ in path]
    events = 0
    for inst in instances:
        assert inst.status == "Var-Decrease", (inst.name, inst.status)
        assert [t.code for t in inst.intrays if t.closed is None] == EXPECTED_OPEN, inst.name
        assert {t.code for t in inst.intrays if t.closed is not None} == EXPECTED_CLOSED, inst.name
        assert [h.event for h in inst.history] == names, inst.name
        events += len(inst.history)
    return events


def new_engine(wfs: list[Workflow], clock: SimulatedClock) -> Engine:
    """An engine holding the COA and SCO workflows and the SCO record of the officer the path
    allocates."""
    engine = Engine(wfs, clock=clock)
    record = engine.create("sco", "sco-record")
    engine.fire(record, "create_record",
                {"coa_site": "Hobart", "name": "officer-2", "start_date": "2026-01-01"})
    return engine


def cases(engine: Engine) -> list[Instance]:
    return [i for i in engine.instances.values() if i.workflow.name == "coa"]


def play_procflow(wfs: list[Workflow], clock: SimulatedClock, path: Steps, n_cases: int,
                  bar: Any) -> Run:
    """Create and play `n_cases` instances on a fresh engine; time everything but the bar."""
    engine = new_engine(wfs, clock)
    create, fire, actor = engine.create, engine.fire, ACTOR
    gc.collect()
    elapsed = 0
    for start in range(0, n_cases, BATCH):
        batch = range(min(BATCH, n_cases - start))
        t0 = perf_counter_ns()
        for _ in batch:
            inst = create("coa")
            for name, data in path:
                fire(inst, name, data, actor)
        elapsed += perf_counter_ns() - t0
        bar.update(len(batch))
    events = check(cases(engine), path)
    assert len(cases(engine)) == n_cases and events == n_cases * len(path), events
    return Run(events, elapsed)


def play_baseline(n_cases: int, today: date, now: datetime, bar: Any) -> Run:
    result = run_baseline(n_cases, today, now, gc_enabled=True)  # collects garbage, then times
    bar.update(n_cases)
    return Run(int(result["events"]), round(result["seconds"] * 1e9))


def _window(costs: list[int]) -> Creation:
    k = min(CREATION_WINDOW, len(costs))
    first, last = costs[:k], costs[-k:]
    return Creation(sum(first) / 1e3 / k, sum(last) / 1e3 / k,
                    statistics.median(first) / 1e3, statistics.median(last) / 1e3)


def creation_costs(wfs: list[Workflow], clock: SimulatedClock, path: Steps, n_cases: int,
                   bar: Any, play: bool = True) -> Creation:
    """us per `engine.create` over the first and the last CREATION_WINDOW of `n_cases` cases, each
    played through the path after it is created (or, with play=False, only created: the registry
    alone)."""
    engine = new_engine(wfs, clock)
    create, fire, actor = engine.create, engine.fire, ACTOR
    costs = [0] * n_cases
    gc.collect()
    for start in range(0, n_cases, BATCH):
        stop = min(start + BATCH, n_cases)
        for i in range(start, stop):
            t0 = perf_counter_ns()
            inst = create("coa")
            costs[i] = perf_counter_ns() - t0
            if play:
                for name, data in path:
                    fire(inst, name, data, actor)
        bar.update(stop - start)
    if play:
        check(cases(engine), path)
    return _window(costs)


class _Record:
    __slots__ = ("name", "workflow", "status", "fields", "trays", "letters", "log", "locked")

    def __init__(self, name: str):
        self.name, self.workflow, self.status, self.fields = name, None, "New", {}
        self.trays = self.letters = self.log = ()
        self.locked = {}


def reference_drift(n_cases: int, kib_per_case: float) -> Creation:
    """The same drift measured on plain Python, for reference: an object of eight slots registered
    in two dictionaries by a new name (what `engine.create` does), then about `kib_per_case` KiB of
    small dicts and lists kept (what playing a case keeps). Only the registration is timed."""
    registry: dict[str, _Record] = {}
    by_kind: dict[str, _Record] = {}
    kept: list[Any] = []
    per_case = max(1, round(kib_per_case * 1024 / 250))  # a small dict with a list: about 250 bytes
    costs = [0] * n_cases
    gc.collect()
    for i in range(n_cases):
        t0 = perf_counter_ns()
        name = f"case-{len(registry) + 1}"
        if name in registry:
            raise AssertionError(name)
        record = registry[name] = _Record(name)
        by_kind[name] = record
        costs[i] = perf_counter_ns() - t0
        kept.append([{"n": j, "items": [j]} for j in range(per_case)])
    return _window(costs)


def memory_per_instance(wfs: list[Workflow], clock: SimulatedClock, path: Steps,
                        n_cases: int) -> float:
    """Traced bytes per created and played instance (history included), kept alive, in KiB."""
    engine = new_engine(wfs, clock)
    warm = engine.create("coa", "warm-up")  # shared caches (lock maps) are not per instance
    for name, data in path:
        engine.fire(warm, name, data, ACTOR)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(n_cases):
            inst = engine.create("coa")
            for name, data in path:
                engine.fire(inst, name, data, ACTOR)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    check([i for i in cases(engine) if i.name != "warm-up"], path)
    return (after - before) / n_cases / 1024


@click.command(help=__doc__.splitlines()[0])
@click.option("--cases", type=click.IntRange(1), default=20000, show_default=True,
              help="Cases per pass.")
@click.option("--repeats", type=click.IntRange(1), default=3, show_default=True,
              help="Interleaved baseline/procflow pass pairs.")
@click.option("--quick", is_flag=True, help="2,000 cases, 1 repeat (CI smoke test).")
def main(cases: int, repeats: int, quick: bool) -> None:
    if quick:
        cases, repeats = 2000, 1
    wfs = [load_workflow(WORKFLOW), load_workflow(SCO_WORKFLOW), load_workflow(CMA_WORKFLOW)]
    clock = SimulatedClock(MOMENT)
    now = clock.now
    today = now.date()
    path = coa_path(today)
    baseline: list[Run] = []
    procflow: list[Run] = []
    warm = min(BATCH, cases)
    with click.progressbar(length=2 * warm + (2 * repeats + 2) * cases, label="playing COA cases",
                           file=sys.stderr) as bar:
        play_baseline(warm, today, now, bar)  # warm-up, not counted
        play_procflow(wfs, clock, path, warm, bar)
        for _ in range(repeats):
            baseline.append(play_baseline(cases, today, now, bar))
            procflow.append(play_procflow(wfs, clock, path, cases, bar))
        created = creation_costs(wfs, clock, path, cases, bar)
        registry_only = creation_costs(wfs, clock, path, cases, bar, play=False)
    kib = memory_per_instance(wfs, clock, path, min(MEMORY_CASES, cases))
    reference = reference_drift(cases, kib)

    base_us = statistics.median(r.us_per_event for r in baseline)
    proc_us = statistics.median(r.us_per_event for r in procflow)
    k = min(CREATION_WINDOW, cases)
    print(f"python={platform.python_version()} ({platform.python_implementation()})"
          f" machine={platform.processor() or platform.machine()} cpus={os.cpu_count()}")
    print(f"cases={cases} events_per_case={len(path)} events={procflow[0].events} repeats={repeats}"
          f" gc=on memory_cases={min(MEMORY_CASES, cases)}")
    print("transitions_us_per_event=" + ", ".join(f"{r.us_per_event:.2f}" for r in baseline)
          + f" (median {base_us:.2f})")
    print("procflow_us_per_event=" + ", ".join(f"{r.us_per_event:.2f}" for r in procflow)
          + f" (median {proc_us:.2f}, instance creation included)")
    print(f"create_us_first_{k}={created.first_mean:.3f} create_us_last_{k}={created.last_mean:.3f}"
          f" (medians {created.first_median:.3f} / {created.last_median:.3f})")
    print(f"creation_ratio_last_vs_first={created.last_mean / created.first_mean:.2f}"
          f" (medians {created.last_median / created.first_median:.2f}; created without playing:"
          f" {registry_only.last_median / registry_only.first_median:.2f}; plain Python "
          "registering a record"
          f" while keeping {kib:.1f} KiB a case: "
          f"{reference.last_median / reference.first_median:.2f})")
    print(f"events_per_s={round(1e6 / proc_us)}")
    print(f"ratio_vs_transitions={proc_us / base_us:.2f}")
    print(f"kib_per_instance={kib:.2f}")


if __name__ == "__main__":
    main()
