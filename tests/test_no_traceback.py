"""User mistakes found by probing the CLI: each is a clear error or failure, never a Python traceback."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from cli import cli
from engine.clock import parse_duration
from engine.diff import reachable_in_document

MINI = Path(__file__).resolve().parent / "fixtures" / "workflows" / "mini.yaml"


def run(tmp_path: Path, *args: str):
    (tmp_path / "workflows").mkdir(exist_ok=True)
    (tmp_path / "workflows" / "mini.yaml").write_text(MINI.read_text(encoding="utf-8"), encoding="utf-8")
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def scenario(tmp_path: Path, steps: str) -> str:
    path = tmp_path / "s.yaml"
    path.write_text(f"scenario: s\nworkflow: mini\nclock: 2026-03-02 09:00\nsteps:\n{steps}", encoding="utf-8")
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
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
