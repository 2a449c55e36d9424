"""`procflow lsp` end to end: a real client (pytest-lsp) talks to the server over stdio, on a copy
of the repository's workflows and scenarios."""
from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

ROOT = Path(__file__).resolve().parent.parent
SERVER = [sys.executable, "-c",
          "import sys; from cli import main; sys.argv = ['procflow', 'lsp']; main()"]
# the tests share the module's server and loop
pytestmark = pytest.mark.asyncio(loop_scope="module")
WAIT = 30  # seconds: a generous bound on a shared machine; the speed goals are in `make bench`


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(ROOT / "workflows", root / "workflows")
    shutil.copytree(ROOT / "scenarios", root / "scenarios")
    return root


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient, project: Path):
    await lsp_client.initialize_session(lsp.InitializeParams(
        capabilities=lsp.ClientCapabilities(), root_uri=project.as_uri(),
        workspace_folders=[lsp.WorkspaceFolder(uri=project.as_uri(), name="project")]))
    yield
    await lsp_client.shutdown_session()


class Doc:
    """A file of the project as the client has it open."""

    def __init__(self, client: LanguageClient, path: Path):
        self.client, self.path, self.uri = client, path, path.resolve().as_uri()
        self.text = path.read_text(encoding="utf-8")
        self.version = 1

    async def open(self) -> list[lsp.Diagnostic]:
        self.client.diagnostics.pop(self.uri, None)
        self.client.text_document_did_open(lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(uri=self.uri, language_id="yaml",
                                               version=self.version, text=self.text)))
        return await diagnostics(self.client, self.uri)

    async def edit(self, text: str, wait_for: str | None = None) -> list[lsp.Diagnostic]:
        """Replace the whole text; the diagnostics of `wait_for` (default: this file) after it."""
        uri = wait_for or self.uri
        self.client.diagnostics.pop(uri, None)
        self.version += 1
        self.text = text
        self.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)]))
        return await diagnostics(self.client, uri)

    async def save(self) -> list[lsp.Diagnostic]:
        self.path.write_text(self.text, encoding="utf-8")
        self.client.diagnostics.pop(self.uri, None)
        self.client.text_document_did_save(
            lsp.DidSaveTextDocumentParams(text_document=self.ident()))
        return await diagnostics(self.client, self.uri)

    def close(self) -> None:
        self.client.text_document_did_close(
            lsp.DidCloseTextDocumentParams(text_document=self.ident()))

    def at(self, needle: str, offset: int = 0) -> lsp.Position:
        """The position of the first `needle` in the text (plus `offset` characters)."""
        index = self.text.index(needle) + offset
        line = self.text.count("\n", 0, index)
        return lsp.Position(line=line, character=index - (self.text.rfind("\n", 0, index) + 1))

    def ident(self) -> lsp.TextDocumentIdentifier:
        return lsp.TextDocumentIdentifier(uri=self.uri)


async def diagnostics(client: LanguageClient, uri: str) -> list[lsp.Diagnostic]:
    async def wait() -> None:
        while uri not in client.diagnostics:
            await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)

    await asyncio.wait_for(wait(), WAIT)
    return list(client.diagnostics[uri])


def line_of(doc: Doc, needle: str) -> int:
    return doc.at(needle).line


async def test_diagnostics_on_open_and_on_change_without_a_schema_header(client: LanguageClient,
                                                                         project: Path):
    doc = Doc(client, project / "workflows" / "coa.yaml")
    assert await doc.open() == []
    assert doc.text.startswith("# yaml-language-server")
    broken = doc.text.replace("# yaml-language-server: "
                              "$schema=../engine/schemas/workflow.schema.json\n", "")
    broken = broken.replace("    title: Save the application details\n",
                            "    titel: Save the application details\n", 1)
    found = await doc.edit(broken)
    assert len(found) >= 1
    key = next(d for d in found if "titel" in d.message)
    assert key.severity == lsp.DiagnosticSeverity.Error and key.source == "procflow"
    assert key.range.start.line == line_of(doc, "    titel: Save")
    assert (key.range.start.character, key.range.end.character) == (4, 9)
    assert "did you mean 'title'?" in key.message
    assert await doc.edit(doc.text.replace("    titel: Save", "    title: Save", 1)) == []
    doc.close()


async def test_a_change_in_one_file_shows_in_the_file_that_uses_it(client: LanguageClient,
                                                                   project: Path):
    coa = Doc(client, project / "workflows" / "coa.yaml")
    sco = Doc(client, project / "workflows" / "sco.yaml")
    assert await coa.open() == []
    await sco.open()
    original = sco.text
    found = await sco.edit(original.replace("  officers_at_site:", "  officers_on_site:", 1),
                           wait_for=coa.uri)
    assert found, "coa.yaml calls officers_at_site, which sco.yaml no longer declares"
    first = min(found, key=lambda d: d.range.start.line)
    assert "officers_at_site" in first.message
    assert first.range.start.line == line_of(coa, "officers_at_site(")
    assert await sco.edit(original, wait_for=coa.uri) == []
    sco.close()
    coa.close()


