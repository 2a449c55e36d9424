"""Graph analysis (check), routes (paths), scenario coverage (test --coverage) and the tracing
hook."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from engine import (
    DefinitionError,
    Engine,
    Refused,
    SimulatedClock,
    load_workflow,
    load_workflow_text,
)
from engine.analysis import analyse, analyse_part, routes, skeleton_text
from engine.coverage import Coverage
from engine.outcome import Trace
from engine.scenario import load_scenario, run_scenario

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "tests" / "fixtures"
MINI = FIX / "workflows" / "mini.yaml"
MINI_PATH = FIX / "scenarios" / "mini_path.yaml"

CLEAN = """\
workflow: t
title: T
source: s
initial: New
fields:
  amount: {type: integer, source: s}
statuses:
  New: {source: s}
  Open: {source: s}
  Done: {final: true, source: s}
  Lost: {final: true, source: s}
intrays:
  WORK: {name: Work, due: 2d, source: s}
letters:
  L1: {title: Decision, source: s}
events:
  start:
    title: Start
    source: s
    transitions:
      - from: New
        to: Open
        source: s
        effects:
          - open: WORK
  finish:
    title: Finish
    source: s
    data:
      amount: {type: integer, required: true}
    transitions:
      - from: Open
        to: Done
        when: amount > 5
        source: s
        effects:
          - close: WORK
          - letter: L1
            to: [applicant]
      - from: Open
        to: Lost
        when: amount <= 5
        source: t2
        effects:
          - close: WORK
"""


def where(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    """The 1-based (line, column) of the nth occurrence of `needle` in `text`."""
    at = -1
    for _ in range(nth + 1):
        at = text.index(needle, at + 1)
    line = text.count("\n", 0, at) + 1
    return line, at - (text.rfind("\n", 0, at) + 1) + 1


def findings(text: str) -> list:
    return analyse(load_workflow_text(text, "t.yaml"))


def only(text: str) -> object:
    found = findings(text)
    assert len(found) == 1, [f.render() for f in found]
    return found[0]


def test_a_clean_workflow_has_no_findings():
    assert findings(CLEAN) == []
    # `not is_open('WAIT')` guards the route that does not close WAIT
    assert analyse(load_workflow(MINI)) == []


def test_unreachable_status():
    text = CLEAN.replace("  Lost: {final: true, source: s}\n",
                         "  Lost: {final: true, source: s}\n"
                         "  Orphan: {final: true, source: orphan}\n")
    f = only(text)
    assert (f.code, f.severity, f.file) == ("unreachable", "warning", "t.yaml")
    assert (f.line, f.col) == where(text, "{final: true, source: orphan}")
    assert "'Orphan' cannot be reached from the initial status 'New'" in f.message


def test_dead_end_is_an_error():
    text = CLEAN.replace("  Lost: {final: true, source: s}\n", "  Lost: {final: true, source: s}\n"
                         "  Stuck: {source: stuck}\n") + """\
  park:
    title: Park
    source: s
    transitions:
      - from: Open
        to: Stuck
        source: s
"""
    f = only(text)
    assert (f.code, f.severity) == ("dead-end", "error")
    assert (f.line, f.col) == where(text, "{source: stuck}")
    assert "status 'Stuck'" in f.message


def test_event_whose_guards_contradict_never_fires():
    text = CLEAN + """\
  adjust:
    title: Adjust
    source: s
    data:
      amount: {type: integer, required: true}
    guards:
      - check: amount > 5 and amount < 3
        says: never
    transitions:
      - from: Open
        source: s
"""
    f = only(text)
    assert (f.code, f.severity) == ("never-fires", "warning")
    assert (f.line, f.col) == where(text, "title: Adjust")
    assert "event 'adjust' can never fire" in f.message


def test_a_guard_keyed_by_a_table_lookup_can_pass():
    """`lookup('areas', actor.area, ...)` passes for the table's own keys, which no literal in the
    guard names."""
    text = CLEAN.replace("events:\n", """tables:
  areas:
    title: Areas
    key: name
    columns:
      may_adjust: {type: boolean, title: May adjust}
    rows:
      - {name: Team A, may_adjust: true}
    source: s
