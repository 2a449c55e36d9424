"""Tests of YAML loading with positions: values, positions and every refusal as a finding."""
from __future__ import annotations

import textwrap
from pathlib import Path as FsPath

import pytest

from engine.findings import DefinitionError, Finding
from engine.spec.yamlsrc import MAX_BYTES, Source, load_yaml, load_yaml_file, yaml11_booleans


def load(text: str) -> Source:
    return load_yaml(textwrap.dedent(text), "doc.yaml")


def refusal(text: str) -> list[Finding]:
    with pytest.raises(DefinitionError) as caught:
        load_yaml(textwrap.dedent(text), "doc.yaml")
    findings = caught.value.findings
    assert findings and all(f.code == "yaml" and f.severity == "error"
                            and f.file == "doc.yaml" for f in findings)
    return findings


NESTED = """\
a:
  b: 1
  c:
    - x
    - {d: 'y'}
e: [1, 2]
"""


# -- values and positions

def test_nested_values_are_plain_python():
    src = load(NESTED)
    assert src.data == {"a": {"b": 1, "c": ["x", {"d": "y"}]}, "e": [1, 2]}
    assert type(src.data) is dict and type(src.data["a"]["c"]) is list


def test_positions_of_values_and_keys():
    src = load(NESTED)
    assert src.pos(()) == (1, 1)
    assert src.pos(("a",)) == (2, 3)  # a block mapping starts at its first key
    assert src.pos(("a",), key=True) == (1, 1)
    assert src.pos(("a", "b")) == (2, 6)
    assert src.pos(("a", "b"), key=True) == (2, 3)
    assert src.pos(("a", "c")) == (4, 5)
    assert src.pos(("a", "c"), key=True) == (3, 3)


def test_positions_of_list_items_and_flow_collections():
    src = load(NESTED)
    assert src.pos(("a", "c", 0)) == (4, 7)
    assert src.pos(("a", "c", 0), key=True) == (4, 7)  # a list item's "key" is the item itself
    assert src.pos(("a", "c", 1)) == (5, 7)
    assert src.pos(("a", "c", 1, "d")) == (5, 11)
    assert src.pos(("a", "c", 1, "d"), key=True) == (5, 8)
    assert src.pos(("e",)) == (6, 4)
    assert src.pos(("e", 1)) == (6, 8)


def test_positions_table_holds_line_col_and_key_position():
    src = load(NESTED)
    assert src.positions[("a", "b")] == (2, 6, 2, 3)
    assert src.positions[("a", "c", 1, "d")] == (5, 11, 5, 8)


def test_unknown_path_falls_back_to_nearest_ancestor():
    src = load(NESTED)
    assert src.pos(("a", "b", "nothing", 3)) == (2, 6)
    assert src.pos(("a", "missing")) == (2, 3)
    assert src.pos(("a", "missing"), key=True) == (1, 1)
    assert src.pos(("nowhere",)) == (1, 1)


def test_positions_after_leading_comment():
    src = load("# a comment\n\nkey: value\n")
    assert src.pos(()) == (3, 1)
    assert src.pos(("key",)) == (3, 6)


def test_line_text_is_the_users_own_line():
    src = load(NESTED)
    assert src.line_text(5) == "    - {d: 'y'}"
    assert src.line_text(1) == "a:"
    assert src.line_text(0) == ""
    assert src.line_text(99) == ""


def test_windows_line_endings_keep_positions():
    src = load_yaml("a: 1\r\nb:\r\n  c: 2\r\n")
    assert src.data == {"a": 1, "b": {"c": 2}}
    assert src.pos(("b", "c")) == (3, 6)
    assert src.line_text(3) == "  c: 2"


def test_byte_order_mark_is_ignored():
    src = load_yaml("\ufeffa: 1\n")
    assert src.data == {"a": 1}
    assert src.pos(("a",)) == (1, 4)


# -- scalars

@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "y", "n", "Yes", "NO", "On", "OFF"])
def test_yes_no_on_off_stay_strings(word):
    assert load(f"v: {word}\n").data == {"v": word}


