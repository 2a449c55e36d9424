"""Generated procedure documents: the `procedure:` catalogue, the document model, its Markdown and
HTML, the CLI.

Golden files: tests/golden/docs_*.md; after a deliberate change regenerate them with
`.venv/bin/python tests/golden/docs_regenerate.py` and review the diff.
"""
from __future__ import annotations

import importlib.util
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from engine import DefinitionError, load_workflow
from engine.analysis import analyse
from engine.docs import document
from engine.docs import html as docs_html
from engine.docs.model import Document, Line, Row
from engine.docs.site import build_site
from engine.spec import load_workflow_text

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
OBJECTION = ROOT / "tests" / "fixtures" / "docs" / "objection.yaml"

# Events declared in the opposite order to the text: the document follows the catalogue, not the
# file.
SMALL = """\
workflow: small
title: A small procedure
source: SML procedure
initial: New
procedure:
  document: SML
  title: Small applications
  purpose: Save an application and decide it.
  tables:
    - table: 1
      title: Save an application
      start: Main window
      steps:
        1: Start point - Save an application
        2: Key the details
        3: Save the details
        4: File the paper form
    - table: 2
      title: Decide
      rows: Item
      steps: {1: Decide it}
lists:
  party: {values: [payee, payer], source: SML Table 1 Step 2}
fields:
  applicant: {type: choice, list: party, title: Applicant, source: SML Table 1 Step 2}
statuses:
  New: {source: SML Table 1 Step 1}
  Open: {source: SML Table 1 Step 3}
  Done: {final: true, source: SML Table 2 Item 1}
intrays:
  SMLWORK: {name: Work to do, due: 35d, source: SML Table 1 Step 3}
  SMLCHECK: {name: Check the details, due: 48h, source: SML Table 1 Step 3}
letters:
  SML1: {title: Decision, source: SML Table 2 Item 1}
events:
  decide:
    title: Decide the application
    source: SML Table 2 Item 1
    transitions:
      - from: Open
        to: Done
        source: SML Table 2 Item 1
        effects:
          - close: [SMLWORK, SMLCHECK]
          - letter: SML1
            to: [applicant, respondent]
            source: SML Table 2 Item 1, COA Table 4 Step 8
  save:
    title: Save the application
    source: SML Table 1 Steps 2, 3
    data:
      applicant: {type: choice, list: party, required: true, title: Applicant}
      received: {type: date, default: today, title: Received Date}
    guards:
      - check: received <= today
        says: The Received Date cannot be in the future
        source: SML Table 1 Step 2
        assumption: "R23: a date in the future is refused"
    transitions:
      - from: New
        to: Open
        source: SML Table 1 Step 3
        effects:
          - set: {applicant: applicant}
            source: SML Table 1 Step 2
          - open: SMLWORK
            assumption: "R1: due 35 days after the save"
          - open: SMLCHECK
"""


@pytest.fixture(scope="module")
def small() -> Document:
    return document(load_workflow_text(SMALL, "small.yaml"))


def row(doc: Document, table: int, step: int | None) -> Row:
    t = next(t for t in doc.tables if t.number == table)
    return next(r for r in t.rows if r.number == step)


def lines(r: Row) -> list[Line]:
    return [line for b in r.blocks for line in b.lines]


def texts(r: Row, kind: str | None = None) -> list[str]:
    return [line.text for line in lines(r) if kind is None or line.kind == kind]


# -- the document model -------------------------------------------------------------------------

def test_rows_follow_the_catalogue_not_the_file(small):
    assert [(t.number, t.title, t.start) for t in small.tables] == [
        (1, "Save an application", "Main window"), (2, "Decide", "")]
    assert [(r.number, r.heading) for r in small.tables[0].rows] == [
        (1, "Start point - Save an application"), (2, "Key the details"), (3, "Save the details"),
        (4, "File the paper form")]
    assert [r.number for r in small.tables[1].rows] == [1]
    assert small.tables[1].columns == ("Item", "Action")


