"""instance: a case as plain data; its intrays as tuples and its history as one flat log, given as
records."""
from __future__ import annotations

from datetime import datetime

import pytest

from engine.instance import HistoryEntry, Instance, Intray, append_history

AT = datetime(2026, 3, 2, 9, 0)


def test_a_new_instance_shares_immutable_empties(mini):
    a, b = Instance("a", mini), Instance("b", mini)
    assert a.status == mini.initial
    assert a.fields is b.fields and a.trays == () and a.log == () and a.events == 0


def test_intrays_round_trip_through_their_tuples(mini):
    inst = Instance("a", mini)
    inst.intrays = [Intray("WORK", AT, AT, about="payer"), Intray("WAIT", AT, AT, closed=AT)]
    assert [i.code for i in inst.open_intrays()] == ["WORK"]
    assert inst.intrays[0].about == "payer" and not inst.intrays[1].is_open
    assert inst.overdue(AT) == [] \
        and [i.code for i in inst.overdue(datetime(2026, 3, 3))] == ["WORK"]


def test_history_entries_are_copies_of_the_log():
    inst = Instance.__new__(Instance)
    inst.log = ()
    actor = {"role": "SCO"}
    append_history(inst, (AT, "save", actor, {"x": [1]}, "New", "Open", "fixture"))
    append_history(inst, (AT, "wait", actor, {}, "Open", "Open", "fixture"))
    assert inst.events == 2
    first = inst.entry(0)
    assert isinstance(first, HistoryEntry) \
        and (first.event, first.from_, first.to) == ("save", "New", "Open")
    first.actor["role"] = "changed"
    first.data["x"].append(2)
    assert inst.entry(0).actor == {"role": "SCO"} and inst.entry(0).data == {"x": [1]}
    with pytest.raises(IndexError):
        inst.entry(2)
    assert inst.history_json()[1]["event"] == "wait"
