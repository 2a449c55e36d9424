"""JSON Schema validation of a loaded document, every error positioned and said in plain words."""
from __future__ import annotations

import copy
import difflib
import json
import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from ..findings import Finding
from .yamlsrc import KeyPath, Source

# How a collection key reads when naming one of its entries: "events" -> "event 'finalise'".
_SINGULAR = {
    "events": "event",
    "statuses": "status",
    "lists": "list",
    "fields": "field",
    "intrays": "intray",
    "letters": "letter",
    "transitions": "transition",
    "effects": "effect",
    "guards": "guard",
    "data": "data field",
    "record": "record field",
    "set": "field",
    "append": "list field",
}

_TYPE_WORDS = {
    "string": "text",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping of keys to values",
    "array": "a list",
    "null": "empty",
}

# Patterns of the schemas, said the way a reader would.
_PATTERN_WORDS = {
    "^[0-9]+ ?(m|h|d|w|minutes?|hours?|days?|weeks?)$": "is not a period such as 35d, 48h, 2w",
    "^[a-z][a-z0-9_]*$": "should be a short name of lower-case letters, digits and '_', starting "
                         "with a letter",
}


def schema_text(name: str) -> str:
    """The JSON Schema engine/schemas/<name>.schema.json as shipped in the package (the `$id` of the
    workflow and scenario schemas is `urn:procflow:schema:<kind>:<version>`, stable while the format
    is)."""
    resource = resources.files("engine") / "schemas" / f"{name}.schema.json"
    if not re.fullmatch(r"[a-z]+", name) or not resource.is_file():
        raise ValueError(f"no schema '{name}'")
    return resource.read_text(encoding="utf-8")


@cache
def schema(name: str) -> dict:
    """The JSON Schema engine/schemas/<name>.schema.json, read."""
    return json.loads(schema_text(name))


@cache
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(schema(name))


def check_schema(src: Source, schema_name: str = "workflow",
                 memo: dict | None = None) -> list[Finding]:
    """Every way the document departs from the schema, as findings at the places concerned.

    With `memo` (a dict kept between calls, as an editor checking each change does), each entry of a
    workflow's sections (each event, status, field ...) is validated on its own and its errors
    remembered by its content: a change in one entry re-validates only that entry. The findings are
    the same either way."""
    describer = _Describer(src)
    findings: list[Finding] = []
    errors = _validator(schema_name).iter_errors(src.data) if memo is None \
        else _errors_by_entry(schema_name, src.data, memo)
    for error in errors:
        findings.extend(describer.describe(error))
    unique = list(dict.fromkeys(findings))
    return sorted(unique, key=lambda f: (f.line, f.col, f.message))


def workflow_errors(data: Any) -> list[ValidationError]:
    """The schema's errors of a workflow document's plain value."""
    return list(_validator("workflow").iter_errors(data))


def meant_keys(instance: dict, object_schema: dict) -> dict[str, str]:
    """The unknown keys of a mapping that are evidently a misspelling of an allowed key it lacks: a
    close match (`requried` for `required`), or the only unknown key where only one required key is
    missing (`txt` for `title`). Unknown key -> the key meant."""
    allowed = list(object_schema.get("properties", {}))
    unknown = [k for k in instance if k not in allowed]
    free = [k for k in allowed if k not in instance]
    meant = {}
    for key in unknown:
        close = difflib.get_close_matches(str(key), free, n=1, cutoff=0.6)
        if close:
            meant[key] = close[0]
            free.remove(close[0])
    missing = [k for k in object_schema.get("required", []) if k in free]
    rest = [k for k in unknown if k not in meant]
    if len(rest) == 1 and len(missing) == 1:
        meant[rest[0]] = missing[0]
    return meant


MEMO_SIZE = 5000  # entries remembered by check_schema's memo before it starts again


def _sections(name: str) -> tuple[str, ...]:
    """The top-level mappings of the schema whose entries are validated one by one with a memo."""
    props = schema(name).get("properties", {})
    return tuple(key for key, sub in props.items()
                 if isinstance(sub.get("additionalProperties"), dict))


def _errors_by_entry(name: str, data: Any, memo: dict) -> Iterator[ValidationError]:
    if name != "workflow" or not isinstance(data, dict):
        yield from _validator(name).iter_errors(data)
        return
    yield from _shell_validator(name).iter_errors(data)
    if len(memo) > MEMO_SIZE:
        memo.clear()
    for section in _sections(name):
        entries = data.get(section)
        if not isinstance(entries, dict):
            continue  # the shell said what is wrong with it
        one = _entry_validator(name, section)
        for key, raw in entries.items():
            text = (section, json.dumps(raw, sort_keys=True, default=str))
            if text not in memo:
                memo[text] = list(one.iter_errors(raw))
            for error in memo[text]:
                # a remembered error stays as found; the copy says where it is now
                moved = copy.deepcopy(error)
                moved.relative_path.extendleft(reversed((section, key)))
                yield moved


