"""Diagrams: the committed ones are current, every transition is drawn and no other, the highlight,
the formats."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from engine import load_workflow
from engine.render import Taken, extract, render, taken_steps
from engine.render.dot import to_dot
from engine.render.graph import Diagram
from engine.render.mermaid import to_mermaid
from engine.scenario import load_scenario, run_scenario

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "tests" / "fixtures"
MINI = FIX / "workflows" / "mini.yaml"
MINI_PATH = FIX / "scenarios" / "mini_path.yaml"
WORKFLOWS = sorted((ROOT / "workflows").glob("*.yaml"))
DIAGRAMS = ROOT / "diagrams"
PATH_COLOUR = "#D62728"

# A decision, a referral from each outcome, and an answer that either goes back to the outcome the
# case came from (drawn once, back into the referral's merge point) or changes it (drawn as branches
# of its own).
LOOP = """\
workflow: loop
title: Decide, refer and come back
source: test
initial: Open
fields:
  original: {type: text, source: test}
statuses:
  Open: {source: test}
  X: {final: true, group: Decided, source: test}
  Y: {final: true, group: Decided, source: test}
  Z: {final: true, group: Decided, source: test}
  Review: {group: Review, source: test}
intrays:
  REV: {name: Review requested, due: 7d, source: test}
events:
  decide:
    title: Decide the outcome
    source: test
    data:
      outcome: {type: text, required: true}
    transitions:
      - {from: Open, to: X, when: "outcome == 'X'", source: test}
      - {from: Open, to: Y, when: "outcome == 'Y'", source: test}
      - {from: Open, to: Z, when: "outcome == 'Z'", source: test}
  refer:
    title: Refer for review
    source: test
    transitions:
      - from: [X, Y, Z]
        to: Review
        source: test
        effects:
          - set: {original: status}
          - open: REV
  answer:
    title: Answer the review
    source: test
    data:
      decision: {type: text, required: true}
      kind: {type: text}
    transitions:
      - {from: Review, to: X, when: "decision == 'keep' and original == 'X'", source: test,
         effects: [{close: REV}]}
      - {from: Review, to: Y, when: "decision == 'keep' and original == 'Y'", source: test,
         effects: [{close: REV}]}
      - {from: Review, to: Z, when: "decision == 'keep' and original == 'Z'", source: test,
         effects: [{close: REV}]}
      - {from: Review, to: X, when: "decision == 'change' and kind == 'x'", source: test}
      - {from: Review, to: Z, when: "decision == 'change' and kind != 'x'", source: test}
"""

LOOP_SCENARIO = """\
scenario: Decided X, referred, kept
workflow: loop
clock: 2026-03-02 09:00
steps:
  - event: decide
    data: {outcome: X}
  - event: refer
  - event: answer
    data: {decision: keep}
    expect: {status: X}
"""


def run(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def mini():
    return load_workflow(MINI)


@pytest.fixture
def loop(tmp_path):
    (tmp_path / "workflows").mkdir()
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "workflows" / "loop.yaml").write_text(LOOP)
    (tmp_path / "scenarios" / "kept.yaml").write_text(LOOP_SCENARIO)
    return load_workflow(tmp_path / "workflows" / "loop.yaml"), tmp_path


# -- the committed diagrams ------------------------------------------------------------------------

@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.stem)
def test_committed_diagrams_are_current(path):
    wf = load_workflow(path)
    for suffix, fmt in ((".dot", "dot"), (".mmd", "mermaid")):
        committed = DIAGRAMS / f"{path.stem}{suffix}"
        assert committed.is_file(), f"{committed.relative_to(ROOT)} is missing: run make diagrams"
        assert committed.read_text(encoding="utf-8") == render(wf, fmt).decode("utf-8"), (
            f"{committed.relative_to(ROOT)} is stale ({path.relative_to(ROOT)} or the drawing "
            "code changed): run make diagrams")


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.stem)
def test_committed_svg_draws_the_committed_dot(path):
    """Graphviz's SVG bytes vary between versions; its nodes and edges (their <title>s) do not."""
    svg = DIAGRAMS / f"{path.stem}.svg"
    assert svg.is_file(), f"{svg.relative_to(ROOT)} is missing: run make diagrams"
    dot = (DIAGRAMS / f"{path.stem}.dot").read_text(encoding="utf-8")
    titles = re.findall(r"<title>(.*?)</title>", svg.read_text(encoding="utf-8"))
    drawn = sorted(t.replace("&#45;&gt;", "->").replace("&gt;", ">") for t in titles
                   if t != path.stem and not t.startswith("cluster_"))
    written = sorted([*_dot_nodes(dot), *(f"{a}->{b}" for a, b in _dot_edges(dot))])
    assert drawn == written, \
        f"{svg.relative_to(ROOT)} does not draw {path.stem}.dot: run make diagrams"


