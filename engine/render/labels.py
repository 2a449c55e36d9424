"""Short, readable label text for diagrams: a `when:` split into conditions, said in words,
wrapped."""
from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass

WIDTH = 24  # characters per label line
MAX_LINES = 3  # a longer guard is cut with an ellipsis; `procflow describe` has it in full

_OPS = {ast.Eq: "is", ast.NotEq: "is not", ast.Lt: "<", ast.LtE: "≤", ast.Gt: ">", ast.GtE: "≥",
        ast.In: "is", ast.NotIn: "is not", ast.Is: "is", ast.IsNot: "is not"}


@dataclass(frozen=True, slots=True)
class Condition:
    """One conjunct of a `when:`; `selects` names the field when it reads `field == '<target
    status>'`."""

    key: str  # what groups equal conditions: the words, or "→ the FIELD" for a selector
    words: str
    selects: str = ""


def conditions(text: str, target: str) -> list[Condition]:
    """The conjuncts of a `when:` text in words; the whole text as one condition when it is not
    Python."""
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return [Condition(text, text)]
    parts = tree.values if isinstance(tree, ast.BoolOp) and isinstance(tree.op, ast.And) else [tree]
    found = []
    for part in parts:
        words = say(part)
        field = _selector(part, target)
        found.append(Condition(f"→ the {field}", words, field) if field
                     else Condition(words, words))
    return found


def _selector(node: ast.expr, target: str) -> str:
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq):
        for a, b in ((node.left, node.comparators[0]), (node.comparators[0], node.left)):
            if isinstance(a, ast.Name | ast.Attribute) and isinstance(b, ast.Constant) and b.value \
                    == target:
                return say(a)
    return ""


def say(node: ast.expr) -> str:
    """An expression in words: no quotes, `is`/`is not`, lists as 'a / b / c', fields with
    spaces."""
    if isinstance(node, ast.Constant):
        if node.value is None or isinstance(node.value, bool):
            return {None: "none", True: "yes", False: "no"}[node.value]
        return str(node.value)
    if isinstance(node, ast.Name):
        return node.id.replace("_", " ")
    if isinstance(node, ast.Attribute):
        return f"{say(node.value)}.{node.attr}"
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        # wrapped between items, not inside
        items = [say(e).replace(" ", "\u00a0") for e in node.elts]
        if not items:
            return "nothing"
        return " / ".join(items)
    if isinstance(node, ast.BoolOp):
        joiner = " and " if isinstance(node.op, ast.And) else " or "
        return joiner.join(f"({say(v)})" if isinstance(v, ast.BoolOp) else say(v)
                           for v in node.values)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return f"not {say(node.operand)}"
    if isinstance(node, ast.Compare):
        out = say(node.left)
        for op, right in zip(node.ops, node.comparators, strict=True):
            out += f" {_OPS.get(type(op), '?')} {say(right)}"
        return out
    return ast.unparse(node)


def wrap(text: str, width: int = WIDTH, max_lines: int = MAX_LINES) -> tuple[str, ...]:
    """Lines of at most `width` characters; past `max_lines` the text is cut with an ellipsis."""
    if not text:
        return ()
    lines = textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: width - 1].rstrip() + "…"
    return tuple(lines)
