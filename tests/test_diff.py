"""`procflow diff`: what changed between two versions of a workflow, in the procedure's terms.

The golden files under tests/golden/ are written by `python tests/test_diff.py` (never by a test),
and compared here.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from engine.diff import (
    Change,
    compare,
    diagram_marks,
    diff_json,
    diff_markdown,
    diff_text,
    removed_statuses,
)
from engine.render import extract, render
from engine.render.dot import to_dot
from engine.spec import load_workflow_text

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
WORKFLOWS = sorted((ROOT / "workflows").glob("*.yaml"))

OLD = """\
workflow: app
title: An application
source: The procedure
initial: New
lists:
  party: {values: [applicant, respondent], source: Table 1}
  outcome: {values: [Granted, Refused], source: Table 2}
fields:
  lodged: {type: date, title: Lodgement Date, source: Table 1 Step 1}
statuses:
  New: {description: Not yet saved, source: Table 1 Step 1}
  Open: {description: Saved, source: Table 1 Step 2}
  Granted: {final: true, description: Granted, source: Table 2 Step 1}
  Refused: {final: true, description: Refused, source: Table 2 Step 2}
  Withdrawn: {final: true, description: Withdrawn by the applicant, source: Table 3 Step 1}
intrays:
  WORK: {name: Work to do, due: 48h, source: Table 1 Step 2}
letters:
  L1: {title: Decision letter, source: Table 2 Step 3}
  L2: {title: Withdrawal letter, source: Table 3 Step 2}
events:
  save:
    title: Save the application
    source: Table 1 Step 2
    data:
      lodged: {type: date, default: today}
    guards:
      - check: lodged <= today
        says: The Lodgement Date cannot be in the future, it is the date the application was received
        source: Table 1 Step 2
    transitions:
      - from: New
        to: Open
        source: Table 1 Step 2
        effects:
          - set: {lodged: lodged}
          - open: WORK
  decide:
    title: Decide
    source: Table 2
    data:
      outcome: {type: choice, list: outcome, required: true}
    transitions:
      - from: Open
        to: Granted
        when: outcome == 'Granted'
        source: Table 2 Step 1
        effects:
          - close: WORK
          - letter: L1
            to: [applicant]
      - from: Open
        to: Refused
        when: outcome == 'Refused'
        source: Table 2 Step 2
        guards:
          - check: lodged is not None
            says: A refusal needs the Lodgement Date
        effects:
          - close: WORK
          - letter: L1
            to: [applicant]
  withdraw:
    title: Withdraw the application
    source: Table 3 Step 1
    transitions:
      - from: Open
        to: Withdrawn
        source: Table 3 Step 1
        effects:
          - close: WORK
          - letter: L2
            to: [applicant]
"""  # noqa: E501

# the same procedure a version later: a review step, no withdrawal, a longer due period, a reworded
# guard, the refusal letter to both parties, a new field and choice value
NEW = (OLD
       .replace("  party: {values: [applicant, respondent], source: Table 1}",
                "  party: {values: [applicant, respondent, agent], source: Table 1}")
       .replace("  lodged: {type: date, title: Lodgement Date, source: Table 1 Step 1}",
                "  lodged: {type: date, title: Lodgement Date, source: Table 1 Step 1}\n"
                "  reviewer: {type: text, title: Reviewer, source: Table 4 Step 1}")
       .replace("  Open: {description: Saved, source: Table 1 Step 2}",
                "  Open: {description: Saved and being worked, source: Table 1 Step 2}\n"
                "  Review: {description: With a reviewer, source: Table 4 Step 1}")
       .replace("  Withdrawn: {final: true, description: Withdrawn by the applicant, source: "
                "Table 3 Step 1}\n", "")
       .replace("due: 48h", "due: 3d")
       .replace("  L2: {title: Withdrawal letter, source: Table 3 Step 2}\n", "")
       .replace("cannot be in the future, it is", "must not be a future date, it is")
       .replace("""      - from: Open
        to: Refused""", """      - from: [Open, Review]
        to: Refused""")
       .replace("""        guards:
          - check: lodged is not None
            says: A refusal needs the Lodgement Date
