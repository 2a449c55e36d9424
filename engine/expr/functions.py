"""The functions an expression may call: their table (names, arguments) and the run-time helpers
that are the only globals a compiled expression sees."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from engine.model import TRAY_ABOUT, TRAY_CLOSED, TRAY_CODE, TRAY_OPENED

from .limits import bounded_mul

LOOP_FUNCS = ("any", "all", "count", "min", "max", "len")
# allowed function -> (name of the helper in the compiled globals, min args, max args, takes ctx)
FUNCS: dict[str, tuple[str, int, int, bool]] = {
    "len": ("len", 1, 1, False), "any": ("any", 1, 1, False), "all": ("all", 1, 1, False),
    "min": ("min", 1, 99, False), "max": ("max", 1, 99, False),
    "count": ("_count", 1, 1, False),
    "is_open": ("_is_open", 1, 2, True), "opened_on": ("_opened_on", 1, 2, True),
    "date": ("_date", 1, 1, False), "days": ("_days", 1, 1, False),
    "hours": ("_hours", 1, 1, False), "weeks": ("_weeks", 1, 1, False),
    "minutes": ("_minutes", 1, 1, False),
    "matches": ("", 2, 2, False), "lookup": ("_lookup", 3, 3, False),
}
ALLOWED_FUNCS = ", ".join(sorted(FUNCS))


def _count(items: Any) -> int:
    return sum(1 for item in items if item)


def _matches(tray: tuple, code: Any, about: Any) -> bool:
    """Whether an intray (a tuple, see model.TRAY_CODE) is an open one with this code (about this
    party)."""
    return (tray[TRAY_CODE] == code and tray[TRAY_CLOSED] is None
            and (about is None or tray[TRAY_ABOUT] == about))


def _is_open(ctx: Any, code: Any, about: Any = None) -> bool:
    return any(_matches(tray, code, about) for tray in ctx.intrays)


def _opened_on(ctx: Any, code: Any, about: Any = None) -> date | None:
    opened = [tray[TRAY_OPENED] for tray in ctx.intrays if _matches(tray, code, about)]
    return _date(max(opened)) if opened else None


def _lookup(column: Mapping[Any, Any], key: Any) -> Any:
    return column.get(key)


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if value is None or isinstance(value, date):
        return value
    if isinstance(value, str):
        return datetime.fromisoformat(value).date()
    raise TypeError(f"date() needs a date or a datetime, not {type(value).__name__}")


DURATION_FNS: dict[str, Callable[[Any], timedelta]] = {
    "days": lambda n: timedelta(days=n), "hours": lambda n: timedelta(hours=n),
    "weeks": lambda n: timedelta(weeks=n), "minutes": lambda n: timedelta(minutes=n),
}
HELPERS: dict[str, Any] = {
    "__builtins__": {}, "_mul": bounded_mul,
    "len": len, "any": any, "all": all, "min": min, "max": max,
    "_count": _count, "_lookup": _lookup, "_is_open": _is_open, "_opened_on": _opened_on,
    "_date": _date, **{f"_{name}": fn for name, fn in DURATION_FNS.items()},
}