def test_diagrams_folder_holds_only_the_workflows_diagrams():
    expected = {f"{p.stem}{s}" for p in WORKFLOWS for s in (".svg", ".mmd", ".dot")}
    assert {p.name for p in DIAGRAMS.iterdir()} == expected


# -- what is drawn ---------------------------------------------------------------------------------

def _dot_nodes(dot: str) -> list[str]:
    return [n for n in re.findall(r"^\t+(\w+) \[", dot, flags=re.M)
            if n not in ("graph", "node", "edge")]


def _dot_edges(dot: str) -> list[tuple[str, str]]:
    return re.findall(r"^\t+(\w+) -> (\w+)", dot, flags=re.M)


def _dot_statement(dot: str, head: str) -> str:
    [line] = [line for line in dot.splitlines() if line.strip().startswith(head + " [")]
    return line


def test_every_status_is_drawn_once(mini):
    diagram = extract(mini)
    dot, mmd = to_dot(diagram), to_mermaid(diagram)
    ids = {name: diagram.node(name).id for name in mini.statuses}
    assert sorted(n for n in _dot_nodes(dot) if n.startswith("s_")) == sorted(ids.values())
    for name, node_id in ids.items():
        assert len(re.findall(rf"^    state \"{name}\" as {node_id}$", mmd, flags=re.M)) == 1


def test_final_statuses_are_drawn_distinctly(mini):
    diagram = extract(mini)
    dot, mmd = to_dot(diagram), to_mermaid(diagram)
    for name, status in mini.statuses.items():
        node = _dot_statement(dot, diagram.node(name).id)
        assert ("peripheries=2" in node) == status.final, node
        assert (f"<b>{name}</b>" in node) == status.final, node
    finals = [diagram.node(n).id for n, s in mini.statuses.items() if s.final]
    others = [diagram.node(n).id for n, s in mini.statuses.items() if not s.final]
    [final_class] = re.findall(r"^    class (\S+) (g\d+f)$", mmd, flags=re.M)
    assert final_class[0].split(",") == finals
    assert not set(others) & {i for line in re.findall(r"^    class (\S+) g\d+f$", mmd, flags=re.M)
                              for i in line.split(",")}
    assert "stroke-width:4px" in re.search(rf"classDef {final_class[1]} (.*)", mmd).group(1)


def test_edges_carry_the_events_titles_and_the_legend_the_others(mini):
    dot = to_dot(extract(mini))
    edges = "\n".join(line for line in dot.splitlines() if " -> " in line)
    legend = dot.split("\n\tnode [")[0]
    for event in mini.events.values():
        moves = any(t.target not in (None, *t.sources) for t in event.transitions)
        assert (event.title in edges) == moves, event.name
        assert (event.title in legend) == (not moves), event.name
    assert "→ the outcome" in edges  # the `when:` of decide, short
    assert "[2]</b> ↓✉" in edges and "↓ WORK  ✉ L1" in legend  # its effects, keyed by number


@pytest.mark.parametrize("path", [MINI, *WORKFLOWS], ids=lambda p: p.stem)
def test_every_transition_is_drawn_and_no_other(path):
    """From a status, an event's edges (through its choice and merge points, and back over a round
    trip's feeds) reach exactly the statuses the event's transitions lead to from there."""
    assert_every_transition_drawn(load_workflow(path))


def assert_every_transition_drawn(wf) -> None:
    diagram = extract(wf)
    for event in wf.events.values():
        for name in wf.statuses:
            expected = {t.target for t in event.transitions
                        if name in t.sources and t.target not in (None, name)}
            assert _reached(diagram, event.name, diagram.node(name).id) \
                == {diagram.node(t).id for t in expected}, f"{event.name} from {name}"


def _reached(diagram: Diagram, event: str, start: str) -> set[str]:
    statuses = {n.id for n in diagram.nodes if n.kind == "status"}
    found, seen = set(), set()
    todo = [(start, "")]
    while todo:
        at, came_by = todo.pop()
        for e in diagram.edges:
            if e.kind == "loop":
                continue
            steps = []
            if e.tail == at and event in e.events:
                steps.append((e.head, e.kind))
            if e.head == at and e.kind == "feed" and e.both and came_by == "return":
                steps.append((e.tail, "back"))
            for to, kind in steps:
                if to in statuses:
                    found.add(to)
                elif (to, kind) not in seen:
                    seen.add((to, kind))
                    todo.append((to, kind))
    return found