@pytest.mark.parametrize("word, value", [
    ("true", True), ("True", True), ("TRUE", True), ("false", False), ("False", False),
    ("FALSE", False),
])
def test_booleans_are_yaml_1_2_core(word, value):
    assert load(f"v: {word}\n").data["v"] is value


@pytest.mark.parametrize("text", ["v: null", "v: Null", "v: NULL", "v: ~", "v:"])
def test_nulls(text):
    assert load(text + "\n").data == {"v": None}


@pytest.mark.parametrize("text, value", [
    ("0", 0), ("42", 42), ("-7", -7), ("+3", 3), ("1.5", 1.5), ("-0.25", -0.25), ("1e3", 1000.0),
    (".5", 0.5),
])
def test_decimal_numbers(text, value):
    got = load(f"v: {text}\n").data["v"]
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize("text", [
    "0x1F", "0o17", "017", "0800", "1_000", "1:30", "190:20:30", ".inf", ".nan", "1.2.3", "None",
    "12abc",
])
def test_other_number_like_scalars_stay_strings(text):
    assert load(f"v: {text}\n").data == {"v": text}


@pytest.mark.parametrize("text", ["2024-03-01", "2024-03-01T10:00:00", "2024-03-01 10:00:00+10:00"])
def test_dates_and_timestamps_stay_strings(text):
    assert load(f"v: {text}\n").data == {"v": text}


@pytest.mark.parametrize("text", ["'5'", '"true"', "'null'", '""', "'2024-03-01'"])
def test_quoted_scalars_are_strings(text):
    assert isinstance(load(f"v: {text}\n").data["v"], str)


def test_block_scalars_are_strings():
    src = load("v: |\n  line one\n  42\n")
    assert src.data == {"v": "line one\n42\n"}


def test_standard_tags_are_honoured():
    src = load("a: !!str 5\nb: !!int '7'\nc: !!float 1\nd: !!bool 'true'\n"
               "e: !!null ''\nf: !!seq [1]\ng: !!map {x: 1}\n")
    assert src.data == {"a": "5", "b": 7, "c": 1.0, "d": True, "e": None, "f": [1], "g": {"x": 1}}


def test_standard_tag_with_a_wrong_value_is_refused():
    [finding] = refusal("a: !!int abc\n")
    assert (finding.line, finding.col) == (1, 4)
    assert "'abc'" in finding.message and "integer" in finding.message


@pytest.mark.parametrize("text", ["a: !foo x\n", "a: !!binary aGVsbG8=\n",
                                  "a: !!python/object:os.system x\n",
                                  "a: !!timestamp 2024-01-01\n", "a: !!set {x: null}\n"])
def test_other_tags_are_refused(text):
    [finding] = refusal(text)
    assert "tags are not allowed" in finding.message
    assert (finding.line, finding.col) == (1, 4)


def test_integer_keys_become_integers():
    assert load("8: reason eight\nx: 1\n").data == {8: "reason eight", "x": 1}


def test_other_keys_stay_strings():
    assert load("true: 1\nnull: 2\n1.5: 3\n").data == {"true": 1, "null": 2, "1.5": 3}


# -- refusals

def test_duplicate_key_reported_at_second_with_first_line():
    [finding] = refusal("""\
        a: 1
        b:
          c: 2
        a: 3
        """)
    assert (finding.line, finding.col) == (4, 1)
    assert finding.message == "duplicate key 'a' (first defined at line 1)"


def test_nested_duplicate_key():
    [finding] = refusal("""\
        events:
          go:
            title: x
            source: y
            title: z
        """)
    assert (finding.line, finding.col) == (5, 5)
    assert finding.message == "duplicate key 'title' (first defined at line 3)"


def test_same_key_in_different_mappings_is_fine():
    assert load("a: {x: 1}\nb: {x: 2}\n").data == {"a": {"x": 1}, "b": {"x": 2}}


def test_anchor_refused_at_its_position():
    [finding] = refusal("a: &name 1\nb: 2\n")
    assert finding.message == "anchors and aliases are not allowed"
    assert (finding.line, finding.col) == (1, 4)