@cache
def _shell_validator(name: str) -> Draft202012Validator:
    """The document's schema with the entries of its sections left to _entry_validator."""
    shell = copy.deepcopy(schema(name))
    for section in _sections(name):
        shell["properties"][section]["additionalProperties"] = True
    return Draft202012Validator(shell)


@cache
def _entry_validator(name: str, section: str) -> Draft202012Validator:
    return _validator(name).evolve(
        schema=schema(name)["properties"][section]["additionalProperties"])


class _Describer:
    """Turns one validation error into findings a policy reader can act on."""

    def __init__(self, src: Source):
        self.src = src

    def finding(self, path: KeyPath, message: str, hint: str = "", *, key: bool = False) -> Finding:
        line, col = self.src.pos(path, key=key)
        return Finding(self.src.file, line, col, message, code="schema", severity="error",
                       hint=hint)

    def describe(self, error: ValidationError) -> list[Finding]:
        path: KeyPath = tuple(error.absolute_path)
        kind, instance, value = error.validator, error.instance, error.validator_value
        subject = self.subject(path)
        if kind == "additionalProperties" and isinstance(instance, dict):
            return self.unknown_keys(path, instance, error.schema)
        if kind == "required" and isinstance(instance, dict):
            where = f"in {self.place(path)}" if path else "at the top level"
            misspelt = set(meant_keys(instance, error.schema).values())  # said at the misspelt key
            return [self.finding(path, f"missing required key '{name}' {where}", key=True)
                    for name in value if name not in instance and name not in misspelt]
        if kind == "type":
            return [self.wrong_type(path, instance, value)]
        if kind == "enum":
            choices = [str(choice) for choice in value]
            close = difflib.get_close_matches(str(instance), choices, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else ""
            return [self.finding(path,
                                 f"{subject}: {_show(instance)} is not one of {', '.join(choices)}",
                                 hint)]
        if kind == "pattern":
            words = _PATTERN_WORDS.get(value, f"does not have the expected form ({value})")
            return [self.finding(path, f"{subject}: {_show(instance)} {words}")]
        if kind == "oneOf":
            return self.one_of(error)
        if kind in ("minItems", "minProperties"):
            need = "at least one entry" if value == 1 else f"at least {value} entries"
            return [self.finding(path, f"{subject} is empty; it needs {need}" if not instance
                                 else f"{subject} needs {need}")]
        if kind in ("maxItems", "maxProperties"):
            allowed = "one entry" if value == 1 else f"{value} entries"
            return [self.finding(path, f"{subject} may have only {allowed}, not {len(instance)}")]
        if kind == "minLength":
            return [self.finding(path, f"{subject} should not be empty")]
        if kind == "uniqueItems":
            return [self.finding(path, f"{subject} has a value more than once",
                                 "each value may appear once")]
        return [self.finding(path, f"{subject}: {error.message}")]

    # -- particular errors
    def unknown_keys(self, path: KeyPath, instance: dict, object_schema: dict) -> list[Finding]:
        allowed = list(object_schema.get("properties", {}))
        patterns = list(object_schema.get("patternProperties", {}))
        where = f"in {self.place(path)}" if path else "at the top level"
        meant = meant_keys(instance, object_schema)
        found = []
        for name in instance:
            if name in allowed or any(re.search(p, str(name)) for p in patterns):
                continue
            hint = f"did you mean '{meant[name]}'?" if name in meant \
                else _did_you_mean(str(name), allowed)
            found.append(self.finding(path + (name,), f"unknown key '{name}' {where}", hint,
                                      key=True))
        return found

    def wrong_type(self, path: KeyPath, instance: Any, expected: str | list[str]) -> Finding:
        types = [expected] if isinstance(expected, str) else list(expected)
        words = _or_list([_TYPE_WORDS.get(t, t) for t in types])
        subject = self.subject(path)
        if instance is None:
            return self.finding(path, f"{subject}: no value is given; it should be {words}")
        hint = ""
        if "string" in types and isinstance(instance, (bool, int, float)):
            hint = "put the value in quotes to make it text"
        elif "boolean" in types and isinstance(instance, str):
            hint = "write true or false; yes, no, on and off are read as text"
        return self.finding(path, f"{subject}: {_show(instance)} should be {words}", hint)

    def one_of(self, error: ValidationError) -> list[Finding]:
        """Report the errors of the alternative the writer evidently meant, not 'not valid under
        any'."""
        path: KeyPath = tuple(error.absolute_path)
        instance, branches = error.instance, error.validator_value
        subject = self.subject(path)
        chosen = self.chosen_branch(instance, branches)
        if chosen is not None:
            sub_errors = [e for e in error.context
                          if e.relative_schema_path and e.relative_schema_path[0] == chosen]
            if sub_errors:
                return [finding for sub in sub_errors for finding in self.describe(sub)]
        if isinstance(instance, dict):
            keys = [b["required"][0] for b in branches if b.get("required")]
            hints = [h for h in (_did_you_mean(str(k), keys, list_allowed=False) for k in instance)
                     if h]
            return [self.finding(path, f"{subject} should have one of the keys {', '.join(keys)}",
                                 hints[0] if hints else "")]
        kinds = [_branch_words(b) for b in branches]
        if chosen is None and error.context:
            return [self.finding(path, f"{subject}: {_show(instance)} should be {_or_list(kinds)}")]
        return [self.finding(path, f"{subject} matches more than one form ({_or_list(kinds)})")]

    @staticmethod
    def chosen_branch(instance: Any, branches: list[dict]) -> int | None:
        """The branch meant: for a mapping, the one whose first required key comes first in it; else
        by type."""
        if isinstance(instance, dict):
            best: tuple[int, int] | None = None
            order = {name: i for i, name in enumerate(instance)}
            for index, branch in enumerate(branches):
                required = branch.get("required") or []
                if required and required[0] in order \
                        and (best is None or order[required[0]] < best[0]):
                    best = (order[required[0]], index)
            if best is not None:
                return best[1]
        matching = [i for i, b in enumerate(branches) if _type_matches(instance, b.get("type"))]
        return matching[0] if len(matching) == 1 else None

    # -- naming places
    def place(self, path: KeyPath) -> str:
        """The thing at `path` in words: "event 'finalise' transition 2 effect 1"."""
        words: list[str] = []
        node: Any = self.src.data
        i = 0
        while i < len(path):
            seg = path[i]
            child = _child(node, seg)
            if i + 1 < len(path) and isinstance(node, dict) and isinstance(child, (dict, list)):
                nxt = path[i + 1]
                if isinstance(child, list) and isinstance(nxt, int):
                    noun = _SINGULAR.get(str(seg))
                    words.append(f"{noun} {nxt + 1}" if noun else f"'{seg}' item {nxt + 1}")
                    node, i = _child(child, nxt), i + 2
                    continue
                if isinstance(child, dict) and str(seg) in _SINGULAR:
                    words.append(f"{_SINGULAR[str(seg)]} '{nxt}'")
                    node, i = _child(child, nxt), i + 2
                    continue
            words.append(f"item {seg + 1}" if isinstance(node, list) and isinstance(seg, int)
                         else f"'{seg}'")
            node, i = child, i + 1
        return " ".join(words)

    def subject(self, path: KeyPath) -> str:
        """What a message is about: "'due' of intray 'X'", "event 'e' transition 1", "the
        document"."""
        if not path:
            return "the document"
        if isinstance(path[-1], int) and isinstance(path[-2] if len(path) > 1 else None, str) \
                and path[-2] not in _SINGULAR:
            return f"item {path[-1] + 1} of {self.subject(path[:-1])}"
        parent = _child_at(self.src.data, path[:-1])
        last = path[-1]
        if isinstance(parent, dict) and not self._is_named(path):
            owner = self.place(path[:-1])
            return f"'{last}' of {owner}" if owner else f"'{last}'"
        return self.place(path)

    def _is_named(self, path: KeyPath) -> bool:
        """Whether the last step of `path` picks an entry of a named collection (e.g. a status)."""
        return len(path) >= 2 and isinstance(path[-2], str) and path[-2] in _SINGULAR \
            and isinstance(_child_at(self.src.data, path[:-1]), dict)


def _child(node: Any, seg: str | int) -> Any:
    if isinstance(node, dict):
        return node.get(seg)
    if isinstance(node, list) and isinstance(seg, int) and 0 <= seg < len(node):
        return node[seg]
    return None


def _child_at(node: Any, path: KeyPath) -> Any:
    for seg in path:
        node = _child(node, seg)
    return node


def _type_matches(instance: Any, expected: str | list[str] | None) -> bool:
    if expected is None:
        return False
    types = [expected] if isinstance(expected, str) else expected
    checks = {
        "string": isinstance(instance, str),
        "integer": isinstance(instance, int) and not isinstance(instance, bool),
        "number": isinstance(instance, (int, float)) and not isinstance(instance, bool),
        "boolean": isinstance(instance, bool),
        "object": isinstance(instance, dict),
        "array": isinstance(instance, list),
        "null": instance is None,
    }
    return any(checks.get(t, False) for t in types)


def _branch_words(branch: dict) -> str:
    kind = branch.get("type")
    if kind == "array" and isinstance(branch.get("items"), dict) \
            and branch["items"].get("type") == "string":
        return "a list of text"
    if isinstance(kind, str):
        return _TYPE_WORDS.get(kind, kind)
    return "another form"


def _did_you_mean(name: str, allowed: list[str], *, list_allowed: bool = True) -> str:
    close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    if list_allowed and allowed:
        return "the keys allowed here are " + ", ".join(allowed)
    return ""


def _or_list(words: list[str]) -> str:
    words = list(dict.fromkeys(words))
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "an empty value"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"'{shown}'"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return str(value)