""", "")
       .replace("""          - letter: L1
            to: [applicant]
  withdraw:""", """          - letter: L1
            to: [applicant, respondent]
            source: Table 2 Step 3
  withdraw:""")
       .replace(OLD[OLD.index("  withdraw:"):], """\
  refer:
    title: Refer for review
    source: Table 4 Step 1
    data:
      reviewer: {type: text, required: true}
    transitions:
      - from: Open
        to: Review
        source: Table 4 Step 1
        effects:
          - set: {reviewer: reviewer}
""")
       )


def wf(text: str, name: str = "app.yaml"):
    return load_workflow_text(text, name)


def changes(old_text: str, new_text: str) -> list[Change]:
    return compare(wf(old_text, "old.yaml"), wf(new_text, "new.yaml"))


def only(found: list[Change]) -> Change:
    assert len(found) == 1, [c.text() for c in found]
    return found[0]


# -- each kind of change -------------------------------------------------------------------------

def test_the_same_workflow_has_no_change():
    from engine import load_workflow

    assert changes(OLD, OLD) == []
    for path in WORKFLOWS:  # two loads of one file
        assert compare(load_workflow(path), load_workflow(path)) == []


def test_a_status_added_removed_or_changed():
    added = OLD.replace("  Open: {description: Saved, source: Table 1 Step 2}",
                        "  Open: {description: Saved, source: Table 1 Step 2}\n"
                        "  Parked: {description: Waiting, group: Table 5, source: Table 5 Step 1}")
    c = only(changes(OLD, added))
    assert (c.kind, c.what, c.name, c.after, c.source) == ("added", "status", "Parked",
                                                           "Waiting, group Table 5",
                                                           "Table 5 Step 1")
    assert c.pos == ("new.yaml", 13, 11) and c.old_pos is None and c.at == c.pos

    c = only(changes(added, OLD))
    assert (c.kind, c.name, c.before) == ("removed", "Parked", "Waiting, group Table 5")
    assert c.at == c.old_pos == ("old.yaml", 13, 11) and c.pos is None
    assert c.text() == "status Parked removed: Waiting, group Table 5"

    c = only(changes(OLD, OLD.replace("Granted: {final: true, description: Granted,",
                                      "Granted: {final: true, description: Granted in full,")))
    assert (c.kind, c.what, c.name, c.aspect, c.before, c.after) == (
        "changed", "status", "Granted", "description", "'Granted'", "'Granted in full'")
    assert c.text() == "status Granted: description 'Granted' → 'Granted in full'"


def test_an_event_added_removed_or_retitled():
    without = OLD[:OLD.index("  withdraw:")]
    removed = [c for c in changes(OLD, without) if c.what == "event"]
    c = only(removed)
    assert (c.kind, c.name, c.before, c.source) == ("removed",
                                                    "Withdraw the application (withdraw)",
                                                    "Open → Withdrawn", "Table 3 Step 1")
    c = only([c for c in changes(without, OLD) if c.what == "event"])
    assert c.kind == "added" and c.pos[0] == "new.yaml"
    c = only(changes(OLD, OLD.replace("title: Decide\n", "title: Decide the application\n")))
    assert (c.what, c.aspect, c.before, c.after) \
        == ("event", "title", "'Decide'", "'Decide the application'")


def test_an_added_event_shows_its_data_and_the_sentences_refusing_it():
    added = OLD.replace("  withdraw:", """  reopen:
    title: Reopen the application
    source: Table 5 Step 1
    data:
      reason: {type: text, required: true, title: Reason for reopening}
      on: {type: date, default: today}
    guards:
      - check: on <= today
        says: The reopening date cannot be in the future.
        source: Table 5 Step 1
    transitions:
      - from: Refused
        to: Open
        source: Table 5 Step 1
        guards:
          - check: lodged is not None
            says: Only an application with a Lodgement Date is reopened
  withdraw:""")
    c = only(changes(OLD, added))
    assert c.text() == ("event Reopen the application (reopen) added: Refused → Open; data: Reason "
                        "for reopening "
                        "(reason: text, required), on (date); refused when: 'The reopening date "
                        "cannot be in the "
                        "future'; 'Only an application with a Lodgement Date is reopened'")
    assert only(changes(added, OLD)).before == c.after  # removed, it says the same


def test_a_status_sentence_is_followed_by_no_stray_full_stop():
    added = OLD.replace("  Open: {description: Saved, source: Table 1 Step 2}",
                        "  Open: {description: Saved, source: Table 1 Step 2}\n"
                        "  Parked: {description: A decision is made., group: Table 5, source: "
                        "Table 5 Step 1}")
    assert only(changes(OLD, added)).text() \
        == "status Parked added: A decision is made, group Table 5"


def test_a_reworded_guard_sentence_is_a_change_not_a_removal_and_an_addition():
    c = only(changes(OLD, OLD.replace("cannot be in the future", "must not be a future date")))
    assert (c.kind, c.what, c.aspect) == ("changed", "guard", "sentence")
    assert c.name == "lodged <= today"  # a reworded guard is named by its check
    assert c.where == "Save the application (save)" and c.source == "Table 1 Step 2"
    assert c.before.startswith("'The Lodgement Date cannot") \
        and c.after.startswith("'The Lodgement Date must not")
    # the same sentence with another check
    c = only(changes(OLD, OLD.replace("check: lodged <= today", "check: lodged < today")))
    assert (c.aspect, c.before, c.after) == ("check", "lodged <= today", "lodged < today")


def test_a_guard_added_or_removed_names_its_sentence_and_its_transition():
    without = OLD.replace("""        guards:
          - check: lodged is not None
            says: A refusal needs the Lodgement Date
