"""The SCO queries and records as users meet them: `procflow check` positions a query naming an
unknown workflow or field (in a workflow or a scenario), the Table 8 and Table 10 searches answer
through `procflow query`, and each update of a record is in its history (Table 7)."""
from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli

ROOT = Path(__file__).resolve().parent.parent


def project(tmp_path: Path) -> Path:
    """A copy of the workflows, with scenarios/sco/locate.yaml beside them."""
    shutil.copytree(ROOT / "workflows", tmp_path / "workflows")
    (tmp_path / "scenarios").mkdir()
    shutil.copy(ROOT / "scenarios" / "sco" / "locate.yaml", tmp_path / "scenarios" / "locate.yaml")
    return tmp_path


def position(path: Path, needle: str) -> str:
    """'file:line:col' of the first occurrence of `needle` in the file."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return f"{path}:{number}:{line.index(needle) + 1}"
    raise AssertionError(f"{needle!r} not in {path}")


@pytest.mark.parametrize("file, old, new, at, says", [
    # a query step naming an unknown workflow, or searching on a criterion its query does not have
    ("scenarios/locate.yaml", "  - query: sco_records_at_site\n    data: {coa_site: Sydney}",
     "  - query: sco_records_at_site\n    workflow: scoo\n    data: {coa_site: Sydney}", "scoo",
     "unknown workflow 'scoo'"),
    ("scenarios/locate.yaml", "data: {end_date_after: 2026-03-02, coa_site: Brisbane}",
     "data: {end_date_after: 2026-03-02, coa_sight: Brisbane}", "coa_sight",
     "query sco_records_with_end_date_after has no parameter 'coa_sight' "
     "(did you mean 'coa_site'?)"),
    ("scenarios/locate.yaml", "query: sco_records_by_contract", "query: sco_records_by_contrakt",
     "sco_records_by_contrakt",
     "unknown query 'sco_records_by_contrakt' (did you mean 'sco_records_by_contract'?)"),
    # a declared query naming an unknown field
    ("workflows/sco.yaml", "    match: {coa_site: coa_site}\n    where: status == 'Active'\n",
     "    match: {coa_sight: coa_site}\n    where: status == 'Active'\n", "coa_sight",
     "unknown field 'coa_sight' (did you mean 'coa_site'?)"),
    ("workflows/sco.yaml", "    order_by: [end_date, name]", "    order_by: [end_dat, name]",
     "end_dat,",
     "unknown field 'end_dat' (did you mean 'end_date'?)"),
    ("workflows/coa.yaml",
     "where: status in ['None', 'App to Proceed'] and case_number != not_case",
     "where: status in ['None', 'App to Proceed'] and case_numbr != not_case", "case_numbr",
     "unknown name 'case_numbr' (did you mean 'case_number'?)"),
    # a call, in another workflow of the folder, to a query nobody declares
    ("workflows/coa.yaml", "o in officers_at_site(coa_site, today))",
     "o in officers_at_sight(coa_site, today))",
     "officers_at_sight", "did you mean 'officers_at_site'?"),
])
def test_check_positions_a_query_naming_an_unknown_workflow_or_field(tmp_path, file, old, new, at,
                                                                     says):
    root = project(tmp_path)
    path = root / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(root / file.split("/")[0])])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    where = position(path, at)
    errors = [line for line in result.output.splitlines() if ": error: " in line]
    assert any(line.startswith(f"{where}: error: ") and says in line for line in errors), \
        f"expected {where}: error: ...{says}... in\n{result.output}"


def test_the_unbroken_copy_checks_clean(tmp_path):
    root = project(tmp_path)
    result = CliRunner().invoke(cli, ["check", str(root / "workflows"), str(root / "scenarios")])
    assert result.exit_code == 0, result.output


def test_sco_searches_through_procflow_query(tmp_path, monkeypatch):
    """Table 8 searches and Table 10 report searches answer `procflow query ... --json`, over a
    scenario or over the store `simulate --json` prints; a disabled criterion is refused (R47)."""
    monkeypatch.chdir(ROOT)
    locate = "scenarios/sco/locate.yaml"

    def found(*args: str) -> list[str]:
        result = CliRunner().invoke(cli, ["query", *args, "--json"])
        assert result.exit_code == 0, result.output
        return [r["instance"] for r in json.loads(result.output)]

    assert found("sco_records_at_site", "coa_site=Brisbane", "--scenario", locate) \
        == ["archer", "brown", "chen", "dunn"]
    assert found("sco_records_with_end_date_after", "end_date_after=2026-03-01",
                 "coa_site=Brisbane",
                 "--scenario", locate) == ["dunn", "chen", "brown"]
    store = tmp_path / "store.json"
    store.write_text(CliRunner().invoke(cli, ["simulate", locate, "--json"]).stdout,
                     encoding="utf-8")
    assert found("sco_records_with_end_date_after", "end_date_after=2026-03-02",
                 "coa_site=Brisbane",
                 "--store", str(store)) == ["chen", "brown"]
    assert found("sco_records_at_site", "coa_site=Sydney", "--store", str(store)) == ["evans"]

    reports = "scenarios/coa/sco_report_request.yaml"
    assert found("sco_reports_on_case", "case_number=6000001", "--scenario", reports) == ["main"]
    assert found("possible_refusals", "coa_site=Brisbane", "--scenario",
                 "scenarios/coa/possible_refusals.yaml") == \
        ["main"]
    refused = CliRunner().invoke(cli, ["query", "sco_reports_on_case", "case_number=6000001",
                                       "coa_site=Brisbane",
                                       "--scenario", reports, "--json"])
    # Table 10 Step 2: the window's words, not the engine's
    assert refused.exit_code == 1, refused.output
    assert "Keying a Case Number disables every other field: COA Site cannot be given with it" \
        in refused.output


def test_every_update_of_a_sco_record_is_in_its_history():
    """Table 7: each accepted update is a history entry with what was keyed; refused ones are
    not."""
    from engine.scenario import load_scenario, run_scenario

    result = run_scenario(load_scenario(ROOT / "scenarios" / "sco" / "update.yaml"))
    assert not result.failures, result.failures
    main = result.engine.instances["main"]
    updates = [h for h in main.history if h.event == "update_record"]
    # five accepted updates in the scenario; the nine refused ones left no trace
    assert len(updates) == 5
    assert updates[0].data["end_date"] == date(2026, 12, 31)
    assert updates[-1].data["coa_site"] == "Melbourne" \
        and updates[-1].data["name"] == "Jane Citizen"
    assert [h.event for h in main.history] == ["create_record", *["update_record"] * 5, "add_note"]
