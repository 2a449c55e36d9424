"""Links between instances: starting and signalling other workflows, who may fire an event, tables;
and `procflow check` resolving `start:`/`signal:` across a folder (the COA -> CMA hand-over)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from sample_workflows import CHILD, PARENT

from cli import cli
from engine import DefinitionError, Refused, load_workflow
from engine.clock import SimulatedClock
from engine.runtime import Engine

MULTI = Path(__file__).resolve().parent / "fixtures" / "multi" / "workflows"


@pytest.fixture
def engine():
    wfs = [load_workflow(MULTI / f"{n}.yaml") for n in ("case", "contact", "officer")]
    return Engine(wfs, clock=SimulatedClock("2026-03-02 09:00"))


def test_a_started_instance_is_linked_and_committed_with_the_event(engine):
    case = engine.create("case", "main")
    engine.fire(case, "save", {"case_number": "C1", "applicant": "payer", "other": "payee"})
    outcome = engine.fire(case, "hand_over")
    contact = engine.instances["main.contact"]
    assert [o.instance for o in outcome.spawned] == [contact]
    assert (contact.status, contact.fields["linked"]) == ("Open", "main")
    assert [h.event for h in contact.history] == ["open_contact"]


def test_a_refusal_on_a_signalled_instance_refuses_the_whole_event(engine):
    case = engine.create("case", "main")
    engine.fire(case, "save", {"case_number": "C1", "applicant": "payer", "other": "payee"})
    engine.fire(case, "hand_over")
    engine.fire(case, "hand_over")
    first, second = engine.instances["main.contact"], engine.instances["main.contact-2"]
    engine.fire(first, "lock_customer", actor={"area": "Agreements"})
    before = [engine.state(i) for i in engine.instances.values()]
    stays = "close_contact on main.contact: a locked customer's contact stays open"
    with pytest.raises(Refused, match=stays):
        engine.fire(case, "settle")
    # the second contact stayed open too
    assert [engine.state(i) for i in engine.instances.values()] == before
    assert second.status == "Open"


def copy_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "workflows"
    shutil.copytree(MULTI, folder)
    return folder


@pytest.mark.parametrize("file, old, new, says", [
    ("case", "start: contact", "start: contakt", "unknown workflow (in this folder) 'contakt'"),
    ("case", "event: open_contact", "event: opn_contact",
     "unknown event of workflow contact 'opn_contact'"),
    ("case", "data: {customer: applicant, linked: instance}", "data: {custmer: applicant}",
     "unknown data field of contact event open_contact 'custmer'"),
    ("case", "signal: contacts_of(applicant)", "signal: contacts_off(applicant)",
     "did you mean 'contacts_of'?"),
    ("contact", "by: {areas: [Agreements]", "by: {areas: [Agreemnts]",
     "unknown area (a row of the areas table)"),
    ("contact", "{name: Enabling, kind: enabling, exempt: true,",
     "{name: Enabling, kind: enabling, exempt: maybe,",
     "should be true or false"),
    ("officer", "match: {site: at_site}", "match: {sight: at_site}", "unknown field 'sight'"),
])
def test_link_mistakes_are_load_time_errors(tmp_path, file, old, new, says):
    folder = copy_folder(tmp_path)
    path = folder / f"{file}.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(DefinitionError) as info:
        load_workflow(path)
    assert says in str(info.value)



def test_starting_a_workflow_the_engine_does_not_hold_is_refused_and_changes_nothing(tmp_path):
    (tmp_path / "parent.yaml").write_text(PARENT, encoding="utf-8")
    (tmp_path / "child.yaml").write_text(CHILD, encoding="utf-8")
    engine = Engine([load_workflow(tmp_path / "parent.yaml")],
                    clock=SimulatedClock("2026-03-02 09:00"))
    case = engine.create("parent", "main")
    before = engine.state(case)
    with pytest.raises(Refused) as exc:
        engine.fire(case, "go")
    assert "workflow child, which this engine does not hold" in str(exc.value)
    assert engine.state(case) == before and list(engine.instances) == ["main"]


# -- the hand-over, checked ---------------------------------------------------------------------
# The COA -> CMA hand-over is checkable: `procflow check` resolves `start:`/`signal:` across the
# folder.
#
# A Var-Increase due to Reason 8 opens COAR8INC and starts a CMA contact (workflows/coa.yaml,
# `start: cma`, event `open_contact`). These tests play `procflow check` on a copy of the real
# workflows folder with one mistake made in it, and require an error at the exact line and column of
# the mistake.
ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / "workflows"
START = "- start: cma\n"
START_EVENT = "event: open_contact\n"


def check(folder: Path) -> list[dict]:
    result = CliRunner().invoke(cli, ["check", str(folder), "--json"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)["findings"]


def errors(findings: list[dict]) -> list[dict]:
    return [f for f in findings if f["severity"] == "error"]


def position(text: str, needle: str, start: int = 0) -> tuple[int, int]:
    """1-based line and column of `needle` in `text`."""
    at = text.index(needle, start)
    line = text.count("\n", 0, at) + 1
    return line, at - (text.rfind("\n", 0, at) + 1) + 1


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    copy = tmp_path / "workflows"
    shutil.copytree(WORKFLOWS, copy)
    return copy


def test_the_handover_is_in_the_coa_workflow_and_resolves():
    coa = load_workflow(WORKFLOWS / "coa.yaml")
    starts = [(ev.name, ef.event) for ev in coa.events.values() for tr in ev.transitions
              for ef in tr.effects if ef.kind == "start" and ef.target == "cma"]
    assert sorted(starts) == [("decide_amendment", "open_contact"), ("finalise", "open_contact")]
    assert errors(check(WORKFLOWS)) == []


def test_an_unknown_workflow_in_start_is_an_error_at_its_place(folder):
    path = folder / "coa.yaml"
    text = path.read_text()
    at = text.index(START)
    text = text[:at] + "- start: cmaa\n" + text[at + len(START):]
    path.write_text(text)
    line, col = position(text, "cmaa")
    found = errors(check(folder))
    assert [(Path(f["file"]).name, f["line"], f["col"]) for f in found] == [("coa.yaml", line, col)]
    assert "unknown workflow (in this folder) 'cmaa'" in found[0]["message"]
    assert "did you mean 'cma'?" in found[0]["hint"]


def test_an_event_the_started_workflow_does_not_have_is_an_error_at_its_place(folder):
    path = folder / "coa.yaml"
    text = path.read_text()
    at = text.index(START_EVENT, text.index(START))
    text = text[:at] + "event: open_contct\n" + text[at + len(START_EVENT):]
    path.write_text(text)
    line, col = position(text, "open_contct")
    found = errors(check(folder))
    assert [(Path(f["file"]).name, f["line"], f["col"]) for f in found] == [("coa.yaml", line, col)]
    assert "unknown event of workflow cma 'open_contct'" in found[0]["message"]


def test_renaming_the_event_in_the_cma_breaks_both_handovers_in_the_coa(folder):
    """The link is checked from the other side too: the CMA cannot drop the event the COA starts it
    with."""
    cma = folder / "cma.yaml"
    cma.write_text(cma.read_text().replace("  open_contact:\n    title:",
                                           "  begin_contact:\n    title:", 1))
    coa_text = (folder / "coa.yaml").read_text()
    first = coa_text.index(START)
    expected = {position(coa_text, START_EVENT, coa_text.index(START, at))
                for at in (first, coa_text.index(START, first + 1))}
    expected = {(line, col + len("event: ")) for line, col in expected}
    found = [f for f in errors(check(folder)) if Path(f["file"]).name == "coa.yaml"]
    assert {(f["line"], f["col"]) for f in found} == expected
    assert all("unknown event of workflow cma 'open_contact'" in f["message"] for f in found)


def signal_instead_of_start(text: str, event: str, query: str = "contacts_for_application") -> str:
    """Replace the first hand-over's `start:` (and its data) by a `signal:` of the contacts it
    started."""
    at = text.index(START)
    data = text.index("\n", text.index("data:", at)) + 1
    indent = " " * (text.index(START_EVENT, at) - text.rfind("\n", 0, text.index(START_EVENT, at))
                    - 1)
    return text[:at] + f"- signal: {query}(instance)\n{indent}event: {event}\n" + text[data:]


def test_a_signal_of_an_event_the_workflow_has_resolves(folder):
    path = folder / "coa.yaml"
    path.write_text(signal_instead_of_start(path.read_text(), "close_contact"))
    assert errors(check(folder)) == []


def test_a_signal_of_an_unknown_event_is_an_error_at_its_place(folder):
    path = folder / "coa.yaml"
    text = signal_instead_of_start(path.read_text(), "close_contct")
    path.write_text(text)
    line, col = position(text, "close_contct")
    found = errors(check(folder))
    assert [(Path(f["file"]).name, f["line"], f["col"]) for f in found] == [("coa.yaml", line, col)]
    assert "unknown event of workflow cma 'close_contct'" in found[0]["message"]
    assert "did you mean 'close_contact'?" in found[0]["hint"]


def test_a_signal_through_an_unknown_query_is_an_error_at_its_place(folder):
    path = folder / "coa.yaml"
    text = signal_instead_of_start(path.read_text(), "close_contact",
                                   query="contacts_for_aplication")
    path.write_text(text)
    line, _ = position(text, "contacts_for_aplication")
    found = errors(check(folder))
    assert [(Path(f["file"]).name, f["line"]) for f in found] == [("coa.yaml", line)]
    assert "did you mean 'contacts_for_application'?" in found[0]["message"] + found[0]["hint"]


# ---- gaps in the engine's check (reported, not fixed here: engine/ belongs to another change) ----

def test_starting_with_an_event_that_cannot_fire_from_the_initial_status_is_an_error(folder):
    path = folder / "coa.yaml"
    text = path.read_text()
    at = text.index(START_EVENT, text.index(START))
    data_end = text.index("\n", text.index("data:", at)) + 1
    text = text[:at] + "event: close_contact\n" + text[data_end:]
    path.write_text(text)
    line, _ = position(text, "event: close_contact")
    assert [(Path(f["file"]).name, f["line"]) for f in errors(check(folder))] \
        == [("coa.yaml", line)]


def test_starting_without_a_required_data_field_is_an_error(folder):
    path = folder / "coa.yaml"
    text = path.read_text()
    at = text.index("customer: \"'payer'\", ", text.index(START))
    path.write_text(text[:at] + text[at + len("customer: \"'payer'\", "):])
    found = errors(check(folder))
    assert any(Path(f["file"]).name == "coa.yaml" and "customer" in f["message"] for f in found)
