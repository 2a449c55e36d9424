"""Links between instances: starting and signalling other workflows, who may fire an event, tables."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

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
    with pytest.raises(Refused, match="close_contact on main.contact: a locked customer's contact stays open"):
        engine.fire(case, "settle")
    assert [engine.state(i) for i in engine.instances.values()] == before  # the second contact stayed open too
    assert second.status == "Open"


def copy_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "workflows"
    shutil.copytree(MULTI, folder)
    return folder


@pytest.mark.parametrize("file, old, new, says", [
    ("case", "start: contact", "start: contakt", "unknown workflow (in this folder) 'contakt'"),
    ("case", "event: open_contact", "event: opn_contact", "unknown event of workflow contact 'opn_contact'"),
    ("case", "data: {customer: applicant, linked: instance}", "data: {custmer: applicant}",
     "unknown data field of contact event open_contact 'custmer'"),
    ("case", "signal: contacts_of(applicant)", "signal: contacts_off(applicant)", "did you mean 'contacts_of'?"),
    ("contact", "by: {areas: [Agreements]", "by: {areas: [Agreemnts]", "unknown area (a row of the areas table)"),
    ("contact", "{name: Enabling, kind: enabling, exempt: true,", "{name: Enabling, kind: enabling, exempt: maybe,",
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



PARENT = """\
workflow: parent
title: Parent
source: s
initial: New
statuses:
  New: {source: s}
  Done: {final: true, source: s}
events:
  go:
    title: Go
    source: s
    transitions:
      - from: New
        to: Done
        source: s
        effects:
          - start: child
            event: open
            source: s
"""
CHILD = """\
workflow: child
title: Child
source: s
initial: New
statuses:
  New: {source: s}
  Opened: {final: true, source: s}
events:
  open:
    title: Open
    source: s
    transitions:
      - {from: New, to: Opened, source: s}
"""


def test_starting_a_workflow_the_engine_does_not_hold_is_refused_and_changes_nothing(tmp_path):
    (tmp_path / "parent.yaml").write_text(PARENT, encoding="utf-8")
    (tmp_path / "child.yaml").write_text(CHILD, encoding="utf-8")
    engine = Engine([load_workflow(tmp_path / "parent.yaml")], clock=SimulatedClock("2026-03-02 09:00"))
    case = engine.create("parent", "main")
    before = engine.state(case)
    with pytest.raises(Refused) as exc:
        engine.fire(case, "go")
    assert "workflow child, which this engine does not hold" in str(exc.value)
    assert engine.state(case) == before and list(engine.instances) == ["main"]
