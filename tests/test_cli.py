"""The command line: exit codes, JSON output, the closing line of `test`, interactive simulation."""
from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner

from cli import cli

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "tests" / "fixtures"
MINI = str(FIX / "workflows" / "mini.yaml")
PATH = str(FIX / "scenarios" / "mini_path.yaml")


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input)


def test_usage_error_exits_2():
    assert run("check", "no/such/path").exit_code == 2
    assert run("frobnicate").exit_code == 2
    assert run("describe", "nosuchworkflow", "--workflows", str(FIX / "workflows")).exit_code == 2


def test_check_json():
    result = run("check", MINI, "--json")
    assert result.exit_code == 0
    assert json.loads(result.output) == {"checked": 1, "findings": []}


def test_describe_json_lists_everything():
    result = run("describe", MINI, "--json")
    doc = json.loads(result.output)
    assert [s["name"] for s in doc["statuses"]] == ["New", "Open", "Granted", "Refused"]
    save = next(e for e in doc["events"] if e["name"] == "save")
    assert {"name": "lodgement_date", "type": "date", "default": "today",
            "title": "Lodgement Date"} in save["data"]
    assert [i["code"] for i in doc["intrays"]] == ["WORK", "WAIT"]
    # as the workflow writes it (48h), as the procedure says it
    assert doc["intrays"][0]["due"] == "48 hours"


def test_describe_by_name():
    result = run("describe", "mini", "--workflows", str(FIX / "workflows"))
    assert result.exit_code == 0 and "Statuses:" in result.output \
        and "Assumptions (0)" in result.output


def test_describe_shows_tables_who_may_fire_and_every_assumption_at_its_line():
    """Policy staff review the areas table, the area-only events and each reading, at its place in
    the file."""
    cma = str(ROOT / "workflows" / "cma.yaml")
    lines = Path(cma).read_text(encoding="utf-8").splitlines()
    doc = json.loads(run("describe", cma, "--json").output)
    areas = next(t for t in doc["tables"] if t["name"] == "areas")
    agreements = next(r for r in areas["rows"] if r["name"] == "Agreements Officers")
    assert agreements["minimum_activities"] == ["Minimum Collection Activity"]
    lock = next(e for e in doc["events"] if e["name"] == "lock_customer")
    assert lock["by"]["areas"] == ["Agreements Officers"]
    notes = {a["where"]: a for a in doc["assumptions"]}
    row = notes["table areas row Agreements Officers"]
    assert "name: Agreements Officers" in lines[row["line"] - 1]
    assert any(w.startswith("event close_contact unavailable in Privacy check required")
               for w in notes)
    text = run("describe", cma).output
    assert "only by: area Agreements Officers" in text and "Table areas:" in text


def test_test_command_ends_with_counts():
    result = run("test", str(FIX / "scenarios"))
    assert result.exit_code == 0
    assert result.output.strip().splitlines()[-1] == "1 passed, 0 failed"


def test_test_json():
    result = CliRunner().invoke(cli, ["test", PATH, "--json"])
    doc = json.loads(result.stdout)
    assert doc["passed"] == 1 and doc["results"][0]["passed"] is True


def test_simulate_json_gives_final_state_of_each_instance():
    result = CliRunner().invoke(cli, ["simulate", PATH, "--json"])
    assert result.exit_code == 0
    [state] = json.loads(result.stdout)
    assert state["instance"] == "main" and state["status"] == "Refused"
    assert set(state) \
        == {"instance", "workflow", "version", "status", "fields", "intrays", "letters", "history"}
    assert [h["event"] for h in state["history"]] == ["save", "wait", "decide"]


def test_simulate_text_shows_steps():
    result = run("simulate", PATH)
    assert "step 1 main: save  New -> Open  opened WORK" in result.output
    assert "refused: the Lodgement Date" not in result.output
    assert result.output.strip().endswith("passed")


def test_interactive_simulation():
    session = "\n".join([
        "save applicant=payer lodgement_date=2026-03-05",   # in the future: refused
        "why save applicant=payer",
        "save applicant=payer",
        "why save",
        "decide outcome=Granted",
        "state",
        "quit",
    ])
    result = run("simulate", MINI, input=session + "\n")
    out = result.output
    assert result.exit_code == 0
    assert "refused: the Lodgement Date cannot be in the future" in out
    assert "it can happen now" in out
    assert "New -> Open; opened WORK" in out
    assert "The application has already been saved" in out
    assert "Open -> Granted; closed WORK; letters L1" in out
    assert '"status": "Granted"' in out


MULTI = FIX / "multi"


def test_query_over_a_scenario_and_over_a_store(tmp_path, monkeypatch):
    monkeypatch.chdir(MULTI)
    scenario = str(MULTI / "scenarios" / "cross.yaml")
    result = run("query", "officers_at", "at_site=Perth", "on=2026-03-02", "--scenario", scenario,
                 "--json")
    assert [r["instance"] for r in json.loads(result.output)] == ["o3"]
    store = tmp_path / "store.json"
    store.write_text(CliRunner().invoke(cli, ["simulate", scenario, "--json"]).stdout)
    result = run("query", "officers_at", "at_site=Brisbane", "--store", str(store))
    assert result.exit_code == 0 and result.output.splitlines() == ["o2  (Active)", "1 found"]


