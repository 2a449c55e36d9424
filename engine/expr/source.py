"""An expression's text as the compiler reads it: `35 days` read as days(35), parsed, and every
problem raised as an ExprError at its place in the text as written."""
from __future__ import annotations

import ast
import difflib
import io
import re
import tokenize
import warnings
from typing import Any, NoReturn

_UNITS = {word: unit for unit in ("days", "hours", "weeks", "minutes")
          for word in (unit, unit[:-1], unit[0])}
_PLAIN_NUMBER = re.compile(r"\d[\d_]*(\.\d*)?$")


class ExprError(Exception):
    """An expression that cannot be accepted; `offset` is a 0-based column in the expression text.
    `more` holds the other problems found in the same expression (each unknown name is one)."""

    def __init__(self, message: str, offset: int = 0, hint: str = "",
                 more: tuple[ExprError, ...] = ()):
        super().__init__(message)
        self.message, self.offset, self.hint, self.more = message, offset, hint, more

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


def one_line(text: str) -> str:
    """Line breaks and tabs (e.g. from a YAML block) as spaces; every offset stays the same."""
    return text.translate({10: 32, 13: 32, 9: 32})


def rewrite_durations(text: str) -> tuple[str, list[int]]:
    """Turn `35 days` into `days(35)` outside string literals.

    Returns the new text and, for each of its indexes (and its end), the index in `text`.
    """
    tokens: list[tokenize.TokenInfo] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            tokens.append(tok)
    except (tokenize.TokenError, SyntaxError):
        pass  # unbalanced brackets and the like: ast.parse reports them; keep what was read
    out: list[str] = []
    omap: list[int] = []
    done = 0
    for num, unit in zip(tokens, tokens[1:], strict=False):
        if (num.type == tokenize.NUMBER and unit.type == tokenize.NAME
                and unit.string.lower() in _UNITS and _PLAIN_NUMBER.match(num.string)
                and num.start[0] == unit.start[0] == 1):
            start, end = num.start[1], unit.end[1]
            out.append(text[done:start])
            omap.extend(range(done, start))
            func = _UNITS[unit.string.lower()]
            out.append(f"{func}({num.string})")
            omap.extend([start] * (len(func) + 1) + list(range(start, start + len(num.string)))
                        + [end - 1])
            done = end
    out.append(text[done:])
    omap.extend(range(done, len(text) + 1))
    return "".join(out), omap


def source_tree(text: str) -> ast.Expression | None:
    """An expression as written, parsed (whitespace made one line, `35 days` read as days(35), as
    the compiler reads it): its shape for analysis, before any rewriting for compilation; None if it
    does not parse."""
    try:
        return ast.parse(rewrite_durations(one_line(text).strip())[0], mode="eval")
    except SyntaxError:
        return None


class Source:
    """The text as written (`text`), as parsed (`src`, durations rewritten) and the map between
    them; raises each problem at its place in `text`. Unknown names are collected in `unknown`, so
    that all of them are reported together."""

    def __init__(self, text: str, src: str, omap: list[int]):
        self.text, self.src, self.omap = text, src, omap
        self.unknown: dict[str, ExprError] = {}  # each unknown name once

    def fail(self, message: str, where: ast.AST | int, hint: str = "") -> NoReturn:
        # what fails after an unknown name is most likely its consequence: say the names
        self.raise_unknown()
        raise ExprError(message, self.offset(where), hint)

    def raise_unknown(self) -> None:
        """Raise the unknown names found so far, if any: the first, with the others as `more`."""
        if self.unknown:
            first, *rest = self.unknown.values()
            raise ExprError(first.message, first.offset, first.hint, more=tuple(rest))

    def not_found(self, name: str, message: str, where: ast.AST | int, hint: str) -> ast.expr:
        """Note a name that is not declared and go on, so that every one of them is reported."""
        self.unknown.setdefault(name, ExprError(message, self.offset(where), hint))
        return ast.Constant(None)

    def chars(self, col: int | None) -> int:
        """The character index of `col`, a UTF-8 byte offset as the ast module gives."""
        col = col or 0
        if self.src.isascii():
            return col
        return len(self.src.encode("utf-8", "surrogatepass")[:col].decode("utf-8", "ignore"))

    def offset(self, where: ast.AST | int) -> int:
        """The offset in the original text of a node or of an index into the rewritten text."""
        if isinstance(where, ast.AST):
            on_first_line = getattr(where, "lineno", 1) == 1
            where = self.chars(getattr(where, "col_offset", 0)) if on_first_line else 0
        return self.omap[max(0, min(where, len(self.omap) - 1))]

    def attr_offset(self, node: ast.Attribute) -> int:
        return self.chars(node.end_col_offset) - len(node.attr)

    def underscore(self, name: str, where: ast.AST | int) -> None:
        if name.startswith("_"):
            self.fail(f"'{name}' is not allowed: names starting with an underscore are not allowed",
                      where)

    @staticmethod
    def suggest(name: str, candidates: Any) -> str:
        close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
        return f"did you mean '{close[0]}'?" if close else ""

    def parse(self) -> ast.Expression:
        """The rewritten text parsed; a syntax error raised as an ExprError with a hint."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # e.g. invalid escapes in a string literal
                return ast.parse(self.src, mode="eval")
        except SyntaxError as exc:
            raise self.syntax_error(exc) from None
        except (ValueError, RecursionError, MemoryError) as exc:
            raise ExprError(f"not an expression: {exc}", 0) from None

    def syntax_error(self, exc: SyntaxError) -> ExprError:
        text = self.text
        msg, _, rest = (exc.msg or "invalid syntax").partition(". ")
        msg = re.sub(r"\s*\(detected at line \d+\)", "", msg)
        col = (exc.offset or 0) - 1 if (exc.lineno or 1) == 1 else 0
        where = self.offset(col) if col >= 0 else len(text.rstrip())  # no offset: at the end
        if col < 0 and not rest:
            rest = "it ends too soon"
        elif "'=='" in rest or (re.match(r"=(?!=)", text[where:])
                                and text[where - 1:where] not in "<>!="):
            rest = "to compare two values, use =="
        elif re.search(r"\d\s*$", text[:where]) and text[where:where + 1].isalpha():
            rest = "durations read '35 days', '48 hours', '2 weeks' or '30 minutes'"
        return ExprError(f"not an expression: {msg}", where, rest)