events:
""", 1) + """\
  adjust:
    title: Adjust
    source: s
    guards:
      - check: lookup('areas', actor.area, 'may_adjust') == true
        says: only an area that may adjust
    transitions:
      - from: Open
        source: s
"""
    assert findings(text) == []


def test_event_from_unreachable_statuses_never_fires():
    text = CLEAN.replace("  Lost: {final: true, source: s}\n",
                         "  Lost: {final: true, source: s}\n"
                         "  Orphan: {final: true, source: orphan}\n") + """\
  reopen:
    title: Reopen
    source: s
    transitions:
      - from: Orphan
        to: Open
        source: s
"""
    found = {f.code: f for f in findings(text)}
    assert sorted(found) == ["never-fires", "unreachable"]
    assert "leaves only from statuses no case reaches (Orphan)" in found["never-fires"].message


def test_intray_left_open_on_one_route():
    text = CLEAN.replace("""        source: t2
        effects:
          - close: WORK
""", """        source: t2
""")
    f = only(text)
    assert (f.code, f.severity) == ("intray-left-open", "warning")
    assert (f.line, f.col) == where(text, "open: WORK")
    assert "intray WORK opened by start can still be open when the case reaches final status Lost" \
        in f.message
    assert "New -start-> Open -finish-> Lost" in f.message


def test_intray_never_closed_is_reported_once_at_its_declaration():
    text = CLEAN.replace("source: t2\n        effects:\n          - close: WORK\n", "source: t2\n")
    text = text.replace("          - close: WORK\n", "")
    f = only(text)
    assert f.code == "intray-left-open"
    assert (f.line, f.col) == where(text, "{name: Work")
    assert "nothing in the workflow closes it: it stays open in final status Done, Lost" \
        in f.message


def test_an_intray_that_stays_open_on_purpose_is_not_reported_where_it_says():
    never_closed = CLEAN.replace("source: t2\n        effects:\n          - close: WORK\n",
                                 "source: t2\n")
    never_closed = never_closed.replace("          - close: WORK\n", "")
    declared = "  WORK: {name: Work, due: 2d, source: s}\n"
    why = "    stays_open: {assumption: 'R0: closed by another team', in: [Lost]}\n"
    only_lost = never_closed.replace(declared,
                                     "  WORK:\n    name: Work\n    due: 2d\n    source: s\n" + why)
    f = only(only_lost)  # still reported for Done, which `in:` does not name
    assert "stays open in final status Done" in f.message and "Lost" not in f.message
    anywhere = only_lost.replace(", in: [Lost]", "")
    assert findings(anywhere) == []
    wf = load_workflow_text(anywhere, "t.yaml")
    assert ("intray WORK stays open in any final status", "R0: closed by another team") in [
        (where_, text) for where_, text, _ in wf.assumptions()]


def test_stays_open_names_only_final_statuses():
    text = CLEAN.replace("  WORK: {name: Work, due: 2d, source: s}\n",
                         "  WORK: {name: Work, due: 2d, source: s, stays_open: {assumption: a, "
                         "in: [Open]}}\n")
    with pytest.raises(DefinitionError) as exc:
        load_workflow_text(text, "t.yaml")
    assert "status 'Open' is not final" in str(exc.value.findings[0].message)


def test_in_a_workflow_that_catalogues_its_procedure_every_guard_and_effect_cites_a_step():
    catalogue = """procedure:
  document: T
  title: T procedure
  tables:
    - table: 1
      title: Work
      steps: {1: Start, 2: Finish}
