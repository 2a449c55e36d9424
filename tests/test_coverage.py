"""What `procflow test --coverage` counts: each written transition once, each guard outcome as it
was evaluated, effects as applied, and only events that happened (tests/test_analysis.py has the
report of the mini scenario, the CLI's --min and the tracing hook itself)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sample_workflows import CHILD, PARENT

from cli import cli
from engine import Engine, Refused, SimulatedClock, load_workflow, load_workflow_text
from engine.coverage import Coverage, WorkflowCoverage

MULTI = Path(__file__).resolve().parent / "fixtures" / "multi" / "workflows"

FLOW = """\
workflow: flow
title: Flow
source: s
initial: New
fields:
  amount: {type: integer, source: s}
  label: {type: text, source: s}
  flag: {type: boolean, source: s}
statuses:
  New: {source: s}
  Open: {source: s}
  Held: {source: s}
  Done: {final: true, source: s}
intrays:
  WORK: {name: Work, due: 2d, source: s}
  HOLD: {name: Hold, due: 2d, source: s}
events:
  start:
    title: Start
    source: s
    transitions:
      - from: New
        to: Open
        source: s
        effects:
          - open: WORK
          - open: HOLD
  hold:
    title: Hold
    source: s
    transitions:
      - {from: Open, to: Held, source: s}
  note:
    title: Note, from two statuses with one written transition
    source: s
    data:
      label: {type: text, required: true}
      flag: {type: boolean}
    transitions:
      - from: [Open, Held]
        source: s
        effects:
          - set: {label: label, amount: len(label)}
          - set: {flag: flag}
            if: flag is not None
  finish:
    title: Finish
    source: s
    data:
      amount: {type: integer, required: true}
      label: {type: text}
    guards:
      - check: amount >= 0
        says: the amount cannot be negative
    transitions:
      - from: Open
        to: Done
        when: amount > 5
        source: s
        guards:
          - check: label is not None and len(label) > 2
            says: a long label is needed
        effects:
          - close: [WORK, HOLD]
          - set: {amount: amount}
      - from: Open
        to: Held
        when: amount <= 5
        source: s
        effects:
          - set: {amount: "'ma' + 'ny'"}  # not a literal: it fails when the event happens
