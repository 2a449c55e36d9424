"""Reading a workflow's expressions for the workflow builder (see build): each compiled in its
scope, its problems placed in the file, and choice values compared against their list."""
from __future__ import annotations

import ast
from typing import Any

from ..expr import ExprError, Scope, compile_expr
from ..findings import did_you_mean as _did_you_mean
from ..model import ChoiceList, Expr, FieldSpec, Table
from ..values import ValueProblem, coerce
from .yamlsrc import KeyPath, Source


class ExpressionReader:
    """The expressions of a workflow document, read for the workflow builder, whose methods (error,
    position) and catalogues these use."""

    src: Source
    siblings: dict[str, Any]  # the folder's workflow documents, by workflow name
    lists: dict[str, ChoiceList]
    status_names: list[str]
    fields: dict[str, FieldSpec]
    intrays: dict[str, Any]
    tables: dict[str, Table]
    query_scope: dict[str, tuple[int, frozenset[str]]]

    def expr(self, path: KeyPath, text: Any, scope: Scope, what: str) -> Expr | None:
        try:
            compiled = compile_expr(text, scope, self.position(path))
        except ExprError as exc:
            # a quoted expression starts one column later than the YAML value
            line_text = self.src.line_text(self.src.pos(path)[0])
            col = self.src.pos(path)[1]
            quoted = col - 1 < len(line_text) and line_text[col - 1] in "'\""
            for problem in (exc, *exc.more):
                hint = problem.hint
                if (problem.message.startswith("unknown function or query")
                        and len(self.siblings) == 1):
                    hint = ("queries are declared in this file or in the other workflow files of "
                            "its folder, and none is beside it: check it where it lives with the "
                            "others (e.g. workflows/)")
                self.error(path, f"{what}: {problem.message}", hint, code="expression",
                           col_offset=problem.offset + (1 if quoted else 0))
            return None
        self.check_literals(path, compiled, scope, what)
        return compiled

    def constant(self, path: KeyPath, compiled: Expr, spec: FieldSpec) -> tuple[Any, ...]:
        """(value,) for a literal such as `false`, `'Open'` or `3`, checked against the field now;
        else ()."""
        try:
            node = ast.parse(str(compiled.text).strip(), mode="eval").body
        except SyntaxError:
            return ()
        if not (isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float, bool))
                or isinstance(node, ast.Name) and node.id in ("true", "false", "null")):
            return ()
        try:
            return (coerce(spec, compiled.fn({}, {}, None), self.lists),)
        except ValueProblem as exc:
            self.error(path, str(exc), "a literal is checked against the field it sets",
                       code="type")
            return ()

    def check_literals(self, path: KeyPath, compiled: Expr, scope: Scope, what: str) -> None:
        """A choice field compared with a value its list does not hold is a mistake."""
        if not isinstance(compiled.text, str):
            return
        try:
            tree = ast.parse(compiled.text, mode="eval")
        except SyntaxError:
            return  # durations make the text non-Python; engine.expr has already checked it
        for node in ast.walk(tree):
            if not isinstance(node, ast.Compare):
                continue
            operands = [node.left, *node.comparators]
            names = [o.id for o in operands if isinstance(o, ast.Name)]
            literals: list[str] = []
            for o in operands:
                if isinstance(o, ast.Constant) and isinstance(o.value, str):
                    literals.append(o.value)
                elif isinstance(o, (ast.List, ast.Tuple)):
                    literals += [e.value for e in o.elts
                                 if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            for name in names:
                allowed = self.allowed_values(name, scope)
                if allowed is None:
                    continue
                for lit in literals:
                    if lit not in allowed:
                        values = ", ".join(map(str, allowed))
                        self.error(path, f"{what}: '{lit}' is not a value of {name}",
                                   _did_you_mean(lit, allowed) or f"its values are {values}",
                                   code="expression")

    def allowed_values(self, name: str, scope: Scope) -> tuple | None:
        if name == "status":
            return tuple(self.status_names)
        spec = scope.data.get(name) or scope.fields.get(name)
        if spec is None or spec.type != "choice" or spec.list not in self.lists:
            return None
        return self.lists[spec.list].values

    def scope(self, data: dict[str, FieldSpec]) -> Scope:
        return Scope(data=data, fields=self.fields, intrays=frozenset(self.intrays),
                     queries=self.query_scope,
                     tables={name: t.rows for name, t in self.tables.items()})
