"""Expressions, values and periods said the way a procedure says them: fields by their titles, no
code.

`Words(titles, kinds, intrays, queries)` reads an expression's text (as written in the workflow)
and says it: `lodgement_date + 35 days` -> "Lodgement Date + 35 days", `today + 7 days` -> "7 days
from the current date", `officer is None` -> "Officer is blank", `is_open('COAPNDIN', party)` ->
"a COA Pending Information intray about the Pending Information from is open". What it cannot say
it gives as written. Pure functions.
"""
from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..citations import number_runs

_DURATION = re.compile(r"\b(\d+)\s*(days?|hours?|weeks?|minutes?|d|h|w|m)\b(?![\w'\"])")
_UNIT = {"d": "days", "h": "hours", "w": "weeks", "m": "minutes"}
_DATES = ("date", "datetime")
_ORDER_WORDS = {ast.Lt: "is less than", ast.LtE: "is at most", ast.Gt: "is more than",
                ast.GtE: "is at least"}
_DATE_WORDS = {ast.Lt: "is before", ast.LtE: "is on or before", ast.Gt: "is after",
               ast.GtE: "is on or after"}
_ACTOR = {"area": "your area", "name": "your name", "role": "your role"}


def join(items: Sequence[str], last: str = "and") -> str:
    """a, b and c."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


MAX_LINES_LISTED = 8


def lines_text(lines: Sequence[int]) -> str:
    """Line numbers as a document lists them: the first MAX_LINES_LISTED, then how many more."""
    shown = ", ".join(map(str, lines[:MAX_LINES_LISTED]))
    return shown \
        + (f" and {len(lines) - MAX_LINES_LISTED} more" if len(lines) > MAX_LINES_LISTED else "")


def numbers_text(numbers: Sequence[int], noun: str = "Table") -> str:
    """[1, 2, 3, 4, 5, 10] as 'Tables 1-5 and 10'; [6] as 'Table 6'."""
    said = number_runs(numbers)
    return f"{noun}{'s' if len(numbers) > 1 else ''} {join(said)}" if said else ""


def sentence(text: str) -> str:
    """A text ending as a sentence does."""
    text = text.strip()
    return text if not text or text[-1] in ".!?)’'\"" else text + "."


def lower(title: str) -> str:
    """A title inside a sentence: 'Current applications ...' -> 'current applications ...' (not 'SCO
    ...')."""
    return title[0].lower() + title[1:] if len(title) > 1 and title[1].islower() else title


def value(v: Any) -> str:
    """A literal value in words: yes/no, blank, lists joined."""
    if v is None:
        return "blank"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (list, tuple)):
        return join([value(x) for x in v]) or "none"
    return str(v)


def choices(values: Sequence[Any]) -> str:
    """A dropdown's values: 'payee or payer', '1 to 10'."""
    if len(values) > 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in values) \
            and list(values) == list(range(values[0], values[0] + len(values))):
        return f"{values[0]} to {values[-1]}"
    return join([value(v) for v in values], "or")


