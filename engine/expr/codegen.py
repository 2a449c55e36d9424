"""Checked expression trees made into Python functions: one expression, several joined with `and`,
or a run of `set:` assignments in one call. Built from checked trees, never from text."""
from __future__ import annotations

import ast
import itertools
import re
import warnings
from collections.abc import Callable
from typing import Any

from engine.model import Expr, Pos

from .functions import HELPERS
from .limits import LIMITS

_CONST_NAMES = itertools.count()
_CONST_NAME = re.compile(r"_c[0-9]+")


def const_name() -> str:
    """A name for a value bound when an expression is compiled, unique among all compiled
    expressions (so that expressions can be compiled together, see compile_assignments)."""
    return f"_c{next(_CONST_NAMES)}"


def _arguments() -> ast.arguments:
    """The arguments of every compiled function: (data, fields, ctx)."""
    return ast.arguments(posonlyargs=[], args=[ast.arg("data"), ast.arg("fields"), ast.arg("ctx")],
                         kwonlyargs=[], kw_defaults=[], defaults=[])


def functions(body: ast.expr, namespace: dict[str, Any]) -> tuple[Callable, Callable]:
    """The checked tree `body` compiled into `fn(data, fields, ctx)`, its value, and
    `holds(data, fields, ctx)`: `try: return True if <body> else False` / `except LIMITS: raise` /
    `except Exception: return False`."""
    args = _arguments()
    verdict = ast.Return(ast.IfExp(body, ast.Constant(True), ast.Constant(False)))
    handlers = [
        ast.ExceptHandler(type=ast.Name("_Limits", ast.Load()), name=None, body=[ast.Raise()]),
        ast.ExceptHandler(type=ast.Name("_Exception", ast.Load()), name=None,
                          body=[ast.Return(ast.Constant(False))])]
    test = ast.FunctionDef(name="_holds", args=args, decorator_list=[], returns=None, body=[
        ast.Try(body=[verdict], handlers=handlers, orelse=[], finalbody=[])])
    namespace["_Exception"], namespace["_Limits"] = Exception, LIMITS
    value = ast.Assign(targets=[ast.Name("_fn", ast.Store())],
                       value=ast.Lambda(args=args, body=body))
    _define([value, test], namespace)
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
    """The values an expression bound when it was compiled (see const_name)."""
    return {k: v for k, v in expr.fn.__globals__.items() if _CONST_NAME.fullmatch(k)}


def all_of(exprs: list[Expr], pos: Pos = None) -> Expr:
    """The expressions joined with `and` (each already checked), compiled as one: true when all
    are."""
    namespace = dict(HELPERS)
    for expr in exprs:
        namespace.update(_constants(expr))
    body = ast.BoolOp(ast.And(), [e.tree for e in exprs])
    fn, holds = functions(body, namespace)
    return Expr(text=" and ".join(f"({e.text})" for e in exprs), fn=fn,
                names=frozenset().union(*(e.names for e in exprs)), pos=pos, holds=holds, tree=body)


def compile_assignments(items: list[tuple[str, Expr, Callable[[Any], Any] | None, tuple[Any, ...]]]
                        ) -> Callable[[dict, dict, Any], None]:
    """One function `(data, fields, ctx) -> None` doing `fields[name] = value` for each (name,
    expression, conversion or None, (constant,) or ()) in order, each expression seeing the
    assignments before it: what `set:` effects do one by one, in one call. A constant is assigned as
    it is, a value computed from the expression is passed through the conversion if there is one."""
    namespace: dict[str, Any] = {**HELPERS, "_Exception": Exception}
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
    _define([ast.FunctionDef(name="_assign", args=_arguments(), body=body, decorator_list=[],
                             returns=None)], namespace)
    return namespace["_assign"]
