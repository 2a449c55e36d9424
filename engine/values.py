"""Typed values: turning what a user keyed (YAML, JSON, the CLI) into checked values, and back to
JSON."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from .clock import ZoneGiven, parse_date, parse_moment
from .model import ChoiceList, FieldSpec

_WHOLE = re.compile(r"[+-]?[0-9]+")
_LIMIT = 10 ** 100  # see _integer

TYPOGRAPHIC_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


class ValueProblem(ValueError):
    """A value does not fit its field; the message names the field and what was expected."""


def normalise_name(text: str) -> str:
    """Names as staff type them: the typographic apostrophe is the same as '."""
    return text.translate(TYPOGRAPHIC_APOSTROPHES)


def _text(spec: FieldSpec, value: Any, lists: dict[str, ChoiceList]) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise ValueProblem(f"{spec.label} should be text, not {_show(value)}")


_DIGITS = 100  # at most, in a whole number (Python will not even write out one of more than 4,300)


def _integer(spec: FieldSpec, value: Any, lists: dict[str, ChoiceList]) -> int:
    if isinstance(value,
                  str) and _WHOLE.fullmatch(value.strip()) \
                      and len(value.strip().lstrip("+-")) <= _DIGITS:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        if -_LIMIT < value < _LIMIT:
            return value
        raise ValueProblem(f"{spec.label} should be a whole number of at most {_DIGITS} digits, "
                           f"not {_show(value)}")
    if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        raise ValueProblem(f"{spec.label} should be a whole number of at most {_DIGITS} digits, "
                           f"not {_show(value)}")
    raise ValueProblem(f"{spec.label} should be a whole number, not {_show(value)}")


def _boolean(spec: FieldSpec, value: Any, lists: dict[str, ChoiceList]) -> bool:
    if isinstance(value, bool):
        return value
    raise ValueProblem(f"{spec.label} should be true or false, not {_show(value)}")


def _date(spec: FieldSpec, value: Any, lists: dict[str, ChoiceList]) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return parse_date(value)
        except ValueError:
            pass
    raise ValueProblem(f"{spec.label} should be a date such as 2026-03-01, not {_show(value)}")


def _datetime(spec: FieldSpec, value: Any, lists: dict[str, ChoiceList]) -> datetime:
    # read as the clock reads a moment: local time; a time zone is refused
    if isinstance(value, (str, date)):
        try:
            return parse_moment(value)
        except ZoneGiven as exc:
            raise ValueProblem(f"{spec.label}: {exc}") from None
        except ValueError:
            pass
    raise ValueProblem(f"{spec.label} should be a date and time such as 2026-03-01 09:00, not "
                       f"{_show(value)}")


def _choice(spec: FieldSpec, value: Any, lists: dict[str, ChoiceList]) -> Any:
    choices = lists.get(spec.list) if spec.list else None
    # no list, or one the workflow does not declare (reported when it is loaded)
    if choices is None:
        return value
    try:
        known = value in choices.members
    except TypeError:  # a value that is no member of any set (a list): not a choice
        known = False
    if known and (value.__class__ is str or value.__class__ is int
                  or any(type(c) is type(value) and c == value for c in choices.values)):
        # of the same type: True == 1 and 1.0 == 1 are not choices of a list of numbers
        return value
    if isinstance(value, str):
        name = normalise_name(value)
        if name in choices.values:
            return name
        if name in choices.aliases:
            return choices.aliases[name]
    shown = ", ".join(str(v) for v in choices.values)
    raise ValueProblem(f"{spec.label} should be one of {shown}, not {_show(value)}")


def _list(spec: FieldSpec, value: Any, lists: dict[str, ChoiceList]) -> list:
    if not isinstance(value, list):
        raise ValueProblem(f"{spec.label} should be a list, not {_show(value)}")
    if spec.record is not None:
        return [coerce_record(spec, item, lists) for item in value]
    if spec.of is not None:
        return [coerce(spec.of, item, lists) for item in value]
    return list(value)


def coerce_record(spec: FieldSpec, item: Any, lists: dict[str, ChoiceList]) -> dict:
    """One record of a list of records: known keys only, required ones present."""
    assert spec.record is not None
    if not isinstance(item, dict):
        raise ValueProblem(f"each item of {spec.label} should be a record, not {_show(item)}")
    known = _record_fields(spec)
    if not item.keys() <= known.keys():
        unknown = [k for k in item if k not in known]
        raise ValueProblem(
            f"{spec.label} has no field '{unknown[0]}' (its fields are {', '.join(known)})"
        )
    out: dict[str, Any] = {}
    for name, sub in known.items():
        got = item.get(name)
        if got is None:
            if sub.required:
                raise ValueProblem(f"each item of {spec.label} needs {sub.label}")
            continue
        out[name] = COERCERS[sub.type](sub, got, lists)  # coerce(), without its call
    return out


# id(spec) -> (spec, its record's fields by name), for the list fields of records coerced lately
_RECORD_FIELDS: dict[int, tuple[FieldSpec, dict[str, FieldSpec]]] = {}
_RECORDS_KEPT = 1024


def _record_fields(spec: FieldSpec) -> dict[str, FieldSpec]:
    """The fields of a list field's records by name, made once per field (a record is coerced each
    time an event's data holds one)."""
    kept = _RECORD_FIELDS.get(id(spec))
    if kept is None or kept[0] is not spec:
        if len(_RECORD_FIELDS) >= _RECORDS_KEPT:  # bounded: a language server reads new ones
            _RECORD_FIELDS.clear()
        kept = _RECORD_FIELDS[id(spec)] = (spec, {f.name: f for f in spec.record or ()})
    return kept[1]


# by field type: (spec, value other than None, lists) -> the typed value, or ValueProblem
COERCERS: dict[str, Callable[[FieldSpec, Any, dict[str, ChoiceList]], Any]] = {
    "text": _text,
    "integer": _integer,
    "boolean": _boolean,
    "date": _date,
    "datetime": _datetime,
    "choice": _choice,
    "list": _list,
}


def coerce(spec: FieldSpec, value: Any, lists: dict[str, ChoiceList]) -> Any:
    """The value as the field's type, or ValueProblem. None stays None."""
    if value is None:
        return None
    return COERCERS[spec.type](spec, value, lists)


def _show(value: Any) -> str:
    """A value as a message quotes it: a long one cut to its first 60 characters."""
    if value is None:
        return "nothing"
    try:
        shown = repr(value)
    except ValueError:  # an integer too long to write out
        shown = f"a number of {value.bit_length() * 30103 // 100000 + 1} digits"
    if len(shown) > 60:
        shown = f"{shown[:60]}... ({len(shown)} characters)"
    return shown if isinstance(value, str) else f"{shown} ({type(value).__name__})"


def to_json(value: Any) -> Any:
    """Dates and times as ISO text; records and lists recursively; everything else as is."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value
