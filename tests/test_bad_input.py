"""Bad input: every mistake is a positioned finding through `procflow check`, never a traceback."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli

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
    ("title: T\n", "title: [T\n", ":3:", "is not closed"),                                     # malformed YAML
    ("  B: {source: s, final: true}\n", "  B: {source: s, final: true}\n  A: {source: t}\n", ":12:3", "duplicate key 'A' (first defined at line 10)"),
    ("    title: Go\n", "    title: Go\n    tittle: Go\n", ":19:5", "unknown key 'tittle' in event 'go' (did you mean 'title'?)"),
    ("due: 2d", "due: 2 dayz", ":13:", "is not a period"),                            # wrong type
    ("        to: B\n", "        to: C\n", ":24:13", "unknown status 'C'"),
    ("          - open: IN\n", "          - open: OUT\n", ":29:19", "unknown intray 'OUT'"),
    ("          - letter: L1\n", "          - letter: L2\n", ":30:21", "unknown letter 'L2'"),
    ("who == 'payee'", "whom == 'payee'", ":27:21", "unknown name 'whom' (did you mean 'who'?)"),
    ("who == 'payee'", "who == 'payse'", ":27:21", "'payse' is not a value of who"),
    ("who == 'payee'", "who = 'payee'", ":27:", "not an expression"),
    ("who == 'payee'", "__import__('os')", ":27:21", "'__import__' is not allowed"),
    ("who == 'payee'", "who.__class__", ":27:25", "'__class__' is not allowed"),
    ("list: party, source: s}\n  when", "list: partie, source: s}\n  when", ":7:", "unknown list 'partie'"),
    ("          - open: IN\n", "          - set: {when_lodged: \"'soon'\"}\n          - open: IN\n", ":29:32",
     "when lodged should be a date"),                                                       # a literal of the wrong type
])
def test_each_mistake_is_reported_with_its_position(tmp_path, old, new, where, says):
    assert old in GOOD
    code, out = check(tmp_path, GOOD.replace(old, new, 1))
    assert code == 1, out
    first = out.splitlines()[0]
    assert where in first and "w.yaml" in first, out
    assert says.lower() in out.lower(), out


def test_all_mistakes_at_once(tmp_path):
    text = GOOD.replace("to: B", "to: C").replace("open: IN", "open: OUT").replace("letter: L1", "letter: L2")
    code, out = check(tmp_path, text)
    assert code == 1
    assert out.count("error:") == 3, out


def test_alias_bomb_is_refused(tmp_path):
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        bomb += f"{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
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
    path.write_text(SCENARIO.replace("{who: payee}", "{who: payee, on: 'next Tuesday'}"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["test", str(path)])
    assert result.exit_code == 1 and ":6:" in result.output and "should be a date" in result.output, result.output


def test_a_workflow_checked_away_from_the_others_it_calls_says_so(tmp_path):
    """A copy of coa.yaml on its own cannot find the SCO queries and the CMA workflow: the hint says why."""
    lone = tmp_path / "coa.yaml"
    lone.write_text((Path(__file__).resolve().parent.parent / "workflows" / "coa.yaml").read_text(encoding="utf-8"),
                    encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(lone)])
    assert result.exit_code == 1
    found = [line for line in result.output.splitlines() if ": error: " in line]
    calls = [line for line in found if "'officers_at_site'" in line]
    starts = [line for line in found if "unknown workflow (in this folder) 'cma'" in line]
    assert calls and all("none is beside it" in line for line in calls)
    assert starts and all("no other workflow file is beside this one" in line for line in starts)


@pytest.mark.parametrize("extra, says", [
    ("          - set: {who: \"'payee'\"}\n", "unknown list 'partie'"),     # a literal set into a field of an unknown list
    ("tables:\n  t:\n    key: name\n    source: s\n    columns: {num: {type: integer}}\n"
     "    rows:\n      - {name: A, num: \"--3\"}\n", "num should be a whole number, not '--3'"),
    ("tables:\n  t:\n    key: name\n    source: s\n    columns: {num: {type: integer}}\n"
     "    rows:\n      - {name: [A], num: 1}\n", "the name of row 1 of table 't' must be a text or a number"),
    ("tables:\n  t:\n    key: name\n    source: s\n    columns: {kind: {type: choice, list: partie}}\n"
     "    rows:\n      - {name: A, kind: payee}\n", "unknown list 'partie'"),
])
def test_odd_values_in_a_workflow_are_findings_not_tracebacks(tmp_path, extra, says):
    text = GOOD.replace("list: party, source: s}\n  when", "list: partie, source: s}\n  when", 1) \
        if "partie" in says and "set:" in extra else GOOD
    if extra.startswith("tables:"):
        text = text.replace("events:\n", extra + "events:\n", 1)
        if "partie" in extra:
            text = text.replace("list: party, source: s}\n  when", "list: party, source: s}\n  when", 1)
    else:
        text = text.replace("          - open: IN\n", extra + "          - open: IN\n", 1)
    code, out = check(tmp_path, text)
    assert code == 1 and says in out, out
