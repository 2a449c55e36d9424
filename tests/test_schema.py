"""Tests of schema validation: every error found, positioned, and said in plain words."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

from jsonschema import Draft202012Validator

from engine.findings import Finding
from engine.spec.schema import check_schema, schema
from engine.spec.yamlsrc import load_yaml

VALID = """\
workflow: demo
title: Demo procedure
initial: New
statuses:
  New: {source: Step 1}
  Done: {final: true, source: Step 2}
intrays:
  WORK: {name: Work to do, due: 35d, source: Step 1}
letters:
  L1: {title: Outcome letter, source: Step 2}
fields:
  kind: {type: text}
events:
  finalise:
    title: Finalise the application
    source: Step 2
    transitions:
      - from: New
        to: Done
        source: Step 2
        effects:
          - close: WORK
          - letter: L1
            to: [applicant]
"""


def check(text: str) -> list[Finding]:
    return check_schema(load_yaml(textwrap.dedent(text), "wf.yaml"))


def test_schema_loads_and_is_a_valid_2020_12_schema():
    loaded = schema("workflow")
    assert loaded["$schema"].endswith("2020-12/schema")
    Draft202012Validator.check_schema(loaded)
    assert schema("workflow") is loaded  # cached


def test_valid_document_has_no_findings():
    assert check(VALID) == []


def test_unknown_key_at_its_key_with_did_you_mean():
    text = VALID.replace("    transitions:\n", "    tranistions:\n")
    findings = check(text)
    unknown = [f for f in findings if f.message.startswith("unknown key")]
    assert len(unknown) == 1
    [finding] = unknown
    assert finding.message == "unknown key 'tranistions' in event 'finalise'"
    assert finding.hint == "did you mean 'transitions'?"
    assert (finding.line, finding.col) == (17, 5)
    assert finding.code == "schema" and finding.severity == "error" and finding.file == "wf.yaml"
    # one mistake, said once: the misspelt key is the missing one, not a second finding
    assert findings == [finding]


def test_unknown_key_in_flow_mapping_positioned_at_the_key():
    [finding] = check(VALID.replace("Done: {final: true,", "Done: {fianl: true,"))
    assert finding.message == "unknown key 'fianl' in status 'Done'"
    assert finding.hint == "did you mean 'final'?"
    assert (finding.line, finding.col) == (6, 10)


def test_unknown_key_without_close_match_lists_allowed_keys():
    [finding] = check(VALID + "colour: red\n")
    assert finding.message == "unknown key 'colour' at the top level"
    assert finding.hint.startswith("the keys allowed here are workflow, title")
    assert (finding.line, finding.col) == (25, 1)


def test_one_finding_per_unknown_key():
    findings = check(VALID.replace("  New: {source: Step 1}",
                                   "  New: {source: Step 1, colour: red, size: 2}"))
    assert [f.message for f in findings] == ["unknown key 'colour' in status 'New'",
                                             "unknown key 'size' in status 'New'"]
    assert [(f.line, f.col) for f in findings] == [(5, 25), (5, 38)]


def test_wrong_type():
    [finding] = check(VALID.replace("    title: Finalise the application", "    title: 42"))
    assert finding.message == "'title' of event 'finalise': 42 should be text"
    assert finding.hint == "put the value in quotes to make it text"
    assert (finding.line, finding.col) == (15, 12)


def test_wrong_type_boolean_written_yes():
    [finding] = check(VALID.replace("final: true", "final: yes"))
    assert finding.message == "'final' of status 'Done': 'yes' should be true or false"
    assert "true or false" in finding.hint
    assert (finding.line, finding.col) == (6, 17)


def test_wrong_type_in_a_list_of_text_or_integers():
    [finding] = check(VALID + "lists:\n  party: {values: [payee, [x]]}\n")
    assert finding.message \
        == "item 2 of 'values' of list 'party': a list should be text or an integer"
    assert (finding.line, finding.col) == (26, 27)


def test_empty_value_where_a_mapping_is_needed():
    [finding] = check(VALID.replace("letters:\n  L1: {title: Outcome letter, source: Step 2}\n",
                                    "letters:\n"))
    assert finding.message \
        == "'letters': no value is given; it should be a mapping of keys to values"
    assert (finding.line, finding.col) == (9, 9)


def test_missing_required_key_in_a_transition():
    [finding] = check(VALID.replace("        source: Step 2\n        effects:", "        effects:"))
    assert finding.message == "missing required key 'source' in event 'finalise' transition 1"
    assert (finding.line, finding.col) == (18, 9)


def test_missing_required_key_at_the_top_level():
    [finding] = check(VALID.replace("initial: New\n", ""))
    assert finding.message == "missing required key 'initial' at the top level"
    assert (finding.line, finding.col) == (1, 1)


def test_missing_required_key_positioned_at_the_objects_key():
    [finding] = check(VALID.replace("{name: Work to do, due: 35d,", "{due: 35d,"))
    assert finding.message == "missing required key 'name' in intray 'WORK'"
    assert (finding.line, finding.col) == (8, 3)


def test_bad_enum_with_did_you_mean():
    [finding] = check(VALID.replace("kind: {type: text}", "kind: {type: txt}"))
    assert finding.message.startswith("'type' of field 'kind': 'txt' is not one of text, "
                                      "integer, boolean")
    assert finding.hint == "did you mean 'text'?"
    assert (finding.line, finding.col) == (12, 16)


def test_bad_duration():
    [finding] = check(VALID.replace("due: 35d", "due: 35 dayz"))
    assert finding.message \
        == "'due' of intray 'WORK': '35 dayz' is not a period such as 35d, 48h, 2w"
    assert (finding.line, finding.col) == (8, 33)


def test_bad_workflow_name():
    [finding] = check(VALID.replace("workflow: demo", "workflow: Demo Flow"))
    assert finding.message.startswith("'workflow': 'Demo Flow' should be a short name of "
                                      "lower-case letters")
    assert (finding.line, finding.col) == (1, 11)


def test_effect_with_wrong_value_type():
    [finding] = check(VALID.replace("- close: WORK", "- open: 5"))
    assert finding.message == "'open' of event 'finalise' transition 1 effect 1: 5 should be text"
    assert (finding.line, finding.col) == (22, 19)
    assert "any of the given schemas" not in finding.message


def test_letter_without_recipients():
    [finding] = check(VALID.replace("            to: [applicant]\n", ""))
    assert finding.message == "missing required key 'to' in event 'finalise' transition 1 effect 2"
    assert (finding.line, finding.col) == (23, 13)


def test_effect_without_any_known_key():
    [finding] = check(VALID.replace("- close: WORK", "- clsoe: WORK"))
    assert finding.message == ("event 'finalise' transition 1 effect 1 should have one of the keys "
                               "set, number, append, open, close, assign, letter, update, "
                               "start, signal")
    assert finding.hint == "did you mean 'close'?"
    assert (finding.line, finding.col) == (22, 13)


def test_effect_mixing_two_kinds_reports_the_stray_key():
    [finding] = check(VALID.replace("- close: WORK", "- {close: WORK, letter: L1}"))
    assert finding.message == "unknown key 'letter' in event 'finalise' transition 1 effect 1"
    assert (finding.line, finding.col) == (22, 27)


def test_effect_written_as_text():
    [finding] = check(VALID.replace("- close: WORK", "- close WORK"))
    assert finding.message == ("event 'finalise' transition 1 effect 1: "
                               "'close WORK' should be a mapping of keys to values")


def test_from_of_the_wrong_shape():
    [finding] = check(VALID.replace("- from: New", "- from: 5"))
    assert finding.message \
        == "'from' of event 'finalise' transition 1: 5 should be text or a list of text"


def test_empty_list_is_reported():
    text = VALID.split("    transitions:")[0] + "    transitions: []\n"
    findings = check(text)
    assert [f.message for f in findings] \
        == ["'transitions' of event 'finalise' is empty; it needs at least one entry"]
    assert (findings[0].line, findings[0].col) == (17, 18)


def test_root_must_be_a_mapping():
    [finding] = check("- a\n- b\n")
    assert finding.message == "the document: a list should be a mapping of keys to values"


def test_three_mistakes_three_findings_in_order():
    text = (VALID.replace("    title: Finalise the application", "    title: 42")
            .replace("due: 35d", "due: 35 dayz")
            .replace("Done: {final: true,", "Done: {fianl: true,"))
    findings = check(text)
    assert len(findings) == 3
    assert [(f.line, f.col) for f in findings] == [(6, 10), (8, 33), (15, 12)]
    assert all(f.code == "schema" for f in findings)


def test_schema_command_writes_the_packaged_schema_with_a_stable_id(tmp_path):
    """`procflow schema KIND -o FILE` writes what the checker validates with, under a stable $id,
    so a repository that keeps its workflows elsewhere can point its editor at the file."""
    from click.testing import CliRunner

    from cli import cli
    from engine.spec.yamlsrc import load_yaml_file

    root = Path(__file__).resolve().parent.parent
    for kind, example in (("workflow", "workflows/coa.yaml"),
                          ("scenario", "scenarios/coa/full_path.yaml")):
        out = tmp_path / f"{kind}.schema.json"
        result = CliRunner().invoke(cli, ["schema", kind, "-o", str(out)])
        assert result.exit_code == 0, result.output
        written = json.loads(out.read_text(encoding="utf-8"))
        assert written == schema(kind)
        assert written["$id"] == f"urn:procflow:schema:{kind}:1"
        Draft202012Validator.check_schema(written)
        assert list(
            Draft202012Validator(written).iter_errors(load_yaml_file(root / example).data)) == []
        assert json.loads(CliRunner().invoke(cli, ["schema", kind]).output) == written
    assert CliRunner().invoke(cli, ["schema", "letters"]).exit_code == 2
    assert CliRunner().invoke(cli, ["schema", "workflow", "-o",
                                    str(tmp_path / "no" / "x.json")]).exit_code == 2


def test_checking_entry_by_entry_with_a_memo_finds_the_same():
    """The editor's check (a memo of each section entry's errors, kept between changes) says exactly
    what a whole-document check says, for mistakes inside events, statuses, fields, intrays and
    lists, around them and at the top level, and at their new lines when lines move."""
    text = (Path(__file__).resolve().parent.parent / "workflows" / "coa.yaml").read_text(
        encoding="utf-8")
    variants = [
        text,
        text.replace("    title: Save the application details",
                     "    titel: Save the application details", 1),
        text.replace("        to: None\n", "        to: None\n        efects: []\n", 1),
        text.replace("events:\n", "events:\n  bad: 3\n", 1),
        text.replace("      - check: lodgement_date <= today",
                     "      - chekc: lodgement_date <= today", 1),
        text.replace("events:\n", "events: []\nx:\n", 1),
        text.replace("        effects:\n", "        effects:\n          - {open: X, close: Y}\n",
                     1),
        text.replace("initial: New\n", "initial: [New]\n", 1),
        text.replace("    group: Table 1 Record a new application",
                     "    grup: Table 1 Record a new application", 1),
        text.replace("    type: integer\n", "    type: integr\n", 1),
        text.replace("    due: 35d\n", "    due: 35 parsecs\n", 1),
        text.replace("    values: [payee, payer]\n", "    values: payee\n", 1),
        "# a line above moves every mistake down\n"
        + text.replace("    type: integer\n", "    type: integr\n", 1),
        text.replace("statuses:\n", "statuses: []\nstatuses_old:\n", 1),
    ]
    memo: dict = {}
    for variant in variants * 2:  # the second time round, every event's errors come from the memo
        src = load_yaml(variant, "coa.yaml")
        assert check_schema(src, memo=memo) == check_schema(src)
    assert len(memo) > 100  # the entries of every section
