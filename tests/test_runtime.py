"""The runtime: atomic events, guards and refusals, ambiguity, locks, intrays, history, explain."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from engine import Ambiguous, Refused, load_workflow_text
from engine.clock import SimulatedClock
from engine.runtime import Engine


def saved(engine):
    case = engine.create("mini", "main")
    engine.fire(case, "save", {"applicant": "payer", "lodgement_date": "2026-03-01"})
    return case


def test_save_sets_fields_numbers_and_opens_intray(engine):
    case = saved(engine)
    assert case.status == "Open"
    assert case.fields["number"] == 1
    assert case.fields["lodgement_date"] == date(2026, 3, 1)
    assert case.fields["due_date"] == date(2026, 4, 5)
    [work] = case.open_intrays()
    assert (work.code, work.due) == ("WORK", datetime(2026, 3, 4, 9, 0))


def test_numbers_are_unique_across_instances(engine):
    first, second = saved(engine), engine.create("mini", "other")
    engine.fire(second, "save", {"applicant": "payee"})
    assert (first.fields["number"], second.fields["number"]) == (1, 2)


def test_default_is_today(engine):
    case = engine.create("mini")
    engine.fire(case, "save", {"applicant": "payee"})
    assert case.fields["lodgement_date"] == date(2026, 3, 2)


@pytest.mark.parametrize("data, says", [
    ({"applicant": "payer", "lodgement_date": "2026-03-03"}, "cannot be in the future"),
    ({"lodgement_date": "2026-03-01"}, "required"),
    ({"applicant": "nobody"}, "should be one of payee, payer"),
    ({"applicant": "payer", "lodgement_date": "1 March"}, "should be a date"),
    ({"applicant": "payer", "colour": "red"}, "no data field 'colour'"),
])
def test_refusals_change_nothing(engine, data, says):
    case = engine.create("mini", "main")
    before = engine.state(case)
    with pytest.raises(Refused) as info:
        engine.fire(case, "save", data)
    assert says in str(info.value)
    assert engine.state(case) == before
    assert engine.sequences == {}


def test_boundary_today_is_accepted(engine):
    case = engine.create("mini")
    engine.fire(case, "save", {"applicant": "payer", "lodgement_date": "2026-03-02"})
    assert case.status == "Open"


def test_locked_field_cannot_change(engine):
    case = saved(engine)
    before = engine.state(case)
    with pytest.raises(Refused, match="cannot be changed after 'Save the application'"):
        engine.fire(case, "change", {"applicant": "payee"})
    assert engine.state(case) == before
    engine.fire(case, "change", {"applicant": "payer", "note": "same value is fine"})
    assert case.fields["notes"] \
        == [{"text": "same value is fine", "at": datetime(2026, 3, 2, 9, 0)}]


def test_unavailable_event_says_why(engine):
    case = saved(engine)
    assert engine.explain(case, "save", {"applicant": "payer"}) \
        == ["The application has already been saved"]
    option = engine.option(case, "save")
    assert not option.allowed


def test_when_selects_and_guard_refuses_with_its_sentence(engine):
    case = saved(engine)
    engine.fire(case, "wait", {"party": "payee"})
    assert engine.explain(case, "decide", {"outcome": "Granted"}) \
        == ["nothing may be awaited when granting"]
    assert engine.explain(case, "decide", {"outcome": "Refused"}) == []
    assert engine.option(case, "decide").allowed  # Refused is still possible


def test_a_refusal_names_where_its_guard_is_written(engine):
    case = saved(engine)
    engine.fire(case, "wait", {"party": "payee"})
    with pytest.raises(Refused) as info:
        engine.fire(case, "decide", {"outcome": "Granted"})
    [where] = info.value.detail
    lines = Path(where["file"]).read_text(encoding="utf-8").splitlines()
    assert where["says"] == "nothing may be awaited when granting"
    assert where["file"].endswith("mini.yaml") \
        and "nothing may be awaited" in lines[where["line"] - 1] + lines[where["line"]]


def test_one_intray_per_party(engine):
    case = saved(engine)
    engine.fire(case, "wait", {"party": "payee"})
    engine.fire(case, "wait", {"party": "payer", "due": "2026-03-20"})
    with pytest.raises(Refused, match="one wait per party"):
        engine.fire(case, "wait", {"party": "payee"})
    waits = sorted((i.about, i.due) for i in case.open_intrays() if i.code == "WAIT")
    assert waits == [("payee", datetime(2026, 3, 9, 9, 0)), ("payer", datetime(2026, 3, 20, 9, 0))]


def test_closing_keeps_the_record_and_the_old_one_untouched(engine):
    case = saved(engine)
    old = case.intrays[0]
    engine.fire(case, "decide", {"outcome": "Refused"})
    assert old.closed is None  # records are never changed in place
    assert [(i.code, i.closed) for i in case.intrays] == [("WORK", datetime(2026, 3, 2, 9, 0))]
    assert case.open_intrays() == []


def test_overdue_only_strictly_after_due(engine):
    case = saved(engine)
    clock = engine.clock
    clock.set(datetime(2026, 3, 4, 9, 0))
    assert case.overdue(clock()) == []
    clock.advance(timedelta(minutes=1))
    assert [i.code for i in case.overdue(clock())] == ["WORK"]


def test_history_entry_per_accepted_event(engine):
    case = saved(engine)
    engine.fire(case, "decide", {"outcome": "Grant"}, actor={"role": "officer"})
    entries = engine.state(case)["history"]
    assert [(h["event"], h["from"], h["to"]) for h in entries] == [("save", "New", "Open"),
                                                                   ("decide", "Open", "Granted")]
    assert entries[1]["actor"] == {"role": "officer"}
    assert entries[1]["data"] == {"outcome": "Granted"}  # the alias was resolved
    assert entries[0]["at"] == "2026-03-02T09:00:00"


def test_history_keeps_the_actor_as_it_was_when_the_event_happened(engine):
    case = engine.create("mini", "main")
    actor = {"role": "officer", "name": "Sam"}
    engine.fire(case, "save", {"applicant": "payer"}, actor=actor)
    actor["name"] = "Alex"  # the caller reuses its dict for the next officer
    engine.fire(case, "decide", {"outcome": "Grant"}, actor=actor)
    assert [h.actor["name"] for h in case.history] == ["Sam", "Alex"]
    assert case.entry(1).actor == {"role": "officer", "name": "Alex"} and case.events == 2
    other = engine.create("mini", "other")
    teams = ["A", "B"]
    # not hashable
    engine.fire(other, "save", {"applicant": "payer"}, actor={"role": "officer", "teams": teams})
    teams.append("C")
    assert engine.state(other)["history"][0]["actor"] == {"role": "officer", "teams": ["A", "B"]}


def test_letters_are_issued_with_recipients(engine):
    case = saved(engine)
    outcome = engine.fire(case, "decide", {"outcome": "Granted"})
    assert [(lt.code, lt.to) for lt in outcome.letters] == [("L1", ("applicant",))]
    assert engine.state(case)["letters"] \
        == [{"code": "L1", "to": ["applicant"], "issued": "2026-03-02T09:00:00"}]


AMBIGUOUS = """
workflow: amb
title: two doors
initial: A
statuses: {A: {source: s}, B: {source: s}, C: {source: s}}
events:
  go:
    title: Go
    source: s
    data: {n: {type: integer, required: true}}
    transitions:
      - {from: A, to: B, when: n > 1, source: rule one}
      - {from: A, to: C, when: n > 2, source: rule two}
