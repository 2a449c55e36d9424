"""The case store on SQLite and PostgreSQL: cases last, every event is all or nothing, the
optimistic check refuses an event decided on a case that has changed, the clock runs the schedules,
and the log replays."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine import Refused
from engine.store import CaseChanged, StoreError
from engine.store.replay import verify

ROOT = Path(__file__).resolve().parent.parent
SAVE = {"applicant": "payee", "lodgement_date": "2026-03-01", "case_number": "2000001",
        "payee_id": "P-ANNE",
        "payer_id": "P-BEN"}
REPLY = {**SAVE, "applicant": "payer", "lodgement_date": "2026-03-02"}
SCO = {"coa_site": "Hobart", "name": "officer-2", "start_date": "2026-01-01"}


def _snapshot(store):
    return {r.id: (r.version, store.case(r.id).state) for r in store.cases()}, len(store.log()), \
        store.clock()


def test_a_case_lasts_beyond_the_store_that_wrote_it(open_test_store):
    store = open_test_store()
    made = store.create("coa", "c-1", {"role": "SO"})
    assert (made.status, made.version) == ("New", 1)
    fired = store.fire("c-1", "save_application", SAVE, {"role": "SO"}, expected=1)
    assert (fired.from_, fired.to, fired.versions) == ("New", "None", {"c-1": 2})
    assert [i["code"] for i in fired.opened] == ["COAINPRO", "COAASREQ", "COAWTSCO"]
    again = open_test_store()  # another process, later
    case = again.case("c-1")
    assert (case.status, case.version, case.state["fields"]["case_number"]) \
        == ("None", 2, "2000001")
    assert case.state["history"][0]["actor"] == {"role": "SO"}
    assert [r.id for r in again.cases(workflow="coa", status="None")] == ["c-1"]
    assert again.cases(workflow="sco") == []
    assert verify(again) == []


def test_a_refused_event_changes_nothing(open_test_store):
    store = open_test_store()
    store.create("coa", "c-1")
    store.fire("c-1", "save_application", SAVE)
    before = _snapshot(store)
    with pytest.raises(Refused) as refused:
        store.fire("c-1", "finalise", {"outcome": "Var-Increase"})
    assert "App to Proceed" in " ".join(refused.value.reasons)
    with pytest.raises(Refused):
        store.fire("c-1", "save_application", {"applicant": "nobody"})
    with pytest.raises(Refused, match="no case"):
        store.fire("nope", "save_application", SAVE)
    assert _snapshot(store) == before
    assert store.why("c-1", "finalise") == refused.value.reasons


def test_the_second_of_two_people_on_one_case_is_told_to_look_again(open_test_store):
    first, second = open_test_store(), open_test_store()
    first.create("coa", "c-1")
    seen = second.case("c-1").version  # both read version 1
    first.fire("c-1", "save_application", SAVE, expected=seen)
    before = _snapshot(first)
    with pytest.raises(CaseChanged, match="the case changed since it was read: look again"):
        second.fire("c-1", "save_application", SAVE, expected=seen)
    assert _snapshot(first) == before
    # looking again, the second sees what the first did
    assert second.case("c-1").version == seen + 1


def test_a_cross_application_ticks_the_other_case_in_the_same_transaction(open_test_store):
    store = open_test_store()
    store.create("coa", "main")
    store.fire("main", "save_application", SAVE)
    other = open_test_store()  # another process holds an older copy of main in its engine
    other.case("main")
    store.clock() and store.set_clock("2026-03-03 09:00")
    store.create("coa", "reply")
    fired = other.fire("reply", "save_application", REPLY)
    assert fired.versions == {"reply": 2, "main": 3}
    main = store.case("main")
    assert main.version == 3
    assert main.state["fields"]["cross_application_exists"] is True
    assert main.state["fields"]["cross_application_lodgement_date"] == "2026-03-02"
    assert store.case("reply").state["fields"]["cross_application"] is True
    assert [n for n in (fired.case, *fired.versions)] == ["reply", "reply", "main"]
    assert verify(store) == []


def test_an_allocation_reads_the_sco_record_and_numbers_go_on(open_test_store):
    store = open_test_store()
    store.create("sco", "sco-1")
    store.fire("sco-1", "create_record", SCO)
    store.create("coa", "a")
    store.fire("a", "save_application", {"applicant": "payee", "lodgement_date": "2026-03-01"})
    allocation = {"coa_site": "Hobart", "officer": "officer-2", "officer_level": "SCO"}
    with pytest.raises(Refused):
        store.fire("a", "allocate_decision_maker", {**allocation, "officer": "nobody"})
    store.fire("a", "allocate_decision_maker", allocation)
    assert store.case("a").state["fields"]["officer"] == "officer-2"
    # numbering goes on from the store's sequence, not from the cases one holds
    later = open_test_store()
    later.create("coa", "b")
    later.fire("b", "save_application", {"applicant": "payer", "lodgement_date": "2026-03-01"})
    assert [store.case(n).state["fields"]["application_number"] for n in ("a", "b")] == [1, 2]


def test_the_clock_runs_the_overnight_schedules_and_shows_what_is_overdue(open_test_store):
    store = open_test_store()
    store.create("coa", "c-1")
    store.fire("c-1", "save_application", {"applicant": "payee", "lodgement_date": "2026-03-01"})
    store.fire("c-1", "request_sco_report", {}, {"role": "SCO", "name": "officer-2"}) if \
        store.why("c-1", "request_sco_report") == [] else None
    assert store.cases(overdue=True) == []
    with pytest.raises(Refused, match="only moves forward"):
        store.advance("2026-03-01 09:00")
    fired = store.advance("2026-03-05 09:00")
    assert store.clock().isoformat() == "2026-03-05T09:00:00"
    assert [r.id for r in store.cases(overdue=True)] == ["c-1"]
    assert {f.event for f in fired} <= {"generate_sco_report"}
    assert store.log()[-1].kind == "advance"
    assert verify(store) == []
    store.set_clock("2026-03-02 10:00")  # set moves it anywhere, running nothing
    assert store.cases(overdue=True) == []


def test_a_case_is_named_plainly_and_once(open_test_store):
    store = open_test_store()
    assert store.create("coa").id == "coa-1"
    assert store.create("coa").id == "coa-2"
    with pytest.raises(Refused, match="already exists"):
        store.create("coa", "coa-1")
    for bad in ("", "../x", "a b", "x" * 201, "<script>"):
        with pytest.raises(Refused):
            store.create("coa", bad)
    with pytest.raises(Refused, match="unknown workflow"):
        store.create("nope")
    with pytest.raises(Refused, match="not a workflow name"):
        store.create("../workflows/coa")


def test_a_json_store_is_read_in_as_it_was(open_test_store, tmp_path):
    from engine.scenario import load_scenario, run_scenario
    from engine.store.scenarios import import_json_store



    engine = run_scenario(
        load_scenario(ROOT / "scenarios" / "coa" / "cross_application.yaml")).engine
    states = [engine.state(i) for i in engine.instances.values()]
    file = tmp_path / "cases.json"
    file.write_text(json.dumps(states))
    store = open_test_store()
    added = import_json_store(store, file)
    assert added == [s["instance"] for s in states]
    assert [store.case(s["instance"]).state for s in states] == states
    with pytest.raises(Refused, match="already has a case"):
        import_json_store(store, file)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([states[0] | {"instance": "fresh"},
                               {"workflow": "coa", "instance": "x", "status": "?"}]))
    before = _snapshot(store)
    with pytest.raises(Refused):
        import_json_store(store, bad)
    assert _snapshot(store) == before
    assert verify(store) == []


def test_a_played_case_exported_as_a_scenario_passes(open_test_store, tmp_path):
    from engine.scenario import load_scenario, run_scenario
    from engine.store.scenarios import export_scenario, import_scenario, scenario_yaml



    store = open_test_store()
    played, \
        problems = import_scenario(store,
                                   load_scenario(ROOT / "scenarios" / "coa" / "full_path.yaml"),
                                   "x-")
    assert played > 5 and problems == []
    assert verify(store) == []
    out = tmp_path / "workflows"
    out.symlink_to(ROOT / "workflows")
    file = tmp_path / "exported.yaml"
    file.write_text(scenario_yaml(export_scenario(store, "x-main")))
    result = run_scenario(load_scenario(file))
    assert result.passed, result.failures
    assert len([s for s in result.steps if s.kind == "event"]) >= played


@pytest.mark.parametrize("mangle, says", [
    ("UPDATE procflow_schema SET version_num = 'ffff'", "newer procflow"),
    ("DELETE FROM procflow_schema", "is not a procflow store"),
])
def test_a_store_of_another_schema_is_a_message(open_test_store, store_url, mangle, says):
    from sqlalchemy import text

    store = open_test_store()
    with store.db.begin() as conn:
        conn.execute(text(mangle))
    with pytest.raises(StoreError, match=says):
        open_test_store()


def test_a_file_that_is_not_a_store_is_a_message(tmp_path):
    from engine.store import folder, open_store



    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database" * 100)
    for url, says in [(str(junk), "not a store"), (str(tmp_path), "is a folder"),
                      (str(tmp_path / "no" / "x.db"), "does not exist"),
                      ("mysql://x", "a store is a SQLite file")]:
        with pytest.raises(StoreError, match=says):
            open_store(url, folder(ROOT / "workflows"))


def test_the_memory_store_and_the_sql_store_agree(open_test_store):
    from engine.store import folder, open_store



    stores = [open_test_store(),
              open_store(":memory:", folder(ROOT / "workflows"), clock="2026-03-02 09:00")]
    for store in stores:
        store.create("sco", "sco-1")
        store.fire("sco-1", "create_record", SCO)
        store.create("coa", "main")
        store.fire("main", "save_application", SAVE)
        store.advance("2026-03-03 09:00")
        store.create("coa", "reply")
        store.fire("reply", "save_application", REPLY)
        with pytest.raises(CaseChanged):
            store.fire("main", "record_case_assessment", {"case_assessment": "Complex"}, expected=2)
    sql, memory = stores
    assert [(r.id, r.status, r.version, r.next_due) for r in sql.cases()] == \
           [(r.id, r.status, r.version, r.next_due) for r in memory.cases()]
    assert [sql.case(r.id).state for r in sql.cases()] \
        == [memory.case(r.id).state for r in memory.cases()]
    assert [(e.kind, e.case, e.event, e.data) for e in sql.log()] == [(e.kind, e.case, e.event,
                                                                       e.data)
                                                                     for e in memory.log()]
    assert verify(memory) == []