def test_a_way_back_to_where_the_case_came_from_is_drawn_once(loop):
    wf, _ = loop
    assert_every_transition_drawn(wf)
    diagram = extract(wf)
    [back] = [e for e in diagram.edges if e.kind == "return"]
    feeds = [e for e in diagram.edges if e.kind == "feed"]
    assert back.head == feeds[0].head and {e.tail for e in feeds} == {"s_X", "s_Y", "s_Z"}
    assert all(e.both for e in feeds)
    assert "→ back to the original" in " ".join(back.guard) and "decision is keep" in back.guard
    dot = to_dot(diagram)
    assert all("arrowtail=normal dir=both" in _dot_statement(dot, f"{e.tail} -> {e.head}")
               for e in feeds)
    # Mermaid has no arrow at both ends: the way back is drawn to each status
    mmd = to_mermaid(diagram)
    assert sorted(re.findall(rf"^    r_{back.head} --> (\w+)$", mmd, flags=re.M)) \
        == ["s_X", "s_Y", "s_Z"]


def test_an_event_that_only_goes_back_is_one_edge(loop):
    _, folder = loop
    path = folder / "workflows" / "keep.yaml"
    path.write_text(LOOP.replace("workflow: loop",
                                 "workflow: keep").split("      - {from: Review, to: X, when: "
                                                         "\"decision == 'change'")[0])
    assert_every_transition_drawn(load_workflow(path))
    diagram = extract(load_workflow(path))
    assert [(e.kind, e.tail, e.title, e.guard) for e in diagram.edges if "answer" in e.events] == [
        ("return", "s_Review", ("Answer the review",),
         ("decision is keep", "→ back to the original"))]
    assert not [n for n in diagram.nodes if n.kind == "choice" and "answer" in n.id]


# -- the highlighted path --------------------------------------------------------------------------

def _taken(diagram: Diagram) -> list[tuple[str, str, str, tuple[int, ...]]]:
    return [(e.kind, e.tail, e.head, e.steps) for e in diagram.edges if e.taken]


def test_highlight_marks_exactly_the_transitions_the_scenario_took(mini):
    traces: list = []
    result = run_scenario(load_scenario(MINI_PATH), trace=traces.append)
    taken = taken_steps(result.steps, "main", traces)
    assert [(t.event, t.source, t.target) for t in taken] == [
        ("save", "New", "Open"), ("wait", "Open", "Open"), ("decide", "Open", "Refused")]
    diagram = extract(mini, taken)
    assert _taken(diagram) == [
        ("start", "start", "s_New", ()),
        ("move", "s_New", "s_Open", (1,)),
        ("choose", "s_Open", "c_decide", (3,)),
        ("branch", "c_decide", "s_Refused", (3,)),
        ("loop", "s_Open", "s_Open", (2,)),
    ]
    assert [n.name for n in diagram.nodes if n.taken and n.name] == ["New", "Open", "Refused"]
    assert [(s.number, s.event) for s in diagram.path] == [(1, "save"), (2, "wait"), (3, "decide")]
    dot = to_dot(diagram)
    assert len(re.findall(rf' -> .*color="{PATH_COLOUR}"', dot)) == 5
    assert PATH_COLOUR not in _dot_statement(dot, "c_decide -> s_Granted")
    assert PATH_COLOUR not in _dot_statement(dot, "s_Granted")
    assert "red: the path taken" in dot and to_dot(extract(mini)).count(PATH_COLOUR) == 0


def test_highlight_follows_the_transition_taken_between_the_same_statuses(loop):
    wf, _ = loop
    keep_x, change_x = wf.events["answer"].transitions[0], wf.events["answer"].transitions[3]
    path = [Taken("decide", "Open", "X"), Taken("refer", "X", "Review")]

    def step_3(last: Taken) -> set[tuple[str, str, str]]:
        return {(kind, tail, head) for kind, tail, head, steps in _taken(extract(wf, [*path, last]))
                if 3 in steps}

    kept = step_3(Taken("answer", "Review", "X", keep_x))
    changed = step_3(Taken("answer", "Review", "X", change_x))
    assert kept == {("choose", "s_Review", "c_answer"), ("return", "c_answer", "m_refer"),
                    ("feed", "s_X", "m_refer")}
    assert changed == {("choose", "s_Review", "c_answer"), ("choose", "c_answer", "c_answer_2"),
                       ("branch", "c_answer_2", "s_X")}
    # not knowing which, both are drawn
    assert step_3(Taken("answer", "Review", "X")) == kept | changed


