"""The bounds on an expression: its length and nesting, and what it may build as it runs."""
from __future__ import annotations

from typing import Any

from engine.model import Expr

MAX_LENGTH = 500
MAX_DEPTH = 50
# bounds on what an expression builds, so that every one ends in milliseconds and in little memory;
# checked when the workflow is checked where the values are written out, and as the expression runs
# where not
MAX_ITEMS = 1_000  # items of a list built by repetition ([0] * n)
MAX_TEXT = 10_000  # characters of text built by repetition ('-' * n)
MAX_BITS = 1_024  # bits of a product of whole numbers (about 308 digits)
MAX_LOOPS = 2  # loops inside one another: any(any(... for b in y) for a in x)


class ExprLimit(Exception):
    """An expression stopped at a bound on what it may build (see MAX_ITEMS, MAX_TEXT, MAX_BITS)."""


# what stops a guard that is not the guard failing: a bound, memory, nesting. A compiled guard's
# `holds` passes these on (it is False where any other error is raised), for the caller to name the
# guard.
LIMITS: tuple[type[BaseException], ...] = (ExprLimit, MemoryError, RecursionError)


def limit_message(expr: Expr, exc: BaseException, placed: bool = True) -> str:
    """What to say of a condition stopped by one of LIMITS: the condition (and its place, unless the
    message is placed there already), never its policy text."""
    reason = (str(exc) if isinstance(exc, ExprLimit)
              else "it ran out of memory" if isinstance(exc, MemoryError)
              else "it nests too deeply")
    text = expr.text if len(expr.text) <= 80 else expr.text[:80] + "..."
    if not placed:
        return f"the condition '{text}' stops on some values: {reason}"
    where = f" ({expr.pos[0]}:{expr.pos[1]}:{expr.pos[2]})" if expr.pos else ""
    return (f"the condition '{text}'{where} was stopped: {reason} "
            "(a fault of the workflow, not of the case)")


def bounded_mul(left: Any, right: Any) -> Any:
    """`left * right`, refused (ExprLimit) where it would build a list, a text or a whole number
    past its bound."""
    if isinstance(left, int) and isinstance(right, int):
        if (left.bit_length() + right.bit_length() > MAX_BITS + 1
                and (left * right).bit_length() > MAX_BITS):
            raise ExprLimit(f"'*' would make a whole number of more than {MAX_BITS} bits "
                            "(about 308 digits)")
    else:
        seq, times = (left, right) if isinstance(right, int) else (right, left)
        if isinstance(seq, (str, list, tuple)) and isinstance(times, int):
            bound, what = ((MAX_TEXT, "characters of text") if isinstance(seq, str)
                           else (MAX_ITEMS, "list items"))
            if len(seq) * times > bound:
                raise ExprLimit(f"'*' would build {len(seq) * times} {what}; at most {bound}")
    return left * right
