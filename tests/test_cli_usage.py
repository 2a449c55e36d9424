"""The CLI as a user meets it: usage mistakes, help, JSON in every mode, shell completion,
`make demo`, and a session that goes on after a line too long to read."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cli import cli

ROOT = Path(__file__).resolve().parent.parent
REPORTS = str(ROOT / "scenarios" / "coa" / "sco_report_request.yaml")


def run(*args: str, input: str | None = None, env: dict | None = None):
    return CliRunner().invoke(cli, list(args), input=input, env=env, prog_name="procflow")


def test_check_without_a_workflows_folder_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("check")
    assert result.exit_code == 2, result.output
    assert "there is no workflows/ folder here" in result.output \
        and "Traceback" not in result.output


def test_an_unknown_query_offers_the_closest_name(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = run("query", "sco_report_on_case", "case_number=6000001", "--scenario", REPORTS)
    assert result.exit_code == 2, result.output
    assert "no query 'sco_report_on_case': did you mean 'sco_reports_on_case'?" in result.output


def _commands(group: click.Group = cli, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        found.append((prefix + name, command))
        if isinstance(command, click.Group):
            found += _commands(command, prefix + name + " ")
    return found


def test_the_command_list_shows_each_summary_whole():
    listing = run("--help").output
    for name, command in _commands():
        if " " not in name:
            summary = command.get_short_help_str(limit=200)
            assert not summary.endswith(("e.g.", "(e.g", "...")), \
                f"{name}: '{summary}' is cut short"
    assert "Run a declared query, such as the SCO records at a COA Site" in listing


@pytest.mark.parametrize("name", [n for n, _ in _commands()])
def test_every_help_ends_with_examples_of_that_command(name):
    result = run(*name.split(), "--help")
    assert result.exit_code == 0
    tail = result.output.rstrip().split("Examples:")
    assert len(tail) == 2, f"procflow {name} --help has no Examples: block at its end"
    lines = [ln.strip() for ln in tail[1].splitlines() if ln.strip()]
    assert 1 <= len(lines) <= 2 \
        and all((ln + " ").startswith(f"procflow {name} ") for ln in lines), lines


def test_interactive_simulation_speaks_json_with_json(monkeypatch):
    monkeypatch.setenv("PROCFLOW_CLOCK", "2026-03-02 09:00")
    monkeypatch.chdir(ROOT)
    lines = "save_application applicant=payer lodgement_date=2026-03-09\n" \
            "save_application applicant=payer\nwhy finalise\nnope\nquit\n"
    result = run("simulate", "coa", "--json", input=lines)
    assert result.exit_code == 0, result.output
    # every line is one JSON object
    answers = [json.loads(line) for line in result.output.splitlines()]
    assert answers[0] == {"workflow": "coa", "instance": "main", "status": "New"}
    assert answers[1]["status"] == "New" and {"event": "save_application",
                                              "title": "Save the application details",
                                              "allowed": True, "reasons": []} \
                                                  in answers[1]["options"]
    assert answers[2]["accepted"] is False and answers[2]["event"] == "save_application"
    assert any("Lodgement Date" in r for r in answers[2]["refused"])
    assert answers[3]["accepted"] is True \
        and (answers[3]["from"], answers[3]["to"]) == ("New", "None")
    assert sorted(answers[3]["opened"]) == ["COAASREQ", "COAINPRO", "COAWTSCO"]
    assert answers[4]["status"] == "None" and answers[4]["clock"] == "2026-03-02T09:00:00"
    assert answers[5]["event"] == "finalise" and answers[5]["allowed"] is False \
        and answers[5]["reasons"]
    assert answers[6]["accepted"] is False and "nope" in answers[6]["refused"][0]


def test_a_failing_scenario_says_in_json_which_expectation_failed(tmp_path):
    (tmp_path / "workflows").symlink_to(ROOT / "workflows")
    (tmp_path / "scenarios").mkdir()
    scenario = tmp_path / "scenarios" / "wrong.yaml"
    scenario.write_text("""\
scenario: expectations that do not hold
workflow: coa
clock: 2026-03-02 09:00
steps:
  - event: save_application
    data: {applicant: payer, lodgement_date: 2026-03-01}
    expect:
      status: App to Proceed
      fields: {expected_finalisation_date: 2026-04-06}
      intrays: [COAINPRO]
  - event: save_application
    data: {applicant: payer}