def test_highlight_through_the_cli_uses_the_transitions_taken(loop):
    _, folder = loop
    result = run("diagram", "loop", "--workflows", folder / "workflows", "--format", "dot",
                 "--highlight", folder / "scenarios" / "kept.yaml")
    assert result.exit_code == 0, result.output
    painted = [line.split(" [")[0].strip() for line in result.output.splitlines()
               if " -> " in line and PATH_COLOUR in line]
    assert "c_answer -> s_Review" in painted  # the answer's trunk, drawn back to front
    # back into the referral's merge point
    assert any(p.startswith("m_refer -> c_answer") for p in painted)
    assert not any("c_answer_2" in p for p in painted)  # not the change of outcome


# -- formats, determinism, the command line --------------------------------------------------------

@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")
@pytest.mark.parametrize("fmt, magic",
                         [("png", b"\x89PNG\r\n\x1a\n"), ("pdf", b"%PDF-"), ("svg", b"<?xml")])
def test_drawn_formats_write_files(tmp_path, fmt, magic):
    out = tmp_path / f"mini.{fmt}"
    result = run("diagram", MINI, "--format", fmt, "-o", out, "--highlight", MINI_PATH)
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(magic)
    if fmt == "svg":
        assert "Save the application" in out.read_text(encoding="utf-8")


def test_dot_and_mermaid_go_to_standard_output():
    dot, mmd = run("diagram", MINI, "--format", "dot"), run("diagram", MINI, "--format", "mermaid")
    assert dot.exit_code == 0 and dot.output.startswith("digraph mini {")
    assert mmd.exit_code == 0 and "stateDiagram-v2" in mmd.output


def test_output_is_deterministic(mini):
    assert render(mini, "dot") == render(mini, "dot")
    code = ("from engine import load_workflow; from engine.render import render; import sys; "
            "sys.stdout.buffer.write(render(load_workflow('workflows/coa.yaml'), sys.argv[1]))")
    for fmt in ("dot", "mermaid"):
        outputs = {subprocess.run([sys.executable, "-c", code, fmt], cwd=ROOT, capture_output=True,
                                  check=True,
                                  env={"PYTHONHASHSEED": seed, "PATH": ""}).stdout
                   for seed in ("1", "2")}
        assert len(outputs) == 1, f"{fmt} differs between runs"


@pytest.mark.parametrize("args, message", [
    (["nosuch"], "no workflow 'nosuch'"),
    ([MINI, "--format", "png"], "give -o FILE"),
    ([MINI, "--highlight", MINI_PATH, "--instance", "other"],
     "has no case 'other' of workflow mini"),
    (["coa", "--workflows", ROOT / "workflows", "--highlight", MINI_PATH],
     "has no case 'main' of workflow coa"),
    ([MINI, "--format", "dot", "-o", "/no/such/folder/mini.dot"], "cannot write"),
])
def test_usage_errors_exit_2_with_a_message(args, message):
    result = run("diagram", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)


# -- Mermaid ---------------------------------------------------------------------------------------

ID = r"[A-Za-z_][A-Za-z0-9_]*"


def check_mermaid(text: str) -> list[str]:
    """The rules of stateDiagram-v2 that the Mermaid writer relies on; an empty list when all
    hold."""
    problems = []
    lines = text.splitlines()
    body = lines[lines.index("---", 1) + 1:] if lines[0] == "---" else lines
    if body[0] != "stateDiagram-v2":
        problems.append(f"does not start with stateDiagram-v2: {body[0]!r}")
    states: set[str] = set()
    classes: set[str] = set()
    described: set[str] = set()
    for line in body[1:]:
        s = line.strip()
        if m := re.fullmatch(r'state "([^"\n]*)" as (\S+)', s):
            if not re.fullmatch(ID, m.group(2)):
                problems.append(f"state id is not an identifier: {s}")
            if m.group(2) in states:
                problems.append(f"state declared twice: {s}")
            states.add(m.group(2))
        elif m := re.fullmatch(r"state (\S+) <<choice>>", s):
            if not re.fullmatch(ID, m.group(1)):
                problems.append(f"choice id is not an identifier: {s}")
            states.add(m.group(1))
        elif m := re.fullmatch(r"classDef (\S+) (\S+)", s):
            classes.add(m.group(1))
        elif m := re.fullmatch(r"class (\S+) (\S+)", s):
            problems += [f"class of an undeclared state: {s}" for i in m.group(1).split(",")
                         if i not in states]
            if m.group(2) not in classes:
                problems.append(f"undeclared class: {s}")
        elif m := re.fullmatch(r"(\S+) --> (\S+)(?: : (.+))?", s):
            for end in m.groups()[:2]:
                if end != "[*]" and end not in states:
                    problems.append(f"transition with an undeclared state {end}: {s}")
            if m.group(3):
                problems += _mermaid_text(m.group(3).replace("<br>", ""), s)
        elif m := re.fullmatch(r"(\S+) : (.+)", s):
            if m.group(1) not in states:
                problems.append(f"description of an undeclared state: {s}")
            described.add(m.group(1))
            problems += _mermaid_text(m.group(2), s)
        elif s not in ("direction LR", ""):
            problems.append(f"unexpected line: {s}")
    return problems