def test_store_restores_instances_faithfully(tmp_path, monkeypatch):
    monkeypatch.chdir(MULTI)
    states = json.loads(CliRunner().invoke(cli,
                                           ["simulate", str(MULTI / "scenarios" / "cross.yaml"),
                                            "--json"]).stdout)
    from engine.search import engine_from_store

    store = tmp_path / "store.json"
    store.write_text(json.dumps(states))
    engine = engine_from_store(store, MULTI / "workflows")
    assert [engine.state(i) for i in engine.instances.values()] == states


def test_query_mistakes(monkeypatch):
    monkeypatch.chdir(MULTI)
    scenario = str(MULTI / "scenarios" / "cross.yaml")
    # neither --scenario nor --store
    assert run("query", "officers_at", "at_site=Perth").exit_code == 2
    result = run("query", "nope", "--scenario", scenario)
    # a usage mistake, as an unknown workflow
    assert result.exit_code == 2 and "no query 'nope'" in result.output
    result = run("query", "officers_at", "--scenario", scenario)
    assert result.exit_code == 1 and "required" in result.output
    assert run("query", "officers_at", "oops", "--scenario", scenario).exit_code == 2


def test_check_reports_a_workflow_mistake_once_when_its_scenarios_are_checked_too(tmp_path):
    (tmp_path / "workflows").mkdir()
    broken = (FIX / "workflows" / "mini.yaml").read_text(encoding="utf-8").replace("initial: New",
                                                                                   "initial: Nwe")
    (tmp_path / "workflows" / "mini.yaml").write_text(broken, encoding="utf-8")
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "s.yaml").write_text("scenario: s\nworkflow: mini\nsteps:\n"
                                                   "  - expect: {status: New}\n",
                                                   encoding="utf-8")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = run("check", "workflows", "scenarios", "--json")
    finally:
        os.chdir(cwd)
    found = [f for f in json.loads(result.output)["findings"] if "Nwe" in f["message"]]
    assert len(found) == 1, found


def test_interactive_advance_fires_the_schedules_on_the_way(monkeypatch):
    """A report requested today is produced by the overnight run when the analyst advances a day."""
    monkeypatch.setenv("PROCFLOW_CLOCK", "2026-03-02 09:00")
    session = "\n".join([
        "save_application applicant=payer lodgement_date=2026-03-01",
        "request_sco_report",
        "advance 1d",
        "state",
        "advance 99999999d",
        "quit",
    ])
    result = run("simulate", str(ROOT / "workflows" / "coa.yaml"), input=session + "\n")
    assert result.exit_code == 0, result.output
    assert '"sco_report_date": "2026-03-03"' in result.output
    assert "the clock cannot go that far" in result.output


def test_interactive_simulation_keeps_several_cases_in_the_store(tmp_path):
    """An SCO record made in the session, then the allocation that needs it; intrays and what is
    overdue after every step, the options only when asked; quit loses nothing: a second session goes
    on with the case."""
    store = ["--store", str(tmp_path / "cases.db")]
    session = "\n".join([
        "save_application applicant=payee lodgement_date=2026-03-01",
        # no SCO record yet
        "allocate_decision_maker coa_site=Hobart officer=officer-2 officer_level=SCO",
        "new sco sco-1",
        "create_record coa_site=Hobart name=officer-2 start_date=2026-01-01",
        "use main",
        "allocate_decision_maker coa_site=Hobart officer=officer-2 officer_level=SCO",
        "advance 3d",
        "cases",
        "quit",
    ])
    result = run("simulate", "coa", "--workflows", str(ROOT / "workflows"), "--clock",
                 "2026-03-02 09:00", *store,
                 input=session + "\n")
    out = result.output
    assert result.exit_code == 0, out
    assert "a new case 'main'" in out
    assert "New -> None; opened COAINPRO, COAASREQ, COAWTSCO" in out
    assert "COAASREQ due 2026-03-04 09:00" in out
    # before the record exists
    assert out.count("refused:") == 1 and "refused:" in out.split("sco-1: New")[0]
    assert "sco-1: New" in out and "New -> Active" in out
    assert "COAASREQ due 2026-03-04 09:00 OVERDUE" in out  # after advance 3d
    assert "+ record_case_assessment" not in out  # the options only on request
    assert "main " in out and "sco-1 " in out  # cases
    again = run("simulate", "coa", "--workflows", str(ROOT / "workflows"), "--case", "main", *store,
                input="options\nshow\nquit\n")
    assert again.exit_code == 0, again.output
    assert "case 'main' (coa), as the store keeps it" in again.output
    assert "+ record_case_assessment" in again.output
    assert "officer: officer-2" in again.output
