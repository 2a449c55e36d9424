"""The whitelist: a parsed expression checked node by node (names, operators, calls, loops) and
rewritten into a tree over (data, fields, ctx), then compiled."""
from __future__ import annotations

import ast
import builtins
from typing import TYPE_CHECKING, Any

from engine.model import Expr, FieldSpec, Pos
from engine.regex import PatternError, compile_pattern

from .codegen import const_name, functions
from .functions import ALLOWED_FUNCS, DURATION_FNS, FUNCS, HELPERS, LOOP_FUNCS
from .limits import MAX_DEPTH, MAX_LOOPS, ExprLimit, bounded_mul
from .source import Source

if TYPE_CHECKING:  # pragma: no cover
    from . import Scope

_CTX_NAMES = ("today", "now", "status", "actor", "instance")
_CONSTANT_NAMES = {"true": True, "false": False, "null": None}
_OPS = {ast.Div: "/", ast.Mod: "%", ast.Pow: "**", ast.MatMult: "@", ast.LShift: "<<",
        ast.RShift: ">>", ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&"}  # the refused ones
_LOOP_ONLY = ("a 'for' loop is only allowed inside " + ", ".join(f"{f}()" for f in LOOP_FUNCS), "")
_BRACES = ("{...} is not allowed", "use a list [...]")
_REFUSED: dict[type, tuple[str, str]] = {
    ast.Subscript: ("indexing with [...] is not allowed",
                    "use any(), all(), count(), min() or max() over a list"),
    ast.Lambda: ("'lambda' is not allowed", ""),
    ast.NamedExpr: ("assignment with ':=' is not allowed", "to compare two values, use =="),
    ast.JoinedStr: ("f-strings are not allowed", "write plain text in quotes"),
    ast.Starred: ("'*' unpacking is not allowed", ""),
    ast.Dict: _BRACES, ast.Set: _BRACES, ast.DictComp: _BRACES, ast.SetComp: _BRACES,
    ast.GeneratorExp: _LOOP_ONLY, ast.ListComp: _LOOP_ONLY,
}
# said "not allowed", not "unknown"
_PYTHON_NAMES = frozenset(dir(builtins)) - {"len", "any", "all", "min", "max"}


class Compiler(Source):
    """Checks a parsed expression against the whitelist and rewrites it into an AST over
    (data, fields, ctx)."""

    def __init__(self, text: str, src: str, omap: list[int], scope: Scope):
        super().__init__(text, src, omap)
        self.scope = scope
        self.names: set[str] = set()
        self.consts: dict[str, Any] = {}
        self.loops = 0  # loops the node being compiled is inside

    def const(self, value: Any) -> ast.Name:
        """A value bound when the expression is compiled (see codegen.const_name)."""
        key = const_name()
        self.consts[key] = value
        return ast.Name(key, ast.Load())

    # -- the whole expression --
    def compile(self, pos: Pos) -> Expr:
        tree = self.parse()
        self.check_depth(tree.body)
        body = self.expr(tree.body, {})
        self.raise_unknown()
        fn, holds = functions(body, {**HELPERS, **self.consts})
        return Expr(text=self.text, fn=fn, names=frozenset(self.names), pos=pos, holds=holds,
                    tree=body)

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
            refused = (f"'{type(node).__name__.lower()}' is not allowed", "")
            message, hint = _REFUSED.get(type(node), refused)
            self.fail(message, node, hint)
        return method(node, loops)

    def v_Constant(self, node: ast.Constant, loops: dict) -> ast.expr:
        if node.value is not None and not isinstance(node.value, (str, int, float)):
            kinds = {bytes: "bytes literals", complex: "complex numbers"}
            kind = kinds.get(type(node.value), repr(node.value))
            self.fail(f"{kind} are not allowed" if kind != "Ellipsis" else "'...' is not allowed",
                      node)
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
        if name in FUNCS:
            self.fail(f"'{name}' is a function: call it, e.g. {name}(...)", node)
        known = [*loops, *scope.data, *scope.fields, *_CTX_NAMES, *_CONSTANT_NAMES]
        return self.not_found(name, f"unknown name '{name}'", node, self.suggest(name, known))

    def v_Attribute(self, node: ast.Attribute, loops: dict) -> ast.expr:
        attr, base = node.attr, node.value
        self.underscore(attr, self.attr_offset(node))
        if not isinstance(base, ast.Name):
            self.fail("'.' is only allowed as actor.<name>, data.<name>, field.<name> or "
                      "<item>.<field>", self.attr_offset(node))
        name = base.id
        self.underscore(name, base)
        if name in loops:
            known = loops[name]
            if known is not None and attr not in known:
                message = f"'{name}' has no field '{attr}'" if known else f"'{name}' has no fields"
                self.fail(message, self.attr_offset(node), self.suggest(attr, known))
            return _get(ast.Name(f"_v_{name}", ast.Load()), attr)
        if name in ("data", "field", "fields"):
            specs, source, what = ((self.scope.data, "data", "a data field of this event")
                                   if name == "data"
                                   else (self.scope.fields, "fields", "a field of the instance"))
            if attr not in specs:
                return self.not_found(f"{name}.{attr}", f"'{attr}' is not {what}",
                                      self.attr_offset(node), self.suggest(attr, specs))
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
            bounded_mul(_written(left), _written(right))
        except ExprLimit as exc:
            self.fail(str(exc), node, "compare lengths or counts rather than building long values")
        except (TypeError, ValueError, _NotWritten):
            # a value known only as it runs: bounded then; a mistake of types: False then, as
            # other guards
            pass
        return ast.Call(ast.Name("_mul", ast.Load()), [left, right], [])

    def v_Compare(self, node: ast.Compare, loops: dict) -> ast.expr:
        operands = [self.expr(node.left, loops)] + [self.expr(c, loops) for c in node.comparators]
        for i, op in enumerate(node.ops):
            if isinstance(op, (ast.Is, ast.IsNot)) and not any(
                    isinstance(o, ast.Constant) and (o.value is None or isinstance(o.value, bool))
                    for o in operands[i:i + 2]):
                self.fail("'is' only compares with None, true or false", node,
                          "to compare two values, use ==")
        return ast.Compare(operands[0], list(node.ops), operands[1:])

    def v_IfExp(self, node: ast.IfExp, loops: dict) -> ast.expr:
        return ast.IfExp(self.expr(node.test, loops), self.expr(node.body, loops),
                         self.expr(node.orelse, loops))

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
        if name is not None and name not in FUNCS and name not in _PYTHON_NAMES:
            known = [*FUNCS, *self.scope.queries]
            hint = self.suggest(name, known) or (
                f"functions: {ALLOWED_FUNCS}; a query is declared under `queries:` in a workflow "
                "file of this folder")
            return self.not_found(name, f"unknown function or query '{name}'", func, hint)
        if name not in FUNCS:
            shown = name or ast.unparse(func)
            queries = ", ".join(sorted(self.scope.queries))
            self.fail(f"calls to '{shown}' are not allowed; allowed functions: {ALLOWED_FUNCS}"
                      + (f"; queries: {queries}" if queries else ""),
                      func, self.suggest(shown, [*FUNCS, *self.scope.queries]))
        helper, least, most, takes_ctx = FUNCS[name]
        if node.keywords:
            self.fail(f"{name}() takes its arguments in order, without names", node.keywords[0],
                      "e.g. is_open('CODE', party)" if takes_ctx else "")
        if not least <= len(node.args) <= most:
            wanted = "1 argument" if least == most else f"{least} or {most} arguments"
            wanted = "at least 1 argument" if most == 99 else wanted
            self.fail(f"{name}() takes {wanted}, got {len(node.args)}", node)
        args = []
        for arg in node.args:
            if isinstance(arg, (ast.GeneratorExp, ast.ListComp)) and name in LOOP_FUNCS:
                args.append(self.loop(arg, loops, as_list=name == "len"))
            else:
                args.append(self.expr(arg, loops))
        if name in ("is_open", "opened_on") and self.scope.intrays:
            code = args[0]
            if (isinstance(code, ast.Constant) and isinstance(code.value, str)
                    and code.value not in self.scope.intrays):
                self.fail(f"unknown intray '{code.value}'", node.args[0],
                          self.suggest(code.value, self.scope.intrays))
        if name == "matches":
            return self.matches(node, args)
        if name == "lookup":
            return self.lookup(node, args)
        if (name in DURATION_FNS and isinstance(args[0], ast.Constant)
                and type(args[0].value) in (int, float)):
            try:
                value = DURATION_FNS[name](args[0].value)
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
        """`lookup('TABLE', key, 'COLUMN')`: a value from a table of the workflow, bound when it
        loads."""
        table, column = args[0], args[2]
        for arg, what in ((table, "table"), (column, "column")):
            if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                self.fail(f"lookup() needs the {what} name written out in quotes",
                          node.args[0] if what == "table" else node.args[2])
        rows = self.scope.tables.get(table.value)  # type: ignore[union-attr]
        if rows is None:
            self.fail(f"unknown table '{table.value}'", node.args[0],
                      self.suggest(str(table.value), self.scope.tables))
        columns = {c for row in rows.values() for c in row}
        if column.value not in columns:  # type: ignore[union-attr]
            self.fail(f"table '{table.value}' has no column '{column.value}'", node.args[2],
                      self.suggest(str(column.value), columns))
        wanted = column.value  # type: ignore[union-attr]
        column_values = {k: row.get(wanted) for k, row in rows.items()}
        return ast.Call(ast.Name("_lookup", ast.Load()), [self.const(column_values), args[1]], [])

    def query_call(self, node: ast.Call, name: str, loops: dict) -> ast.expr:
        """`NAME(arg, ...)` of a declared query: the records it finds, via ctx.query."""
        count, _ = self.scope.queries[name]
        if node.keywords:
            self.fail(f"{name}() takes its arguments in order, without names", node.keywords[0])
        if len(node.args) > count:
            plural = "s" if count != 1 else ""
            self.fail(f"{name}() takes at most {count} argument{plural}, got {len(node.args)}",
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
            self.fail("the loop variable must be a single name, e.g. 'for r in reasons'",
                      gen.target)
        var = gen.target.id
        self.underscore(var, gen.target)
        self.loops += 1
        if self.loops > MAX_LOOPS:
            self.fail(f"loops nest at most {MAX_LOOPS} deep: a loop inside a loop inside a loop "
                      "can take hours", node, "split it into simpler guards or computed fields")
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
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in self.scope.queries):
            return self.scope.queries[node.func.id][1]
        spec: FieldSpec | None = None
        if isinstance(node, ast.Name) and node.id not in loops:
            spec = self.scope.data.get(node.id) or self.scope.fields.get(node.id)
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id not in loops):
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
    """The value a compiled node has wherever it runs, when it is written out: a constant, a list or
    tuple (its items as None: only its length counts here) or a product of such; else
    _NotWritten."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple)):
        return [None] * len(node.elts)
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_mul"
            and len(node.args) == 2):
        return bounded_mul(_written(node.args[0]), _written(node.args[1]))
    raise _NotWritten


def _get(base: ast.expr, key: str) -> ast.expr:
    """`base.get('key')`."""
    return ast.Call(ast.Attribute(base, "get", ast.Load()), [ast.Constant(key)], [])
