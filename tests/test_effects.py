"""Effects as an event applies them: a failing one changes nothing, `set:` effects in runs (each
seeing those before it, checked against the field unless the data's type is the field's, their
`if:`, locks), sets reading the fields they set, and `append:` typing the record it adds."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from engine import Refused, load_workflow_text
from engine.clock import SimulatedClock
from engine.runtime import Engine

FAILING_EFFECT = """
workflow: eff
title: an effect that fails
initial: A
fields: {d: {type: date, source: s}, n: {type: integer, source: s}}
statuses: {A: {source: s}, B: {source: s}}
intrays: {X: {name: X, due: 1d, source: s}}
events:
  go:
    title: Go
    source: s
    data: {n: {type: integer}}
    transitions:
      - from: A
        to: B
        source: s
        effects:
          - open: X
          - set: {n: n}
          - set: {d: n + 1 days}
"""


def test_a_failing_effect_changes_nothing():
    wf = load_workflow_text(FAILING_EFFECT)
    engine = Engine([wf], clock=SimulatedClock("2026-01-01 09:00"))
    case = engine.create("eff")
    before = engine.state(case)
    with pytest.raises(Refused, match="go refused: the set d effect could not be worked out"):
        engine.fire(case, "go", {"n": 1})  # an integer is not a date: the last effect fails
    assert engine.state(case) == before


TRUST = """\
workflow: t
title: T
source: s
initial: New
lists:
  wide: {values: [a, b, c], source: s}
  narrow: {values: [a, b], source: s}
fields:
  same: {type: choice, list: wide, source: s}
  other: {type: choice, list: narrow, source: s}
statuses:
  New: {source: s}
events:
  put:
    title: Put
    source: s
    data:
      pick: {type: choice, list: wide}
    transitions:
      - from: New
        source: s
        effects:
          - set: {same: pick}
          - set: {other: pick}
"""


def test_a_set_is_checked_again_unless_its_data_field_has_the_fields_type():
    from engine.spec.effects import same_type

    wf = load_workflow_text(TRUST, "t.yaml")
    same, other = wf.events["put"].transitions[0].effects
    assert same.trusted and not other.trusted
    engine = Engine([wf], clock=SimulatedClock("2026-03-02 09:00"))
    case = engine.create("t", "main")
    before = engine.state(case)
    with pytest.raises(Refused):
        engine.fire(case, "put", {"pick": "c"})  # in `wide`, not in the field's `narrow` list
    assert engine.state(case) == before
    engine.fire(case, "put", {"pick": "b"})
    assert case.fields == {"same": "b", "other": "b"}
    specs = {s.name: s for s in wf.fields.values()}
    assert not same_type(specs["same"], specs["other"])


SETS = """\
workflow: sets
title: consecutive set effects
source: s
initial: A
lists: {level: {values: [low, high], source: s}}
fields:
  a: {type: integer, source: s}
  b: {type: integer, source: s}
  c: {type: date, source: s}
  level: {type: choice, list: level, source: s}
  officer: {type: text, source: s, locked_after: [lock]}
  note: {type: text, source: s}
statuses: {A: {source: s}}
events:
  go:
    title: Go
    source: s
    data: {n: {type: integer}, word: {type: text}, who: {type: text}}
    transitions:
      - from: A
        source: s
        effects:
          - set: {a: n, b: a + 1, level: word, c: "'2026-01-01' if n == 0 else n + 1 days", note: "'after'"}
          - set: {officer: who, note: "'given an officer'"}
            if: officer is None
  lock:
    title: Lock
    source: s
    transitions: [{from: A, source: s}]
