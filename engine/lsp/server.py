"""`procflow lsp`: the language server (pygls, over stdio). Each LSP feature is a small function
that translates between the protocol and the language work of folder.py, names.py, language.py
and completion.py; nothing here decides what a name is or what is wrong.
"""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from ..findings import Finding
from ..spec.schema import schema
from .completion import complete
from .folder import Folder
from .language import definition, fix_for, hover, outline, references
from .names import Index, Occurrence, index_folder
from .spans import Span, span_at

DEBOUNCE = 0.1  # seconds of quiet typing before a changed file is checked
_SEVERITY = {"error": lsp.DiagnosticSeverity.Error, "warning": lsp.DiagnosticSeverity.Warning}
_ITEM_KIND = {"status": lsp.CompletionItemKind.EnumMember, "event": lsp.CompletionItemKind.Event,
              "intray": lsp.CompletionItemKind.Constant, "letter": lsp.CompletionItemKind.Constant,
              "field": lsp.CompletionItemKind.Field, "data": lsp.CompletionItemKind.Variable,
              "list": lsp.CompletionItemKind.Enum, "value": lsp.CompletionItemKind.Value,
              "query": lsp.CompletionItemKind.Function, "function": lsp.CompletionItemKind.Function,
              "workflow": lsp.CompletionItemKind.Module, "key": lsp.CompletionItemKind.Property}
_SYMBOL_KIND = {"section": lsp.SymbolKind.Namespace, "status": lsp.SymbolKind.EnumMember,
                "event": lsp.SymbolKind.Event, "intray": lsp.SymbolKind.Constant,
                "letter": lsp.SymbolKind.Constant, "field": lsp.SymbolKind.Field,
                "list": lsp.SymbolKind.Enum,
                "query": lsp.SymbolKind.Function, "schedule": lsp.SymbolKind.Event}


class ProcflowServer(LanguageServer):
    """The server's state: the workspace's files, the names index, the pending checks."""

    def __init__(self) -> None:
        super().__init__("procflow", "0.1.0")
        self.folder: Folder | None = None
        self._index: Index | None = None
        self._pending: dict[str, asyncio.TimerHandle] = {}
        self.published: dict[str, list[Finding]] = {}

    def ensure_folder(self, file: str) -> Folder:
        if self.folder is None:
            root = self.workspace.root_path
            self.folder = Folder(Path(root) if root else Path(file).parent)
        return self.folder

    def index(self) -> Index:
        """The names index of the workspace, read again after any change."""
        if self._index is None:
            self._index = index_folder(self.folder.sources() if self.folder else {})
        return self._index

    def changed(self) -> None:
        self._index = None


server = ProcflowServer()


def _file(uri: str) -> str:
    return str(Path(to_fs_path(uri) or uri).resolve())


def _uri(file: str) -> str:
    return from_fs_path(file) or file


def _range(span: Span) -> lsp.Range:
    return lsp.Range(start=lsp.Position(line=span.line - 1, character=span.start - 1),
                     end=lsp.Position(line=span.line - 1, character=span.end - 1))


def _location(o: Occurrence) -> lsp.Location:
    return lsp.Location(uri=_uri(o.span.file), range=_range(o.span))


def _diagnostic(folder: Folder, f: Finding) -> lsp.Diagnostic:
    src, _ = folder.source(f.file)
    line, col = max(f.line, 1), max(f.col, 1)
    span = span_at(src, line, col) if src is not None else Span(f.file, line, col, col + 1)
    message = f"{f.message} ({f.hint})" if f.hint else f.message
    return lsp.Diagnostic(range=_range(span), message=message, severity=_SEVERITY.get(f.severity),
                          code=f.code, source="procflow")


def publish(ls: ProcflowServer, file: str, findings: list[Finding]) -> None:
    ls.published[file] = findings
    folder = ls.ensure_folder(file)
    ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
        uri=_uri(file), diagnostics=[_diagnostic(folder, f) for f in findings]))


def check_workflows(ls: ProcflowServer, file: str) -> None:
    """Check a changed workflow file and publish what is said of it at once; then check the other
    workflows of its directory (which may call its queries) and publish what changed for them."""
    folder = ls.ensure_folder(file)
    directory = Path(file).parent
    publish(ls, file, [f for f in folder.check_file(file).findings if f.file == file])
    said: dict[str, list[Finding]] = {other: [] for other in folder.workflow_files(directory)}
    for other in list(said):
        for finding in folder.check_file(other).findings:
            said.setdefault(finding.file, []).append(finding)
    for finding in folder.folder_findings(directory):
        said.setdefault(finding.file, []).append(finding)
    for target, found in said.items():
        found = list(dict.fromkeys(found))
        if ls.published.get(target) != found:
            publish(ls, target, found)


def check_any(ls: ProcflowServer, file: str, play: bool = False) -> None:
    folder = ls.ensure_folder(file)
    if folder.is_scenario(file):
        publish(ls, file, folder.check_scenario(file, play=play))
    elif folder.is_workflow(file):
        check_workflows(ls, file)