def _mermaid_text(text: str, line: str) -> list[str]:
    """Label text: none of Mermaid's syntax characters but as entity codes (#59; #35; ...)."""
    bare = re.sub(r"#(\d+|quot|lt|gt);", "", text)
    return [f"raw {ch!r} in a label: {line}" for ch in ';#:"{}[]<>%' if ch in bare]


def test_mermaid_checker_finds_mistakes():
    good = 'stateDiagram-v2\n    state "W\'drawn" as s_W\n    [*] --> s_W : a #59; b\n'
    assert check_mermaid(good) == []
    assert check_mermaid(good.replace("as s_W", "as s-W"))
    assert check_mermaid(good + "    s_W --> s_V\n")
    assert check_mermaid(good.replace("#59;", ";"))
    assert check_mermaid(good.replace("stateDiagram-v2", "stateDiagram"))


@pytest.mark.parametrize("path", [MINI, *WORKFLOWS], ids=lambda p: p.stem)
def test_mermaid_follows_the_syntax(path):
    wf = load_workflow(path)
    text = to_mermaid(extract(wf))
    assert check_mermaid(text) == []
    for name in wf.statuses:  # names with spaces and apostrophes are labels of identifiers
        assert f'state "{name}" as ' in text or "#" in name


def test_highlighted_mermaid_follows_the_syntax(mini):
    traces: list = []
    result = run_scenario(load_scenario(MINI_PATH), trace=traces.append)
    text = to_mermaid(extract(mini, taken_steps(result.steps, "main", traces)))
    assert check_mermaid(text) == []
    assert "step 3" in text and re.search(r"^    class .*s_Refused.* taken$", text, flags=re.M)


def test_mermaid_escapes_what_its_grammar_reads(tmp_path):
    wf = load_workflow(MINI)
    from dataclasses import replace

    odd = replace(wf, title='A "test": 100% {odd}; #1 <b>', events={
        name: replace(ev, title=ev.title + " [see: note; #2]") for name, ev in wf.events.items()})
    text = to_mermaid(extract(odd))
    assert check_mermaid(text) == []
    assert 'title: "A \\"test\\": 100% {odd}; #1 <b> (mini)"' in text  # YAML, read as JSON reads it
    assert "<br>#91;see#58; note#59; #35;2#93;" in text


@pytest.mark.parametrize(("script", "says"), [
    # stops before reading the diagram: the diagram's first 8 KB meet a closed pipe, or, when dot
    # has not exited yet by then (a loaded machine), dot's exit is what is seen
    ("exit 1", r"Graphviz's `dot` program failed \((Broken pipe|exit 1)\)"),
    ("cat >/dev/null; printf 'Error: <stdin>: \\033[2J bad\\n' >&2; exit 3",
     re.escape("Graphviz's `dot` program failed (exit 3, saying: Error: <stdin>: \\x1b[2J bad)")),
])
def test_a_broken_dot_program_is_said_in_one_line_without_a_traceback(script, says, tmp_path,
                                                                      monkeypatch):
    """A half-installed Graphviz (dot there, but failing) is an error naming dot and the fix; what
    dot wrote is shown escaped (no terminal control), and nothing is written."""
    import os

    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "dot").write_text(f"#!/bin/sh\n{script}\n")
    (fake / "dot").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    out = tmp_path / "mini.svg"
    result = run("diagram", MINI, "--format", "svg", "-o", out)
    assert result.exit_code == 1
    fix = ("; reinstall it (apt-get install --reinstall graphviz), or use --format dot or "
           "--format mermaid, which work without it")
    lines = result.output.splitlines()
    assert len(lines) == 1 and re.fullmatch(f"Error: {says}{re.escape(fix)}", lines[0]), lines
    assert not out.exists()
