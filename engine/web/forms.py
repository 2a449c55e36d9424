"""An event's form: its declared data as inputs of their proper kinds, and a submitted form read
back as data.

Pure functions of the workflow's declarations and what a browser sent (no I/O): what the page shows
is `event_form`, what the store is given is `form_data`. A value is never interpreted here beyond
splitting the form into fields and rows; the engine types and checks it (a refusal names the field
and says why).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..model import Event, FieldSpec, Workflow

ROWS = 3  # the rows a list shows at first; "one more row" adds one
MAX_ROWS = 50  # a list's rows at most, whatever a request asks for
MAX_VALUE = 10_000  # characters of one value
INPUT = {"text": "text", "integer": "number", "date": "date", "datetime": "datetime-local"}
_ROW_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\.([0-9]{1,3})(?:\.([A-Za-z_][A-Za-z0-9_]*))?")


@dataclass
class Input:
    """One input of the form: `kind` is text, number, date, datetime-local, select or rows."""

    name: str  # the form key (FIELD, FIELD.N or FIELD.N.COLUMN)
    label: str
    kind: str
    value: str = ""
    required: bool = False
    choices: tuple[str, ...] = ()  # a select's options (after a blank one unless required)
    hint: str = ""  # e.g. what a blank value means
    columns: list[Input] = field(default_factory=list)  # rows: the columns' inputs of the first row
    rows: list[list[Input]] = field(default_factory=list)  # rows: each row's inputs
    reasons: list[str] = field(default_factory=list)  # the refusals that are about this field


def event_form(wf: Workflow, event: Event, fields: Mapping[str, Any], now: datetime,
               given: Mapping[str, Any] | None = None,
               rows: Mapping[str, int] | None = None) -> list[Input]:
    """The inputs of an event's form: each data field its input, a default filled in where it is a
    constant, `today`, `now` or a field of the case, and `given` (what the user sent before)
    kept."""
    given = given or {}
    out = []
    for spec in event.data:
        if spec.type == "list":
            count = min(MAX_ROWS,
                        max(ROWS, len(given.get(spec.name) or ()), (rows or {}).get(spec.name, 0)))
            out.append(_rows(wf, spec, given.get(spec.name) or [], count))
            continue
        value = given.get(spec.name)
        if value is None:
            value = default_value(spec, fields, now)
        out.append(_input(wf, spec, spec.name, value))
    return out


def _input(wf: Workflow, spec: FieldSpec, name: str, value: Any) -> Input:
    label = spec.title or spec.name.replace("_", " ")
    shown = "" if value is None else _shown(spec, value)
    hint = f"blank: {spec.default.text}" if spec.default is not None and not shown else ""
    if spec.type == "choice":
        choices = wf.lists[spec.list].values if spec.list in wf.lists else ()
        return Input(name, label, "select", shown, spec.required, tuple(str(c) for c in choices),
                     hint)
    if spec.type == "boolean":
        return Input(name, label, "select", shown, spec.required, ("true", "false"), hint)
    return Input(name, label, INPUT.get(spec.type, "text"), shown, spec.required, (), hint)


def _rows(wf: Workflow, spec: FieldSpec, given: list, count: int) -> Input:
    label = spec.title or spec.name.replace("_", " ")
    rows = []
    for n in range(count):
        item = given[n] if n < len(given) else None
        if spec.record is not None:
            item = item if isinstance(item, dict) else {}
            rows.append([_input(wf, col, f"{spec.name}.{n}.{col.name}", item.get(col.name))
                         for col in spec.record])
        else:
            cell = _input(wf, spec.of or FieldSpec(spec.name, "text"), f"{spec.name}.{n}", item)
            cell.label = label
            rows.append([cell])
    columns = rows[0] if rows else []
    return Input(spec.name, label, "rows", "", spec.required, (), "empty rows are left out",
                 columns, rows)


def _shown(spec: FieldSpec, value: Any) -> str:
    if spec.type == "boolean" and isinstance(value, bool):
        return "true" if value else "false"
    if spec.type == "datetime" and isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    if spec.type == "datetime" and isinstance(value, str):
        return value.replace(" ", "T")[:16]
    return str(value)[:MAX_VALUE]


def default_value(spec: FieldSpec, fields: Mapping[str, Any], now: datetime) -> Any:
    """The field's default as the form can show it before the event is fired: a constant, today, now
    or a field of the case (`field.X` or a bare field name); None for any other expression (left
    blank: the engine works it out when the event is fired)."""
    if spec.default is None:
        return None
    text = spec.default.text.strip()
    if text in ("true", "false"):
        return text == "true"
    if text == "today":
        return now.date()
    if text == "now":
        return now
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if re.fullmatch(r"-?[0-9]{1,15}", text):
        return int(text)
    name = text.removeprefix("field.")
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) and name in fields:
        return fields[name]
    return None


def form_data(event: Event, form: Mapping[str, str],
              lists: Mapping[str, Any] | None = None) -> dict:
    """The event's data from a submitted form: each declared field's value as keyed (blank: not
    given, so the default applies), a list from its rows in order (blank rows left out), boolean and
    integer words as values, a choice keyed as the words of one of its list's values (8 for the
    number 8) as that value. Keys the event does not declare are ignored (the CSRF token, the
    version); ValueError for a value longer than MAX_VALUE."""
    specs = {d.name: d for d in event.data}
    data: dict[str, Any] = {}
    rows: dict[str, dict[int, Any]] = {}
    for key, raw in form.items():
        if not isinstance(raw, str):
            continue
        if len(raw) > MAX_VALUE:
            raise ValueError(f"a value of at most {MAX_VALUE} characters, not {len(raw)}")
        value = raw.strip()
        if key in specs and specs[key].type != "list":
            if value:
                data[key] = _typed(specs[key], value, lists)
            continue
        m = _ROW_KEY.fullmatch(key)
        if not m or m.group(1) not in specs or specs[m.group(1)].type != "list" or not value:
            continue
        spec, n, column = specs[m.group(1)], int(m.group(2)), m.group(3)
        if n >= MAX_ROWS:
            continue
        if spec.record is not None:
            col = next((c for c in spec.record if c.name == column), None)
            if col is not None:
                rows.setdefault(spec.name, {}).setdefault(n, {})[column] = _typed(col, value, lists)
        elif column is None:
            rows.setdefault(spec.name, {})[n] = _typed(spec.of, value, lists) \
                if spec.of is not None else value
    for name, items in rows.items():
        data[name] = [items[n] for n in sorted(items)]
    return data


def _typed(spec: FieldSpec, value: str, lists: Mapping[str, Any] | None) -> Any:
    """A browser sends words: true/false for a boolean and digits for an integer become values; the
    rest stays text for the engine to read by the field's type."""
    if spec.type == "boolean" and value in ("true", "false"):
        return value == "true"
    if spec.type == "integer" and re.fullmatch(r"[+-]?[0-9]{1,100}", value):
        return int(value)
    if spec.type == "datetime":
        return value.replace("T", " ")
    if spec.type == "choice" and lists and spec.list in lists:
        return next((v for v in lists[spec.list].values
                     if not isinstance(v, str) and str(v) == value), value)
    return value


def reasons_by_field(event: Event, reasons: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """Each refusal beside the data field its guard reads (the first it names), and those about no
    field."""
    data_names = [d.name for d in event.data]
    about: dict[str, str] = {}
    for guard in [*event.guards, *(g for tr in event.transitions for g in tr.guards)]:
        names = guard.check.names
        for name in data_names:
            if name in names:
                about.setdefault(guard.says, name)
                break
    by_field: dict[str, list[str]] = {}
    general = []
    for reason in reasons:
        name = about.get(reason) \
            or next((n for n in data_names if _names_field(reason, event, n)), None)
        if name is None:
            general.append(reason)
        else:
            by_field.setdefault(name, []).append(reason)
    return by_field, general


def _names_field(reason: str, event: Event, name: str) -> bool:
    """A typing refusal ('Lodgement Date should be a date ...', 'X is required') names the field's
    label."""
    spec = event.data_field(name)
    label = getattr(spec, "label", None) or name
    return reason.startswith(label + " ") or reason.startswith(label + ":")