def test_alias_refused_at_its_position():
    findings = refusal("a: &x 1\nb: *x\n")
    assert [(f.line, f.col) for f in findings] == [(1, 4), (2, 4)]
    assert all(f.message == "anchors and aliases are not allowed" for f in findings)


def test_merge_key_refused():
    findings = refusal("base: &b {x: 1}\nthing:\n  <<: *b\n  y: 2\n")
    assert any("merge keys" in f.message and (f.line, f.col) == (3, 3) for f in findings)


BILLION_LAUGHS = """\
lol1: &lol1 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
lol2: &lol2 [*lol1,*lol1,*lol1,*lol1,*lol1,*lol1,*lol1,*lol1,*lol1]
lol3: &lol3 [*lol2,*lol2,*lol2,*lol2,*lol2,*lol2,*lol2,*lol2,*lol2]
lol4: &lol4 [*lol3,*lol3,*lol3,*lol3,*lol3,*lol3,*lol3,*lol3,*lol3]
lol5: &lol5 [*lol4,*lol4,*lol4,*lol4,*lol4,*lol4,*lol4,*lol4,*lol4]
lol6: &lol6 [*lol5,*lol5,*lol5,*lol5,*lol5,*lol5,*lol5,*lol5,*lol5]
lol7: &lol7 [*lol6,*lol6,*lol6,*lol6,*lol6,*lol6,*lol6,*lol6,*lol6]
lol8: &lol8 [*lol7,*lol7,*lol7,*lol7,*lol7,*lol7,*lol7,*lol7,*lol7]
lol9: &lol9 [*lol8,*lol8,*lol8,*lol8,*lol8,*lol8,*lol8,*lol8,*lol8]
"""


def test_billion_laughs_is_refused():
    findings = refusal(BILLION_LAUGHS)
    assert all(f.message == "anchors and aliases are not allowed" for f in findings)
    assert findings[0].line == 1
    assert len(findings) <= 9  # at most one per line, not one per alias


def test_tabs_in_indentation():
    [finding] = refusal("a:\n\tb: 1\n")
    assert (finding.line, finding.col) == (2, 1)
    assert finding.hint == "YAML indentation must use spaces, not tabs"


def test_tab_after_spaces_in_indentation():
    [finding] = refusal("a:\n  b: 1\n  \tc: 2\n")
    assert finding.line == 3
    assert "tabs" in finding.hint


def test_colon_in_plain_value_is_a_syntax_error_at_its_position():
    [finding] = refusal("title: Note: the date\n")
    assert (finding.line, finding.col) == (1, 12)
    assert "quotes" in finding.hint


def test_bad_indentation_position():
    [finding] = refusal("a:\n    b: 1\n  c: 2\n")
    assert (finding.line, finding.col) == (3, 3)
    assert "indent" in finding.message


def test_missing_colon_points_at_the_key():
    [finding] = refusal("a: 1\nb\nc: 2\n")
    assert (finding.line, finding.col) == (2, 1)
    assert "':'" in finding.message


def test_unclosed_quote_points_at_the_opening_quote():
    [finding] = refusal("a: 'abc\nb: 2\n")
    assert (finding.line, finding.col) == (1, 4)
    assert finding.message == "a quoted value is never closed"


def test_unclosed_flow_list():
    [finding] = refusal("a: [1, 2\nb: 3\n")
    assert finding.line == 2
    assert "'['" in finding.message and "line 1" in finding.message


def test_value_starting_with_reserved_character():
    [finding] = refusal("a: @home\n")
    assert (finding.line, finding.col) == (1, 4)
    assert finding.message == "a value cannot start with '@'"


def test_list_item_mixed_with_key():
    [finding] = refusal("a:\n  - x\n  b: 1\n")
    assert (finding.line, finding.col) == (3, 3)


@pytest.mark.parametrize("text",
                         ["", "\n\n", "# just a comment\n", "---\n", "---\n# nothing\n...\n"])
def test_empty_file(text):
    [finding] = refusal(text)
    assert finding.message == "the file is empty"


def test_multiple_documents():
    [finding] = refusal("a: 1\n---\nb: 2\n")
    assert (finding.line, finding.col) == (2, 1)
    assert "more than one YAML document" in finding.message