"""
    text = CLEAN.replace("initial: New\n", "initial: New\n" + catalogue, 1)
    text = text.replace("          - open: WORK\n",
                        "          - open: WORK\n            source: T Table 1 Step 1\n", 1)
    uncited = [f for f in findings(text) if f.code == "missing-source"]
    assert [(f.line, f.col) for f in uncited] == [where(text, "close: WORK"),
                                                  where(text, "letter: L1"),
                                                  # the cited open is not listed
                                                  where(text, "close: WORK", 1)]
    assert all(f.severity == "warning"
               and "cites no step of the procedure" in f.message for f in uncited)
    guarded = text.replace("      amount: {type: integer, required: true}\n    transitions:",
                           "      amount: {type: integer, required: true}\n    guards:\n"
                           "      - {check: amount >= 0, says: no negative amounts}\n"
                           "    transitions:", 1)
    (guard,) = [f for f in findings(guarded) if "guard" in f.message and f.code == "missing-source"]
    assert (guard.line, guard.col) == where(guarded, "{check: amount >= 0")
    assert "'no negative amounts'" in guard.message
    # no catalogue: nothing to cite
    assert not [f for f in findings(CLEAN) if f.code == "missing-source"]


def test_unused_intray_and_letter():
    text = CLEAN.replace("  WORK: {name: Work, due: 2d, source: s}\n",
                         "  WORK: {name: Work, due: 2d, source: s}\n"
                         "  SPARE: {name: Spare, due: 2d, source: s}\n")
    f = only(text)
    assert (f.code, f.line, f.col) == ("unused-intray", *where(text, "{name: Spare"))
    assert f.message == "intray SPARE is declared but never used"
    text = CLEAN.replace("  L1: {title: Decision, source: s}\n",
                         "  L1: {title: Decision, source: s}\n  L2: {title: Other, source: s}\n")
    f = only(text)
    assert (f.code, f.line, f.col) == ("unused-letter", *where(text, "{title: Other"))
    assert f.message == "letter L2 is declared but never issued"


def test_overlapping_guards_name_both_transitions_and_a_witness():
    text = CLEAN.replace("when: amount <= 5", "when: amount < 7")
    f = only(text)
    assert (f.code, f.severity) == ("overlapping-guards", "warning")
    assert (f.line, f.col) == where(text, "from: Open", 1)
    first_line = where(text, "from: Open")[0]
    assert (f"and the one at line {first_line} (Open -> Done) can both be taken, "
            "e.g. with amount=6") in f.message
    assert "this transition (Open -> Lost)" in f.message


def test_guards_that_exclude_each_other_only_through_a_guard_are_not_reported():
    text = CLEAN.replace("        when: amount > 5\n",
                         "        guards:\n          - check: amount > 5\n"
                         "            says: big\n").replace("        when: amount <= 5\n",
                                                            "        guards:\n"
                                                          "          - check: amount <= 5\n"
                                                          "            says: small\n")
    assert findings(text) == []
    overlapping = text.replace("check: amount <= 5", "check: amount <= 6")
    assert [f.code for f in findings(overlapping)] == ["overlapping-guards"]


def test_remembered_searches_say_what_a_fresh_analysis_says():
    """The language server keeps the boundary searches between edits: each version analysed with
    the memo of the ones before says exactly what it says analysed afresh, positions included."""
    both_null = CLEAN.replace("when: amount <= 5", "when: amount == null or amount <= 5") \
        .replace("when: amount > 5", "when: amount == null or amount > 5")
    versions = [
        CLEAN,
        "# a comment moves every line down\n"
        + CLEAN.replace("when: amount <= 5", "when: amount < 7"),
        both_null,  # required data: never null, so the two `when:`s still exclude each other
        both_null.replace("amount: {type: integer, required: true}", "amount: {type: integer}"),
        CLEAN,
    ]
    memo: dict = {}
    said = []
    for text in versions:
        wf = load_workflow_text(text, "t.yaml")
        fresh = analyse(wf)
        assert analyse(wf, memo) == fresh
        said.append([(f.code, f.line) for f in fresh])
    lost = [where(text, "from: Open", 1)[0] for text in versions]  # the second transition's line
    assert said \
        == [[], [("overlapping-guards", lost[1])], [], [("overlapping-guards", lost[3])], []]


def test_the_part_a_schema_accepts_is_searched_except_events_set_aside_in_part():
    """With schema errors elsewhere, overlapping guards are still found, but not in an event a part
    of which was set aside (what is left of it would overlap only because of what is missing)."""
    wf = load_workflow_text(CLEAN.replace("when: amount <= 5", "when: amount < 7"), "t.yaml")
    assert [f.code for f in analyse_part(wf, set())] == ["overlapping-guards"]
    assert analyse_part(wf, {"finish"}) == []
    assert analyse_part(load_workflow_text(CLEAN, "t.yaml"), set()) == []


# -- check --strict -------------------------------------------------------------------------------

def run(*args: str) -> object:
    return CliRunner().invoke(cli, list(args))


def test_check_strict_makes_warnings_fail(tmp_path):
    clean = tmp_path / "clean.yaml"
    clean.write_text(CLEAN)
    warned = tmp_path / "warned.yaml"
    warned.write_text(CLEAN.replace("when: amount <= 5", "when: amount < 7"))
    stuck = tmp_path / "stuck.yaml"
    stuck.write_text(CLEAN.replace("        to: Done\n", "        to: Open\n")
                     .replace("        to: Lost\n", "        to: Open\n"))
    assert run("check", str(clean)).exit_code == 0
    assert run("check", "--strict", str(clean)).exit_code == 0
    result = run("check", str(warned))
    assert result.exit_code == 0
    assert f"{warned}:{where(warned.read_text(), 'from: Open', 1)[0]}:9: warning: event 'finish'" \
        in result.output
    assert "0 error(s), 1 warning(s) in 1 file(s)" in result.output
    assert run("check", "--strict", str(warned)).exit_code == 1
    result = run("check", str(stuck))
    assert result.exit_code == 1 \
        and ": error: no final status can be reached from status 'Open'" in result.output
    data = json.loads(run("check", "--json", str(warned)).output)
    assert [(f["code"], f["severity"]) for f in data["findings"]] \
        == [("overlapping-guards", "warning")]


def test_importing_the_cli_does_not_import_networkx():
    import subprocess
    import sys

    code = "import sys, cli; print('networkx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


# -- paths ----------------------------------------------------------------------------------------

def test_routes_of_the_mini_workflow():
    wf = load_workflow(MINI)
    assert routes(wf) == ([(("save", "Open"), ("decide", "Granted")),
                           (("save", "Open"), ("decide", "Refused"))],
                          False)
    assert routes(wf, to="Open") == ([(("save", "Open"),)], False)
    assert routes(wf, to="New") == ([()], False)


def test_cycles_are_bounded_by_visits():
    text = CLEAN + """\
  back:
    title: Back
    source: s
    transitions:
      - from: Open
        to: New
        source: s