def _schedule(ls: ProcflowServer, file: str) -> None:
    pending = ls._pending.pop(file, None)
    if pending is not None:
        pending.cancel()
    loop = asyncio.get_running_loop()
    ls._pending[file] = loop.call_later(DEBOUNCE,
                                        lambda: (ls._pending.pop(file, None), check_any(ls, file)))


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: ProcflowServer, params: lsp.DidOpenTextDocumentParams) -> None:
    file = _file(params.text_document.uri)
    folder = ls.ensure_folder(file)
    folder.open_texts[file] = params.text_document.text
    ls.changed()
    check_any(ls, file, play=True)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
async def did_change(ls: ProcflowServer, params: lsp.DidChangeTextDocumentParams) -> None:
    file = _file(params.text_document.uri)
    folder = ls.ensure_folder(file)
    folder.open_texts[file] = ls.workspace.get_text_document(params.text_document.uri).source
    ls.changed()
    _schedule(ls, file)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: ProcflowServer, params: lsp.DidSaveTextDocumentParams) -> None:
    file = _file(params.text_document.uri)
    folder = ls.ensure_folder(file)
    folder.forget_files()
    ls.changed()
    check_any(ls, file, play=True)
    if not folder.is_scenario(file):  # the open scenarios play again on the saved workflow
        for other in list(folder.open_texts):
            if other != file and folder.is_scenario(other):
                check_any(ls, other, play=True)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: ProcflowServer, params: lsp.DidCloseTextDocumentParams) -> None:
    file = _file(params.text_document.uri)
    if ls.folder is not None:
        ls.folder.open_texts.pop(file, None)
        ls.changed()


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
def on_hover(ls: ProcflowServer, params: lsp.HoverParams) -> lsp.Hover | None:
    file = _file(params.text_document.uri)
    ls.ensure_folder(file)
    found = hover(ls.index(), file, params.position.line + 1, params.position.character + 1)
    if found is None:
        return None
    text, span = found
    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text),
                     range=_range(span))


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
def on_definition(ls: ProcflowServer, params: lsp.DefinitionParams) -> lsp.Location | None:
    file = _file(params.text_document.uri)
    ls.ensure_folder(file)
    found = definition(ls.index(), file, params.position.line + 1, params.position.character + 1)
    return _location(found) if found is not None else None


@server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
def on_references(ls: ProcflowServer, params: lsp.ReferenceParams) -> list[lsp.Location]:
    file = _file(params.text_document.uri)
    ls.ensure_folder(file)
    found = references(ls.index(), file, params.position.line + 1, params.position.character + 1,
                       params.context.include_declaration)
    return [_location(o) for o in found]


@server.feature(lsp.TEXT_DOCUMENT_COMPLETION,
                lsp.CompletionOptions(trigger_characters=[":", " ", "(", "'"]))
def on_completion(ls: ProcflowServer, params: lsp.CompletionParams) -> lsp.CompletionList:
    file = _file(params.text_document.uri)
    folder = ls.ensure_folder(file)
    text = ls.workspace.get_text_document(params.text_document.uri).source
    scenario = folder.is_scenario(file)
    found = complete(ls.index(), text, params.position.line + 1, params.position.character + 1,
                     schema("scenario" if scenario else "workflow"), scenario)
    return lsp.CompletionList(is_incomplete=False, items=[
        lsp.CompletionItem(label=c.label, kind=_ITEM_KIND.get(c.kind), detail=c.detail or None)
        for c in found])


@server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def on_symbols(ls: ProcflowServer, params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
    file = _file(params.text_document.uri)
    src = ls.index().sources.get(file) or ls.ensure_folder(file).source(file)[0]
    if src is None:
        return []

    def symbol(s: Any) -> lsp.DocumentSymbol:
        end = len(src.line_text(s.end_line))
        return lsp.DocumentSymbol(
            name=s.name, detail=s.detail or None,
            kind=_SYMBOL_KIND.get(s.kind, lsp.SymbolKind.Object),
            range=lsp.Range(start=lsp.Position(line=s.line - 1, character=0),
                            end=lsp.Position(line=s.end_line - 1, character=end)),
            selection_range=_range(s.selection), children=[symbol(c) for c in s.children])

    return [symbol(s) for s in outline(src)]


@server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
def on_code_action(ls: ProcflowServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
    actions = []
    for diagnostic in params.context.diagnostics:
        fix = fix_for(diagnostic.message) if diagnostic.source == "procflow" else None
        if fix is None:
            continue
        edit = lsp.WorkspaceEdit(changes={
            params.text_document.uri: [lsp.TextEdit(range=diagnostic.range, new_text=fix)]})
        actions.append(lsp.CodeAction(title=f"Change to '{fix}'", kind=lsp.CodeActionKind.QuickFix,
                                      diagnostics=[diagnostic], edit=edit, is_preferred=True))
    return actions


def run() -> None:
    """Serve one editor over standard input and output until it says exit."""
    server.start_io()