""", "")
    c = only(changes(OLD, without))
    assert (c.kind, c.what, c.name) == ("removed", "guard", "'A refusal needs the Lodgement Date'")
    assert c.where == "Decide: Open → Refused when outcome is Refused"
    assert c.text() == ("guard 'A refusal needs the Lodgement Date' removed in Decide: Open → "
                        "Refused when outcome "
                        "is Refused: check lodged is not None")
    assert c.source == "Table 2 Step 2"  # the transition's, as the guard has none of its own
    assert only(changes(without, OLD)).kind == "added"


def test_a_due_period_changed():
    c = only(changes(OLD, OLD.replace("due: 48h", "due: 3d")))
    assert c.text() == "intray WORK (Work to do): due 48 hours → 3 days"
    assert only(changes(OLD, OLD.replace("due: 48h", "due: 36h"))).after == "36 hours"


def test_letter_recipients_changed():
    new = OLD.replace("""          - letter: L1
            to: [applicant]
  withdraw:""", """          - letter: L1
            to: [applicant, respondent]
  withdraw:""")
    c = only(changes(OLD, new))
    assert (c.what, c.name, c.aspect, c.before, c.after) == (
        "effect", "letter L1 (Decision letter)", "recipients", "[applicant]",
        "[applicant, respondent]")
    assert c.where == "Decide: Open → Refused when outcome is Refused"


def test_effects_added_and_removed():
    new = OLD.replace("""          - set: {lodged: lodged}
          - open: WORK""", """          - set: {lodged: lodged}""")
    c = only(changes(OLD, new))
    assert (c.kind, c.what, c.name, c.where) == ("removed", "effect",
                                                 "open intray WORK (Work to do)",
                                                 "Save the application: New → Open")


def test_a_transition_to_another_status_or_from_more_statuses_is_matched():
    c = only(changes(OLD, OLD.replace("        to: Refused\n", "        to: Withdrawn\n")))
    assert (c.what, c.aspect, c.before, c.after) == ("transition", "to", "Refused", "Withdrawn")
    both = OLD.replace("""      - from: Open
        to: Withdrawn""", """      - from: [Open, Granted]
        to: Withdrawn""")
    c = only(changes(OLD, both))
    assert (c.what, c.aspect, c.before, c.after) == ("transition", "from", "Open", "Open, Granted")
    when = OLD.replace("when: outcome == 'Refused'",
                       "when: outcome == 'Refused' and lodged is not None")
    c = only(changes(OLD, when))
    assert (c.aspect, c.before, c.after) \
        == ("when", "outcome is Refused", "outcome is Refused and lodged is not none")


def test_fields_lists_and_letters():
    c = only(changes(OLD, OLD.replace("[Granted, Refused]", "[Granted, Refused, Part granted]")))
    assert (c.kind, c.what, c.name, c.where) \
        == ("added", "list value", "'Part granted'", "list outcome")
    c = only(changes(OLD, OLD.replace("title: Lodgement Date, source",
                                      "title: Date of lodgement, source")))
    assert (c.what, c.aspect, c.before, c.after) \
        == ("field", "title", "Lodgement Date", "Date of lodgement")
    c = only(changes(OLD, OLD.replace("title: Withdrawal letter", "title: Withdrawal notice")))
    assert c.text() \
        == "letter L2 (Withdrawal notice): title 'Withdrawal letter' → 'Withdrawal notice'"
    required = "      lodged: {type: date, default: today, required: true}"
    c = only(changes(OLD, OLD.replace("      lodged: {type: date, default: today}", required)))
    assert (c.what, c.where, c.aspect) == ("data field", "Save the application (save)", "required")


def test_table_rows():
    table = """\
