"""Owns reading stored instances back (a JSON store file, the case store's rows): stores are
untrusted input. The JSON is read with bounds (nesting, digits, no NaN), a workflow is named by its
name, never a path, and every value of an instance is checked against its workflow, each problem
refused with its place, before anything is registered."""
from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .clock import parse_moment
from .controls import control_in, visible
from .findings import Refused
from .instance import HistoryEntry, Intray, Letter
from .model import Workflow, recipients
from .values import ValueProblem, coerce

MAX_NESTING = 50  # lists and mappings inside one another in a stored instance
MAX_DIGITS = 100  # digits of a whole number (as values.py reads them)
WORKFLOW_NAME = re.compile(r"[a-z][a-z0-9_]*")  # the schema's pattern for a workflow's name


class StoreProblem(ValueError):
    """A store that cannot be read: `place` says where in it (e.g. '[3].intrays[0].code'), `message`
    what."""

    def __init__(self, place: str, message: str):
        super().__init__(f"{place}: {message}" if place else message)
        self.place, self.message = place, message


def _whole(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise StoreProblem("",
                           f"a whole number of {len(text.lstrip('-'))} digits (at most "
                           f"{MAX_DIGITS})")
    return int(text)


def _constant(name: str) -> Any:
    raise StoreProblem("", f"{name} is not a value procflow keeps (JSON has no {name})")


def read_store(text: str) -> list[dict]:
    """A JSON store's text as its list of stored instances (mappings), or StoreProblem saying what
    is wrong."""
    try:
        states = json.loads(text, parse_int=_whole, parse_constant=_constant)
    except RecursionError:
        raise StoreProblem("", f"values nested too deeply (at most {MAX_NESTING} levels)") from None
    except json.JSONDecodeError as exc:
        raise StoreProblem(f"line {exc.lineno} column {exc.colno}", exc.msg) from None
    if not isinstance(states, list):
        raise StoreProblem("",
                           f"a store is a JSON list of instances, not a {type(states).__name__}")
    for i, state in enumerate(states):
        if not isinstance(state, dict):
            raise StoreProblem(f"[{i}]",
                               "an instance is a mapping as `state()` writes it, not a "
                               f"{type(state).__name__}")
        check_values(state, f"[{i}]")
    return states


def check_values(value: Any, place: str = "") -> None:
    """Refuse (StoreProblem) values nested more than MAX_NESTING deep, NaN and infinities, keys that
    are not text, control characters in text.
    Iterative, so that no nesting can exhaust the stack here."""
    stack: list[tuple[Any, str, int]] = [(value, place, 0)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            raise StoreProblem(where, f"{item} is not a value procflow keeps")
        if isinstance(item, str) and control_in(item):
            raise StoreProblem(where, f"a control character ({control_in(item)}) in text")
        if isinstance(item, (dict, list, tuple)):
            if depth >= MAX_NESTING:
                raise StoreProblem(where,
                                   f"values nested too deeply (at most {MAX_NESTING} levels)")
            if isinstance(item, dict):
                for key, inner in item.items():
                    if not isinstance(key, str) or control_in(key):
                        raise StoreProblem(where,
                                           f"a key {visible(repr(key)):.40} that is not text "
                                           "without control "
                                                  "characters")
                    stack.append((inner, f"{where}.{key}" if where else key, depth + 1))
            else:
                stack.extend((inner, f"{where}[{i}]", depth + 1) for i, inner in enumerate(item))


def workflow_name(value: Any, place: str = "workflow") -> str:
    """A stored instance's `workflow`: a workflow's name (the schema's pattern), never a path to
    read."""
    if not isinstance(value, str) or not WORKFLOW_NAME.fullmatch(value):
        shown = value if not isinstance(value, str) or len(value) <= 60 else value[:60] + "..."
        raise StoreProblem(place,
                           f"{shown!r} is not a workflow name (lower-case letters, digits and _)")
    return value


def read_parts(state: Mapping, wf: Workflow,
               label: str) -> tuple[dict, list[Intray], list[Letter], list[HistoryEntry]]:
    """The fields, intrays, letters and history of a stored instance, each checked against its
    workflow; Refused naming the place of the first problem (`LABEL: intrays[2].closed: ...`)."""
    try:
        check_values(state)
        return _fields(state, wf), _intrays(state, wf), _letters(state, wf), _history(state, wf)
    except StoreProblem as exc:
        raise Refused("restore", [f"{label}: {exc}"]) from None


def _items(state: Mapping, key: str) -> list[tuple[str, Mapping]]:
    items = state.get(key) or []
    if not isinstance(items, list):
        raise StoreProblem(key, f"a list as `state()` writes it, not a {type(items).__name__}")
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise StoreProblem(f"{key}[{i}]",
                               f"a mapping as `state()` writes it, not a {type(item).__name__}")
    return [(f"{key}[{i}]", item) for i, item in enumerate(items)]


def _get(item: Mapping, place: str, key: str, needed: bool = True) -> Any:
    if needed and key not in item:
        raise StoreProblem(place, f"missing '{key}'")
    if needed and item[key] is None:
        raise StoreProblem(f"{place}.{key}", "missing")
    return item.get(key)


def _moment(item: Mapping, place: str, key: str, needed: bool = True) -> datetime | None:
    if needed and key not in item:
        raise StoreProblem(place, f"missing '{key}'")
    value = item.get(key)
    if value is None:
        if needed:
            raise StoreProblem(f"{place}.{key}", "a date and time is missing")
        return None
    if not isinstance(value, str):
        raise StoreProblem(f"{place}.{key}",
                           f"a moment is text such as 2026-03-02T09:00:00, not {value!r:.40}")
    try:
        return parse_moment(value)
    except ValueError as exc:
        raise StoreProblem(f"{place}.{key}", str(exc)) from None


def _code(item: Mapping, place: str, known: Mapping, what: str) -> str:
    code = _get(item, place, "code")
    if not isinstance(code, str):
        raise StoreProblem(f"{place}.code", f"a {what} code is text, not {code!r:.40}")
    if code not in known:
        raise StoreProblem(f"{place}.code", f"unknown {what} '{code:.60}'")
    return code


def _fields(state: Mapping, wf: Workflow) -> dict:
    given = state.get("fields") or {}
    if not isinstance(given, dict):
        raise StoreProblem("fields", "a mapping of field names to values")
    fields = {}
    for name, value in given.items():
        spec = wf.fields.get(name)
        if spec is None:
            raise StoreProblem(f"fields.{name:.60}", "unknown field")
        try:
            fields[name] = coerce(spec, value, wf.lists)
        except ValueProblem as exc:
            raise StoreProblem(f"fields.{name}", str(exc)) from None
    return fields


def _intrays(state: Mapping, wf: Workflow) -> list[Intray]:
    found = []
    for place, item in _items(state, "intrays"):
        code = _code(item, place, wf.intrays, "intray")
        opened, due = _moment(item, place, "opened"), _moment(item, place, "due")
        closed = _moment(item, place, "closed", needed=False)
        if closed is not None and opened is not None and closed < opened:
            raise StoreProblem(f"{place}.closed", f"closed ({closed}) before it opened ({opened})")
        about, assigned = item.get("about"), item.get("assigned_to")
        found.append(Intray(code, opened, due, about, assigned, closed))  # type: ignore[arg-type]
    return found


def _letters(state: Mapping, wf: Workflow) -> list[Letter]:
    found = []
    known = recipients(wf.lists, wf.fields)
    for place, item in _items(state, "letters"):
        code = _code(item, place, wf.letters, "letter")
        to = _get(item, place, "to")
        if not isinstance(to, list) or not to \
                or not all(isinstance(r, str) and r in known for r in to):
            raise StoreProblem(f"{place}.to", f"a list of the parties the workflow knows "
                                              f"({', '.join(sorted(known)) or 'none'}), "
                                              f"not {to!r:.60}")
        issued = _moment(item, place, "issued")
        found.append(Letter(code, tuple(to), issued))  # type: ignore[arg-type]
    return found


def _history(state: Mapping, wf: Workflow) -> list[HistoryEntry]:
    found = []
    for place, item in _items(state, "history"):
        event = _get(item, place, "event")
        if not isinstance(event, str) or event not in wf.events:
            raise StoreProblem(f"{place}.event", f"unknown event {event!r:.60}")
        for key in ("from", "to"):
            if not isinstance(item.get(key), str) or item[key] not in wf.statuses:
                raise StoreProblem(f"{place}.{key}", f"unknown status {item.get(key)!r:.60}")
        actor, data = item.get("actor") or {}, item.get("data") or {}
        for key, value in (("actor", actor), ("data", data)):
            if not isinstance(value, Mapping):
                raise StoreProblem(f"{place}.{key}", f"{value!r:.60} is not a mapping")
        source = item.get("source", "")
        if not isinstance(source, str):
            raise StoreProblem(f"{place}.source", f"text, not {source!r:.60}")
        at = _moment(item, place, "at")
        found.append(HistoryEntry(at, event, dict(actor), dict(data),  # type: ignore[arg-type]
                                  item["from"], item["to"], source))
    return found