def test_a_step_says_what_to_key_and_what_refuses(small):
    step2 = row(small, 1, 2)
    assert [b.title for b in step2.blocks] == ["Save the application"]
    assert texts(step2, "select") == ["Applicant (required, payee or payer)"]
    assert texts(step2, "key") == ["Received Date (defaults to the current date)"]
    assert texts(step2, "refuse") == ["The Received Date cannot be in the future"]
    refusal = next(line for line in lines(step2) if line.kind == "refuse")
    assert [n.label for n in refusal.notes] == ["R23"]
    assert "Records the Applicant as keyed." in texts(step2, "save")


def test_saving_names_the_intrays_with_their_due_periods(small):
    step3 = row(small, 1, 3)
    assert texts(step3, "when") == ["From status “New”: the status becomes “Open”."]
    assert texts(step3, "save") == [
        "Opens a Work to do (SMLWORK) intray, due in 35 days.",
        "Opens a Check the details (SMLCHECK) intray, due in 48 hours."]
    assert next(line for line in lines(step3) if "SMLWORK" in line.text).depth == 1


def test_letters_name_their_recipients_and_closing_lists_the_intrays(small):
    decided = texts(row(small, 2, 1), "save")
    assert decided == ["Closes the Work to do (SMLWORK) and Check the details (SMLCHECK) intrays.",
                       "Issues the SML1 Decision letter to the applicant and the respondent."]
    letter = small.letters[0]
    assert (letter.code, letter.recipients, [r.label for r in letter.issued_at]) == (
        "SML1", "the applicant and the respondent", ["Table 2 Item 1"])
    work = next(i for i in small.intrays if i.code == "SMLWORK")
    assert (work.due, [r.anchor for r in work.opened_at], [r.anchor for r in work.closed_at]) == (
        "35 days", ["sml-t1-s3"], ["sml-t2-s1"])


def test_a_step_nothing_implements_is_listed_and_said(small):
    assert [r.label for r in small.unimplemented] == ["Table 1 Step 4: File the paper form"]
    assert row(small, 1, 4).blocks == ()


def test_the_cross_reference_links_each_step_to_its_rules(small):
    by_step = {x.place.label: x for x in small.crossref}
    assert list(by_step) == ["Table 1 Step 1", "Table 1 Step 2", "Table 1 Step 3", "Table 1 Step 4",
                             "Table 2 Item 1"]
    step3 = by_step["Table 1 Step 3"]
    assert step3.place.anchor == row(small, 1, 3).anchor == "sml-t1-s3"
    assert step3.heading == "Save the details"
    rules = dict(step3.groups)
    assert [r.label for r in rules["Save the application"]] == [
        "the event", "status “New” → “Open”", "opens SMLWORK", "opens SMLCHECK"]
    assert all(r.line > 0 for r in rules["Save the application"])
    assert [r.label for r in rules[""]] == ["status Open", "intray SMLWORK", "intray SMLCHECK"]
    assert by_step["Table 1 Step 4"].groups == ()
    # a citation of another document's step is listed apart, not as a row of this one
    assert [(x.place.label, x.place.anchor) for x in small.elsewhere] \
        == [("COA Table 4 Step 8", "")]


def test_assumptions_are_grouped_by_reading_with_their_places(small):
    groups = {g.key: g for g in small.assumptions}
    assert list(groups) == ["R1", "R23"]
    r1 = groups["R1"].items[0]
    assert (r1.label, r1.text, [p.label for p in r1.places], r1.rules) == (
        "R1", "due 35 days after the save", ["Table 1 Step 3"], 1)


def test_a_workflow_without_a_catalogue_takes_its_tables_from_the_citations(mini):
    doc = document(mini)
    assert doc.tables == () and doc.procedure == ""
    assert [p.label for p in doc.parts] == ["fixture"]
    assert "Decide" in [b.title for b in doc.parts[0].blocks]