def test_explicit_document_start_is_fine():
    assert load("---\na: 1\n").data == {"a": 1}


def test_control_character_refused_at_its_position():
    [finding] = refusal("a: 1\nb: x\x07y\n")
    assert (finding.line, finding.col) == (2, 5)
    assert "U+0007" in finding.message


def test_collection_as_key_refused():
    [finding] = refusal("? [a, b]\n: 1\n")
    assert finding.line == 1
    assert "key" in finding.message


def test_deep_nesting_refused():
    findings = refusal("[" * 500 + "]" * 500)
    assert "nested" in findings[0].message


def test_oversized_document_refused():
    [finding] = refusal("a: " + "x" * MAX_BYTES + "\n")
    assert "too large" in finding.message


def test_all_problems_reported_at_once():
    findings = refusal("a: 1\na: 2\nb: &x 1\nc: !foo 3\n")
    assert [(f.line, f.col) for f in findings] == [(2, 1), (3, 4), (4, 4)]


def test_definition_error_renders_positions():
    with pytest.raises(DefinitionError) as caught:
        load_yaml("a: 1\na: 2\n", "wf.yaml")
    assert str(caught.value).startswith("wf.yaml:2:1: error: duplicate key 'a'")


# -- files

def test_load_file(tmp_path: FsPath):
    path = tmp_path / "wf.yaml"
    path.write_text("title: Café\nitems: [1]\n", encoding="utf-8")
    src = load_yaml_file(path)
    assert src.data == {"title": "Café", "items": [1]}
    assert src.file == str(path)
    assert src.pos(("items", 0)) == (2, 9)


def test_file_with_byte_order_mark(tmp_path: FsPath):
    path = tmp_path / "wf.yaml"
    path.write_bytes(b"\xef\xbb\xbfa: 1\n")
    src = load_yaml_file(path)
    assert src.data == {"a": 1}
    assert src.pos(("a",)) == (1, 4)


def test_non_utf8_bytes(tmp_path: FsPath):
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"a: 1\nb: caf" + b"\xe9\n")
    with pytest.raises(DefinitionError) as caught:
        load_yaml_file(path)
    [finding] = caught.value.findings
    assert (finding.file, finding.line, finding.col) == (str(path), 2, 7)
    assert "UTF-8" in finding.message and finding.code == "yaml"


def test_missing_file(tmp_path: FsPath):
    path = tmp_path / "nope.yaml"
    with pytest.raises(DefinitionError) as caught:
        load_yaml_file(path)
    [finding] = caught.value.findings
    assert finding.file == str(path)
    assert finding.message == "the file does not exist"


def test_directory_instead_of_file(tmp_path: FsPath):
    with pytest.raises(DefinitionError) as caught:
        load_yaml_file(tmp_path)
    assert "folder" in caught.value.findings[0].message


def test_file_errors_carry_the_file_name(tmp_path: FsPath):
    path = tmp_path / "dup.yaml"
    path.write_text("a: 1\na: 2\n", encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_yaml_file(str(path))
    assert caught.value.findings[0].file == str(path)


def test_values_yaml_1_1_reads_as_booleans_are_warned_about_with_their_fix():
    src = load_yaml('title: On\nquoted: "On"\nsingle: \'no\'\nanswer: yes\nflags: [y, N, maybe]\n'
                    'on: 1\nnote: On time\n',
                    "w.yaml")
    assert src.data["title"] == "On" and src.data["on"] == 1  # read as YAML 1.2: text stays text
    found = yaml11_booleans(src)
    assert [(f.line, f.col, f.severity, f.code) for f in found] == [
        (1, 8, "warning", "yaml-1.1"), (4, 9, "warning", "yaml-1.1"), (5, 9, "warning", "yaml-1.1"),
        (5, 12, "warning", "yaml-1.1")]
    assert found[0].message \
        == "'On' is text here, but YAML 1.1 readers (PyYAML, Ansible, older yq) read it as true"
    assert found[0].hint == 'quote it: "On"'
    assert "read it as false" in found[3].message
