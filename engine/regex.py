"""Owns matches() patterns: compiled by RE2, which matches in time linear in the value's length (it
never backtracks), so no pattern a workflow writes can make a guard, or `check`, run for minutes.
The constructs RE2 does not have (back-references, look-around, possessive repeats, repeat counts
over 1000) are refused when the workflow is checked, with a message saying what to write instead."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import re2

MAX_MEMORY = 1 << 22  # bytes RE2 may use for one compiled pattern; a larger one is refused

# what RE2 says (a pattern matching the start of its message) -> what the pattern uses, and what to
# write instead
_UNSUPPORTED = (
    (r"invalid escape sequence: \\[1-9]", "a back-reference (\\1 ... \\9)",
     "match the repeated text by its form"),
    (r"invalid escape sequence: \\", "an escape RE2 does not have",
     "\\A and \\z for the ends, \\d \\w \\s \\b, or a "
     "[...] class"),
    (r"invalid perl operator: \(\?=", "a look-ahead (?=...)", "write the part matched as it is"),
    (r"invalid perl operator: \(\?!", "a negative look-ahead (?!...)", "use a [^...] class"),
    (r"invalid perl operator: \(\?<", "a look-behind (?<=...) or (?<!...)",
     "write the part matched as it is"),
    (r"invalid perl operator: \(\?P$",
     "a back-reference (?P=name) or a (?P...) group RE2 does not have",
     "match the repeated text by its form; (?P<name>...) groups are allowed"),
    ("invalid perl operator", "a (?...) group RE2 does not have",
     "(?:...) groups and (?i) flags are allowed"),
    ("bad repetition operator", "a possessive or doubled repeat (a++, a*?+)", "repeat once: a+"),
    ("invalid repetition size", "a repeat count over 1000 (in all, counting nested repeats)",
     "use an unbounded repeat, e.g. [0-9]+, or a smaller count"),
    ("pattern too large", "a pattern too large to match in bounded memory",
     "write a simpler pattern"),
)


class PatternError(ValueError):
    """A pattern RE2 cannot compile: `message` says why, `hint` what to write instead (may be
    empty)."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message, self.hint = message, hint


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False  # errors come back as exceptions, not lines on stderr
    options.max_mem = MAX_MEMORY
    options.never_capture = True  # only whether the whole value matches is asked
    return options


_OPTIONS = _options()
# a counted repeat, {m}, {m,} or {m,n}: RE2 reads one with a count too large to parse as literal
# text
_COUNT = re.compile(r"(?<!\\)\{([0-9]+)(?:,([0-9]*))?\}")
MAX_COUNT = 1000


def compile_pattern(pattern: str) -> Callable[[Any], bool]:
    """`pattern` compiled by RE2 into `whole(value)`: whether a value is text the pattern matches
    from its start to its end. Or PatternError saying which construct it uses that RE2 does not
    have."""
    for found in _COUNT.finditer(pattern):
        if any(len(n) > 4 or int(n) > MAX_COUNT for n in found.groups("") if n):
            return _refuse(f"uses {_UNSUPPORTED[-2][1]}, which the linear-time matcher (RE2) does "
                           f"not support ({found.group()})", _UNSUPPORTED[-2][2])
    try:
        return _whole(re2.compile(pattern, options=_OPTIONS))
    except re2.error as exc:
        raw = exc.args[0] if exc.args else ""
        reason = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        for start, what, hint in _UNSUPPORTED:
            if re.match(start, reason):
                return _refuse(f"uses {what}, which the linear-time matcher (RE2) does not "
                               f"support ({reason})", hint)
        return _refuse(f"is not a valid regular expression: {reason}")


def _refuse(message: str, hint: str = "") -> Any:
    raise PatternError(message, hint)


def _whole(compiled: Any) -> Callable[[Any], bool]:
    """The compiled pattern's whole-value test, calling RE2's own match directly: the wrapper's
    fullmatch() builds a match object and maps offsets back to characters, which takes about 7 times
    as long."""
    match, both = compiled._regexp.Match, re2._Anchor.ANCHOR_BOTH

    def whole(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        raw = value.encode("utf-8", "surrogatepass")
        return match(both, raw, 0, len(raw))[0][0] >= 0

    return whole
