"""Property: random sequences of events with random, often invalid, data never half-happen.

For every workflow in workflows/: a refused event leaves the instance's JSON identical, and an
accepted one appends exactly one history entry (and changes nothing it should not: the earlier
history, letters and closed intrays stay as they were).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import Ambiguous, Refused, load_workflow
from engine.clock import SimulatedClock
from engine.model import FieldSpec, Workflow
from engine.runtime import Engine

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / "workflows").glob("*.yaml")) \
    + [ROOT / "tests/fixtures/workflows/mini.yaml"]
START = datetime(2026, 3, 2, 9, 0)
JUNK = st.one_of(st.none(), st.text(max_size=5), st.integers(-3, 3), st.booleans(),
                 st.just("2026-02-30"))


def examples(floor: int) -> int:
    """The number of examples: this test's own `floor` under the default profile, the profile's when
    that asks for more (HYPOTHESIS_PROFILE=long, registered in conftest.py)."""
    return max(floor, settings.default.max_examples)


def value_for(spec: FieldSpec, wf: Workflow) -> st.SearchStrategy:
    """Mostly plausible values of the field's type, sometimes junk."""
    if spec.type == "choice" and spec.list in wf.lists:
        good = st.sampled_from(wf.lists[spec.list].values)
    elif spec.type == "date":
        good = st.dates(date(2026, 2, 1), date(2026, 3, 4)).map(lambda d: d.isoformat())
    elif spec.type == "datetime":
        good = st.datetimes(datetime(2026, 2, 1), datetime(2026, 3, 4)).map(lambda d: d.isoformat())
    elif spec.type == "boolean":
        good = st.booleans()
    elif spec.type == "integer":
        good = st.integers(0, 10)
    elif spec.type == "list" and spec.record is not None:
        record = st.fixed_dictionaries({r.name: value_for(r, wf) for r in spec.record
                                        if r.required},
                                       optional={r.name: value_for(r, wf) for r in spec.record
                                                 if not r.required})
        good = st.lists(record, max_size=3)
    elif spec.type == "list" and spec.of is not None:
        good = st.lists(value_for(spec.of, wf), max_size=3)
    else:
        good = st.sampled_from(["payee", "payer", "J Citizen", "Brisbane", "a"])
    return st.one_of(good, good, good, good, good, JUNK)


def data_strategy(wf: Workflow, name: str) -> st.SearchStrategy:
    event = wf.events[name]
    data = st.fixed_dictionaries({d.name: value_for(d, wf) for d in event.data if d.required},
                                 optional={d.name: value_for(d, wf) for d in event.data
                                           if not d.required})
    extra = st.one_of(st.just({}), st.just({}), st.just({}),
                      st.dictionaries(st.sampled_from(["bogus"]), JUNK))
    return st.builds(lambda d, e: {**d, **e}, data, extra)


def walks(floor: int) -> Any:
    """A random walk's test: hypothesis draws as it goes, `floor` examples at least (see
    examples)."""
    def wrap(fn: Any) -> Any:
        return settings(max_examples=examples(floor), deadline=None,
                        suppress_health_check=[HealthCheck.too_slow])(given(st.data())(fn))
    return wrap


def started(wf: Workflow) -> tuple[SimulatedClock, Engine, Any]:
    """A new instance of the workflow on its own engine, the clock at START."""
    clock = SimulatedClock(START)
    engine = Engine([wf], clock=clock)
    return clock, engine, engine.create(wf.name, "main")


@pytest.mark.parametrize("path", WORKFLOWS, ids=[p.stem for p in WORKFLOWS])
def test_events_are_all_or_nothing(path):
    wf = load_workflow(path)
    seen = {"accepted": 0, "refused": 0}

    @walks(150)
    def run(draw):
        clock, engine, case = started(wf)
        accepted = 0
        for _ in range(draw.draw(st.integers(1, 25), label="steps")):
            # mostly an event that the status allows now, so that cases progress; sometimes any
            # event
            possible = [o.event for o in engine.options(case) if o.allowed] or sorted(wf.events)
            name = draw.draw(st.one_of(st.sampled_from(possible), st.sampled_from(possible),
                                       st.sampled_from(possible),
                                       st.sampled_from(sorted(wf.events))), label="event")
            data = draw.draw(data_strategy(wf, name), label="data")
            actor = draw.draw(st.sampled_from([None, {"role": "service_officer"},
                                               {"name": "J Citizen"}]))
            clock.advance(timedelta(minutes=draw.draw(st.sampled_from([0, 0, 0, 1, 30, 24 * 60,
                                                                       3 * 24 * 60]))))
            before = engine.state(case)
            try:
                engine.fire(case, name, data, actor)
            except (Refused, Ambiguous):
                assert engine.state(case) == before
                seen["refused"] += 1
                continue
            accepted += 1
            seen["accepted"] += 1
            after = engine.state(case)
            assert after["history"][:-1] == before["history"]
            assert len(after["history"]) == len(before["history"]) + 1
            assert after["letters"][: len(before["letters"])] == before["letters"]
            was_closed = [i for i in before["intrays"] if i["state"] == "closed"]
            assert all(i in after["intrays"] for i in was_closed)
        assert len(case.history) == accepted

    run()
    # the property is only worth something if both kinds of event really happened
    assert seen["accepted"] > 20 and seen["refused"] > 20, seen


@pytest.mark.parametrize("path", WORKFLOWS, ids=[p.stem for p in WORKFLOWS])
def test_refuses_only_what_decide_refuses(path):
    """Engine.refuses (what a schedule's run passes over without deciding) is True only for an event
    that decide refuses, without data, as the instance stands; Engine.screen, made once for an event
    and an actor, says the same."""
    wf = load_workflow(path)
    seen = {"refuses": 0, "decided": 0}

    @walks(40)
    def run(draw):
        clock, engine, case = started(wf)
        for _ in range(draw.draw(st.integers(1, 15), label="steps")):
            actor = draw.draw(st.sampled_from([None, {"role": "system"},
                                               {"role": "service_officer"}]))
            for name in sorted(wf.events):
                refused = engine.refuses(case, name, actor)
                assert engine.screen(wf.name, name, actor)(case) is refused
                if refused:
                    seen["refuses"] += 1
                    with pytest.raises((Refused, Ambiguous)):
                        engine.decide(case, name, None, actor)
                else:
                    seen["decided"] += 1
            possible = [o.event for o in engine.options(case) if o.allowed] or sorted(wf.events)
            name = draw.draw(st.sampled_from(possible), label="event")
            clock.advance(timedelta(minutes=draw.draw(st.sampled_from([0, 30, 24 * 60,
                                                                       3 * 24 * 60]))))
            try:
                engine.fire(case, name, draw.draw(data_strategy(wf, name), label="data"), actor)
            except (Refused, Ambiguous):
                continue

    run()
    assert seen["refuses"] > 20 and seen["decided"] > 20, seen
