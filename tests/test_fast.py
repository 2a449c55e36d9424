"""The function made for an event from a status (engine.fast) decides what decide() decides: the
same Outcome when decide takes the event, nothing (None) when decide refuses it. Random walks over
every workflow, with plausible and junk data, as the all-or-nothing property walks them."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import strategies as st
from test_properties import WORKFLOWS, data_strategy, started, walks

from engine import Ambiguous, Refused, load_workflow
from engine.fast import compile_fast
from engine.instance import _EMPTY, kept_actor


def view(o: Any) -> tuple:
    """An Outcome as comparable values."""
    return (o.instance.name, o.transition, o.status, o.fields, o.trays,
            [(x.code, x.to, x.issued) for x in o.letters], o.logged, o.base is o.instance.fields,
            o.opened_trays, o.closed_trays, o.numbers, o.locked, o.step,
            [(i.name, f, logged, base is i.fields) for i, f, logged, base in o.others or ()],
            [view(s) for s in o.spawned or ()], [id(e) for e in o.skipped or ()])


@pytest.mark.parametrize("path", WORKFLOWS, ids=[p.stem for p in WORKFLOWS])
def test_the_fast_function_decides_as_decide(path):
    wf = load_workflow(path)
    seen = {"same": 0, "declined": 0, "refused": 0}

    @walks(60)
    def run(draw):
        clock, engine, case = started(wf)
        machine = engine.compiled[wf.version]
        for _ in range(draw.draw(st.integers(1, 20), label="steps")):
            possible = [o.event for o in engine.options(case) if o.allowed] or sorted(wf.events)
            name = draw.draw(st.one_of(st.sampled_from(possible), st.sampled_from(possible),
                                       st.sampled_from(sorted(wf.events))), label="event")
            data = draw.draw(data_strategy(wf, name), label="data")
            actor = draw.draw(st.sampled_from([None, {"role": "service_officer"},
                                               {"name": "J Citizen"}, {"role": "system"}]))
            clock.advance(timedelta(minutes=draw.draw(st.sampled_from([0, 1, 24 * 60,
                                                                       40 * 24 * 60]))))
            kept = _EMPTY if actor is None else kept_actor({}, actor)
            fast = compile_fast(wf, machine, name, case.status)
            made = fast(engine, case, data, kept, clock()) if fast is not None else None
            try:
                decided = engine.decide(case, name, data, actor)
            except (Refused, Ambiguous):
                assert made is None, f"{name} from {case.status}: decide refuses it"
                seen["refused"] += 1
                continue
            if made is None:  # left to decide (a locked field, say): allowed, and counted
                seen["declined"] += 1
            else:
                assert view(made) == view(decided)
                seen["same"] += 1
            engine.commit(decided)

    run()
    # worth something only if both really happened, and the function decided most taken events
    assert seen["same"] > 20 and seen["refused"] > 20, seen
    assert seen["same"] > seen["declined"], seen


def test_fire_uses_the_function_made_for_the_event_only_without_a_trace(engine):
    """Engine.fire makes the function for an event from a status the first time it is fired
    there (a refusal included), keeps it with the workflow's machine, and leaves it alone while a
    trace is set (the trace is told what decide judged)."""
    machine = engine.compiled[engine.workflows["mini"].version]
    case = engine.create("mini", "main")
    with pytest.raises(Refused):
        engine.fire(case, "save", {"applicant": "nobody"})
    assert set(machine.fast) == {("save", "New")}
    made = machine.fast[("save", "New")]
    engine.fire(case, "save", {"applicant": "payer", "lodgement_date": "2026-03-01"})
    assert machine.fast[("save", "New")] is made and case.status == "Open"
    for name in ("no_such_event", "save"):  # no transition from Open: nothing is made
        with pytest.raises(Refused):
            engine.fire(case, name)
    assert set(machine.fast) == {("save", "New")}
    engine.trace = lambda t: None
    engine.fire(case, "change")
    assert set(machine.fast) == {("save", "New")}
