"""The language work behind `procflow lsp`, without a client: the names index of the real folder,
hover text, definitions and references, completion contexts, the outline and the quick fixes."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.lsp.completion import ancestors, complete, schema_keys
from engine.lsp.language import fix_for, hover, md, outline, references
from engine.lsp.names import Name, index_folder
from engine.lsp.spans import span_at
from engine.spec.schema import schema
from engine.spec.yamlsrc import load_yaml, load_yaml_file

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted([*ROOT.glob("workflows/*.yaml"), *ROOT.glob("scenarios/*/*.yaml")])


@pytest.fixture(scope="module")
def index():
    return index_folder({str(p): load_yaml_file(p) for p in FILES})


def test_every_use_is_written_where_its_span_says(index):
    """Each name found in the documents sits exactly at its span (keys, values, flow lists, quoted
    and block scalars, names inside expressions)."""
    checked = 0
    for file, found in index.occurrences.items():
        src = index.sources[file]
        for o in found:
            assert src.line_text(o.span.line)[o.span.start - 1:o.span.end - 1] == o.name.name, \
                (file, o)
            checked += 1
    assert checked > 5000


def test_every_use_in_the_real_folder_is_declared(index):
    """Only names the scenarios deliberately misspell (to test refusals) are undeclared."""
    undeclared = {(Path(o.span.file).name, o.name.name) for found in index.occurrences.values()
                  for o in found
                  if not o.defines and o.name.kind != "function"
                  and o.name not in index.definitions}
    assert undeclared <= {("names_as_staff_type_them.yaml", "W’drawn-Other")}


def test_a_data_field_is_told_from_a_field_by_its_event(index):
    coa = str(ROOT / "workflows" / "coa.yaml")
    text = index.sources[coa].text
    line = text[:text.index("check: lodgement_date <= today")].count("\n") + 1
    col = index.sources[coa].line_text(line).index("lodgement_date") + 1
    found = index.at(coa, line, col)
    assert found.name == Name("data", "coa", "lodgement_date", "save_application")
    uses = references(index, coa, line, col)
    assert {o.name for o in uses} == {found.name}
    assert any(o.defines for o in uses)


def test_hover_escapes_what_the_document_says(index):
    assert md("a *b* <script>") == r"a \*b\* \<script\>"
    coa = str(ROOT / "workflows" / "coa.yaml")
    text = index.sources[coa].text
    line = text[:text.index("  Poss Refusal:")].count("\n") + 1
    shown, span = hover(index, coa, line, 3)
    assert shown.startswith("**status** `Poss Refusal` of coa")
    assert "source: COA Table 3 Step 5" in shown \
        and "> COA Table 3 Step 5: COA application possible refusal" in shown
    assert (span.start, span.end) == (3, 15)


def test_completion_reads_where_the_cursor_is_from_indentation(index):
    lines = ["events:", "  save:", "    transitions:", "      - from: New", "        to: "]
    assert ancestors(lines, 4) == ["events", "save", "transitions", 0]
    keys = schema_keys(schema("workflow"), ["events", "save", "transitions", 0])
    assert {"from", "to", "when", "guards", "effects", "source", "assumption"} == set(keys)
    text = "workflow: sco\n" + "\n".join(lines) + "\n"
    found = {c.label for c in complete(index, text, 6, 13, schema("workflow"), False)}
    assert found == {"New", "Active", "Deleted"}


def test_outline_and_fixes():
    src = load_yaml("workflow: w\nstatuses:\n  A: {source: x}\n  B:\n    source: y\nevents: {}\n",
                    "w.yaml")
    statuses, events = outline(src)
    assert (statuses.name, events.name, events.children) == ("statuses", "events", [])
    assert [(c.name, c.line, c.end_line) for c in statuses.children] == [("A", 3, 3), ("B", 4, 5)]
    assert fix_for("unknown status 'Noen' (did you mean 'None'?)") == "None"
    assert fix_for("unknown status 'X'") is None
    span = span_at(load_yaml("to: Poss Refusl\n", "t.yaml"), 1, 5)
    assert (span.start, span.end) == (5, 16)