"""  # noqa: E501


def sets_engine():
    engine = Engine([load_workflow_text(SETS)], clock=SimulatedClock("2026-01-01 09:00"))
    return engine, engine.create("sets")


def test_consecutive_sets_see_the_ones_before_them_and_are_checked_against_the_field():
    engine, case = sets_engine()
    engine.fire(case, "go", {"n": 0, "word": "high", "who": "ann"})
    assert case.fields == {"a": 0, "b": 1, "level": "high", "c": date(2026, 1, 1),
                           "note": "given an officer",
                           "officer": "ann"}


@pytest.mark.parametrize("data, says", [
    # n + 1 days: not a date
    ({"n": 1, "word": "high"}, "the set c effect could not be worked out"),
    # a text that is not a level
    ({"n": 0, "word": "middle"}, "level should be one of low, high, not .middle."),
])
def test_a_set_that_fails_among_others_says_which_and_changes_nothing(data, says):
    engine, case = sets_engine()
    before = engine.state(case)
    with pytest.raises(Refused, match=says):
        engine.fire(case, "go", data)
    assert engine.state(case) == before


def test_the_if_of_a_set_with_several_fields_is_tested_once_before_any_is_set():
    engine, case = sets_engine()
    engine.fire(case, "go", {"n": 0, "word": "low", "who": "ann"})
    # both, not only the first
    assert (case.fields["officer"], case.fields["note"]) == ("ann", "given an officer")
    engine.fire(case, "go", {"n": 0, "word": "low", "who": "bob"})
    # neither: officer was not None
    assert (case.fields["officer"], case.fields["note"]) == ("ann", "after")


def test_a_locked_field_among_consecutive_sets_is_refused_only_when_it_would_change():
    engine, case = sets_engine()
    # officer stays None, the `if:` holds next time
    engine.fire(case, "go", {"n": 0, "word": "low"})
    engine.fire(case, "lock")
    before = engine.state(case)
    with pytest.raises(Refused, match="officer cannot be changed after .Lock."):
        engine.fire(case, "go", {"n": 0, "word": "low", "who": "ann"})
    assert engine.state(case) == before
    # sets officer to None again: no change, accepted
    engine.fire(case, "go", {"n": 0, "word": "high"})
    assert case.fields["level"] == "high"
SELF_READING = """\
workflow: w
title: W
initial: A
fields: {n: {type: integer, source: s}, m: {type: integer, source: s}}
statuses: {A: {source: s}}
events:
  init:
    title: Init
    source: s
    transitions: [{from: A, source: s, effects: [{set: {n: 0}}]}]
  go:
    title: Go
    source: s
    transitions:
      - from: A
        source: s
        effects:
          - set: {n: n + 1, m: 10 // (n - 1)}
"""


def test_self_reading_sets_that_fail_part_way_are_refused_from_the_fields_as_they_were():
    engine = Engine([load_workflow_text(SELF_READING)], clock=SimulatedClock("2026-01-01 09:00"))
    case = engine.create("w", "c")
    engine.fire(case, "init")
    before = engine.state(case)
    with pytest.raises(Refused,
                       match=r"the set m effect could not be worked out: '10 // \(n - 1\)' failed"):
        engine.fire(case, "go")  # n + 1 = 1, then 10 // 0: done again from n = 0, not from n = 1
    assert engine.state(case) == before

APPENDS = """\
workflow: appends
title: records appended to a list
source: s
initial: A
lists: {level: {values: [low, high], source: s}}
fields:
  log:
    type: list
    source: s
    locked_after: [lock]
    record: {at: {type: date}, level: {type: choice, list: level}, n: {type: integer}}
statuses: {A: {source: s}}
events:
  add:
    title: Add
    source: s
    data: {word: {type: text}, n: {type: text}}
    transitions:
      - from: A
        source: s
        effects:
          - append: {log: {at: today, level: word, n: n}}
  lock:
    title: Lock
    source: s
    transitions: [{from: A, source: s}]
"""


def test_an_appended_record_is_typed_and_the_items_before_it_kept():
    engine = Engine([load_workflow_text(APPENDS)], clock=SimulatedClock("2026-01-01 09:00"))
    case = engine.create("appends")
    engine.fire(case, "add", {"word": "low", "n": "7"})
    first = case.fields["log"]
    engine.fire(case, "add", {"word": "high"})
    assert case.fields["log"] == [{"at": date(2026, 1, 1), "level": "low", "n": 7},
                                  {"at": date(2026, 1, 1), "level": "high"}]
    assert first == [{"at": date(2026, 1, 1), "level": "low", "n": 7}]  # the old list unchanged
    for data, says in [({"word": "middle"}, "level should be one of low, high"),
                       ({"word": "low", "n": "seven"}, "n should be a whole number")]:
        before = engine.state(case)
        with pytest.raises(Refused, match=says):
            engine.fire(case, "add", data)
        assert engine.state(case) == before
    engine.fire(case, "lock")
    with pytest.raises(Refused, match="log cannot be changed after .Lock."):
        engine.fire(case, "add", {"word": "low"})
    assert len(case.fields["log"]) == 2


def test_a_list_of_records_requiring_more_of_its_parts_is_trusted_by_one_requiring_less():
    from engine.model import FieldSpec
    from engine.spec.effects import same_type

    def records(required: bool) -> FieldSpec:
        return FieldSpec("r", "list", record=(FieldSpec("reason", "integer", required=required),
                                              FieldSpec("sub", "text")))

    assert same_type(records(True), records(False))  # data requiring a reason, a field not
    assert same_type(records(True), records(True))
    assert not same_type(records(False), records(True))  # a record without one would fail
    # the save's reasons (COA Table 1 Step 2) are set without being checked again
    from engine import load_workflow

    wf = load_workflow(Path(__file__).resolve().parent.parent / "workflows" / "coa.yaml")
    sets = [ef for tr in wf.events["save_application"].transitions for ef in tr.effects
            if ef.kind == "set" and ef.target == "reasons"]
    assert sets and all(ef.trusted for ef in sets)
