"""The CLI's errors: each user mistake is a clear error or failure, never a Python traceback."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from engine import Refused
from engine.clock import parse_duration
from engine.diff import reachable_in_document

MINI = Path(__file__).resolve().parent / "fixtures" / "workflows" / "mini.yaml"


def run(tmp_path: Path, *args: str):
    (tmp_path / "workflows").mkdir(exist_ok=True)
    (tmp_path / "workflows" / "mini.yaml").write_text(MINI.read_text(encoding="utf-8"),
                                                      encoding="utf-8")
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    return result


def scenario(tmp_path: Path, steps: str) -> str:
    path = tmp_path / "s.yaml"
    path.write_text(f"scenario: s\nworkflow: mini\nclock: 2026-03-02 09:00\nsteps:\n{steps}",
                    encoding="utf-8")
    return str(path)


def test_an_expected_due_date_that_is_not_a_date_is_a_finding(tmp_path):
    path = scenario(tmp_path, "  - expect: {intrays: {WORK: banana}}\n")
    result = run(tmp_path, "test", path)
    assert result.exit_code == 1 and "'banana' is not a due date" in result.output


def test_advancing_the_clock_beyond_the_calendar_fails_the_step(tmp_path):
    path = scenario(tmp_path, "  - advance: 9999999d\n")
    result = run(tmp_path, "test", path)
    assert result.exit_code == 1 and "the clock cannot go that far" in result.output


def test_a_period_too_long_to_count_is_refused_as_a_period():
    try:
        parse_duration("99999999999999999999d")
    except ValueError as exc:
        assert "too long a period" in str(exc)
    else:
        raise AssertionError("accepted")


def test_a_query_criterion_that_is_not_yaml_is_a_usage_error(tmp_path):
    path = scenario(tmp_path, "  - expect: {status: New}\n")
    result = run(tmp_path, "query", "anything", "c=[Red", "--scenario", path)
    assert result.exit_code != 0 and "the value is not YAML" in result.output


def test_skeletons_into_a_file_are_a_usage_error(tmp_path):
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    result = run(tmp_path, "paths", "mini", "--workflows", str(tmp_path / "workflows"),
                 "--skeletons", str(tmp_path / "afile" / "x"))
    assert result.exit_code == 2 and "cannot write the skeletons" in result.output


def test_an_old_version_with_a_malformed_initial_status_has_nothing_reachable():
    assert reachable_in_document({"initial": ["New"], "statuses": {"New": {}}}) == []


def test_a_malformed_workflow_beside_the_one_checked_does_not_crash_its_check(tmp_path):
    import shutil

    folder = tmp_path / "wf"
    shutil.copytree(Path(__file__).resolve().parent.parent / "workflows", folder)
    cma = folder / "cma.yaml"
    text = cma.read_text(encoding="utf-8")
    at = text.index("transitions:", text.index("  open_contact:"))
    end = text.index("\n  flag_privacy_risk:")
    cma.write_text(text[:at] + "transitions: 3\n" + text[end:], encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(folder / "coa.yaml")])
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)


def test_a_scenario_workflow_name_is_a_name_not_a_file_pattern(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("scenario: s\nworkflow: '*'\nsteps:\n  - event: save\n", encoding="utf-8")
    result = run(tmp_path, "test", str(path))
    assert result.exit_code == 1 \
        and "s.yaml:2:11: error: 'workflow': '*' should be a short name" in result.output


def test_a_workflow_found_by_name_that_declares_another_name_is_a_finding(tmp_path):
    run(tmp_path, "check")  # writes workflows/mini.yaml
    (tmp_path / "workflows" / "mini_v2.yaml").write_text(MINI.read_text(encoding="utf-8"),
                                                         encoding="utf-8")
    path = tmp_path / "s.yaml"
    path.write_text("scenario: s\nworkflow: mini_v2\nsteps:\n  - event: save\n", encoding="utf-8")
    result = run(tmp_path, "test", str(path))
    assert result.exit_code == 1
    assert "unknown workflow 'mini_v2': mini_v2.yaml declares workflow 'mini'" in result.output


def test_check_reports_two_files_declaring_one_workflow_and_a_file_named_otherwise(tmp_path):
    text = MINI.read_text(encoding="utf-8")
    run(tmp_path, "check")
    (tmp_path / "workflows" / "mini_v2.yaml").write_text(text, encoding="utf-8")
    result = run(tmp_path, "check", str(tmp_path / "workflows"))
    assert result.exit_code == 1
    assert "mini_v2.yaml:" in result.output \
        and "error: workflow 'mini' is also declared by mini.yaml" in result.output
    alone = tmp_path / "other" / "workflows"
    alone.mkdir(parents=True)
    (alone / "mini_v2.yaml").write_text(text, encoding="utf-8")
    result = run(tmp_path, "check", "--strict", str(alone))
    assert result.exit_code == 1
    assert "warning: this file declares workflow 'mini' but is named mini_v2.yaml" in result.output
    (alone / "mini_v2.yaml").rename(alone / "mini.yml")  # found as workflows/mini.yaml only
    result = run(tmp_path, "check", "--strict", str(alone))
    assert result.exit_code == 1 and "but is named mini.yml" in result.output


def test_an_intray_due_after_the_calendar_ends_refuses_the_event(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("scenario: s\nworkflow: mini\nclock: 9999-12-30 09:00\nsteps:\n"
                    "  - event: save\n    data: {applicant: payer, lodgement_date: 9999-11-01}\n"
                    "    expect: {error: would be due after the last date the calendar has}\n",
                    encoding="utf-8")
    result = run(tmp_path, "test", str(path))
    assert result.exit_code == 0, result.output


def test_documenting_a_workflow_called_index_says_it_would_replace_the_index_page(tmp_path):
    run(tmp_path, "check")
    text = MINI.read_text(encoding="utf-8").replace("workflow: mini", "workflow: index", 1)
    (tmp_path / "workflows" / "index.yaml").write_text(text, encoding="utf-8")
    result = run(tmp_path, "docs", "--format", "markdown", "-o", str(tmp_path / "site"),
                 str(tmp_path / "workflows" / "index.yaml"))
    assert result.exit_code == 2 \
        and "would take the place of the site's index page" in result.output
    assert not (tmp_path / "site").exists()


def test_a_whole_number_too_long_to_write_out_is_refused_where_it_is_read(engine):
    """Python will not turn text of more than 4,300 digits into a number (ValueError), nor write one
    out."""
    with pytest.raises(Refused, match="should be a whole number of at most 100 digits, not '99999"):
        engine.restore({"workflow": "mini", "instance": "big", "status": "New",
                        "fields": {"number": "9" * 5000}})
    with pytest.raises(Refused, match="should be a whole number of at most 100 digits"):
        engine.restore({"workflow": "mini", "instance": "big", "status": "New",
                        "fields": {"number": 10 ** 5000}})
    assert "big" not in engine.instances


def test_a_regular_expression_repeat_count_too_large_is_a_finding(tmp_path):
    run(tmp_path, "check")
    wf = tmp_path / "workflows" / "mini.yaml"
    text = MINI.read_text(encoding="utf-8")
    line = next(li for li in text.splitlines() if "check:" in li)
    wf.write_text(text.replace(line, line.split("check:")[0]
                               + "check: matches(applicant, 'a{99999999999}')", 1),
                  encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(wf)])
    assert result.exit_code == 1 and "repeat count over 1000" in result.output, result.output


def test_a_file_named_twice_is_checked_once(tmp_path):
    run(tmp_path, "check")
    folder = tmp_path / "workflows"
    result = run(tmp_path, "check", str(folder), str(folder / "mini.yaml"))
    assert result.exit_code == 0 and "1 file(s) checked, no problems" in result.output, \
        result.output


def test_a_coverage_minimum_that_is_not_a_number_is_a_usage_error(tmp_path):
    path = scenario(tmp_path, "  - event: save\n    data: {applicant: payer}\n")
    result = run(tmp_path, "test", "--min", "nan", path)
    assert result.exit_code == 2 and "not nan" in result.output