def test_links_to_another_workflows_page_when_it_catalogues_the_step():
    coa, cma = load_workflow(ROOT / "workflows" / "coa.yaml"), \
        load_workflow(ROOT / "workflows" / "cma.yaml")
    elsewhere = {x.place.label: x.place for x in document(cma, [coa]).elsewhere}
    assert elsewhere["COA Table 4 Step 7"].page == "coa"
    assert elsewhere["COA Table 4 Step 7"].anchor == "coa-t4-s7"
    assert {x.place.label: x.heading
            for x in document(cma, [coa]).elsewhere}["COA Table 4 Step 7"] == \
        "Variation decision made"


def test_the_real_workflows_have_a_row_for_every_step_of_their_tables():
    wfs = [load_workflow(p) for p in sorted((ROOT / "workflows").glob("*.yaml"))]
    for wf in wfs:
        doc = document(wf, wfs)
        assert wf.procedure is not None
        numbers = [(t.number, [r.number for r in t.rows if r.number is not None])
                   for t in doc.tables]
        assert numbers == [(t.number, [s.number for s in t.steps]) for t in wf.procedure.tables]
    coa = document(wfs[[w.name for w in wfs].index("coa")], wfs)
    var = texts(row(coa, 4, 7))
    assert "Opens a COA Decision Variation (COADECVR) intray, due in 14 days." in var
    assert any("Starts a new Customer Management Approach (CMA) for a customer contact" in t
               for t in var)


# -- the golden Markdown --------------------------------------------------------------------------

