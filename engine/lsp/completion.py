"""What to offer where the cursor is: names where a name is expected, keys where a key is.

Read from the lines as typed (a document being edited seldom loads): the keys above the cursor,
by indentation, say where it is; the names come from the folder's index (its last loaded state);
the keys from the JSON Schema of the document's kind. Pure functions: no I/O.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .names import FUNCTIONS, Index

_LINE = re.compile(r"^(\s*)(-\s+)?(?:(['\"]?)([^'\"#:{}\[\],]+?)\3\s*:(?=\s|$))?")
_VALUE_KEY = re.compile(r"^\s*(?:-\s+)?(['\"]?)([A-Za-z_][\w-]*)\1\s*:\s+(.*)$")
_WORD_START = re.compile(r"[A-Za-z_][\w-]*$")
_TOP_WORKFLOW = re.compile(r"^workflow:\s*['\"]?([a-z][a-z0-9_]*)", re.M)
EXPRESSION_KEYS = {"check", "when", "if", "where", "due", "default", "update", "signal"}


@dataclass(frozen=True, slots=True)
class Completion:
    label: str
    kind: str  # a name kind of names.py, "key", "function" or "value"
    detail: str = ""


def ancestors(lines: list[str], row: int) -> list[str | int]:
    """The key path down to the line `row` (0-based), from the indentation of the lines above it;
    a list item is 0. Works on text that does not load."""
    text = lines[row] if row < len(lines) else ""
    m = _LINE.match(text)
    chain: list[str | int] = []
    indent = len(m.group(1)) if m else 0
    limit = indent + (len(m.group(2)) if m and m.group(2) else 0) if text.strip() else len(text)
    if m and m.group(2):
        chain.append(0)
        limit = indent
    for r in range(row - 1, -1, -1):
        if limit == 0:
            break
        line = lines[r]
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = _LINE.match(line)
        if m is None:
            continue
        ind, dash, key = len(m.group(1)), m.group(2), m.group(4)
        key_ind = ind + (len(dash) if dash else 0)
        if key is not None and key_ind < limit:
            chain.append(key.strip())
            limit = key_ind
        if dash and ind < limit:
            chain.append(0)
            limit = ind
    return list(reversed(chain))


def _resolve(schema: dict, node: Any) -> list[dict]:
    """A schema node with its $ref followed and its alternatives (oneOf, anyOf, allOf) spread."""
    out: list[dict] = []
    stack = [node]
    while stack and len(out) < 50:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            stack.append(schema.get("$defs", {}).get(ref.removeprefix("#/$defs/")))
            continue
        out.append(node)
        for key in ("oneOf", "anyOf", "allOf"):
            stack.extend(node.get(key) or [])
    return out


def schema_keys(schema: dict, path: list[str | int]) -> dict[str, str]:
    """The keys the schema allows in the mapping at `path`, with their descriptions."""
    nodes = _resolve(schema, schema)
    for part in path:
        following = []
        for node in nodes:
            if isinstance(part, int):
                following.extend(_resolve(schema, node.get("items")))
            elif part in (node.get("properties") or {}):
                following.extend(_resolve(schema, node["properties"][part]))
            elif isinstance(node.get("additionalProperties"), dict):
                following.extend(_resolve(schema, node["additionalProperties"]))
        nodes = following
    keys: dict[str, str] = {}
    for node in nodes:
        for key, sub in (node.get("properties") or {}).items():
            described = next((n.get("description") for n in _resolve(schema, sub)
                              if n.get("description")), "")
            keys.setdefault(key, described or "")
    return keys


def complete(index: Index, text: str, line: int, col: int, schema: dict,
             scenario: bool) -> list[Completion]:
    """What may be written at the cursor (1-based line and column) of a document being edited."""
    lines = text.split("\n")
    row = line - 1
    current = lines[row] if row < len(lines) else ""
    before = current[:col - 1]
    path = ancestors(lines[:row] + [before], row)
    m = _VALUE_KEY.match(before)
    if m is None:  # a key is being typed
        if scenario and len(path) >= 3 and path[-1] == "data" and path[0] == "steps":
            workflow, event = _scenario_step(text, lines, row)
            return [Completion(n.name, "data", _title(index, n))
                    for n in index.declared(workflow, "data", event)]
        return [Completion(k, "key", d) for k, d in schema_keys(schema, path).items()]
    key, typed = m.group(2), m.group(3)
    workflow = _workflow_of(text, lines, row, scenario)
    event = _event_of(text, lines, row, scenario)
    return _names_for(index, workflow, event, key, typed, path, lines, row, scenario)


def _workflow_of(text: str, lines: list[str], row: int, scenario: bool) -> str:
    if scenario:
        return _scenario_step(text, lines, row)[0]
    found = _TOP_WORKFLOW.search(text)
    return found.group(1) if found else ""


def _scenario_step(text: str, lines: list[str], row: int) -> tuple[str, str]:
    """The workflow and the event of the scenario step holding the line: each step's `instance:`
    and `workflow:` read in order, as the scenario runner reads them."""
    found = _TOP_WORKFLOW.search(text)
    cases = {"main": found.group(1) if found else ""}
    starts = [r for r, line in enumerate(lines) if re.match(r"^\s*-\s", line)
              and len(line) - len(line.lstrip()) == _step_indent(lines)]
    workflow, event = cases["main"], ""
    for i, start in enumerate(starts):
        if start > row:
            break
        block = "\n".join(lines[start:starts[i + 1] if i + 1 < len(starts) else len(lines)])
        case = re.search(r"\binstance:\s*['\"]?([^,}'\"\s]+)", block)
        name = case.group(1) if case else "main"
        declared = re.search(r"\bworkflow:\s*['\"]?([a-z][a-z0-9_]*)", block)
        if declared:
            cases[name] = declared.group(1)
        workflow = cases.get(name, "")
        fired = re.search(r"\bevent:\s*['\"]?([A-Za-z_]\w*)", block)
        event = fired.group(1) if fired else ""
    return workflow, event


def _step_indent(lines: list[str]) -> int:
    for r, line in enumerate(lines):
        if line.startswith("steps:"):
            for below in lines[r + 1:]:
                if below.lstrip().startswith("- "):
                    return len(below) - len(below.lstrip())
    return 2


def _event_of(text: str, lines: list[str], row: int, scenario: bool) -> str:
    """The event whose definition (workflow) or step (scenario) holds the line."""
    if scenario:
        return _scenario_step(text, lines, row)[1]
    path = ancestors(lines, row)
    return str(path[1]) if len(path) > 1 and path[0] == "events" else ""


def _title(index: Index, name: Any) -> str:
    from .language import entry

    raw = entry(index, name)
    return next((str(raw[k]) for k in ("title", "name", "description")
                 if isinstance(raw.get(k), str)), "")


def _names_for(index: Index, wf: str, event: str, key: str, typed: str, path: list,
               lines: list[str],
               row: int, scenario: bool) -> list[Completion]:
    def of(kind: str, scope: str = "") -> list[Completion]:
        return [Completion(n.name, kind, _title(index, n)) for n in index.declared(wf, kind, scope)]

    parent = next((p for p in reversed(path[:-1]) if isinstance(p, str)), "")
    if key in ("from", "to") and "transitions" in path or key in ("initial", "status", "in"):
        return of("status")
    if key in ("open", "close", "overdue") or key == "assign" and "open" \
            not in _siblings(lines, row):
        return of("intray")
    if key == "letter" or key == "code" and parent == "letters":
        return of("letter")
    if key == "number" or key == "order_by":
        return of("field")
    if key == "list":
        return of("list")
    if key in ("locked_after", "event", "allowed", "not_allowed"):
        return of("event")
    if key in ("start", "workflow"):
        return [Completion(name, "workflow", "") for name in sorted(index.workflows)]
    if key == "query":
        return [Completion(q, "query", "") for q in sorted(index.queries)]
    if scenario and parent == "data":
        return _values_of(index, wf, event, key)
    if key in EXPRESSION_KEYS or parent in ("set", "data") or "append" in path or key \
            in ("assign", "about"):
        return _expression(index, wf, event, typed)
    return []


def _siblings(lines: list[str], row: int) -> set[str]:
    """The keys of the mapping the line belongs to (the lines of the same indentation nearby)."""
    indent = len(lines[row]) - len(lines[row].lstrip(" -"))
    keys = set()
    for r in list(range(row - 1, max(row - 12, -1), -1)) \
            + list(range(row + 1, min(row + 12, len(lines)))):
        line = lines[r]
        lead = len(line) - len(line.lstrip(" -"))
        found = re.match(r"^\s*(?:-\s+)?([A-Za-z_]\w*):", line)
        if found and lead == indent:
            keys.add(found.group(1))
        elif line.strip() and lead < indent:
            if r > row or line.lstrip().startswith("-"):
                if found and r < row:
                    keys.add(found.group(1))
                break
    return keys


def _values_of(index: Index, wf: str, event: str, key: str) -> list[Completion]:
    """The choice values a scenario may give a data field of type choice."""
    from .language import entry
    from .names import Name

    raw = entry(index, Name("data", wf, key, event))
    listed = raw.get("list")
    return [Completion(v.name, "value", str(listed))
            for v in index.declared(wf, "value", str(listed))] \
        if isinstance(listed, str) else []


def _expression(index: Index, wf: str, event: str, typed: str) -> list[Completion]:
    """Inside an expression: the event's data fields, the fields, the functions and the queries; in
    quotes, the choice values."""
    if typed.count("'") % 2 == 1 or typed.count('"') % 2 == 1:
        return [Completion(n.name, "value", n.scope) for n in index.declared(wf, "value")]
    found = [Completion(n.name, "data", _title(index, n))
             for n in index.declared(wf, "data", event)] if event else []
    found += [Completion(n.name, "field", _title(index, n)) for n in index.declared(wf, "field")]
    found += [Completion(name, "function", text) for name, text in FUNCTIONS.items()]
    found += [Completion(q, "query", f"a query of {owner}")
              for q, owner in sorted(index.queries.items())]
    first: dict[str, Completion] = {}
    for c in found:
        first.setdefault(c.label, c)
    return list(first.values())