"""


def test_two_passing_transitions_is_an_error_naming_both():
    wf = load_workflow_text(AMBIGUOUS)
    engine = Engine([wf], clock=SimulatedClock("2026-01-01 09:00"))
    case = engine.create("amb")
    with pytest.raises(Ambiguous) as info:
        engine.fire(case, "go", {"n": 3})
    assert "rule one" in str(info.value) and "rule two" in str(info.value)
    assert case.status == "A" and list(case.history) == []
    engine.fire(case, "go", {"n": 2})
    assert case.status == "B"


@pytest.mark.parametrize("data, actor, says", [
    (["applicant", "payer"], None,
     "the data of an event is a mapping of its field names to values, not list"),
    ({"applicant": "payer"}, "officer",
     "the actor is a mapping such as {role: SCO, name: Sam}, not str"),
])
def test_data_or_an_actor_that_is_not_a_mapping_is_refused(engine, data, actor, says):
    case = engine.create("mini", "main")
    before = engine.state(case)
    with pytest.raises(Refused, match=re.escape(says)):
        engine.fire(case, "save", data, actor)
    assert engine.state(case) == before


def test_asking_about_an_unknown_event_is_refused(engine):
    case = engine.create("mini", "main")
    with pytest.raises(Refused, match="unknown event 'sav' in workflow mini"):
        engine.option(case, "sav")


def test_a_long_value_is_quoted_cut_in_a_refusal(engine):
    case = engine.create("mini", "main")
    with pytest.raises(Refused) as info:
        engine.fire(case, "save", {"applicant": "x" * 500})
    [reason] = info.value.reasons
    assert "'xxxxxxxxxx" in reason and "... (502 characters)" in reason and len(reason) < 200


SENIOR = """\
workflow: w
title: W
initial: A
statuses: {A: {source: s}}
events:
  approve:
    title: Approve
    source: s
    guards: [{check: actor.senior is true, says: only a senior officer approves}]
    transitions: [{from: A, source: s}]