def _regenerate_module():
    spec = importlib.util.spec_from_file_location("docs_regenerate", GOLDEN / "docs_regenerate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("golden", ["docs_objection.md", "docs_mini.md"])
def test_markdown_matches_the_golden_file(golden, monkeypatch):
    regenerate = _regenerate_module()
    monkeypatch.chdir(ROOT)
    generated = regenerate.generate(regenerate.GOLDEN[golden])
    expected = (GOLDEN / golden).read_text(encoding="utf-8")
    assert generated == expected, \
        f"tests/golden/{golden} is stale: run .venv/bin/python tests/golden/docs_regenerate.py"


def test_the_objection_golden_says_the_procedure():
    text = (GOLDEN / "docs_objection.md").read_text(encoding="utf-8")
    assert "| <a id=\"obj-t1-s3\"></a>3 | **Save the objection**" in text
    assert "Opens an Objection to Review (OBJNEW) intray, due in 14 days." in text
    assert "- [Table 1 Step 4: Send the acknowledgement](#obj-t1-s4)" in text
    assert "Issues the OBJ1 Objection decision letter to the payee and the payer." in text


# -- the `procedure:` catalogue: schema and builder
# -------------------------------------------------

def _findings(text: str) -> list[str]:
    with pytest.raises(DefinitionError) as err:
        load_workflow_text(text, "bad.yaml")
    return [f.render() for f in err.value.findings]


def test_builder_reports_bad_catalogues_at_their_place():
    text = SMALL.replace("        4: File the paper form\n",
                         "        4: File the paper form\n        '4': again\n"
                         "        6: Six\n")
    text = text.replace("document: SML",
                        "document: sml").replace("    - table: 2\n", "    - table: 1\n")
    found = _findings(text)
    assert "bad.yaml:6:13: error: 'sml' is not a document prefix as citations write it " \
           "(a capital letter, then letters: COA, as in 'COA Table 4 Step 7')" in found
    assert "bad.yaml:18:9: error: Step 4 of Table 1 is listed twice (first at line 17) " \
           "(each step once)" in found
    assert "bad.yaml:13:7: error: Table 1 skips Step 5 " \
           "(list every step of the table as the text numbers them)" in found
    assert "bad.yaml:20:14: error: Table 1 is listed twice (first at line 10) " \
           "(list each table of the text once)" in found


def test_schema_reports_bad_catalogues_at_their_place():
    text = SMALL.replace("        2: Key the details\n", "        2a: Key the details\n")
    text = text.replace("      rows: Item\n",
                        "      rows: Items\n").replace("      start: Main window\n", "")
    text = text.replace("      title: Decide\n", "")
    found = _findings(text)
    assert any(f.startswith("bad.yaml:13:9: error:") and "'2a'" in f for f in found), found
    assert any(f.startswith("bad.yaml:18:13: error:")
               and "'Items' is not one of Step, Item" in f for f in found), found
    assert any(f.startswith("bad.yaml:17:7: error: missing required key 'title'") for f in found), \
        found


def test_the_schema_describes_the_catalogue_for_editors():
    import json

    schema = json.loads((ROOT / "engine" / "schemas" / "workflow.schema.json").read_text())
    assert schema["properties"]["procedure"] == {"$ref": "#/$defs/procedure"}
    table = schema["$defs"]["procedure_table"]
    assert {"table", "title", "start", "rows", "columns", "steps"} <= set(table["properties"])
    assert all(p.get("description") for p in table["properties"].values())


# -- the unknown-step warning ----------------------------------------------------------------------

def test_a_source_citing_a_step_the_catalogue_lacks_is_warned_at_the_source():
    text = SMALL.replace("        source: SML Table 1 Step 2\n        assumption: \"R23",
                         "        source: SML Table 1 Step 9, Table 7\n        assumption: \"R23")
    found = [f for f in analyse(load_workflow_text(text, "small.yaml")) if f.code == "unknown-step"]
    assert [(f.line, f.col, f.severity) for f in found] \
        == [(57, 17, "warning"), (57, 17, "warning")]
    assert found[0].message == ("source cites SML Table 1 Step 9, which the procedure catalogue "
                                "does not have: "
                                "Table 1 has Steps 1-4")
    assert found[1].message.startswith("source cites SML Table 7, which no procedure "
                                       "catalogue of SML has "
                                       "(catalogued: Tables 1-2)")


def test_other_documents_and_workflows_without_a_catalogue_are_not_checked(mini):
    small = load_workflow_text(SMALL, "small.yaml")
    # COA Table 4 Step 8 is not SML's
    assert [f for f in analyse(small) if f.code == "unknown-step"] == []
    assert [f for f in analyse(mini) if f.code == "unknown-step"] == []


def test_a_table_another_workflow_of_the_folder_catalogues_is_known(tmp_path):
    other = SMALL.replace("workflow: small", "workflow: other").replace(
        "    - table: 1\n      title: Save an application",
        "    - table: 5\n      title: Other table", 1)
    mine = SMALL.replace("source: SML Table 2 Item 1, COA Table 4 Step 8",
                         "source: SML Table 2 Item 1, Table 5 Step 3, Table 5 Step 7")
    mine = mine.replace("    - table: 2\n      title: Decide\n      rows: Item\n"
                        "      steps: {1: Decide it}\n", "")
    mine = mine.replace("SML Table 2 Item 1", "SML Table 1 Step 3")
    (tmp_path / "other.yaml").write_text(other)
    (tmp_path / "mine.yaml").write_text(mine)
    wf = load_workflow(tmp_path / "mine.yaml")
    assert (5, (1, 2, 3, 4), "other") in wf.procedure.elsewhere
    found = [f.message for f in analyse(wf) if f.code == "unknown-step"]
    assert found == ["source cites SML Table 5 Step 7, which the procedure catalogue does not "
                     "have: Table 5 "
                     "(catalogued by workflow other) has Steps 1-4"]


def test_the_repository_cites_only_steps_its_catalogues_have():
    for path in sorted((ROOT / "workflows").glob("*.yaml")):
        assert [f.render() for f in analyse(load_workflow(path)) if f.code == "unknown-step"] == []


# -- HTML
# ---------------------------------------------------------------------------------------------

class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.ids: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name == "id":
                self.ids.append(value or "")
            if name in ("href", "src", "xlink:href", "action", "srcset", "data") and value:
                self.urls.append(value)


def test_html_escapes_every_text_and_links_only_inside_the_site():
    hostile = SMALL.replace("title: A small procedure",
                            "title: \"<script>alert('x')</script> & co\"").replace(
        "says: The Received Date cannot be in the future",
        "says: \"Refused <b>now</b> http://example.com\"")
    doc = document(load_workflow_text(hostile, "small.yaml"))
    page = docs_html.render(doc, "<svg><g class=\"node\"><title>New</title></g></svg>",
                            [("small", doc.title)])
    assert "<script>" not in page \
        and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co" in page
    assert "&lt;b&gt;now&lt;/b&gt;" in page
    parser = _Refs()
    parser.feed(page)
    assert "script" not in parser.tags
    # no http:, no javascript:
    assert all(not re.match(r"[a-z]+:", url) for url in parser.urls), parser.urls
    anchors = {u[1:] for u in parser.urls if u.startswith("#")}
    assert anchors <= set(parser.ids), anchors - set(parser.ids)
    assert len(parser.ids) == len(set(parser.ids))
    assert "Content-Security-Policy" in page


def test_inline_svg_loses_its_prolog_and_namespace_urls():
    svg = ('<?xml version="1.0"?>\n'
           '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/x.dtd">\n'
           '<!-- Generated by graphviz -->\n<svg width="10pt" xmlns="http://www.w3.org/2000/svg" '
           'xmlns:xlink="http://www.w3.org/1999/xlink"><g class="node"/></svg>')
    out = docs_html.inline_svg(svg, "Diagram")
    assert out == '<svg role="img" aria-label="Diagram" width="10pt"><g class="node"/></svg>'


# -- the command
# ------------------------------------------------------------------------------------

def test_docs_command_writes_a_site(tmp_path):
    result = CliRunner().invoke(cli, ["docs", "-o", str(tmp_path / "site"), "--workflows",
                                      str(ROOT / "workflows")])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "site").iterdir())
    assert "index.html" in names and {"coa.html", "sco.html", "cma.html"} <= set(names)
    index = (tmp_path / "site" / "index.html").read_text()
    assert all(f'href="{n}.html"' in index for n in ("coa", "sco", "cma"))