"""


def flow() -> tuple[Engine, Coverage, object]:
    engine = Engine([load_workflow_text(FLOW, "flow.yaml")],
                    clock=SimulatedClock("2026-03-02 09:00"))
    cov = Coverage()
    engine.trace = cov.record
    case = engine.create("flow", "main")
    engine.fire(case, "start")
    return engine, cov, case


def only(cov: Coverage, name: str) -> WorkflowCoverage:
    [found] = [c for c in cov.results() if c.name == name]
    return found


def not_exercised(cov: Coverage, name: str, kind: str) -> list[str]:
    return [u.label for u in only(cov, name).missing() if u.kind == kind]


def test_a_transition_written_with_several_from_statuses_counts_once():
    engine, cov, case = flow()
    engine.fire(case, "note", {"label": "a"})
    engine.fire(case, "hold")
    engine.fire(case, "note", {"label": "b"})
    flow_cov = only(cov, "flow")
    assert flow_cov.figure("transitions") == (3, 5)
    assert not_exercised(cov, "flow", "transitions") == [
        "transition finish: Open -> Done never taken",
        "transition finish: Open -> Held never taken"]
    assert flow_cov.figure("statuses") == (3, 4)


def test_one_written_effect_counts_once_and_an_effect_whose_if_never_held_is_not_applied():
    engine, cov, case = flow()
    engine.fire(case, "note", {"label": "a"})
    # `set: {label, amount}` is one effect; `set: {flag}` had `if: flag is not None`, which did not
    # hold
    assert not_exercised(cov, "flow", "effects")[:1] == [
        "effect set flag of note: Open, Held -> (same status) never applied"]
    engine.fire(case, "note", {"label": "a", "flag": True})
    assert [e for e in not_exercised(cov, "flow", "effects") if " of note:" in e] == []
    # start's two opens and note's two sets, of seven written: finish's `close: [WORK, HOLD]` is one
    assert only(cov, "flow").figure("effects") == (4, 7)


def test_guard_outcomes_are_counted_as_evaluated():
    engine, cov, case = flow()
    with pytest.raises(Refused, match="the amount cannot be negative"):
        engine.fire(case, "finish", {"amount": -1, "label": "long"})
    # the event's guard refused, so no transition's guard was evaluated: neither outcome counts
    assert not_exercised(cov, "flow", "guards") == [
        "guard of event finish never passed: amount >= 0",
        "guard of transition finish: Open -> Done never passed: label is not None and "
        "len(label) > 2",
        "guard of transition finish: Open -> Done never refused: label is not None and "
        "len(label) > 2",
    ]
    with pytest.raises(Refused, match="a long label is needed"):
        engine.fire(case, "finish", {"amount": 9})  # len(None) fails: the guard does not hold
    assert not_exercised(cov, "flow", "guards") == [
        "guard of transition finish: Open -> Done never passed: label is not None and "
        "len(label) > 2"]
    engine.fire(case, "finish", {"amount": 9, "label": "long"})
    assert not_exercised(cov, "flow", "guards") == []
    assert only(cov, "flow").figure("guards") == (4, 4)


def test_an_event_refused_by_a_failing_effect_takes_no_transition_but_its_guards_were_evaluated():
    engine, cov, case = flow()
    with pytest.raises(Refused):
        # Open -> Held, whose `set: {amount: 'many'}` fails
        engine.fire(case, "finish", {"amount": 3})
    assert case.status == "Open"
    assert "transition finish: Open -> Held never taken" \
        in not_exercised(cov, "flow", "transitions")
    assert "status Held never reached" in not_exercised(cov, "flow", "statuses")
    assert "effect set amount of finish: Open -> Held never applied" \
        in not_exercised(cov, "flow", "effects")
    # the event's guard passed; Open -> Done's guard was not evaluated, its `when: amount > 5` not
    # holding
    assert not_exercised(cov, "flow", "guards") == [
        "guard of event finish never refused: amount >= 0",
        "guard of transition finish: Open -> Done never passed: label is not None and "
        "len(label) > 2",
        "guard of transition finish: Open -> Done never refused: label is not None and "
        "len(label) > 2",
    ]


def test_an_event_decided_but_never_committed_is_not_counted():
    engine, cov, case = flow()
    engine.decide(case, "hold")  # what would happen: nothing has
    assert "transition hold: Open -> Held never taken" in not_exercised(cov, "flow", "transitions")
    assert "status Held never reached" in not_exercised(cov, "flow", "statuses")
    engine.fire(case, "hold")
    assert "transition hold: Open -> Held never taken" \
        not in not_exercised(cov, "flow", "transitions")
    assert "status Held never reached" not in not_exercised(cov, "flow", "statuses")


def multi() -> tuple[Engine, Coverage, object]:
    engine = Engine([load_workflow(MULTI / f"{n}.yaml") for n in ("case", "contact", "officer")],
                    clock=SimulatedClock("2026-03-02 09:00"))
    cov = Coverage()
    engine.trace = cov.record
    case = engine.create("case", "main")
    engine.fire(case, "save", {"case_number": "C1", "applicant": "payer", "other": "payee"})
    engine.fire(case, "hand_over")
    engine.fire(case, "hand_over")
    return engine, cov, case


def test_an_event_signalled_on_another_instance_counts_only_when_the_signalling_event_happens():
    engine, cov, case = multi()
    first, second = engine.instances["main.contact"], engine.instances["main.contact-2"]
    engine.fire(second, "lock_customer", actor={"area": "Agreements"})
    # close_contact is decided on the first contact, then refused on the second: nothing happens
    # anywhere
    with pytest.raises(Refused, match="a locked customer's contact stays open"):
        engine.fire(case, "settle")
    assert (first.status, second.status) == ("Open", "Open")
    assert "transition close_contact: Open -> Closed never taken" \
        in not_exercised(cov, "contact", "transitions")
    assert "status Closed never reached" in not_exercised(cov, "contact", "statuses")
    assert "transition settle: Open -> Done never taken" \
        in not_exercised(cov, "case", "transitions")
    # the guards were evaluated all the same: passed on the first contact, refused on the second
    assert not [g for g in not_exercised(cov, "contact", "guards") if "not locked" in g]

    engine, cov, case = multi()
    engine.fire(case, "settle")
    assert engine.instances["main.contact"].status == "Closed"
    assert "transition close_contact: Open -> Closed never taken" \
        not in not_exercised(cov, "contact", "transitions")
    assert "status Closed never reached" not in not_exercised(cov, "contact", "statuses")
    assert "effect signal contact of settle: Open -> Done never applied" \
        not in not_exercised(cov, "case", "effects")


def test_an_instance_started_by_a_refused_event_is_not_counted(tmp_path):
    (tmp_path / "parent.yaml").write_text(PARENT)
    (tmp_path / "child.yaml").write_text(CHILD)
    engine = Engine([load_workflow(tmp_path / "parent.yaml"),
                     load_workflow(tmp_path / "child.yaml")],
                    clock=SimulatedClock("2026-03-02 09:00"))
    cov = Coverage()
    engine.trace = cov.record
    parent = engine.create("parent", "main")
    with pytest.raises(Refused):
        # the child is started, then the parent's set fails
        engine.fire(parent, "go", {"fail": True})
    assert list(engine.instances) == ["main"]
    assert not_exercised(cov, "child", "transitions") \
        == ["transition open: New -> Opened never taken"]
    assert not_exercised(cov, "child", "statuses") == ["status Opened never reached"]
    engine.fire(parent, "go")
    assert engine.instances["main.child"].status == "Opened"
    assert not_exercised(cov, "child", "transitions") == []
    assert only(cov, "child").figure("statuses") == (2, 2)


def test_a_workflow_no_scenario_fires_on_is_reported_and_fails_min(tmp_path):
    """A workflow a scenario loads but never fires an event on is 0% covered, so --min catches
    it."""
    (tmp_path / "workflows").mkdir()
    (tmp_path / "workflows" / "child.yaml").write_text(CHILD)
    (tmp_path / "s.yaml").write_text("scenario: nothing fired\nworkflow: child\n"
                                     "clock: 2026-03-02 09:00\n"
                                     "steps:\n  - expect: {status: New}\n")
    result = CliRunner().invoke(cli, ["test", str(tmp_path / "s.yaml"), "--min", "50", "--json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    (child,) = [c for c in report["coverage"] if c["workflow"] == "child"]
    assert child["transitions"]["covered"] == 0