"""


def test_actors_with_equal_values_of_other_types_are_not_taken_for_one_another():
    engine = Engine([load_workflow_text(SENIOR)], clock=SimulatedClock("2026-01-01 09:00"))
    first, second = engine.create("w", "a"), engine.create("w", "b")
    engine.fire(first, "approve", actor={"name": "Sam", "senior": True})
    with pytest.raises(Refused, match="only a senior officer approves"):
        # 1 == True, but not `true`
        engine.fire(second, "approve", actor={"name": "Sam", "senior": 1})
    first.history[0].actor["senior"] = False  # a record read from the history is a copy
    assert engine.state(first)["history"][0]["actor"] == {"name": "Sam", "senior": True}


TAGS = """\
workflow: w
title: W
initial: A
fields: {tag: {type: text, source: s}, grp: {type: text, source: s}, note: {type: text, source: s}}
statuses: {A: {source: s}}
queries:
  by_tag: {title: T, params: {t: {type: text}}, match: {tag: t}, source: s}
  by_grp: {title: G, params: {g: {type: text}}, match: {grp: g}, source: s}
events:
  init:
    title: Init
    source: s
    data: {g: {type: text}, t: {type: text}}
    transitions: [{from: A, source: s, effects: [{set: {grp: g, tag: t}}]}]
  retag:
    title: Retag
    source: s
    transitions: [{from: A, source: s, effects: [{set: {tag: "'new'"}}]}]
  touch:
    title: Touch
    source: s
    transitions: [{from: A, source: s, effects: [{set: {note: "'x'"}}]}]
  poke:
    title: Poke
    source: s
    transitions:
      - from: A
        source: s
        effects:
          - {signal: by_grp('other'), event: retag}
          - {signal: by_grp('other'), event: touch}
