"""machine: a workflow compiled once, when it is held: the dispatch table, each transition's plan,
lock maps."""
from __future__ import annotations

from engine.instance import _EMPTY
from engine.machine import compile_machine
from engine.plan import Assignments


def test_the_table_files_each_transition_by_event_and_source_in_declaration_order(mini):
    machine = compile_machine(mini)
    assert set(machine.table) == {(tr.event, s) for tr in mini.transitions() for s in tr.sources}
    decide = [step.transition for step in machine.table[("decide", "Open")]]
    assert [tr.target for tr in decide] == ["Granted", "Refused"]
    assert ("save", "Open") not in machine.table  # no transition: the event is unavailable there


def test_a_step_holds_its_plan_and_the_fields_it_changes(mini):
    [save] = compile_machine(mini).table[("save", "New")]
    assert save.changes == {"number", "applicant", "lodgement_date", "due_date"}
    kinds = [ef.__class__.__name__ if isinstance(ef, Assignments) else ef.kind
             for ef in save.effects]
    assert kinds == ["number", "Assignments", "open"]  # the three set: fields in one call
    assert save.indexed == ()  # no query of mini matches on a field


def test_the_guards_verdicts_when_all_hold_are_compiled(mini):
    machine = compile_machine(mini)
    assert machine.held["save"] == tuple((g, True) for g in mini.events["save"].guards)
    [granted, _] = machine.table[("decide", "Open")]
    assert granted.held == tuple((g, True) for g in granted.transition.guards)


def test_lock_maps_are_shared_and_keep_the_first_event_that_locked(mini):
    machine = compile_machine(mini)
    after = machine.locked_after(_EMPTY, "save")
    assert after is machine.locked_after(_EMPTY, "save")
    assert set(after) == {"applicant", "lodgement_date"}
    assert after["applicant"].startswith("'Save the application'")
    assert machine.locked_after(after, "save") is after  # saving again locks nothing new


def test_each_step_is_listed_once(mini):
    steps = compile_machine(mini).steps()
    assert len(steps) == len(list(mini.transitions()))
