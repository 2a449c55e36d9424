"""What `check` passed and then broke: each is now a finding when the workflow or scenario is checked, or a clear
refusal as it runs, never a traceback, a cleared terminal or a letter to nobody."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from engine import Refused
from engine.clock import SimulatedClock
from engine.controls import visible
from engine.model import ChoiceList, FieldSpec
from engine.render import dot, mermaid
from engine.runtime import Engine
from engine.values import ValueProblem, coerce

MINI = Path(__file__).resolve().parent / "fixtures" / "workflows" / "mini.yaml"
TEXT = MINI.read_text(encoding="utf-8")


def _check(tmp_path: Path, old: str, new: str, *more: str):
    assert old in TEXT
    path = tmp_path / "workflows" / "mini.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(TEXT.replace(old, new, 1), encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--strict", str(path), *more])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


@pytest.mark.parametrize("old, new, where", [
    ("title: A small application", 'title: "A small\\0application"', ":3:8:"),  # crashed diagram and docs
    ("title: A small application", 'title: "\\e[2J\\e[Hcleared"', ":3:8:"),  # cleared the terminal on describe
    ("title: A small application", 'title: "bell\\x07"', ":3:8:"),
    ("title: A small application", 'title: "del\\x7f"', ":3:8:"),
    ("title: A small application", 'title: "csi\\x9b2J"', ":3:8:"),
    ("  WAIT: {name: Waiting,", '  "WA\\x1bIT": {name: Waiting,', ":22:3:"),
])
def test_a_control_character_written_as_a_yaml_escape_is_a_finding(tmp_path, old, new, where):
    result = _check(tmp_path, old, new)
    assert result.exit_code == 1 and "control character" in result.output and where in result.output, result.output
    assert "\x1b" not in result.output and "\x00" not in result.output


def test_tab_and_newline_stay_allowed(tmp_path):
    assert _check(tmp_path, "title: A small application", 'title: "A small\\tapplication\\n"').exit_code == 0


def test_control_characters_are_shown_never_obeyed_in_diagrams_and_terminals():
    assert visible("a\x1b[2Jb\x00c\td\n") == "a\\x1b[2Jb\\x00c\td\n"
    assert "\x1b" not in dot._q("x\x1b[2J") and "\\\\x1b" in dot._q("x\x1b[2J")
    assert "\x00" not in mermaid.text("x\x00y") and "\\x00" in mermaid.text("x\x00y")


def test_a_letter_to_a_party_the_workflow_does_not_know_is_a_finding(tmp_path):
    result = _check(tmp_path, "            to: [applicant]", "            to: [applicnat]")
    assert result.exit_code == 1 and "unknown recipient 'applicnat'" in result.output, result.output
    assert "did you mean 'applicant'" in result.output


def test_a_due_period_no_date_of_the_calendar_can_reach_is_a_finding(tmp_path):
    result = _check(tmp_path, "WORK: {name: Work to do, due: 48h,", "WORK: {name: Work to do, due: 99999999d,")
    assert result.exit_code == 1 and "a due period of 99,999,999 days" in result.output, result.output


@pytest.mark.parametrize("value", [True, 1.0, "1", False])
def test_a_list_of_numbers_takes_numbers_only(value):
    spec, lists = FieldSpec(name="reason", type="choice", list="r"), {"r": ChoiceList(name="r", values=(1, 2, 3))}
    assert coerce(spec, 1, lists) == 1 and coerce(spec, 2, lists) == 2
    with pytest.raises(ValueProblem, match="should be one of 1, 2, 3"):
        coerce(spec, value, lists)


def _scenario(tmp_path: Path, steps: str):
    (tmp_path / "workflows").mkdir(exist_ok=True)
    (tmp_path / "workflows" / "mini.yaml").write_text(TEXT, encoding="utf-8")
    path = tmp_path / "s.yaml"
    path.write_text(f"scenario: s\nworkflow: mini\nclock: 2026-03-02 09:00\nsteps:\n{steps}", encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert "Traceback" not in result.output
    return result


@pytest.mark.parametrize("steps, says", [
    ("  - at: 2026-03-01 09:00\n", "at: 2026-03-01 09:00:00 is before the clock (2026-03-02 09:00:00)"),
    ("  - advance: 2d\n  - at: 2026-03-03 09:00\n", "is before the clock (2026-03-04 09:00:00)"),
    ("  - at: '20260301'\n", "'20260301' is not a moment"),
    ("  - at: 2026-W09-7\n", "'2026-W09-7' is not a moment"),
    ("  - at: 2026-03-05T09:00+10:00\n", "has a time zone"),
])
def test_a_scenario_clock_moves_forward_to_iso_moments_only(tmp_path, steps, says):
    result = _scenario(tmp_path, steps)
    assert result.exit_code == 1 and says in result.output, result.output


def test_a_later_at_is_taken(tmp_path):
    assert _scenario(tmp_path, "  - advance: 2d\n  - at: 2026-03-04 10:00\n").exit_code == 0


def test_the_engine_clock_does_not_move_backwards(mini):
    from datetime import datetime

    engine = Engine([mini], clock=SimulatedClock("2026-03-02 09:00"))
    with pytest.raises(Refused, match="the clock cannot move backwards"):
        engine.advance(datetime(2026, 3, 1))
    assert engine.clock() == datetime(2026, 3, 2, 9)


@pytest.mark.parametrize("name", ["a\x1b[2Jb", "nul\x00", "\x9b"])
def test_an_instance_name_has_no_control_characters(mini, name):
    engine = Engine([mini], clock=SimulatedClock("2026-03-02 09:00"))
    with pytest.raises(Refused, match="without control characters"):
        engine.create("mini", name)
    assert engine.instances == {}


def test_a_very_long_line_typed_into_simulate_is_refused_and_the_session_goes_on():
    session = "x" * 1_000_000 + "\nsave applicant=payer\nstate\nquit\n"  # a 1 MB line took 38 s
    result = CliRunner().invoke(cli, ["simulate", str(MINI)], input=session)
    assert result.exit_code == 0, result.output
    assert "a line of more than 10,000 characters is not read" in result.output
    assert '"status": "Open"' in result.output