"""
    wf = load_workflow_text(text, "t.yaml")
    once = routes(wf, max_visits=0)[0]
    assert once \
        == [(("start", "Open"), ("finish", "Done")), (("start", "Open"), ("finish", "Lost"))]
    twice = routes(wf, max_visits=1)[0]
    assert len(twice) == 4
    assert (("start", "Open"), ("back", "New"), ("start", "Open"), ("finish", "Lost")) in twice


def test_paths_command_and_skeletons_that_load_as_scenarios(tmp_path):
    result = run("paths", str(MINI))
    assert result.exit_code == 0
    assert result.output.splitlines() == ["  1. New -save-> Open -decide-> Granted",
                                          "  2. New -save-> Open -decide-> Refused",
                                          "2 route(s) to a final status"]
    data = json.loads(run("paths", str(MINI), "--to", "Open", "--json").output)
    assert data["routes"] == [[{"event": "save", "status": "Open"}]]
    assert run("paths", str(MINI), "--to", "Nowhere").exit_code == 2
    out = tmp_path / "skeletons"
    result = run("paths", str(MINI), "--skeletons", str(out))
    assert result.exit_code == 0 and "2 skeleton(s) written" in result.output
    files = sorted(out.glob("*.yaml"))
    assert [f.name for f in files] == ["01_granted.yaml", "02_refused.yaml"]
    wf = load_workflow(MINI)
    for file in files:
        assert file.read_text().startswith("# yaml-language-server: $schema=")
        scenario = load_scenario(file, finder=lambda name: wf if name == "mini" else None)
        assert [s.raw["event"] for s in scenario.steps] == ["save", "decide"]
        assert [s.raw["expect"] for s in scenario.steps][-1] \
            == {"status": file.stem.split("_")[1].capitalize()}


def test_a_skeleton_quotes_nothing_a_scenario_would_misread():
    wf = load_workflow(MINI)
    text = skeleton_text(wf, (("save", "Open"),))
    assert "  data: {}\n  expect: {status: Open}\n" in text


# -- coverage -------------------------------------------------------------------------------------

def test_coverage_of_the_mini_scenario():
    cov = Coverage()
    assert run_scenario(load_scenario(MINI_PATH), trace=cov.record).passed
    [mini] = cov.results()
    assert mini.name == "mini"
    assert {k: mini.figure(k) for k in ("statuses", "transitions", "guards", "effects")} == {
        "statuses": (3, 4), "transitions": (3, 5), "guards": (4, 6), "effects": (5, 9)}
    assert mini.percent() == 60.0
    missing = [u.label for u in mini.missing()]
    assert missing == [
        "status Granted never reached",
        "guard of event save never refused: lodgement_date <= today",
        "transition change: Open -> (same status) never taken",
        "effect set applicant of change: Open -> (same status) never applied",
        "effect append notes of change: Open -> (same status) never applied",
        "transition decide: Open -> Granted never taken",
        "guard of transition decide: Open -> Granted never passed: not is_open('WAIT')",
        "effect close WORK of decide: Open -> Granted never applied",
        "effect letter L1 of decide: Open -> Granted never applied",
    ]
    assert mini.missing()[0].pos[1:] == (18, 12)


def test_test_coverage_and_min_exit_codes():
    result = run("test", str(MINI_PATH), "--coverage")
    assert result.exit_code == 0
    assert "  transitions  3/5 (60.0%)" in result.output
    assert "  guards       4/6 outcomes (66.7%)" in result.output
    assert "mini.yaml:80:9: transition decide: Open -> Granted never taken" in result.output
    assert run("test", str(MINI_PATH), "--min", "60").exit_code == 0
    result = run("test", str(MINI_PATH), "--min", "61")
    assert result.exit_code == 1
    assert "coverage of mini: 60.0% of its transitions, below --min 61" in result.output
    data = json.loads(CliRunner().invoke(cli,
                                         ["test", str(MINI_PATH), "--coverage", "--json"]).stdout)
    assert data["coverage"][0]["transitions"] == {"covered": 3, "total": 5, "percent": 60.0}
    assert len(data["coverage"][0]["not_exercised"]) == 9


# -- the tracing hook -----------------------------------------------------------------------------

def test_trace_reports_the_transition_guards_and_effects_of_each_decided_event():
    wf = load_workflow(MINI)
    engine = Engine([wf], clock=SimulatedClock("2026-03-02 09:00"))
    seen: list[Trace] = []
    engine.trace = seen.append
    case = engine.create("mini")
    engine.fire(case, "save", {"applicant": "payer", "lodgement_date": "2026-03-01"})
    engine.fire(case, "change", {"note": "hello"})
    save, change = seen
    assert (save.event, save.status, save.transition is wf.events["save"].transitions[0]) \
        == ("save", "New", True)
    assert [(g.check.text, ok) for g, ok in save.guards] == [("lodgement_date <= today", True)]
    assert [ef.kind for ef in save.effects] == ["number", "set", "set", "set", "open"]
    assert [ef.kind for ef in change.effects] == ["append"]  # `set` had `if: applicant is not None`
    engine.fire(case, "wait", {"party": "payee"})
    with pytest.raises(Refused, match="nothing may be awaited"):
        engine.fire(case, "decide", {"outcome": "Granted"})
    refused = seen[-1]
    assert (refused.event, refused.transition, refused.effects) == ("decide", None, ())
    assert [(g.says, ok) for g, ok in refused.guards] \
        == [("nothing may be awaited when granting", False)]
    engine.trace = None
    engine.fire(case, "decide", {"outcome": "Refused"})
    assert seen[-1] is refused and case.status == "Refused"