"""


def _found(engine, tag):
    return sorted(r["instance"] for r in engine.search("by_tag", {"t": tag}))


def test_an_outcome_decided_on_fields_changed_since_is_refused_and_searches_stay_right():
    engine = Engine([load_workflow_text(TAGS)], clock=SimulatedClock("2026-01-01 09:00"))
    poker, target = engine.create("w", "p"), engine.create("w", "t")
    engine.fire(poker, "init", {"g": "me", "t": "p"})
    engine.fire(target, "init", {"g": "other", "t": "old"})
    before = (engine.state(poker), engine.state(target))
    with pytest.raises(Refused, match="would change t twice"):
        # the second signal was decided from t's fields before the first changed them
        engine.fire(poker, "poke")
    assert (engine.state(poker), engine.state(target)) == before
    assert (_found(engine, "old"), _found(engine, "new")) == (["t"], [])
    late = engine.create("w", "x")
    engine.fire(late, "init", {"g": "g", "t": "old"})
    outcome = engine.decide(late, "touch")
    engine.fire(late, "retag")
    with pytest.raises(Refused, match="x has changed since this outcome was decided"):
        engine.commit(outcome)  # decided before the retag: it would put the old tag back
    assert (late.fields["tag"], _found(engine, "new"), late.events) == ("new", ["x"], 2)
    again = engine.decide(late, "touch")
    engine.commit(again)
    with pytest.raises(Refused, match="has changed since"):
        engine.commit(again)  # once only
    assert late.events == 3


@pytest.mark.parametrize("state, says", [
    ("x", "a stored instance is a mapping as `state()` writes it, not str"),
    ({"workflow": "mini", "instance": "r", "status": "New",
      "history": [{"at": "2026-03-02 09:00", "event": "save", "from": "New", "to": "Open",
                   "actor": "bob"}]},
     "'bob' is not a mapping"),
    ({"workflow": "mini", "instance": "r", "status": "Open",
      "intrays": [{"code": "WORK", "opened": "2026-03-02 09:00", "due": None}]},
     "a date and time is missing"),
])
def test_restore_refuses_a_store_that_would_break_later(engine, state, says):
    with pytest.raises(Refused, match=re.escape(says)):
        engine.restore(state)
    assert "r" not in engine.instances


def test_advance_takes_a_moment_and_a_simulated_clock():
    engine = Engine([load_workflow_text(SENIOR)], clock=SimulatedClock("2026-01-01 09:00"))
    with pytest.raises(Refused, match="the clock moves to a date and time, not str"):
        engine.advance("2026-05-01")
    assert engine.clock() == datetime(2026, 1, 1, 9, 0)
    with pytest.raises(Refused, match="only a simulated clock can be moved"):
        Engine([load_workflow_text(SENIOR)]).advance(datetime(2030, 1, 1))


_MARK = "{update: by_grp('other'), set: {note: \"'marked'\"}}"
MARKS = TAGS.replace("  poke:", f"""  mark:
    title: Mark
    source: s
    transitions: [{{from: A, source: s, effects: [{_MARK}]}}]
  mark_and_poke:
    title: Mark and poke
    source: s
    transitions: [{{from: A, source: s, effects: [{_MARK}, {{signal: by_grp('other'), event: retag}}]}}]
  poke:""")  # noqa: E501


def test_an_update_of_another_instance_overtaken_since_it_was_decided_is_refused():
    engine = Engine([load_workflow_text(MARKS)], clock=SimulatedClock("2026-01-01 09:00"))
    marker, target = engine.create("w", "p"), engine.create("w", "t")
    engine.fire(marker, "init", {"g": "me", "t": "p"})
    engine.fire(target, "init", {"g": "other", "t": "old"})
    outcome = engine.decide(marker, "mark")
    engine.fire(target, "retag")
    before = (engine.state(marker), engine.state(target))
    with pytest.raises(Refused, match="t has changed since this outcome was decided"):
        engine.commit(outcome)  # it would put the old tag back with the note
    assert (engine.state(marker), engine.state(target)) == before
    with pytest.raises(Refused, match="would change t twice"):
        engine.fire(marker, "mark_and_poke")  # the signal's change would undo the update's
    assert (engine.state(marker), engine.state(target)) == before
    engine.fire(marker, "mark")
    assert (target.fields["note"], target.fields["tag"]) == ("marked", "new")


@pytest.mark.parametrize("name", ["a\x1b[2Jb", "nul\x00", "\x9b"])
def test_an_instance_name_has_no_control_characters(mini, name):
    engine = Engine([mini], clock=SimulatedClock("2026-03-02 09:00"))
    with pytest.raises(Refused, match="without control characters"):
        engine.create("mini", name)
    assert engine.instances == {}


def test_refuses_without_deciding(engine):
    """Engine.refuses: an event without data that is certainly refused now, found without deciding
    it."""
    new = engine.create("mini", "new")
    assert engine.refuses(new, "change") is True  # no transition from New
    assert engine.refuses(new, "save") is True  # the applicant is required
    assert engine.refuses(new, "no_such_event") is True
    case = saved(engine)
    assert engine.refuses(case, "save") is True
    assert engine.refuses(case, "change") is False  # it may be taken: deciding it says
    engine.trace = lambda t: None
    assert engine.refuses(case, "save") is False  # a trace is told of every refusal: left to decide


def test_a_screen_is_refuses_made_once(engine, mini):
    """Engine.screen: Engine.refuses for one event and actor, asked of each instance at the clock's
    time; an instance of another version of the workflow is asked as Engine.refuses asks it."""
    new, case = engine.create("mini", "new"), saved(engine)
    save, change = engine.screen("mini", "save"), engine.screen("mini", "change")
    assert (save(new), save(case), change(new), change(case)) == (True, True, True, False)
    assert engine.screen("mini", "no_such_event")(case) is True
    for name in ("save", "change"):  # as refuses finds an actor that is not a mapping
        bad = "no actor"
        assert engine.screen("mini", name, bad)(case) is engine.refuses(case, name, bad)
    engine.add_workflow(replace(mini, version="a newer one"))  # `case` stays on its version
    for name in ("save", "change"):
        assert engine.screen("mini", name)(case) is engine.refuses(case, name)
    engine.trace = lambda t: None
    assert save(case) is False  # a trace is told of every refusal: left to decide
