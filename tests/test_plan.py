"""plan: a transition's effects as applied, consecutive set: effects under one if: compiled into one
call."""
from __future__ import annotations

from engine import load_workflow_text
from engine.plan import Assignments, steps

WORKFLOW = """
workflow: p
title: Plan
source: test
initial: A
fields:
  n: {type: integer, source: test}
  m: {type: integer, source: test}
  k: {type: integer, source: test}
statuses:
  A: {source: test}
events:
  go:
    title: Go
    source: test
    transitions:
      - from: A
        source: test
        effects:
          - set: {n: n + 1, m: 2}
          - set: {k: 3}
            if: n > 1
          - open: W
          - set: {k: 4}
intrays:
  W: {name: Work, due: 1d, source: test}
"""


def test_runs_of_sets_under_one_if_are_one_call_and_a_lone_set_stays_an_effect():
    wf = load_workflow_text(WORKFLOW)
    [tr] = wf.events["go"].transitions
    plan = steps(tr, wf)
    assert [type(p).__name__ if isinstance(p, Assignments) else p.kind for p in plan] == [
        "Assignments", "set", "open", "set"]
    run = plan[0]
    assert run.targets == {"n", "m"} and run.when is None
    # n: n + 1 reads a field it sets: put back before the effects are done again
    assert run.saved == ("n",)


def test_a_compiled_run_does_what_the_effects_do_one_by_one():
    wf = load_workflow_text(WORKFLOW)
    run = steps(wf.events["go"].transitions[0], wf)[0]
    fields = {"n": 1}
    run.fn({}, fields, None)
    assert fields == {"n": 2, "m": 2}
