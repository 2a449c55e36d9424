"""`procflow check`: every mistake in a workflow or a scenario is a positioned finding, never a
traceback; hostile values (control characters, periods no calendar reaches) are findings too, and
are shown, never obeyed."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from engine.controls import visible
from engine.model import ChoiceList, FieldSpec
from engine.render import dot, mermaid
from engine.values import ValueProblem, coerce

GOOD = """\
workflow: w
title: T
initial: A
lists:
  party: {values: [payee, payer], source: s}
fields:
  who: {type: choice, list: party, source: s}
  when_lodged: {type: date, source: s}
statuses:
  A: {source: s}
  B: {source: s, final: true}
intrays:
  IN: {name: In, due: 2d, source: s}
letters:
  L1: {title: Letter, source: s}
events:
  go:
    title: Go
    source: s
    data:
      who: {type: choice, list: party}
    transitions:
      - from: A
        to: B
        source: s
        guards:
          - {check: who == 'payee', says: only the payee}
        effects:
          - open: IN
          - letter: L1
            to: [applicant]
"""


def check(tmp_path: Path, text: str) -> tuple[int, str]:
    path = tmp_path / "w.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_good_workflow_is_clean(tmp_path):
    code, out = check(tmp_path, GOOD)
    assert code == 0, out


@pytest.mark.parametrize("old, new, where, says", [
    ("title: T\n", "title: [T\n", ":3:", "is not closed"),  # malformed YAML
    ("  B: {source: s, final: true}\n", "  B: {source: s, final: true}\n  A: {source: t}\n",
     ":12:3", "duplicate key 'A' (first defined at line 10)"),
    ("    title: Go\n", "    title: Go\n    tittle: Go\n", ":19:5",
     "unknown key 'tittle' in event 'go' (did you mean 'title'?)"),
    ("due: 2d", "due: 2 dayz", ":13:", "is not a period"),                            # wrong type
    ("        to: B\n", "        to: C\n", ":24:13", "unknown status 'C'"),
    ("          - open: IN\n", "          - open: OUT\n", ":29:19", "unknown intray 'OUT'"),
    ("          - letter: L1\n", "          - letter: L2\n", ":30:21", "unknown letter 'L2'"),
    ("who == 'payee'", "whom == 'payee'", ":27:21", "unknown name 'whom' (did you mean 'who'?)"),
    ("who == 'payee'", "who == 'payse'", ":27:21", "'payse' is not a value of who"),
    ("who == 'payee'", "who = 'payee'", ":27:", "not an expression"),
    ("who == 'payee'", "__import__('os')", ":27:21", "'__import__' is not allowed"),
    ("who == 'payee'", "who.__class__", ":27:25", "'__class__' is not allowed"),
    ("list: party, source: s}\n  when", "list: partie, source: s}\n  when", ":7:",
     "unknown list 'partie'"),
    ("          - open: IN\n", "          - set: {when_lodged: \"'soon'\"}\n          - open: IN\n",
     ":29:32",
     "when lodged should be a date"),  # a literal of the wrong type
])
def test_each_mistake_is_reported_with_its_position(tmp_path, old, new, where, says):
    assert old in GOOD
    code, out = check(tmp_path, GOOD.replace(old, new, 1))
    assert code == 1, out
    first = out.splitlines()[0]
    assert where in first and "w.yaml" in first, out
    assert says.lower() in out.lower(), out


def test_all_mistakes_at_once(tmp_path):
    text = GOOD.replace("to: B", "to: C").replace("open: IN",
                                                  "open: OUT").replace("letter: L1", "letter: L2")
    code, out = check(tmp_path, text)
    assert code == 1
    assert out.count("error:") == 3, out


def test_alias_bomb_is_refused(tmp_path):
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        bomb += f"{name}: &{name} [{','.join([f'*{prev}'] * 9)}]\n"
    code, out = check(tmp_path, bomb)
    assert code == 1 and "aliases are not allowed" in out


def test_unreadable_file_is_a_finding(tmp_path):
    path = tmp_path / "w.yaml"
    path.write_bytes(b"workflow: \xff\xfe\n")
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output


SCENARIO = """\
scenario: S
workflow: w
clock: 2026-03-02 09:00
steps:
  - event: go
    data: {who: payee}
    expect: {status: B, intrays: [IN], letters: [{code: L1, to: [applicant]}]}