def test_docs_command_markdown_for_named_workflows(tmp_path):
    result = CliRunner().invoke(cli, ["docs", "--format", "markdown", "-o", str(tmp_path),
                                      str(OBJECTION)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.md", "objection.md"]
    assert "## Table 2: Decide an objection" in (tmp_path / "objection.md").read_text()


@pytest.mark.parametrize("args", [
    ["docs"],  # no -o
    ["docs", "-o", "{tmp}/out", "nosuchworkflow"],
    ["docs", "-o", "{tmp}/file"],  # a file, not a folder
    ["docs", "--format", "pdf", "-o", "{tmp}/out"],
    ["docs", "-o", "{tmp}/out", "{objection}", "{objection}"],
    ["docs", "-o", "{tmp}/out", "--workflows", "{tmp}/empty"],
])
def test_docs_command_usage_errors_exit_2(args, tmp_path):
    (tmp_path / "file").write_text("")
    (tmp_path / "empty").mkdir()
    args = [a.format(tmp=tmp_path, objection=OBJECTION) for a in args]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert "Error:" in result.output


def test_site_without_graphviz_says_so(monkeypatch):
    import engine.render as render_module

    def no_dot(wf, fmt, *args, **kwargs):
        if fmt == "svg":
            raise RuntimeError("drawing needs Graphviz's `dot` program")
        return b"stateDiagram-v2\n"

    monkeypatch.setattr(render_module, "render", no_dot)
    files, notes = build_site([load_workflow(OBJECTION)], "html")
    assert "objection.svg" not in files
    assert "could not be drawn here: drawing needs Graphviz" in files["objection.html"].decode()
    assert notes \
        == ["objection: the diagram was not drawn (drawing needs Graphviz's `dot` program)"]