""", encoding="utf-8")
    result = run("test", str(scenario), "--json")
    assert result.exit_code == 1
    [out] = json.loads(result.stdout)["results"]
    failed = {(f["step"], f["line"], f["key"]): (f["expected"], f["found"])
              for f in out["expectations_failed"]}
    assert failed[(1, 5, "status")] == ("App to Proceed", "None")
    assert failed[(1, 5, "fields.expected_finalisation_date")] == ("2026-04-06", "2026-04-05")
    assert failed[(1, 5, "intrays")][0] == ["COAINPRO"]
    assert sorted(i["code"] for i in failed[(1, 5, "intrays")][1]) \
        == ["COAASREQ", "COAINPRO", "COAWTSCO"]
    assert (2, 11, "refused") in failed  # refused without `error`
    assert all(f["message"] for f in out["expectations_failed"]) \
        and len(out["failures"]) == len(failed)


def _complete(words: str, cwd: Path) -> list[str]:
    env = {"_PROCFLOW_COMPLETE": "bash_complete", "COMP_WORDS": words,
           "COMP_CWORD": str(len(words.split()) - 1)}
    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = run(env=env)
    finally:
        os.chdir(old)
    return [line.split(",", 1)[1] for line in result.output.splitlines()
            if line.startswith("plain,")]


def test_shell_completion_offers_workflow_event_and_query_names():
    assert _complete("procflow describe c", ROOT) == ["cma", "coa"]
    assert _complete("procflow diagram s", ROOT) == ["sco"]
    assert "sco_reports_on_case" in _complete("procflow query sco_rep", ROOT)
    assert all(n.startswith("sco_rep") for n in _complete("procflow query sco_rep", ROOT))
    assert _complete("procflow case fire app-1 save_app", ROOT) == ["save_application"]
    assert "Var-Increase" in _complete("procflow paths coa --to Var", ROOT)
    # no workflows/ here: nothing offered, no error
    assert _complete("procflow describe c", ROOT / "docs") == []


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_demo_installs_quietly_and_ends_with_what_to_look_at_next():
    plan = subprocess.run(["make", "-n", "-B", "demo"], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout
    installs = [ln for ln in plan.splitlines() if "pip install" in ln]
    assert installs and all("install.log 2>&1" in ln for ln in installs), installs
    assert re.search(r"echo \"Next:\"", plan) and "procflow simulate coa" in plan


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_diagrams_lists_only_what_it_drew(tmp_path):
    out = subprocess.run(["make", "--no-print-directory", "diagrams", f"DIAGRAMS={tmp_path}",
                          "DOT=no-such-dot"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "coa.svg not drawn" in out
    listed = out.strip().splitlines()[-1]
    assert listed.startswith(f"{tmp_path}/:") and ".svg" not in listed and "coa.dot" in listed, \
        listed
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{w}.{x}"
                                                                for w in ("cma", "coa", "sco")
                                                               for x in ("dot", "mmd"))


def test_the_engine_says_its_own_refusals_in_the_procedure_s_terms():
    from engine import Engine, Refused, SimulatedClock, load_workflow

    engine = Engine([load_workflow(ROOT / "workflows" / "coa.yaml")],
                    clock=SimulatedClock("2026-03-02 09:00"))
    case = engine.create("coa", "main")
    with pytest.raises(Refused,
                       match=r"Applicant is required to save the application details \(COA Table 1 "
                             r"Steps 2, 3\)"):
        engine.fire(case, "save_application", {})
    with pytest.raises(Refused,
                       match=r"Save the application details \(save_application\) has no data field "
                                      r"'lodgment_date': did you mean 'lodgement_date'\?"):
        engine.fire(case, "save_application", {"applicant": "payer", "lodgment_date": "2026-03-01"})


def test_a_very_long_line_typed_into_simulate_is_refused_and_the_session_goes_on():
    session = "x" * 1_000_000 + "\nsave applicant=payer\nstate\nquit\n"  # a 1 MB line took 38 s
    mini = Path(__file__).resolve().parent / "fixtures" / "workflows" / "mini.yaml"
    result = CliRunner().invoke(cli, ["simulate", str(mini)], input=session)
    assert result.exit_code == 0, result.output
    assert "a line of more than 10,000 characters is not read" in result.output
    assert '"status": "Open"' in result.output