@dataclass
class Words:
    """Says the expressions of one event (or of the workflow) with the names its readers know."""

    titles: Mapping[str, str] = field(default_factory=dict)  # field or data name -> its title
    kinds: Mapping[str, str] = field(default_factory=dict)  # field or data name -> its type
    intrays: Mapping[str, str] = field(default_factory=dict)  # code -> name
    queries: Mapping[str, str] = field(default_factory=dict)  # query name -> title
    # name -> (title, columns)
    tables: Mapping[str, tuple[str, Mapping[str, str]]] = field(default_factory=dict)
    recorded: str = "the recorded"  # how `field.x` reads: the instance's field, not the data keyed

    def name(self, n: str) -> str:
        return self.titles.get(n) or n.replace("_", " ")

    # -- entry points ---------------------------------------------------------------------
    def say(self, text: Any) -> str:
        """An expression in words; the text as written when it is not one."""
        tree = self.parse(text)
        return self.node(tree) if tree is not None else str(text)

    def condition(self, text: Any) -> str:
        """A condition in words: a yes/no field alone reads 'X is yes'."""
        tree = self.parse(text)
        return self.truth(tree, {}) if tree is not None else str(text)

    def simple(self, text: Any) -> bool:
        """Is the expression one name (said as a title, so 'the' may go before it)?"""
        tree = self.parse(text)
        return isinstance(tree, ast.Name) and tree.id in self.titles \
            or isinstance(tree, ast.Attribute) and \
            isinstance(tree.value, ast.Name) and tree.value.id in ("field", "data")

    def parse(self, text: Any) -> ast.expr | None:
        if not isinstance(text, str):
            return ast.Constant(text)
        flat = " ".join(text.split())
        rewritten = _DURATION.sub(lambda m: f"__period({m.group(1)}, "
                                            f"'{_UNIT.get(m.group(2), m.group(2))}')", flat)
        try:
            return ast.parse(rewritten, mode="eval").body
        except SyntaxError:
            return None

    def default(self, text: Any, own: str) -> str:
        """A data field's default: 'the current date', '7 days from the current date', 'the value on
        record'."""
        tree = self.parse(text)
        if isinstance(tree, ast.List) and not tree.elts:
            return ""
        if isinstance(tree, ast.Attribute) and isinstance(tree.value, ast.Name) and tree.value.id \
                == "field" \
                and tree.attr == own:
            return "the value on record"
        return self.say(text)

    # -- nodes ----------------------------------------------------------------------------
    def kind(self, node: ast.expr) -> str:
        if isinstance(node, ast.Name):
            if node.id in ("today",):
                return "date"
            if node.id == "now":
                return "datetime"
            return self.kinds.get(node.id, "")
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id \
                in ("field", "data"):
            return self.kinds.get(node.attr, "")
        if isinstance(node, ast.BinOp):
            return self.kind(node.left) or self.kind(node.right)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id \
                in ("opened_on", "date"):
            return "date"
        return ""

    def node(self, node: ast.expr, loop: Mapping[str, str] | None = None) -> str:
        loop = loop or {}
        if isinstance(node, ast.Constant):
            return value(node.value)
        if isinstance(node, ast.Name):
            if node.id in loop:
                return loop[node.id]
            return {"today": "the current date", "now": "the current date and time", "true": "yes",
                    "false": "no",
                    "null": "blank", "None": "blank", "status": "the status",
                    "instance": "this record",
                    "actor": "you"}.get(node.id) or self.name(node.id)
        if isinstance(node, ast.Attribute):
            base = node.value
            if isinstance(base, ast.Name) and base.id == "field":
                return f"{self.recorded} {self.name(node.attr)}"
            if isinstance(base, ast.Name) and base.id == "data":
                return self.name(node.attr)
            if isinstance(base, ast.Name) and base.id == "actor":
                return _ACTOR.get(node.attr, f"your {node.attr}")
            if isinstance(base, ast.Name) and base.id in loop:
                return f"its {self.name(node.attr)}"
            return f"{self.node(base, loop)} {self.name(node.attr)}"
        if isinstance(node, ast.List | ast.Tuple):
            return join([self.node(e, loop) for e in node.elts], "or") or "none"
        if isinstance(node, ast.BoolOp):
            word = " and " if isinstance(node.op, ast.And) else " or "
            parts = [f"({self.node(v, loop)})" if isinstance(v, ast.BoolOp) else self.truth(v, loop)
                     for v in node.values]
            return word.join(parts)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return self.negate(node.operand, loop)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return f"-{self.node(node.operand, loop)}"
        if isinstance(node, ast.Compare):
            return self.compare(node, loop)
        if isinstance(node, ast.BinOp):
            return self.binop(node, loop)
        if isinstance(node, ast.IfExp):
            return f"{self.node(node.body, loop)} if {self.node(node.test, loop)}, " \
                   f"else {self.node(node.orelse, loop)}"
        if isinstance(node, ast.Call):
            return self.call(node, loop)
        return ast.unparse(node)  # pragma: no cover - the expression language has no other node

    def truth(self, node: ast.expr, loop: Mapping[str, str]) -> str:
        """A condition that is a bare name: a yes/no field reads 'X is yes'."""
        if isinstance(node, ast.Name | ast.Attribute) and self.kind(node) == "boolean":
            return f"{self.node(node, loop)} is yes"
        return self.node(node, loop)

    def negate(self, node: ast.expr, loop: Mapping[str, str]) -> str:
        if isinstance(node, ast.Name | ast.Attribute) and self.kind(node) == "boolean":
            return f"{self.node(node, loop)} is no"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id \
                == "is_open":
            return self.call(node, loop, negated=True)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id \
                == "any" and node.args \
                and isinstance(node.args[0], ast.GeneratorExp):
            return self.loop_call("no", node.args[0], loop)
        inner = self.node(node, loop)
        return f"not ({inner})" if " " in inner else f"not {inner}"

    def compare(self, node: ast.Compare, loop: Mapping[str, str]) -> str:
        out = self.node(node.left, loop)
        left = node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            r = self.node(right, loop)
            if isinstance(op, ast.Is | ast.Eq) and isinstance(right, ast.Constant) \
                    and right.value is None:
                out += " is blank"
            elif isinstance(op, ast.IsNot | ast.NotEq) and isinstance(right, ast.Constant) \
                    and right.value is None:
                out += " is given"
            elif isinstance(op, ast.Eq | ast.Is):
                out += f" is {r}"
            elif isinstance(op, ast.NotEq | ast.IsNot):
                out += f" is not {r}"
            elif isinstance(op, ast.In | ast.NotIn):
                negated = isinstance(op, ast.NotIn)
                if isinstance(right, ast.List | ast.Tuple):
                    out += f" is {'not ' if negated else ''}{self.node(right, loop)}"
                else:
                    includes = "does not include" if negated else "includes"
                    out = f"{r} {includes} {self.node(left, loop)}"
            else:
                dated = self.kind(left) in _DATES or self.kind(right) in _DATES
                out += f" {(_DATE_WORDS if dated else _ORDER_WORDS)[type(op)]} {r}"
            left = right
        return out

    def binop(self, node: ast.BinOp, loop: Mapping[str, str]) -> str:
        sign = {ast.Add: "+", ast.Sub: "-", ast.Mult: "×",
                ast.FloorDiv: "÷"}.get(type(node.op), "?")
        right = node.right
        if isinstance(node.op, ast.Add | ast.Sub) and isinstance(right, ast.Call) \
                and isinstance(right.func, ast.Name) \
                and right.func.id == "__period" and isinstance(node.left, ast.Name) \
                    and node.left.id in ("today", "now"):
            after = "from" if isinstance(node.op, ast.Add) else "before"
            return f"{self.node(right, loop)} {after} {self.node(node.left, loop)}"
        return f"{self.node(node.left, loop)} {sign} {self.node(right, loop)}"

    def call(self, node: ast.Call, loop: Mapping[str, str], negated: bool = False) -> str:
        name = node.func.id if isinstance(node.func, ast.Name) else ""
        args = node.args
        if name == "__period" and len(args) == 2 and all(isinstance(a, ast.Constant) for a in args):
            n, unit = args[0].value, str(args[1].value)  # type: ignore[attr-defined]
            return f"{n} {unit[:-1] if n == 1 and unit.endswith('s') else unit}"
        if name in ("is_open", "opened_on") and args:
            code = args[0].value if isinstance(args[0], ast.Constant) else self.node(args[0], loop)
            what = f"{self.intrays.get(str(code), str(code))} intray"
            about = f" about {self.node(args[1], loop)}" if len(args) > 1 else ""
            if name == "opened_on":
                return f"the date the {what}{about} was opened"
            return f"{'no' if negated else 'a'} {what}{about} is open"
        if name in ("any", "all", "count") and args and isinstance(args[0], ast.GeneratorExp):
            return self.loop_call({"any": "some", "all": "every", "count": "the number of"}[name],
                                  args[0], loop)
        if name == "len" and args:
            return f"the number of {self.node(args[0], loop)}"
        if name in ("min", "max"):
            return f"the {'earliest or smallest' if name == 'min' else 'latest or largest'} of " \
                   f"{join([self.node(a, loop) for a in args])}"
        if name == "date" and args:
            return self.node(args[0], loop)
        if name == "matches" and len(args) == 2:
            return f"{self.node(args[0], loop)} has the form {self.node(args[1], loop)}"
        if name == "lookup" and len(args) \
                == 3 and isinstance(args[0], ast.Constant) and isinstance(args[2], ast.Constant):
            title, columns = self.tables.get(str(args[0].value), (str(args[0].value), {}))
            column = columns.get(str(args[2].value), str(args[2].value).replace("_", " "))
            return f"‘{column}’ of {self.node(args[1], loop)} in the {title} table"
        if name in self.queries:
            given = join([self.node(a, loop) for a in args])
            return f"the {lower(self.queries[name])}" + (f" (for {given})" if given else "")
        return ast.unparse(node)

    def loop_call(self, word: str, gen: ast.GeneratorExp, loop: Mapping[str, str]) -> str:
        """any/all/count over a list: 'there is an entry in Reasons where its Reason is 8'."""
        comp = gen.generators[0]
        var = comp.target.id if isinstance(comp.target, ast.Name) else "item"
        if isinstance(comp.iter, ast.List | ast.Tuple):  # over literal values: each of A, B and C
            values = join([self.node(e, loop) for e in comp.iter.elts],
                          "or" if word in ("some", "no") else "and")
            cond = self.node(gen.elt, {**loop, var: "it"})
            lead = {"some": "for one of", "every": "for each of",
                    "no": "for none of"}.get(word, "the number of")
            return f"{lead} {values}: {cond}"
        source = self.node(comp.iter, loop)
        cond = self.node(gen.elt, {**loop, var: "it"})
        if word == "some":
            return f"there is an entry in {source} where {cond}"
        if word == "no":
            return f"there is no entry in {source} where {cond}"
        if word == "every":
            return f"every entry in {source} has {cond}" if cond.startswith("its ") else \
                f"for every entry in {source}: {cond}"
        return f"the number of entries in {source} where {cond}"
