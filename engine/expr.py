"""Owns workflow expressions: parses policy text once against a strict whitelist and compiles it to a fast function."""
from __future__ import annotations

import ast
import builtins
import difflib
import io
import itertools
import re
import tokenize
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, NoReturn

from engine.model import TRAY_ABOUT, TRAY_CLOSED, TRAY_CODE, TRAY_OPENED, Expr, FieldSpec, Pos
from engine.regex import PatternError, compile_pattern

MAX_LENGTH = 500
MAX_DEPTH = 50
# bounds on what an expression builds, so that every one ends in milliseconds and in little memory; checked
# when the workflow is checked where the values are written out, and as the expression runs where not
MAX_ITEMS = 1_000  # items of a list built by repetition ([0] * n)
MAX_TEXT = 10_000  # characters of text built by repetition ('-' * n)
MAX_BITS = 1_024  # bits of a product of whole numbers (about 308 digits)
MAX_LOOPS = 2  # loops inside one another: any(any(... for b in y) for a in x)

_UNITS = {word: unit for unit in ("days", "hours", "weeks", "minutes") for word in (unit, unit[:-1], unit[0])}
_PLAIN_NUMBER = re.compile(r"\d[\d_]*(\.\d*)?$")
_CTX_NAMES = ("today", "now", "status", "actor", "instance")
_CONSTANT_NAMES = {"true": True, "false": False, "null": None}
_LOOP_FUNCS = ("any", "all", "count", "min", "max", "len")
# allowed function -> (name of the helper in the compiled globals, min args, max args, takes ctx)
_FUNCS: dict[str, tuple[str, int, int, bool]] = {
    "len": ("len", 1, 1, False), "any": ("any", 1, 1, False), "all": ("all", 1, 1, False),
    "min": ("min", 1, 99, False), "max": ("max", 1, 99, False), "count": ("_count", 1, 1, False),
    "is_open": ("_is_open", 1, 2, True), "opened_on": ("_opened_on", 1, 2, True),
    "date": ("_date", 1, 1, False), "days": ("_days", 1, 1, False), "hours": ("_hours", 1, 1, False),
    "weeks": ("_weeks", 1, 1, False), "minutes": ("_minutes", 1, 1, False),
    "matches": ("", 2, 2, False), "lookup": ("_lookup", 3, 3, False),
}
_ALLOWED_FUNCS = ", ".join(sorted(_FUNCS))
_OPS = {ast.Div: "/", ast.Mod: "%", ast.Pow: "**", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
        ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&"}  # the refused ones
_LOOP_ONLY = ("a 'for' loop is only allowed inside " + ", ".join(f"{f}()" for f in _LOOP_FUNCS), "")
_BRACES = ("{...} is not allowed", "use a list [...]")
_REFUSED: dict[type, tuple[str, str]] = {
    ast.Subscript: ("indexing with [...] is not allowed", "use any(), all(), count(), min() or max() over a list"),
    ast.Lambda: ("'lambda' is not allowed", ""),
    ast.NamedExpr: ("assignment with ':=' is not allowed", "to compare two values, use =="),
    ast.JoinedStr: ("f-strings are not allowed", "write plain text in quotes"),
    ast.Starred: ("'*' unpacking is not allowed", ""),
    ast.Dict: _BRACES, ast.Set: _BRACES, ast.DictComp: _BRACES, ast.SetComp: _BRACES,
    ast.GeneratorExp: _LOOP_ONLY, ast.ListComp: _LOOP_ONLY,
}


_PYTHON_NAMES = frozenset(dir(builtins)) - {"len", "any", "all", "min", "max"}  # said "not allowed", not "unknown"


class ExprError(Exception):
    """An expression that cannot be accepted; `offset` is a 0-based column in the expression text.
    `more` holds the other problems found in the same expression (each unknown name is one)."""

    def __init__(self, message: str, offset: int = 0, hint: str = "", more: tuple[ExprError, ...] = ()):
        super().__init__(message)
        self.message, self.offset, self.hint, self.more = message, offset, hint, more

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ExprLimit(Exception):
    """An expression stopped at a bound on what it may build (see MAX_ITEMS, MAX_TEXT, MAX_BITS)."""


# what stops a guard that is not the guard failing: a bound, memory, nesting. A compiled guard's `holds`
# passes these on (it is False where any other error is raised), for the caller to name the guard.
LIMITS: tuple[type[BaseException], ...] = (ExprLimit, MemoryError, RecursionError)


def limit_message(expr: Expr, exc: BaseException, placed: bool = True) -> str:
    """What to say of a condition stopped by one of LIMITS: the condition (and its place, unless the message is
    placed there already), never its policy text."""
    reason = (str(exc) if isinstance(exc, ExprLimit) else "it ran out of memory" if isinstance(exc, MemoryError)
              else "it nests too deeply")
    text = expr.text if len(expr.text) <= 80 else expr.text[:80] + "..."
    if not placed:
        return f"the condition '{text}' stops on some values: {reason}"
    where = f" ({expr.pos[0]}:{expr.pos[1]}:{expr.pos[2]})" if expr.pos else ""
    return f"the condition '{text}'{where} was stopped: {reason} (a fault of the workflow, not of the case)"


@dataclass(frozen=True)
class Scope:
    """The names an expression may read."""

    data: Mapping[str, FieldSpec] = field(default_factory=dict)  # the event's data fields
    fields: Mapping[str, FieldSpec] = field(default_factory=dict)  # the instance's fields
    intrays: frozenset[str] = frozenset()  # known intray codes
    # named queries over instances: name -> (number of parameters, field names of the records found)
    queries: Mapping[str, tuple[int, frozenset[str]]] = field(default_factory=dict)
    # lookup tables: name -> {key: {column: value}}
    tables: Mapping[str, Mapping[Any, Mapping[str, Any]]] = field(default_factory=dict)


# ---- run-time helpers: the only globals a compiled expression sees ----

def _count(items: Any) -> int:
    return sum(1 for item in items if item)


def _matches(tray: tuple, code: Any, about: Any) -> bool:
    """Whether an intray (a tuple, see model.TRAY_CODE) is an open one with this code (about this party)."""
    return tray[TRAY_CODE] == code and tray[TRAY_CLOSED] is None and (about is None or tray[TRAY_ABOUT] == about)


def _is_open(ctx: Any, code: Any, about: Any = None) -> bool:
    return any(_matches(tray, code, about) for tray in ctx.intrays)


def _opened_on(ctx: Any, code: Any, about: Any = None) -> date | None:
    opened = [tray[TRAY_OPENED] for tray in ctx.intrays if _matches(tray, code, about)]
    return _date(max(opened)) if opened else None


def _lookup(column: Mapping[Any, Any], key: Any) -> Any:
    return column.get(key)


def _mul(left: Any, right: Any) -> Any:
    """`left * right`, refused (ExprLimit) where it would build a list, a text or a whole number past its bound."""
    if isinstance(left, int) and isinstance(right, int):
        if left.bit_length() + right.bit_length() > MAX_BITS + 1 and (left * right).bit_length() > MAX_BITS:
            raise ExprLimit(f"'*' would make a whole number of more than {MAX_BITS} bits (about 308 digits)")
    else:
        seq, times = (left, right) if isinstance(right, int) else (right, left)
        if isinstance(seq, (str, list, tuple)) and isinstance(times, int):
            bound, what = (MAX_TEXT, "characters of text") if isinstance(seq, str) else (MAX_ITEMS, "list items")
            if len(seq) * times > bound:
                raise ExprLimit(f"'*' would build {len(seq) * times} {what}; at most {bound}")
    return left * right


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if value is None or isinstance(value, date):
        return value
    if isinstance(value, str):
        return datetime.fromisoformat(value).date()
    raise TypeError(f"date() needs a date or a datetime, not {type(value).__name__}")


_DURATION_FNS: dict[str, Callable[[Any], timedelta]] = {
    "days": lambda n: timedelta(days=n), "hours": lambda n: timedelta(hours=n),
    "weeks": lambda n: timedelta(weeks=n), "minutes": lambda n: timedelta(minutes=n),
}
_HELPERS: dict[str, Any] = {
    "__builtins__": {}, "_mul": _mul, "len": len, "any": any, "all": all, "min": min, "max": max,
    "_count": _count, "_lookup": _lookup, "_is_open": _is_open, "_opened_on": _opened_on, "_date": _date,
    **{f"_{name}": fn for name, fn in _DURATION_FNS.items()},
}


# ---- compiling ----

_CONST_NAMES = itertools.count()
_CONST_NAME = re.compile(r"_c[0-9]+")

_COMPILED: dict[tuple, Expr] = {}  # (text, what its scope says of names) -> the expression, compiled once
MAX_COMPILED = 10000  # expressions kept; then the store starts again


def _spec_key(spec: FieldSpec) -> tuple:
    """What compiling reads of a field: its name and type, its choice list, its items."""
    return (spec.name, spec.type, spec.list, spec.of and _spec_key(spec.of),
            spec.record and tuple(_spec_key(r) for r in spec.record))


_SCOPE_KEYS: dict[int, tuple[Scope, str]] = {}  # id -> (the scope, kept alive while here; its key)


def _scope_key(scope: Scope) -> str:
    """What a scope says of names, as text (worked out once per scope: a workflow's events share theirs)."""
    found = _SCOPE_KEYS.get(id(scope))
    if found is None or found[0] is not scope:
        if len(_SCOPE_KEYS) >= 1000:
            _SCOPE_KEYS.clear()
        key = (tuple((k, _spec_key(v)) for k, v in scope.data.items()),
               tuple((k, _spec_key(v)) for k, v in scope.fields.items()), tuple(sorted(scope.intrays)),
               tuple(sorted((k, n, tuple(sorted(f))) for k, (n, f) in scope.queries.items())), repr(scope.tables))
        found = _SCOPE_KEYS[id(scope)] = (scope, repr(key))
    return found[1]


def compile_expr(source: str | int | float | bool | None, scope: Scope, pos: Pos = None) -> Expr:
    """Check `source` against the whitelist and compile it into `fn(data, fields, ctx)`. A text
    compiled before in a scope that says the same of the names is not compiled again (an editor
    checks the same workflow after each change): only its position is new."""
    if isinstance(source, str):
        key = (source, _scope_key(scope))
        found = _COMPILED.get(key)
        if found is None:
            if len(_COMPILED) >= MAX_COMPILED:
                _COMPILED.clear()
            found = _COMPILED[key] = _compile(source, scope, pos)
        return found if found.pos == pos else replace(found, pos=pos)
    return _compile(source, scope, pos)


def _compile(source: str | int | float | bool | None, scope: Scope, pos: Pos = None) -> Expr:
    if source is None or isinstance(source, (bool, int, float)):
        text = "null" if source is None else str(source).lower() if isinstance(source, bool) else repr(source)
        return Expr(text=text, fn=lambda data, fields, ctx, _v=source: _v, names=frozenset(), pos=pos,
                    holds=lambda data, fields, ctx, _v=bool(source): _v, tree=ast.Constant(source))
    if not isinstance(source, str):
        raise ExprError(f"not an expression: a {type(source).__name__} value", 0,
                        "write an expression as text, e.g. 'lodgement_date + 35 days'")
    if len(source) > MAX_LENGTH:
        raise ExprError(f"expression too long ({len(source)} characters; at most {MAX_LENGTH})", MAX_LENGTH,
                        "split it into simpler guards or computed fields")
    # Line breaks (e.g. from a YAML block) are spaces; this keeps every offset the same.
    body = source.translate({10: 32, 13: 32, 9: 32})
    lead = len(body) - len(body.lstrip())
    if not body.strip():
        raise ExprError("empty expression", 0, "write an expression, e.g. 'lodgement_date + 35 days'")
    rewritten, omap = _rewrite_durations(body[lead:].rstrip())
    return _Compiler(source, rewritten, [lead + i for i in omap], scope).compile(pos)


def _rewrite_durations(text: str) -> tuple[str, list[int]]:
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
        if (num.type == tokenize.NUMBER and unit.type == tokenize.NAME and unit.string.lower() in _UNITS
                and _PLAIN_NUMBER.match(num.string) and num.start[0] == unit.start[0] == 1):
            start, end = num.start[1], unit.end[1]
            out.append(text[done:start])
            omap.extend(range(done, start))
            func = _UNITS[unit.string.lower()]
            out.append(f"{func}({num.string})")
            omap.extend([start] * (len(func) + 1) + list(range(start, start + len(num.string))) + [end - 1])
            done = end
    out.append(text[done:])
    omap.extend(range(done, len(text) + 1))
    return "".join(out), omap


def _functions(body: ast.expr, namespace: dict[str, Any]) -> tuple[Callable, Callable]:
    """The checked tree `body` compiled into `fn(data, fields, ctx)`, its value, and `holds(data, fields, ctx)`:
    `try: return True if <body> else False` / `except LIMITS: raise` / `except Exception: return False`."""
    args = ast.arguments(posonlyargs=[], args=[ast.arg("data"), ast.arg("fields"), ast.arg("ctx")],
                         kwonlyargs=[], kw_defaults=[], defaults=[])
    test = ast.FunctionDef(name="_holds", args=args, decorator_list=[], returns=None, body=[ast.Try(
        body=[ast.Return(ast.IfExp(body, ast.Constant(True), ast.Constant(False)))],
        handlers=[ast.ExceptHandler(type=ast.Name("_Limits", ast.Load()), name=None, body=[ast.Raise()]),
                  ast.ExceptHandler(type=ast.Name("_Exception", ast.Load()), name=None,
                                    body=[ast.Return(ast.Constant(False))])],
        orelse=[], finalbody=[])])
    namespace["_Exception"], namespace["_Limits"] = Exception, LIMITS
    _define([ast.Assign(targets=[ast.Name("_fn", ast.Store())], value=ast.Lambda(args=args, body=body)), test],
            namespace)
    return namespace["_fn"], namespace["_holds"]


def _define(statements: list[ast.stmt], namespace: dict[str, Any]) -> None:
    """Compile and run definitions built from checked trees (never from text) in `namespace`."""
    tree = ast.Module(body=statements, type_ignores=[])
    for node in ast.walk(tree):
        if "lineno" in node._attributes:
            node.lineno, node.col_offset, node.end_lineno, node.end_col_offset = 1, 0, 1, 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. a comparison with a literal
        code = compile(tree, "<expr>", "exec")
    exec(code, namespace)  # only defines functions


def _constants(expr: Expr) -> dict[str, Any]:
    """The values an expression bound when it was compiled (see _Compiler.const)."""
    return {k: v for k, v in expr.fn.__globals__.items() if _CONST_NAME.fullmatch(k)}


def all_of(exprs: list[Expr], pos: Pos = None) -> Expr:
    """The expressions joined with `and` (each already checked), compiled as one: true when all are."""
    namespace = dict(_HELPERS)
    for expr in exprs:
        namespace.update(_constants(expr))
    body = ast.BoolOp(ast.And(), [e.tree for e in exprs])
    fn, holds = _functions(body, namespace)
    return Expr(text=" and ".join(f"({e.text})" for e in exprs), fn=fn, names=frozenset().union(*(e.names for e in exprs)),
                pos=pos, holds=holds, tree=body)


def compile_assignments(items: list[tuple[str, Expr, Callable[[Any], Any] | None, tuple[Any, ...]]]
                        ) -> Callable[[dict, dict, Any], None]:
    """One function `(data, fields, ctx) -> None` doing `fields[name] = value` for each (name, expression,
    conversion or None, (constant,) or ()) in order, each expression seeing the assignments before it: what
    `set:` effects do one by one, in one call. A constant is assigned as it is, a value computed from the
    expression is passed through the conversion if there is one. Built from the expressions' checked trees,
    never from text."""
    namespace: dict[str, Any] = {**_HELPERS, "_Exception": Exception}
    body: list[ast.stmt] = []
    for i, (name, expr, convert, constant) in enumerate(items):
        if constant:
            namespace[f"_k{i}"] = constant[0]
            value: ast.expr = ast.Name(f"_k{i}", ast.Load())
        else:
            value = expr.tree
            namespace.update(_constants(expr))
            if convert is not None:
                namespace[f"_k{i}"] = convert
                value = ast.Call(ast.Name(f"_k{i}", ast.Load()), [value], [])
        target = ast.Subscript(ast.Name("fields", ast.Load()), ast.Constant(name), ast.Store())
        body.append(ast.Assign(targets=[target], value=value))
    args = ast.arguments(posonlyargs=[], args=[ast.arg("data"), ast.arg("fields"), ast.arg("ctx")],
                         kwonlyargs=[], kw_defaults=[], defaults=[])
    _define([ast.FunctionDef(name="_assign", args=args, body=body, decorator_list=[], returns=None)], namespace)
    return namespace["_assign"]


class _Compiler:
    """Checks a parsed expression and rewrites it into an AST over (data, fields, ctx)."""

    def __init__(self, text: str, src: str, omap: list[int], scope: Scope):
        self.text, self.src, self.omap, self.scope = text, src, omap, scope
        self.names: set[str] = set()
        self.consts: dict[str, Any] = {}
        self.loops = 0  # loops the node being compiled is inside
        self.unknown: dict[str, ExprError] = {}  # each unknown name once: all are reported together

    def const(self, value: Any) -> ast.Name:
        """A value bound when the expression is compiled, by a name unique among all compiled expressions
        (so that expressions can be compiled together, see compile_assignments)."""
        key = f"_c{next(_CONST_NAMES)}"
        self.consts[key] = value
        return ast.Name(key, ast.Load())

    # -- errors and positions --
    def fail(self, message: str, where: ast.AST | int, hint: str = "") -> NoReturn:
        if self.unknown:  # what fails after an unknown name is most likely its consequence: say the names
            first, *rest = self.unknown.values()
            raise ExprError(first.message, first.offset, first.hint, more=tuple(rest))
        raise ExprError(message, self.offset(where), hint)

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
            where = self.chars(getattr(where, "col_offset", 0)) if getattr(where, "lineno", 1) == 1 else 0
        return self.omap[max(0, min(where, len(self.omap) - 1))]

    def attr_offset(self, node: ast.Attribute) -> int:
        return self.chars(node.end_col_offset) - len(node.attr)

    def underscore(self, name: str, where: ast.AST | int) -> None:
        if name.startswith("_"):
            self.fail(f"'{name}' is not allowed: names starting with an underscore are not allowed", where)

    @staticmethod
    def suggest(name: str, candidates: Any) -> str:
        close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
        return f"did you mean '{close[0]}'?" if close else ""

    # -- the whole expression --
    def compile(self, pos: Pos) -> Expr:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # e.g. invalid escapes in a string literal
                tree = ast.parse(self.src, mode="eval")
        except SyntaxError as exc:
            msg, _, rest = (exc.msg or "invalid syntax").partition(". ")
            msg = re.sub(r"\s*\(detected at line \d+\)", "", msg)
            col = (exc.offset or 0) - 1 if (exc.lineno or 1) == 1 else 0
            where = self.offset(col) if col >= 0 else len(self.text.rstrip())  # no offset: at the end
            if col < 0 and not rest:
                rest = "it ends too soon"
            elif "'=='" in rest or re.match(r"=(?!=)", self.text[where:]) and self.text[where - 1:where] not in "<>!=":
                rest = "to compare two values, use =="
            elif re.search(r"\d\s*$", self.text[:where]) and self.text[where:where + 1].isalpha():
                rest = "durations read '35 days', '48 hours', '2 weeks' or '30 minutes'"
            raise ExprError(f"not an expression: {msg}", where, rest) from None
        except (ValueError, RecursionError, MemoryError) as exc:
            raise ExprError(f"not an expression: {exc}", 0) from None
        self.check_depth(tree.body)
        body = self.expr(tree.body, {})
        if self.unknown:
            first, *rest = self.unknown.values()
            raise ExprError(first.message, first.offset, first.hint, more=tuple(rest))
        fn, holds = _functions(body, {**_HELPERS, **self.consts})
        return Expr(text=self.text, fn=fn, names=frozenset(self.names), pos=pos, holds=holds, tree=body)

    def check_depth(self, root: ast.AST) -> None:
        stack = [(root, 1)]
        while stack:
            node, depth = stack.pop()
            if depth > MAX_DEPTH:
                self.fail(f"expression too deeply nested (more than {MAX_DEPTH} levels)", node,
                          "split it into simpler guards or computed fields")
            stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))

    # -- nodes --
    def expr(self, node: ast.AST, loops: dict[str, frozenset[str] | None]) -> ast.expr:
        method = getattr(self, f"v_{type(node).__name__}", None)
        if method is None:
            message, hint = _REFUSED.get(type(node), (f"'{type(node).__name__.lower()}' is not allowed", ""))
            self.fail(message, node, hint)
        return method(node, loops)

    def v_Constant(self, node: ast.Constant, loops: dict) -> ast.expr:
        if node.value is not None and not isinstance(node.value, (str, int, float)):
            kind = {bytes: "bytes literals", complex: "complex numbers"}.get(type(node.value), repr(node.value))
            self.fail(f"{kind} are not allowed" if kind != "Ellipsis" else "'...' is not allowed", node)
        return ast.Constant(node.value)

    def v_Name(self, node: ast.Name, loops: dict) -> ast.expr:
        name, scope = node.id, self.scope
        self.underscore(name, node)
        if name in loops:
            return ast.Name(f"_v_{name}", ast.Load())
        for source, specs in (("data", scope.data), ("fields", scope.fields)):
            if name in specs:
                self.names.add(name)
                return _get(ast.Name(source, ast.Load()), name)
        if name in _CTX_NAMES:
            return ast.Attribute(ast.Name("ctx", ast.Load()), name, ast.Load())
        if name in _CONSTANT_NAMES:
            return ast.Constant(_CONSTANT_NAMES[name])
        if name in ("data", "field", "fields"):
            self.fail(f"'{name}' must be followed by a field name, e.g. {name}.amount", node)
        if name in _FUNCS:
            self.fail(f"'{name}' is a function: call it, e.g. {name}(...)", node)
        known = [*loops, *scope.data, *scope.fields, *_CTX_NAMES, *_CONSTANT_NAMES]
        return self.not_found(name, f"unknown name '{name}'", node, self.suggest(name, known))

    def v_Attribute(self, node: ast.Attribute, loops: dict) -> ast.expr:
        attr, base = node.attr, node.value
        self.underscore(attr, self.attr_offset(node))
        if not isinstance(base, ast.Name):
            self.fail("'.' is only allowed as actor.<name>, data.<name>, field.<name> or <item>.<field>",
                      self.attr_offset(node))
        name = base.id
        self.underscore(name, base)
        if name in loops:
            known = loops[name]
            if known is not None and attr not in known:
                message = f"'{name}' has no field '{attr}'" if known else f"'{name}' has no fields"
                self.fail(message, self.attr_offset(node), self.suggest(attr, known))
            return _get(ast.Name(f"_v_{name}", ast.Load()), attr)
        if name in ("data", "field", "fields"):
            specs, source, what = ((self.scope.data, "data", "a data field of this event") if name == "data"
                                   else (self.scope.fields, "fields", "a field of the instance"))
            if attr not in specs:
                return self.not_found(f"{name}.{attr}", f"'{attr}' is not {what}", self.attr_offset(node),
                                      self.suggest(attr, specs))
            self.names.add(attr)
            return _get(ast.Name(source, ast.Load()), attr)
        if name == "actor":
            return _get(ast.Attribute(ast.Name("ctx", ast.Load()), "actor", ast.Load()), attr)
        self.v_Name(base, loops)  # an unknown name fails here, with its hint
        self.fail(f"'{name}' has no fields", self.attr_offset(node))

    def v_BoolOp(self, node: ast.BoolOp, loops: dict) -> ast.expr:
        return ast.BoolOp(node.op, [self.expr(v, loops) for v in node.values])

    def v_UnaryOp(self, node: ast.UnaryOp, loops: dict) -> ast.expr:
        if isinstance(node.op, ast.Invert):
            self.fail("operator '~' is not allowed", node, "allowed: not, -")
        return ast.UnaryOp(node.op, self.expr(node.operand, loops))

    def v_BinOp(self, node: ast.BinOp, loops: dict) -> ast.expr:
        if type(node.op) in _OPS:
            symbol = _OPS[type(node.op)]
            hint = "use // for whole-number division" if symbol == "/" else "allowed: + - * //"
            found = self.src.find(symbol, self.chars(node.left.end_col_offset))
            self.fail(f"operator '{symbol}' is not allowed", found if found >= 0 else node, hint)
        left, right = self.expr(node.left, loops), self.expr(node.right, loops)
        if not isinstance(node.op, ast.Mult):
            return ast.BinOp(left, node.op, right)
        try:
            _mul(_written(left), _written(right))
        except ExprLimit as exc:
            self.fail(str(exc), node, "compare lengths or counts rather than building long values")
        except (TypeError, ValueError, _NotWritten):
            pass  # a value known only as it runs: bounded then; a mistake of types: False then, as other guards
        return ast.Call(ast.Name("_mul", ast.Load()), [left, right], [])

    def v_Compare(self, node: ast.Compare, loops: dict) -> ast.expr:
        operands = [self.expr(node.left, loops)] + [self.expr(c, loops) for c in node.comparators]
        for i, op in enumerate(node.ops):
            if isinstance(op, (ast.Is, ast.IsNot)) and not any(
                    isinstance(o, ast.Constant) and (o.value is None or isinstance(o.value, bool))
                    for o in operands[i:i + 2]):
                self.fail("'is' only compares with None, true or false", node, "to compare two values, use ==")
        return ast.Compare(operands[0], list(node.ops), operands[1:])

    def v_IfExp(self, node: ast.IfExp, loops: dict) -> ast.expr:
        return ast.IfExp(self.expr(node.test, loops), self.expr(node.body, loops), self.expr(node.orelse, loops))

    def v_List(self, node: ast.List | ast.Tuple, loops: dict) -> ast.expr:
        return type(node)([self.expr(e, loops) for e in node.elts], ast.Load())

    v_Tuple = v_List

    def v_Call(self, node: ast.Call, loops: dict) -> ast.expr:
        func = node.func
        for sub in ast.walk(func):
            if isinstance(sub, ast.Name):
                self.underscore(sub.id, sub)
            elif isinstance(sub, ast.Attribute):
                self.underscore(sub.attr, self.attr_offset(sub))
        name = func.id if isinstance(func, ast.Name) else None
        if name in self.scope.queries and name not in loops:
            return self.query_call(node, name, loops)
        if name is not None and name not in _FUNCS and name not in _PYTHON_NAMES:
            known = [*_FUNCS, *self.scope.queries]
            return self.not_found(name, f"unknown function or query '{name}'", func, self.suggest(name, known) or
                                  f"functions: {_ALLOWED_FUNCS}; a query is declared under `queries:` in a "
                                  "workflow file of this folder")
        if name not in _FUNCS:
            shown = name or ast.unparse(func)
            self.fail(f"calls to '{shown}' are not allowed; allowed functions: {_ALLOWED_FUNCS}"
                      + (f"; queries: {', '.join(sorted(self.scope.queries))}" if self.scope.queries else ""),
                      func, self.suggest(shown, [*_FUNCS, *self.scope.queries]))
        helper, least, most, takes_ctx = _FUNCS[name]
        if node.keywords:
            self.fail(f"{name}() takes its arguments in order, without names", node.keywords[0],
                      "e.g. is_open('CODE', party)" if takes_ctx else "")
        if not least <= len(node.args) <= most:
            wanted = "1 argument" if least == most else f"{least} or {most} arguments"
            self.fail(f"{name}() takes {'at least 1 argument' if most == 99 else wanted}, got {len(node.args)}", node)
        args = []
        for arg in node.args:
            if isinstance(arg, (ast.GeneratorExp, ast.ListComp)) and name in _LOOP_FUNCS:
                args.append(self.loop(arg, loops, as_list=name == "len"))
            else:
                args.append(self.expr(arg, loops))
        if name in ("is_open", "opened_on") and self.scope.intrays:
            code = args[0]
            if isinstance(code, ast.Constant) and isinstance(code.value, str) and code.value not in self.scope.intrays:
                self.fail(f"unknown intray '{code.value}'", node.args[0], self.suggest(code.value, self.scope.intrays))
        if name == "matches":
            return self.matches(node, args)
        if name == "lookup":
            return self.lookup(node, args)
        if name in _DURATION_FNS and isinstance(args[0], ast.Constant) and type(args[0].value) in (int, float):
            try:
                value = _DURATION_FNS[name](args[0].value)
            except OverflowError:
                self.fail("duration too large", node)
            return self.const(value)  # computed once, here, not at every evaluation
        if takes_ctx:
            args.insert(0, ast.Name("ctx", ast.Load()))
        return ast.Call(ast.Name(helper, ast.Load()), args, [])

    def matches(self, node: ast.Call, args: list[ast.expr]) -> ast.expr:
        """`matches(value, 'pattern')`: the pattern is a literal, compiled once, here."""
        pattern = args[1]
        if not (isinstance(pattern, ast.Constant) and isinstance(pattern.value, str)):
            self.fail("matches() needs its pattern written out in quotes", node.args[1])
        try:
            compiled = compile_pattern(pattern.value)
        except PatternError as exc:
            self.fail(f"matches(): the pattern {exc.message}", node.args[1], exc.hint)
        return ast.Call(self.const(compiled), [args[0]], [])

    def lookup(self, node: ast.Call, args: list[ast.expr]) -> ast.expr:
        """`lookup('TABLE', key, 'COLUMN')`: a value from a table of the workflow, bound when it loads."""
        table, column = args[0], args[2]
        for arg, what in ((table, "table"), (column, "column")):
            if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                self.fail(f"lookup() needs the {what} name written out in quotes",
                          node.args[0] if what == "table" else node.args[2])
        rows = self.scope.tables.get(table.value)  # type: ignore[union-attr]
        if rows is None:
            self.fail(f"unknown table '{table.value}'", node.args[0], self.suggest(str(table.value), self.scope.tables))
        columns = {c for row in rows.values() for c in row}
        if column.value not in columns:  # type: ignore[union-attr]
            self.fail(f"table '{table.value}' has no column '{column.value}'", node.args[2],
                      self.suggest(str(column.value), columns))
        column_values = {k: row.get(column.value) for k, row in rows.items()}  # type: ignore[union-attr]
        return ast.Call(ast.Name("_lookup", ast.Load()), [self.const(column_values), args[1]], [])

    def query_call(self, node: ast.Call, name: str, loops: dict) -> ast.expr:
        """`NAME(arg, ...)` of a declared query: the records it finds, via ctx.query."""
        count, _ = self.scope.queries[name]
        if node.keywords:
            self.fail(f"{name}() takes its arguments in order, without names", node.keywords[0])
        if len(node.args) > count:
            self.fail(f"{name}() takes at most {count} argument{'s' if count != 1 else ''}, got {len(node.args)}",
                      node)
        args = [self.expr(a, loops) for a in node.args]
        query = ast.Attribute(ast.Name("ctx", ast.Load()), "query", ast.Load())
        return ast.Call(query, [ast.Constant(name), *args], [])

    def loop(self, node: ast.GeneratorExp | ast.ListComp, loops: dict, as_list: bool) -> ast.expr:
        if len(node.generators) != 1:
            second = self.src.rfind("for", 0, self.chars(node.generators[1].target.col_offset))
            self.fail("only one 'for' is allowed in a loop", second)
        gen = node.generators[0]
        if gen.is_async:
            self.fail("'async for' is not allowed", node)
        if not isinstance(gen.target, ast.Name):
            self.fail("the loop variable must be a single name, e.g. 'for r in reasons'", gen.target)
        var = gen.target.id
        self.underscore(var, gen.target)
        self.loops += 1
        if self.loops > MAX_LOOPS:
            self.fail(f"loops nest at most {MAX_LOOPS} deep: a loop inside a loop inside a loop can take hours",
                      node, "split it into simpler guards or computed fields")
        iterable = self.expr(gen.iter, loops)
        inner = {**loops, var: self.item_fields(gen.iter, loops)}
        comp = ast.comprehension(ast.Name(f"_v_{var}", ast.Store()), iterable,
                                 [self.expr(cond, inner) for cond in gen.ifs], 0)
        kind = ast.ListComp if as_list or isinstance(node, ast.ListComp) else ast.GeneratorExp
        found = kind(self.expr(node.elt, inner), [comp])
        self.loops -= 1
        return found

    def item_fields(self, node: ast.AST, loops: dict) -> frozenset[str] | None:
        """The field names of the items `node` yields; empty for plain values; None when unknown."""
        if isinstance(node, (ast.List, ast.Tuple)):
            return frozenset()
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in self.scope.queries:
            return self.scope.queries[node.func.id][1]
        spec: FieldSpec | None = None
        if isinstance(node, ast.Name) and node.id not in loops:
            spec = self.scope.data.get(node.id) or self.scope.fields.get(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id not in loops:
            specs = self.scope.data if node.value.id == "data" else self.scope.fields
            spec = specs.get(node.attr) if node.value.id in ("data", "field", "fields") else None
        if spec is None or spec.type != "list":
            return None
        if spec.record is not None:
            return frozenset(f.name for f in spec.record)
        return frozenset() if spec.of is not None else None


class _NotWritten(Exception):
    """A value not written out in the expression (see _written)."""


def _written(node: ast.expr) -> Any:
    """The value a compiled node has wherever it runs, when it is written out: a constant, a list or tuple
    (its items as None: only its length counts here) or a product of such; else _NotWritten."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple)):
        return [None] * len(node.elts)
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_mul"
            and len(node.args) == 2):
        return _mul(_written(node.args[0]), _written(node.args[1]))
    raise _NotWritten


def _get(base: ast.expr, key: str) -> ast.expr:
    """`base.get('key')`."""
    return ast.Call(ast.Attribute(base, "get", ast.Load()), [ast.Constant(key)], [])


def source_tree(text: str) -> ast.Expression | None:
    """An expression as written, parsed (whitespace made one line, `35 days` read as days(35), as the
    compiler reads it): its shape for analysis, before any rewriting for compilation; None if it does not
    parse."""
    try:
        return ast.parse(_rewrite_durations(text.translate({10: 32, 13: 32, 9: 32}).strip())[0], mode="eval")
    except SyntaxError:
        return None