tables:
  areas:
    key: name
    columns: {exempt: {type: boolean, title: Exempt}}
    rows:
      - {name: Agreements, exempt: false, source: Table 9 Item 1}
      - {name: Collections, exempt: true, source: Table 9 Item 2}
    source: Table 9
"""
    old = OLD.replace("intrays:\n", table + "intrays:\n")
    new = old.replace("{name: Agreements, exempt: false", "{name: Agreements, exempt: true") \
        .replace("      - {name: Collections, exempt: true, source: Table 9 Item 2}\n", "")
    found = changes(old, new)
    assert [(c.kind, c.what, c.name, c.aspect, c.before, c.after) for c in found] == [
        ("changed", "table row", "Agreements", "Exempt", "no", "yes"),
        ("removed", "table row", "Collections", "", "Exempt yes", "")]
    assert found[0].source == "Table 9 Item 1" and found[1].old_pos[1] == 22


def test_every_change_of_the_new_version_in_order_of_sections():
    found = changes(OLD, NEW)
    sections = [c.section for c in found]
    assert sections == sorted(sections, key=["Workflow", "Statuses", "Events", "Transitions",
                                             "Guards", "Effects",
                                             "Intrays", "Letters", "Fields", "Lists"].index)
    said = {c.text() for c in found}
    assert "status Withdrawn removed: Withdrawn by the applicant, final" in said
    assert "status Review added: With a reviewer" in said
    assert "intray WORK (Work to do): due 48 hours → 3 days" in said
    assert "transition Decide: Open, Review → Refused when outcome is Refused: " \
           "from Open → Open, Review" in said
    assert "event Refer for review (refer) added: Open → Review; data: reviewer (text, required)" \
        in said
    assert [s.name for s in removed_statuses(wf(OLD), wf(NEW))] == ["Withdrawn"]


# -- renderings
# --------------------------------------------------------------------------------------

def rendered() -> dict[str, str]:
    """What the golden files hold: the diff of OLD and NEW as text, Markdown and JSON."""
    old, new = wf(OLD, "old.yaml"), wf(NEW, "new.yaml")
    found = compare(old, new)
    return {"diff.txt": diff_text(old, new, found), "diff.md": diff_markdown(old, new, found),
            "diff.json": json.dumps(diff_json(old, new, found), indent=2, ensure_ascii=False)
            + "\n"}


@pytest.mark.parametrize("name", ["diff.txt", "diff.md", "diff.json"])
def test_renderings_match_the_golden_files(name):
    expected = (GOLDEN / name).read_text(encoding="utf-8")
    assert rendered()[name] == expected, \
        f"run `python tests/test_diff.py` to see the new {name} and review it"


def test_json_keys_are_stable():
    doc = json.loads(rendered()["diff.json"])
    assert set(doc) == {"workflow", "old", "new", "summary", "changes"}
    assert set(doc["old"]) == {"workflow", "title", "file", "version"}
    assert set(doc["summary"]) == {"total", "added", "removed", "changed"}
    assert doc["summary"]["total"] == len(doc["changes"]) \
        == sum(doc["summary"][k] for k in ("added", "removed", "changed"))
    for c in doc["changes"]:
        assert set(c) == {"kind", "what", "name", "where", "aspect", "before", "after", "source",
                          "text", "at",
                          "was_at"}
        assert (c["at"] is None) == (c["kind"] == "removed") \
            and (c["was_at"] is None) == (c["kind"] == "added")


def test_markdown_is_a_review_comment():
    md = rendered()["diff.md"]
    lines = md.splitlines()
    assert lines[0] == "### Procedure change: An application (`app`)"
    assert "**" in lines[2] and "changes** (" in lines[2]
    assert "#### Statuses" in lines and "#### Guards" in lines
    guard = next(line for line in lines if line.startswith("| changed | guard"))
    assert "~~cannot~~ **must not** be ~~in the future,~~ **a future date,**" in guard
    assert all(line.count("|") - line.count("\\|") == 6 for line in lines if line.startswith("| "))


def test_no_change_says_so():
    one = wf(OLD)
    assert diff_text(one, one, []).endswith(": no change\n")
    assert "No change to the procedure" in diff_markdown(one, one, [])


# -- the diagram of the change
# --------------------------------------------------------------------------

def test_the_diagram_colours_what_was_added_changed_and_removed():
    old, new = wf(OLD, "old.yaml"), wf(NEW, "new.yaml")
    marks = diagram_marks(old, new)
    assert marks.statuses == {"Open": "changed", "Review": "added"}
    assert marks.moves[("refer", "Open", "Review")] == "added"
    assert marks.moves[("decide", "Review", "Refused")] == "added"
    assert marks.moves[("decide", "Open", "Refused")] == "changed"  # its guard and letter changed
    assert marks.removed_statuses == (("Withdrawn", "", True),)
    assert marks.removed_moves == (("withdraw", "Withdraw the application", "Open", "Withdrawn"),)
    dot = render(new, "dot", marks=marks).decode()
    lines = dot.splitlines()
    review = next(line for line in lines if line.strip().startswith("s_Review ["))
    assert 'color="#2CA02C"' in review
    withdrawn = next(line for line in lines if line.strip().startswith("s_Withdrawn ["))
    assert 'color="#D62728"' in withdrawn and "dashed" in withdrawn
    gone = next(line for line in lines if "s_Open -> s_Withdrawn" in line)
    assert 'color="#D62728"' in gone and "style=dashed" in gone \
        and "Withdraw the application" in gone
    refer = next(line for line in lines if "s_Open -> s_Review" in line)
    assert 'color="#2CA02C"' in refer
    assert "green: added in this version" in dot and "red, dashed: removed" in dot \
        and "amber: changed" in dot
    mermaid = render(new, "mermaid", marks=marks).decode()
    assert "classDef removed" in mermaid and "s_Open --> s_Withdrawn : REMOVED" in mermaid


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.stem)
def test_the_plain_diagram_is_untouched_by_empty_marks(path):
    from engine import load_workflow
    from engine.render.graph import Marks

    one = load_workflow(path)
    assert to_dot(extract(one, marks=Marks())) == to_dot(extract(one))
    assert diagram_marks(one, one) == Marks()


if __name__ == "__main__":  # regenerate the golden files, to review with `git diff tests/golden`
    GOLDEN.mkdir(exist_ok=True)
    for file_name, text in rendered().items():
        (GOLDEN / file_name).write_text(text, encoding="utf-8")
        print(f"wrote {GOLDEN / file_name}", file=sys.stderr)
