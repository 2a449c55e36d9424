"""Owns workflow expressions: parses policy text once against a strict whitelist and compiles it
to a fast function.

source.py reads the text (durations, positions, errors), compiler.py checks it against the
whitelist, functions.py holds what it may call, limits.py its bounds, codegen.py makes the checked
trees into Python functions."""
from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from engine.model import Expr, FieldSpec, Pos

from .codegen import all_of, compile_assignments
from .compiler import Compiler
from .limits import LIMITS, MAX_LENGTH, ExprLimit, limit_message
from .source import ExprError, one_line, rewrite_durations, source_tree

__all__ = ["Scope", "compile_expr", "all_of", "compile_assignments", "source_tree", "ExprError",
           "ExprLimit", "LIMITS", "limit_message"]


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


# (text, what its scope says of names) -> the expression, compiled once
_COMPILED: dict[tuple, Expr] = {}
MAX_COMPILED = 10000  # expressions kept; then the store starts again


def _spec_key(spec: FieldSpec) -> tuple:
    """What compiling reads of a field: its name and type, its choice list, its items."""
    return (spec.name, spec.type, spec.list, spec.of and _spec_key(spec.of),
            spec.record and tuple(_spec_key(r) for r in spec.record))


_SCOPE_KEYS: dict[int, tuple[Scope, str]] = {}  # id -> (the scope, kept alive while here; its key)


def _scope_key(scope: Scope) -> str:
    """What a scope says of names, as text (worked out once per scope: a workflow's events share
    theirs)."""
    found = _SCOPE_KEYS.get(id(scope))
    if found is None or found[0] is not scope:
        if len(_SCOPE_KEYS) >= 1000:
            _SCOPE_KEYS.clear()
        queries = tuple(sorted((k, n, tuple(sorted(f))) for k, (n, f) in scope.queries.items()))
        key = (tuple((k, _spec_key(v)) for k, v in scope.data.items()),
               tuple((k, _spec_key(v)) for k, v in scope.fields.items()),
               tuple(sorted(scope.intrays)), queries, repr(scope.tables))
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
        text = ("null" if source is None else str(source).lower() if isinstance(source, bool)
                else repr(source))
        return Expr(text=text, fn=lambda data, fields, ctx, _v=source: _v, names=frozenset(),
                    pos=pos, holds=lambda data, fields, ctx, _v=bool(source): _v,
                    tree=ast.Constant(source))
    if not isinstance(source, str):
        raise ExprError(f"not an expression: a {type(source).__name__} value", 0,
                        "write an expression as text, e.g. 'lodgement_date + 35 days'")
    if len(source) > MAX_LENGTH:
        raise ExprError(f"expression too long ({len(source)} characters; at most {MAX_LENGTH})",
                        MAX_LENGTH, "split it into simpler guards or computed fields")
    # Line breaks (e.g. from a YAML block) are spaces; this keeps every offset the same.
    body = one_line(source)
    lead = len(body) - len(body.lstrip())
    if not body.strip():
        raise ExprError("empty expression", 0,
                        "write an expression, e.g. 'lodgement_date + 35 days'")
    rewritten, omap = rewrite_durations(body[lead:].rstrip())
    return Compiler(source, rewritten, [lead + i for i in omap], scope).compile(pos)