"""


def run_scenario(tmp_path: Path, text: str) -> tuple[int, str]:
    (tmp_path / "workflows").mkdir(exist_ok=True)
    (tmp_path / "workflows" / "w.yaml").write_text(GOOD, encoding="utf-8")
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["test", str(path)])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_scenario_passes(tmp_path):
    code, out = run_scenario(tmp_path, SCENARIO)
    assert code == 0 and out.strip().endswith("1 passed, 0 failed"), out


@pytest.mark.parametrize("old, new, where, says", [
    ("event: go", "event: goo", ":5:", "unknown event 'goo'"),
    ("{who: payee}", "{whom: payee}", ":6:", "no data field 'whom'"),
    ("{who: payee}", "{who: 3}", ":6:", "should be one of payee, payer"),
    ("expect: {status", "expect: {stauts", ":7:", "unknown key 'stauts'"),
    ("status: B", "status: Z", ":7:", "unknown status 'Z'"),
    ("workflow: w", "workflow: nope", ":2:", "unknown workflow 'nope'"),
])
def test_scenario_mistakes_are_positioned(tmp_path, old, new, where, says):
    code, out = run_scenario(tmp_path, SCENARIO.replace(old, new, 1))
    assert code == 1, out
    assert where in out and says in out, out
    assert out.strip().endswith("0 passed, 1 failed")


def test_wrong_date_type_in_scenario_data(tmp_path):
    text = SCENARIO.replace("who: {type: choice, list: party}", "x")  # keep GOOD as is
    text = text.replace("data: {who: payee}", "data: {who: payee}")
    wf = GOOD.replace("      who: {type: choice, list: party}\n",
                      "      who: {type: choice, list: party}\n      on: {type: date}\n")
    (tmp_path / "workflows").mkdir()
    (tmp_path / "workflows" / "w.yaml").write_text(wf, encoding="utf-8")
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.replace("{who: payee}", "{who: payee, on: 'next Tuesday'}"),
                    encoding="utf-8")
    result = CliRunner().invoke(cli, ["test", str(path)])
    assert result.exit_code == 1 and ":6:" in result.output \
        and "should be a date" in result.output, result.output


def test_a_workflow_checked_away_from_the_others_it_calls_says_so(tmp_path):
    """A copy of coa.yaml on its own cannot find the SCO queries and the CMA workflow: the hint says
    why."""
    lone = tmp_path / "coa.yaml"
    lone.write_text((Path(__file__).resolve().parent.parent / "workflows" / "coa.yaml").read_text(
        encoding="utf-8"),
                    encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(lone)])
    assert result.exit_code == 1
    found = [line for line in result.output.splitlines() if ": error: " in line]
    calls = [line for line in found if "'officers_at_site'" in line]
    starts = [line for line in found if "unknown workflow (in this folder) 'cma'" in line]
    assert calls and all("none is beside it" in line for line in calls)
    assert starts and all("no other workflow file is beside this one" in line for line in starts)


@pytest.mark.parametrize("extra, says", [
    # a literal set into a field of an unknown list
    ("          - set: {who: \"'payee'\"}\n", "unknown list 'partie'"),
    ("tables:\n  t:\n    key: name\n    source: s\n    columns: {num: {type: integer}}\n"
     "    rows:\n      - {name: A, num: \"--3\"}\n", "num should be a whole number, not '--3'"),
    ("tables:\n  t:\n    key: name\n    source: s\n    columns: {num: {type: integer}}\n"
     "    rows:\n      - {name: [A], num: 1}\n",
     "the name of row 1 of table 't' must be a text or a number"),
    ("tables:\n  t:\n    key: name\n    source: s\n"
     "    columns: {kind: {type: choice, list: partie}}\n"
     "    rows:\n      - {name: A, kind: payee}\n", "unknown list 'partie'"),
])
def test_odd_values_in_a_workflow_are_findings_not_tracebacks(tmp_path, extra, says):
    text = GOOD.replace("list: party, source: s}\n  when", "list: partie, source: s}\n  when", 1) \
        if "partie" in says and "set:" in extra else GOOD
    if extra.startswith("tables:"):
        text = text.replace("events:\n", extra + "events:\n", 1)
        if "partie" in extra:
            text = text.replace("list: party, source: s}\n  when",
                                "list: party, source: s}\n  when", 1)
    else:
        text = text.replace("          - open: IN\n", extra + "          - open: IN\n", 1)
    code, out = check(tmp_path, text)
    assert code == 1 and says in out, out


# -- hostile values in the mini workflow -------------------------------------------------------
MINI = Path(__file__).resolve().parent / "fixtures" / "workflows" / "mini.yaml"
TEXT = MINI.read_text(encoding="utf-8")


def check_mini(tmp_path: Path, old: str, new: str, *more: str):
    assert old in TEXT
    path = tmp_path / "workflows" / "mini.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(TEXT.replace(old, new, 1), encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--strict", str(path), *more])
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert "Traceback" not in result.output
    return result


@pytest.mark.parametrize("old, new, where", [
    # crashed diagram and docs
    ("title: A small application", 'title: "A small\\0application"', ":3:8:"),
    # cleared the terminal on describe
    ("title: A small application", 'title: "\\e[2J\\e[Hcleared"', ":3:8:"),
    ("title: A small application", 'title: "bell\\x07"', ":3:8:"),
    ("title: A small application", 'title: "del\\x7f"', ":3:8:"),
    ("title: A small application", 'title: "csi\\x9b2J"', ":3:8:"),
    ("  WAIT: {name: Waiting,", '  "WA\\x1bIT": {name: Waiting,', ":22:3:"),
])
def test_a_control_character_written_as_a_yaml_escape_is_a_finding(tmp_path, old, new, where):
    result = check_mini(tmp_path, old, new)
    assert result.exit_code == 1 and "control character" in result.output \
        and where in result.output, result.output
    assert "\x1b" not in result.output and "\x00" not in result.output


def test_tab_and_newline_stay_allowed(tmp_path):
    assert check_mini(tmp_path, "title: A small application",
                      'title: "A small\\tapplication\\n"').exit_code == 0


def test_control_characters_are_shown_never_obeyed_in_diagrams_and_terminals():
    assert visible("a\x1b[2Jb\x00c\td\n") == "a\\x1b[2Jb\\x00c\td\n"
    assert "\x1b" not in dot._q("x\x1b[2J") and "\\\\x1b" in dot._q("x\x1b[2J")
    assert "\x00" not in mermaid.text("x\x00y") and "\\x00" in mermaid.text("x\x00y")


def test_a_letter_to_a_party_the_workflow_does_not_know_is_a_finding(tmp_path):
    result = check_mini(tmp_path, "            to: [applicant]", "            to: [applicnat]")
    assert result.exit_code == 1 and "unknown recipient 'applicnat'" in result.output, result.output
    assert "did you mean 'applicant'" in result.output


def test_a_due_period_no_date_of_the_calendar_can_reach_is_a_finding(tmp_path):
    result = check_mini(tmp_path, "WORK: {name: Work to do, due: 48h,",
                        "WORK: {name: Work to do, due: 99999999d,")
    assert result.exit_code == 1 and "a due period of 99,999,999 days" in result.output, \
        result.output


@pytest.mark.parametrize("value", [True, 1.0, "1", False, [1], {"1": 1}])
def test_a_list_of_numbers_takes_numbers_only(value):
    spec, lists = FieldSpec(name="reason", type="choice", list="r"), \
        {"r": ChoiceList(name="r", values=(1, 2, 3))}
    assert coerce(spec, 1, lists) == 1 and coerce(spec, 2, lists) == 2
    with pytest.raises(ValueProblem, match="should be one of 1, 2, 3"):
        coerce(spec, value, lists)


def _scenario(tmp_path: Path, steps: str):
    (tmp_path / "workflows").mkdir(exist_ok=True)
    (tmp_path / "workflows" / "mini.yaml").write_text(TEXT, encoding="utf-8")
    path = tmp_path / "s.yaml"
    path.write_text(f"scenario: s\nworkflow: mini\nclock: 2026-03-02 09:00\nsteps:\n{steps}",
                    encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert "Traceback" not in result.output
    return result


@pytest.mark.parametrize("steps, says", [
    ("  - at: 2026-03-01 09:00\n",
     "at: 2026-03-01 09:00:00 is before the clock (2026-03-02 09:00:00)"),
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