async def test_hover_says_title_source_step_text_and_assumption(client: LanguageClient,
                                                                project: Path):
    doc = Doc(client, project / "workflows" / "coa.yaml")
    await doc.open()
    place = doc.at("open: COAINPRO", len("open: "))
    result = await client.text_document_hover_async(lsp.HoverParams(text_document=doc.ident(),
                                                                    position=place))
    text = result.contents.value
    assert "**intray** `COAINPRO` of coa" in text
    assert "COA Application in Progress" in text and "due: 35d" in text
    assert "source: COA Table 1 Step 3" in text
    assert "> COA Table 1 Step 3: Save the application details" in text
    assert "assumption: R1" in text
    assert result.range.start == place \
        and result.range.end.character == place.character + len("COAINPRO")
    on_function = await client.text_document_hover_async(lsp.HoverParams(text_document=doc.ident(),
                                                                         position=doc.at("is_open(",
                                                                                         1)))
    assert "is\\_open\\(CODE" in on_function.contents.value
    start = lsp.Position(line=0, character=0)
    blank = await client.text_document_hover_async(lsp.HoverParams(text_document=doc.ident(),
                                                                   position=start))
    assert blank is None
    doc.close()


async def test_definition_and_references_across_files(client: LanguageClient, project: Path):
    scenario = Doc(client, project / "scenarios" / "coa" / "full_path.yaml")
    coa = Doc(client, project / "workflows" / "coa.yaml")
    await scenario.open()
    where = await client.text_document_definition_async(lsp.DefinitionParams(
        text_document=scenario.ident(),
        position=scenario.at("event: save_application", len("event: "))))
    assert where.uri == coa.uri
    assert where.range.start.line == line_of(coa, "\n  save_application:") + 1
    uses = await client.text_document_references_async(lsp.ReferenceParams(
        text_document=coa.ident(), position=coa.at("  COAINPRO:", 2),
        context=lsp.ReferenceContext(include_declaration=True)))
    files = {u.uri for u in uses}
    assert coa.uri in files and scenario.uri in files
    in_coa = sorted(u.range.start.line for u in uses if u.uri == coa.uri)
    assert in_coa[0] == line_of(coa, "  COAINPRO:") and len(in_coa) == coa.text.count("COAINPRO")
    scenario.close()


async def test_completion_of_names_and_keys(client: LanguageClient, project: Path):
    doc = Doc(client, project / "workflows" / "coa.yaml")
    await doc.open()
    typing = doc.text.replace("      - from: New\n        to: None\n",
                              "      - from: New\n        to: Po\n", 1)
    await doc.edit(typing)
    statuses = await client.text_document_completion_async(lsp.CompletionParams(
        text_document=doc.ident(), position=doc.at("        to: Po", len("        to: Po"))))
    labels = {i.label for i in statuses.items}
    assert {"Poss Refusal", "App to Proceed", "New"} <= labels and "COAINPRO" not in labels
    keys_typing = doc.text.replace("        to: Po\n", "        to: None\n        eff\n", 1)
    await doc.edit(keys_typing)
    keys = await client.text_document_completion_async(lsp.CompletionParams(
        text_document=doc.ident(), position=doc.at("        eff\n", len("        eff"))))
    assert {"effects", "when", "guards", "source", "assumption"} <= {i.label for i in keys.items}
    guard = await client.text_document_completion_async(lsp.CompletionParams(
        text_document=doc.ident(),
        position=doc.at("check: lodgement_date <= today", len("check: "))))
    found = {i.label for i in guard.items}
    assert {"lodgement_date", "applicant", "is_open", "officers_at_site"} <= found
    await doc.edit(doc.text.replace("        to: None\n        eff\n", "        to: None\n", 1))
    doc.close()


async def test_outline(client: LanguageClient, project: Path):
    doc = Doc(client, project / "workflows" / "sco.yaml")
    await doc.open()
    symbols = await client.text_document_document_symbol_async(
        lsp.DocumentSymbolParams(text_document=doc.ident()))
    sections = {s.name: s for s in symbols}
    assert {"statuses", "events", "fields", "lists", "queries"} <= set(sections)
    assert [c.name for c in sections["statuses"].children] == ["New", "Active", "Deleted"]
    create = next(c for c in sections["events"].children if c.name == "create_record")
    assert create.selection_range.start.line == line_of(doc, "  create_record:")
    assert create.selection_range.start.line + 50 < create.range.end.line \
        < line_of(doc, "  update_record:")
    doc.close()


async def test_code_action_applies_the_did_you_mean(client: LanguageClient, project: Path):
    doc = Doc(client, project / "workflows" / "coa.yaml")
    await doc.open()
    original = doc.text
    found = await doc.edit(original.replace("      - from: New\n        to: None\n",
                                            "      - from: New\n        to: Noen\n", 1))
    typo = next(d for d in found if "'Noen'" in d.message)
    assert typo.range.start.line == line_of(doc, "to: Noen")
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=doc.ident(), range=typo.range,
        context=lsp.CodeActionContext(diagnostics=[typo])))
    assert len(actions) == 1 and actions[0].title == "Change to 'None'"
    (edit,) = actions[0].edit.changes[doc.uri]
    assert edit.new_text == "None" and edit.range == typo.range
    assert await doc.edit(original) == []
    doc.close()


async def test_a_scenario_is_played_on_save(client: LanguageClient, project: Path):
    doc = Doc(client, project / "scenarios" / "coa" / "full_path.yaml")
    assert await doc.open() == []
    original = doc.text
    doc.text = original.replace("    expect:\n      status: None\n",
                                "    expect:\n      status: App to Proceed\n", 1)
    found = await doc.save()
    assert len(found) == 1
    (failure,) = found
    assert failure.range.start.line == line_of(doc, "  - event: save_application")
    assert "App to Proceed" in failure.message and "None" in failure.message
    doc.text = original
    assert await doc.save() == []
    doc.close()
