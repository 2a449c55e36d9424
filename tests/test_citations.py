"""Citations of the procedure text, as the workflows write them in `source:`."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.citations import Place, covers, parse

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("text, places, labels", [
    ("COA Table 4 Step 7", ["COA Table 4 Step 7"], []),
    ("COA Table 4 Step 7, Table 5 Step 2", ["COA Table 4 Step 7", "COA Table 5 Step 2"], []),
    ("COA Table 1 Steps 2, 4", ["COA Table 1 Step 2", "COA Table 1 Step 4"], []),
    ("COA Table 5 Steps 2-4", ["COA Table 5 Step 2", "COA Table 5 Step 3", "COA Table 5 Step 4"],
     []),
    ("CMA Tables 2-4", ["CMA Table 2", "CMA Table 3", "CMA Table 4"], []),
    ("CMA Table 1, Table 3 Items 2, 4", ["CMA Table 1", "CMA Table 3 Item 2", "CMA Table 3 Item 4"],
     []),
    ("CMA introduction, COA Table 4 Step 7", ["COA Table 4 Step 7"], ["CMA introduction"]),
    ("CMA page alert (Separating Safely)", [], ["CMA page alert (Separating Safely)"]),
    ("COA procedure, Tables 6-7", ["COA Table 6", "COA Table 7"], []),
])
def test_parse(text, places, labels):
    cited = parse(text)
    assert [str(p) for p in cited.places] == places
    assert list(cited.labels) == labels


def test_a_table_without_a_prefix_belongs_to_the_default_document():
    assert parse("Tables 1-2", default_doc="CMA").places == (Place("CMA", 1), Place("CMA", 2))


def test_item_and_step_name_the_same_place():
    assert Place("CMA", 3, 2, "Item") == Place("CMA", 3, 2)


def test_a_whole_table_covers_its_steps_and_a_step_only_itself():
    assert covers(Place("COA", 4, 7), Place("COA", 4))
    assert covers(Place("COA", 4, 7), Place("COA", 4, 7))
    assert not covers(Place("COA", 4, 7), Place("COA", 4, 6))
    assert not covers(Place("COA", 4, 7), Place("CMA", 4))


def test_a_number_too_long_for_a_table_or_step_is_not_expanded():
    """A typo such as 'Steps 1-50000000' must not build fifty million places (it hung `check`)."""
    cited = parse("MINI Table 1 Steps 1-50000000")
    assert cited.places == (Place("MINI", 1, 1, "Step"),) and cited.labels == ("-50000000",)
    assert parse("Table 1 Step " + "9" * 5000).places == (Place("", 1, None, ""),)


SAYS_CITES = re.compile(r"\b(?:Tables?|Steps?|Items?) \d|\bR\d+\b|Separating Safely|CMA "
                        r"introduction|CMA page alert")


def _sentences(wf):
    """Every sentence a workflow says to staff: guards (the event's and each transition's),
    `unavailable:`, `by:`."""
    for ev in wf.events.values():
        for guard in (*ev.guards, *(g for tr in ev.transitions for g in tr.guards)):
            yield ev.name, guard.says
        for _, says in ev.unavailable:
            yield ev.name, says
        if ev.by is not None and ev.by.says:
            yield ev.name, ev.by.says


@pytest.mark.parametrize("path", sorted((ROOT / "workflows").glob("*.yaml")), ids=lambda p: p.name)
def test_every_sentence_said_to_staff_cites_its_step_or_reading(path):
    """A refusal names the procedure's own reason: each sentence cites the table and step (or the
    reading) it rests on."""
    from engine import load_workflow

    uncited = sorted({f"{event}: {says}" for event, says in _sentences(load_workflow(path))
                      if not SAYS_CITES.search(says)})
    assert not uncited, "\n".join(uncited)
