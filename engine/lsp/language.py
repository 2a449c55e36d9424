"""What an editor asks of a folder of workflows: what a name is (hover), where it is declared and
used, the document's outline, and the fix a "did you mean" finding offers. Plain functions over
the names index and the documents as written; the server (server.py) only translates.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..citations import parse as parse_citation
from ..spec.yamlsrc import Source
from .names import FUNCTIONS, SECTIONS, Index, Name, Occurrence
from .spans import Span, key_span

KIND_WORDS = {"status": "status", "event": "event", "intray": "intray", "letter": "letter",
              "field": "field",
              "data": "data field", "list": "list", "value": "list value", "query": "query",
              "param": "query parameter", "schedule": "schedule", "table": "table",
              "workflow": "workflow",
              "function": "function"}
_DETAIL_KEYS = ("title", "name", "description", "type", "list", "due", "final", "at", "event",
                "values")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")
_DID_YOU_MEAN = re.compile(r"did you mean '([^']+)'\?")


def md(text: Any) -> str:
    """Text from a document, safe inside Markdown (no markup, no HTML)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _code(text: str) -> str:
    """Text inside a Markdown code span: shown as written, so only backticks and breaks change."""
    return " ".join(text.replace("`", "'").split())


def entry(index: Index, name: Name) -> dict:
    """The mapping that declares a name, as written (empty when it is not declared)."""
    doc = index.document(name.workflow)
    if name.kind == "workflow":
        return index.document(name.name)
    if name.kind == "data":
        raw = _get(doc, "events", name.scope, "data", name.name)
    elif name.kind == "param":
        raw = _get(doc, "queries", name.scope, "params", name.name)
    elif name.kind == "value":
        raw = _get(doc, "lists", name.scope)
    else:
        section = next((s for s, k in SECTIONS.items() if k == name.kind), None)
        raw = _get(doc, section, name.name) if section else None
    return raw if isinstance(raw, dict) else {}


def _get(data: Any, *path: Any) -> Any:
    for part in path:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def step_texts(index: Index, source: str, document: str) -> list[tuple[str, str]]:
    """The headings of the procedure steps a `source:` cites, from the folder's `procedure:`
    catalogues: [("COA Table 4 Step 7", "Finalise the application"), ...]."""
    found = []
    for place in parse_citation(source, document).places:
        if place.step is None:
            continue
        for file in index.workflows.values():
            procedure = _get(index.sources[file].data, "procedure") if file in index.sources \
                else None
            if not isinstance(procedure, dict) or procedure.get("document") != place.doc:
                continue
            table = next((t for t in procedure.get("tables") or [] if isinstance(t, dict)
                          and t.get("table") == place.table), None)
            steps = table.get("steps") if isinstance(table, dict) else None
            if isinstance(steps, dict) and place.step in steps:
                found.append((str(place), str(steps[place.step])))
                break
    return found


def hover(index: Index, file: str, line: int, col: int) -> tuple[str, Span] | None:
    """Markdown saying what the name at the cursor is: its title and description, its source and
    the procedure step that source cites, and any assumption; with the span of the name."""
    found = index.at(file, line, col)
    if found is None:
        return None
    name = found.name
    head = f"**{KIND_WORDS.get(name.kind, name.kind)}** `{_code(name.name)}`"
    if name.workflow:
        head += f" of {md(name.workflow)}" + (f", {md(name.scope)}" if name.scope else "")
    lines = [head]
    if name.kind == "function":
        lines.append(md(FUNCTIONS.get(name.name, "")))
        return "\n\n".join(lines), found.span
    raw = entry(index, name)
    if not raw and name not in index.definitions:
        lines.append("*not declared in this folder*")
    for key in _DETAIL_KEYS:
        value = raw.get(key)
        if value is None or isinstance(value, dict) or name.kind == "workflow" and key == "values":
            continue
        shown = md(", ".join(map(str, value)) if isinstance(value, list) else value)
        lines.append(shown if key in ("title", "name", "description") else f"{key}: {shown}")
    source = raw.get("source")
    if isinstance(source, str):
        document = _get(index.document(name.workflow or name.name), "procedure", "document")
        lines.append(f"source: {md(source)}")
        for place, \
                heading in step_texts(index, source, document if isinstance(document, str) else ""):
            lines.append(f"> {md(place)}: {md(heading)}")
    for assumption in _assumptions(raw):
        lines.append(f"assumption: {md(assumption)}")
    return "\n\n".join(lines), found.span


def _assumptions(raw: dict) -> list[str]:
    found = [raw["assumption"]] if isinstance(raw.get("assumption"), str) else []
    stays = raw.get("stays_open")
    if isinstance(stays, dict) and isinstance(stays.get("assumption"), str):
        found.append(f"stays open: {stays['assumption']}")
    return found


def definition(index: Index, file: str, line: int, col: int) -> Occurrence | None:
    """Where the name at the cursor is declared."""
    found = index.at(file, line, col)
    return index.definitions.get(found.name) if found is not None else None


def references(index: Index, file: str, line: int, col: int,
               declaration: bool = True) -> list[Occurrence]:
    """Every use of the name at the cursor in the folder (and its declaration, with declaration)."""
    found = index.at(file, line, col)
    if found is None:
        return []
    return [o for o in index.uses(found.name) if declaration or not o.defines]


@dataclass
class Symbol:
    """One entry of a document's outline: a section (statuses, events ...) or a name declared in
    it."""

    name: str
    kind: str
    detail: str
    line: int  # the entry's first and last lines
    end_line: int
    selection: Span
    children: list[Symbol] = field(default_factory=list)


OUTLINE_SECTIONS = ("statuses", "events", "intrays", "letters", "fields", "lists", "queries",
                    "schedules")


def outline(src: Source) -> list[Symbol]:
    """The statuses, events, intrays, letters (and fields, lists, queries, schedules) of a
    workflow."""
    if not isinstance(src.data, dict):
        return []
    last: dict[tuple, int] = {}
    for path, pos in src.positions.items():
        for depth in (1, 2):
            if len(path) >= depth:
                last[path[:depth]] = max(last.get(path[:depth], 0), pos[0])
    symbols = []
    for section in OUTLINE_SECTIONS:
        entries = src.data.get(section)
        head = key_span(src, (section,))
        if not isinstance(entries, dict) or head is None:
            continue
        children = []
        for name, raw in entries.items():
            span = key_span(src, (section, name))
            if span is None:
                continue
            detail = next((str(raw[k]) for k in ("title", "name", "description")
                           if isinstance(raw, dict) and isinstance(raw.get(k), str)), "")
            children.append(Symbol(str(name), SECTIONS[section], detail, span.line,
                                   max(span.line, last.get((section, name), span.line)), span))
        symbols.append(Symbol(section, "section", f"{len(children)}", head.line,
                              max(head.line, last.get((section,), head.line)), head, children))
    return symbols


def fix_for(message: str) -> str | None:
    """The name a finding's "did you mean" hint offers, to write in place of the mistake."""
    match = _DID_YOU_MEAN.search(message)
    return match.group(1) if match else None
