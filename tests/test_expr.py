"""Tests for engine.expr: safe expressions compiled once, evaluated fast."""
from __future__ import annotations

import string
import types
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from timebox import within

from engine.expr import ExprError, Scope, compile_expr
from engine.instance import Intray
from engine.model import Expr, FieldSpec


def F(name: str, type: str = "text", **kw) -> FieldSpec:
    return FieldSpec(name=name, type=type, **kw)


SCOPE = Scope(
    data={
        "ntd_return_date": F("ntd_return_date", "date"),
        "outcome": F("outcome", "choice"),
        "parental_agreement": F("parental_agreement"),
        "party": F("party"),
        "amount": F("amount", "integer"),
    },
    fields={
        "lodgement_date": F("lodgement_date", "date"),
        "reasons": F("reasons", "list",
                     record=(F("reason", "integer"), F("sub_reason", "integer"))),
        "rica": F("rica", "boolean"),
        "successful_reasons": F("successful_reasons", "list", of=F("item", "integer")),
        "applicant": F("applicant"),
        "amount": F("amount", "integer"),
        "decided_at": F("decided_at", "datetime"),
    },
    intrays=frozenset({"COAPNDIN", "REVIEW"}),
)


def tray(code, about=None, opened=datetime(2024, 1, 2, 15, 30), closed=None):
    """An intray as an instance keeps it (and expressions see it)."""
    return Intray(code, opened, opened + timedelta(days=7), about=about, closed=closed).as_tuple()


def make_ctx(**kw):
    base = dict(today=date(2024, 1, 10), now=datetime(2024, 1, 10, 9, 0), status="Open",
                actor={"role": "decision_maker", "name": "Sam"}, intrays=[])
    base.update(kw)
    return SimpleNamespace(**base)


def run(text, data=None, fields=None, ctx=None, scope=SCOPE):
    expr = compile_expr(text, scope)
    return expr.fn(data or {}, fields or {}, ctx or make_ctx())


def refused(text, scope=SCOPE) -> ExprError:
    with pytest.raises(ExprError) as info:
        compile_expr(text, scope)
    return info.value


# ---------- evaluation of each construct ----------

def test_returns_an_expr_with_text_names_and_pos():
    expr = compile_expr("ntd_return_date > lodgement_date", SCOPE, pos=("w.yaml", 3, 9))
    assert isinstance(expr, Expr)
    assert expr.text == "ntd_return_date > lodgement_date"
    assert expr.names == frozenset({"ntd_return_date", "lodgement_date"})
    assert expr.pos == ("w.yaml", 3, 9)
    assert isinstance(expr.fn, types.FunctionType)  # one plain Python call per evaluation


@pytest.mark.parametrize("a, b, expected", [(date(2024, 3, 1), date(2024, 1, 1), True),
                                             (date(2023, 3, 1), date(2024, 1, 1), False)])
def test_comparing_dates(a, b, expected):
    assert run("ntd_return_date > lodgement_date", {"ntd_return_date": a},
               {"lodgement_date": b}) is expected


def test_date_plus_duration():
    assert run("lodgement_date + 35 days", fields={"lodgement_date": date(2024, 1, 1)}) \
        == date(2024, 2, 5)
    assert run("lodgement_date - 1 week", fields={"lodgement_date": date(2024, 1, 8)}) \
        == date(2024, 1, 1)


def test_membership_and_is_not_none():
    text = "outcome in ['Var-Increase', 'Var-Decrease'] and parental_agreement is not None"
    assert run(text, {"outcome": "Var-Increase", "parental_agreement": "yes"}) is True
    assert run(text, {"outcome": "Var-Increase"}) is False  # missing optional data is None
    assert run(text, {"outcome": "Refuse", "parental_agreement": "yes"}) is False
    assert run("outcome not in ('A', 'B')", {"outcome": "C"}) is True


def test_all_over_records_with_condition():
    text = "all(r.sub_reason is not None for r in reasons if r.reason == 8 or rica)"
    ok = [{"reason": 8, "sub_reason": 2}, {"reason": 3}]
    assert run(text, fields={"reasons": ok, "rica": False}) is True
    assert run(text, fields={"reasons": ok, "rica": True}) is False
    assert run(text, fields={"reasons": [{"reason": 8}], "rica": False}) is False
    assert run(text, fields={"reasons": [], "rica": True}) is True


def test_any_count_min_max_len():
    fields = {"reasons": [{"reason": 8}, {"reason": 3}, {"reason": 5}],
              "successful_reasons": [8, 5]}
    assert run("any(r.reason == 3 for r in reasons)", fields=fields) is True
    assert run("count(r.reason > 4 for r in reasons)", fields=fields) == 2
    assert run("count([true, false, 1, 0, null])") == 2
    assert run("min(r.reason for r in reasons)", fields=fields) == 3
    assert run("max([r.reason for r in reasons])", fields=fields) == 8
    assert run("max(1, 7, 3)") == 7 and run("min(4, 2)") == 2
    assert run("len(reasons) > 0", fields=fields) is True
    assert run("len(r for r in reasons if r.reason > 4)", fields=fields) == 2
    assert run("8 in successful_reasons", fields=fields) is True
    assert run("all(x > 4 for x in successful_reasons)", fields=fields) is True


def test_nested_loops_and_loop_over_literal():
    fields = {"reasons": [{"reason": 8}], "successful_reasons": [8]}
    assert run("all(any(s == r.reason for s in successful_reasons) for r in reasons)",
               fields=fields) is True
    assert run("any(x == 2 for x in [1, 2, 3])") is True


def test_is_open_and_opened_on():
    ctx = make_ctx(intrays=[tray("COAPNDIN", "payer"),
                            tray("COAPNDIN", "payer", opened=datetime(2024, 1, 5, 8)),
                            tray("REVIEW", None, closed=datetime(2024, 1, 3))])
    assert run("is_open('COAPNDIN')", ctx=ctx) is True
    assert run("is_open('COAPNDIN', party)", {"party": "payer"}, ctx=ctx) is True
    assert run("not is_open('COAPNDIN', party)", {"party": "payee"}, ctx=ctx) is True
    assert run("is_open('REVIEW')", ctx=ctx) is False  # closed
    assert run("opened_on('COAPNDIN')", ctx=ctx) == date(2024, 1, 5)  # the most recent, as a date
    assert run("opened_on('COAPNDIN', 'payee')", ctx=ctx) is None
    assert run("opened_on('REVIEW')", ctx=ctx) is None


def test_conditional_and_actor_and_context():
    assert run("'payer' if applicant == 'payee' else 'payee'", fields={"applicant": "payee"}) \
        == "payer"
    assert run("'payer' if applicant == 'payee' else 'payee'", fields={"applicant": "payer"}) \
        == "payee"
    assert run("actor.role == 'decision_maker'") is True
    assert run("actor.area") is None  # missing actor keys are None
    assert run("status == 'Open'") is True
    assert run("actor") == {"role": "decision_maker", "name": "Sam"}


def test_today_now_and_bare_durations():
    assert run("today + 7 days") == date(2024, 1, 17)
    assert run("now + 48 hours") == datetime(2024, 1, 12, 9, 0)
    assert run("2 weeks") == timedelta(weeks=2)
    assert run("now - 30 minutes") == datetime(2024, 1, 10, 8, 30)
    assert run("35d + 48h + 2w + 30m") == timedelta(days=35 + 2 + 14, minutes=30)
    assert run("today + 1 Day") == date(2024, 1, 11)
    assert run("today + days(amount)", {"amount": 3}) == date(2024, 1, 13)
    assert run("hours(2) + weeks(1)") == timedelta(weeks=1, hours=2)
    assert run("today + 36 hours") == date(2024, 1, 11)  # date + timedelta keeps whole days


def test_date_function():
    assert run("date(decided_at)", fields={"decided_at": datetime(2024, 5, 6, 7, 8)}) \
        == date(2024, 5, 6)
    assert run("date(today)") == date(2024, 1, 10)
    assert run("date(now) == today") is True
    assert run("date('2024-02-03')") == date(2024, 2, 3)
    assert run("date(decided_at)") is None


def test_arithmetic_and_logic():
    assert run("amount * 2 + 1 - 3 // 2", {"amount": 5}) == 10
    assert run("-amount", {"amount": 5}) == -5
    assert run("not (amount > 3) or amount == 5", {"amount": 5}) is True
    assert run("1 < amount <= 5", {"amount": 5}) is True
    assert run("amount != 4 and true", {"amount": 5}) is True
    assert run("amount is None", {}) is True


def test_constants():
    assert run("true") is True and run("false") is False and run("null") is None
    assert run("True") is True and run("None") is None
    assert run("'Pending'") == "Pending" and run("1.5") == 1.5 and run("(1, 'a')") == (1, "a")


@pytest.mark.parametrize("value, text",
                         [(3, "3"), (2.5, "2.5"), (True, "true"), (False, "false"), (None, "null")])
def test_non_string_scalars_compile_to_constants(value, text):
    expr = compile_expr(value, SCOPE)
    assert expr.fn({}, {}, make_ctx()) is value or expr.fn({}, {}, make_ctx()) == value
    assert expr.text == text and expr.names == frozenset()


def test_multiline_and_surrounding_space():
    assert run("  amount >\n 3 and\n amount < 9 ", {"amount": 5}) is True


# ---------- name resolution ----------

def test_data_shadows_field_and_explicit_forms_reach_each():
    data, fields = {"amount": 1}, {"amount": 2}
    assert run("amount", data, fields) == 1
    assert run("field.amount", data, fields) == 2
    assert run("fields.amount", data, fields) == 2
    assert run("data.amount", data, fields) == 1
    expr = compile_expr("field.amount + data.amount", SCOPE)
    assert expr.names == frozenset({"amount"})


def test_loop_variable_shadows_data_and_fields():
    scope = Scope(data={"r": F("r", "integer")},
                  fields={"xs": F("xs", "list", of=F("x", "integer"))})
    assert run("r + count(r > 1 for r in xs)", {"r": 10}, {"xs": [1, 2, 3]}, scope=scope) == 12


def test_names_are_resolved_at_compile_time():
    field_only = Scope(fields={"amount": F("amount", "integer")})
    # amount is an instance field here: a data value of the same name is not read.
    assert run("amount", {"amount": 1}, {"amount": 2}, scope=field_only) == 2


def test_loop_variables_cannot_clash_with_internal_names():
    scope = Scope(fields={"xs": F("xs", "list", of=F("x", "integer"))})
    assert run("max(today - days(ctx) for ctx in xs)", fields={"xs": [1, 2]}, scope=scope) \
        == date(2024, 1, 9)
    assert run("all(data == 1 for data in xs)", fields={"xs": [1]}, scope=scope) is True


def test_empty_scope_allows_builtins():
    assert run("today", scope=Scope()) == date(2024, 1, 10)


# ---------- refusals ----------

def test_unknown_name_with_did_you_mean():
    err = refused("lodgment_date + 35 days")
    assert err.message == "unknown name 'lodgment_date'"
    assert err.hint == "did you mean 'lodgement_date'?"
    assert err.offset == 0
    err = refused("today > lodgment_date")
    assert err.offset == 8


@pytest.mark.parametrize("text, words, offset", [
    ("__import__('os')", "'__import__' is not allowed", 0),
    ("().__class__", "underscore", 3),
    ("actor.__dict__", "'__dict__' is not allowed", 6),
    ("actor._secret", "underscore", 6),
    ("any(_x for _x in reasons)", "underscore", 11),
    ("reasons[0]", "indexing", 0),
    ("lambda: 1", "'lambda' is not allowed", 0),
    ("open('f')", "calls to 'open' are not allowed; allowed functions: all, any", 0),
    ("f'{amount}'", "f-strings are not allowed", 0),
    ("(y := 1)", "':=' is not allowed", 1),
    ("amount +", "not an expression: invalid syntax", 8),
    ("amount = 3", "not an expression", 7),
    ("amount / 2", "operator '/' is not allowed", 7),
    ("amount ** 2", "operator '**' is not allowed", 7),
    ("amount % 2", "operator '%' is not allowed", 7),
    ("~amount", "'~' is not allowed", 0),
    ("{1: 2}", "{...} is not allowed", 0),
    ("{1, 2}", "{...} is not allowed", 0),
    ("[*reasons]", "unpacking", 1),
    ("[r for r in reasons]", "only allowed inside", 0),
    ("(r for r in reasons)", "only allowed inside", 0),
    ("any(r for r in reasons for s in reasons)", "only one 'for'", 23),
    ("any(1 for a, b in reasons)", "single name", 10),
    ("status.upper()", "calls to 'status.upper' are not allowed", 0),
    ("actor.role()", "calls to 'actor.role'", 0),
    ("today.year", "'today' has no fields", 6),
    ("reasons.reason", "'reasons' has no fields", 8),
    ("(amount + 1).real", "'.' is only allowed", 13),
    ("all(r.reasn for r in reasons)", "'r' has no field 'reasn'", 6),
    ("any(x.y for x in successful_reasons)", "'x' has no fields", 6),
    ("data.lodgement_date", "'lodgement_date' is not a data field", 5),
    ("field.outcom", "'outcom' is not a field of the instance", 6),
    ("data", "must be followed by a field name", 0),
    ("len", "is a function", 0),
    ("len(reasons, reasons)", "len() takes 1 argument, got 2", 0),
    ("is_open()", "is_open() takes 1 or 2 arguments, got 0", 0),
    ("is_open('COAPNDIN', about=party)", "in order, without names", 20),
    ("amount is 3", "'is' only compares with None", 0),
    ("b'x'", "bytes literals are not allowed", 0),
    ("1j", "complex numbers are not allowed", 0),
    ("...", "'...' is not allowed", 0),
    ("getattr(actor, 'x')", "calls to 'getattr' are not allowed", 0),
    ("(lambda: 1)()", "not allowed", 1),
    ("await amount", "'await' is not allowed", 0),
    ("", "empty expression", 0),
    ("   ", "empty expression", 0),
])
def test_refusals(text, words, offset):
    err = refused(text)
    assert words in err.message
    assert err.offset == offset, (err.message, err.offset)


def test_underscore_message_is_explained():
    err = refused("__import__('os')")
    assert "names starting with an underscore are not allowed" in err.message


def test_unknown_function_suggests_a_close_one():
    """A function or query that is not declared is not found (a Python builtin is not allowed)."""
    err = refused("lenn(reasons)")
    assert err.message == "unknown function or query 'lenn'"
    assert err.hint == "did you mean 'len'?"
    far = refused("officers_on_duty(site)")
    assert far.message == "unknown function or query 'officers_on_duty'"
    assert "a query is declared under `queries:`" in far.hint


def test_every_unknown_name_of_an_expression_is_reported_once():
    err = refused("whom == 'payee' and lodgment_date <= today and whom != 'x' and data.amout > 1")
    found = [(e.message, e.offset, e.hint) for e in (err, *err.more)]
    assert found == [
        ("unknown name 'whom'", 0, ""),
        ("unknown name 'lodgment_date'", 20, "did you mean 'lodgement_date'?"),
        ("'amout' is not a data field of this event", 68, "did you mean 'amount'?"),
    ]
    assert refused("lenn(x)").more == ()


def test_syntax_error_offsets_and_hints():
    err = refused("amount = 3")
    assert err.message == "not an expression: invalid syntax" and "==" in err.hint
    err = refused("ntd_return_date > (lodgement_date")
    assert "never closed" in err.message and err.offset == 18
    err = refused("amount > 3 and ")
    assert err.message == "not an expression: invalid syntax" and err.offset == 14 \
        and "ends" in err.hint
    err = refused("today + 35 dayz")
    assert err.offset == 11 and "35 days" in err.hint
    err = refused("'unterminated")
    assert "unterminated string" in err.message and "line" not in err.message


def test_offsets_after_a_duration_rewrite_point_into_the_original_text():
    err = refused("today + 35 days + lodgment_date")
    assert err.offset == len("today + 35 days + ")
    err = refused("lodgement_date + 7 d / 2")
    assert err.offset == len("lodgement_date + 7 d ")


def test_offsets_count_characters_not_bytes():
    err = refused("'Zoë' == applicnt")
    assert err.offset == len("'Zoë' == ")
    assert err.hint == "did you mean 'applicant'?"


def test_unknown_intray_code():
    err = refused("is_open('COAPNDN', party)")
    assert err.message == "unknown intray 'COAPNDN'"
    assert err.hint == "did you mean 'COAPNDIN'?"
    assert err.offset == 8
    assert refused("opened_on('NOPE')").message == "unknown intray 'NOPE'"
    # Without a catalogue of intrays, any code is accepted; a code from data is checked at run time.
    assert run("is_open('ANYTHING')", scope=Scope()) is False
    assert run("is_open(outcome)", {"outcome": "REVIEW"},
               ctx=make_ctx(intrays=[tray("REVIEW")])) is True


def test_too_long_and_too_deep():
    err = refused("amount + " * 60 + "1")
    assert "too long" in err.message and err.offset == 500
    err = refused("+".join(["1"] * 60))
    assert "too deeply nested" in err.message
    err = refused("(" * 60 + "1" + ")" * 60 + " + " + "-" * 60 + "1")
    assert "nested" in err.message
    assert run("+".join(["1"] * 20)) == 20  # reasonable length is fine


def test_non_scalar_source_is_refused():
    with pytest.raises(ExprError, match="not an expression"):
        compile_expr(["a"], SCOPE)  # type: ignore[arg-type]


def test_error_str_carries_the_hint():
    err = refused("lodgment_date")
    assert str(err) == "unknown name 'lodgment_date' (did you mean 'lodgement_date'?)"
    assert ExprError("x").offset == 0 and ExprError("x").hint == ""


# ---------- durations ----------

def test_durations_inside_string_literals_are_untouched():
    assert run("'35 days'") == "35 days"
    assert run('outcome == "wait 2 w"', {"outcome": "wait 2 w"}) is True
    assert run("'7 d' + ' ' + 'x'") == "7 d x"
    assert compile_expr("'35 days'", SCOPE).text == "'35 days'"


def test_text_keeps_the_original_spelling():
    assert compile_expr("today + 7 days", SCOPE).text == "today + 7 days"


# ---------- sandbox and speed ----------

def test_compiled_function_sees_no_builtins():
    expr = compile_expr("len(reasons)", SCOPE)
    assert expr.fn.__globals__["__builtins__"] == {}
    assert "open" not in expr.fn.__globals__ and "__import__" not in expr.fn.__globals__


def test_constant_durations_are_computed_once():
    expr = compile_expr("today + 35 days", SCOPE)
    assert "_days" not in expr.fn.__code__.co_names  # no call to build the duration per evaluation


def test_many_evaluations_are_consistent():
    expr = compile_expr("all(r.sub_reason is not None for r in reasons if r.reason == 8 or rica) "
                        "and lodgement_date + 35 days > today", SCOPE)
    ctx = make_ctx()
    good = {"reasons": [{"reason": 8, "sub_reason": 1}], "rica": False,
            "lodgement_date": date(2024, 1, 1)}
    bad = {"reasons": [{"reason": 8}], "rica": False, "lodgement_date": date(2024, 1, 1)}
    results = [(expr.fn({}, good, ctx), expr.fn({}, bad, ctx)) for _ in range(5000)]
    assert set(results) == {(True, False)}


# ---------- properties ----------

def _compiles_or_expr_error(text: str) -> None:
    try:
        expr = compile_expr(text, SCOPE)
    except ExprError as err:
        assert isinstance(err.message, str) and err.message
        assert 0 <= err.offset <= max(len(text), 500)
    else:
        assert isinstance(expr, Expr) and expr.text == text


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=string.printable, max_size=80))
def test_random_printable_text_compiles_or_raises_expr_error(text):
    _compiles_or_expr_error(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_random_unicode_text_compiles_or_raises_expr_error(text):
    _compiles_or_expr_error(text)


TOKENS = ["amount", "reasons", "r", "r.reason", "x", "for", "in", "if", "else", "and", "or", "not",
          "is",
          "None", "true", "(", ")", "[", "]", ",", "+", "-", "*", "//", "/", "==", "<", ">=", "1",
          "35",
          "days", "d", "h", "'a'", "'2 d'", "any(", "all(", "count(", "len(", "min(", "max(",
          "is_open(",
          "'COAPNDIN'", "date(", "today", "now", "actor.role", "data.amount", "field.amount", ".",
          "_x",
          "lambda", ":", ":=", "=", "{", "}", "**"]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=25))
def test_random_token_soup_compiles_or_raises_expr_error(tokens):
    _compiles_or_expr_error(" ".join(tokens))


# ---------- matches() and queries (rules across instances) ----------

class _QueryCtx:
    def __init__(self, found):
        self.found = found
        self.calls = []

    def query(self, name, *args):
        self.calls.append((name, args))
        return self.found


QSCOPE = Scope(data={"site": FieldSpec(name="site", type="text")},
               fields={"email": FieldSpec(name="email", type="text")},
               queries={"officers_at": (2, frozenset({"name", "status"}))})


@pytest.mark.parametrize("value, expected",
                         [("a@b.au", True), ("a@b", False), (None, False), ("x a@b.au", False)])
def test_matches_uses_a_literal_pattern_compiled_once(value, expected):
    expr = compile_expr(r"matches(email, '[^@\s]+@[^@\s]+\.[a-z]+')", QSCOPE)
    assert expr.fn({}, {"email": value}, None) is expected


@pytest.mark.parametrize("text, says", [
    ("matches(email, email)", "pattern written out in quotes"),
    ("matches(email, '[')", "not a valid regular expression"),
    ("matches(email, '(a)\\\\1')", "back-reference"),
    ("matches(email, '(?P<n>a)(?P=n)')", "back-reference"),
    ("matches(email, 'a(?=b)')", "look-ahead"),
    ("matches(email, 'a(?!b)')", "negative look-ahead"),
    ("matches(email, '(?<=a)b')", "look-behind"),
    ("matches(email, 'a++')", "possessive"),
    ("matches(email, 'a\\\\Z')", "escape RE2 does not have"),
    ("matches(email, 'a{99999999999}')", "repeat count over 1000"),
    ("matches(email, 'a{2,1001}')", "repeat count over 1000"),
    ("matches(email, '((a{30}){30}){2}')", "repeat count over 1000"),
])
def test_matches_refusals(text, says):
    with pytest.raises(ExprError, match=says) as caught:
        compile_expr(text, QSCOPE)
    assert caught.value.message.startswith("matches()")


# each backtracks exponentially in a backtracking matcher (Python's re) on the value given: from
# seconds to hours
@pytest.mark.parametrize("pattern, value", [
    ("a*a*a*a*a*a*b", "a" * 200), ("(a{1,20}){1,20}b", "a" * 60), ("(a?){28}a{28}", "a" * 28),
    ("(a+)+@", "a" * 5000), ("([a-z]+ ?)+", "ab " * 2000 + "!"), ("(a|a)+", "a" * 5000 + "b"),
    ("(.*,)*x", "," * 5000), ("(a+a+)+", "a" * 5000 + "!"), ("(?:x|[ab]*)*", "ab" * 2000 + "c"),
])
def test_matches_runs_in_linear_time_on_patterns_that_backtrack(pattern, value):
    expr = compile_expr(f"matches(email, '{pattern}')", QSCOPE)
    expected = pattern == "(a?){28}a{28}"  # the one that matches its value
    assert within(5, lambda: expr.fn({}, {"email": value}, None)) is expected


def test_query_call_passes_its_arguments_and_yields_records():
    expr = compile_expr("any(o.name == 'J Citizen' for o in officers_at(site, today))", QSCOPE)
    ctx = _QueryCtx([{"name": "A"}, {"name": "J Citizen"}])
    ctx.today = "T"
    assert expr.fn({"site": "Brisbane"}, {}, ctx) is True
    assert ctx.calls == [("officers_at", ("Brisbane", "T"))]


@pytest.mark.parametrize("text, says", [
    ("any(o.nmae == 'x' for o in officers_at(site))", "'o' has no field 'nmae'"),
    ("officers_at(site, today, today)", "at most 2 arguments"),
    ("officers_at(site=site)", "without names"),
])
def test_query_call_refusals(text, says):
    with pytest.raises(ExprError, match=says):
        compile_expr(text, QSCOPE)


TSCOPE = Scope(tables={"areas": {"New Customers": {"exempt": False, "kind": "specialised"},
                                 "Enabling": {"exempt": True, "kind": "enabling"}}})


class _Actor:
    def __init__(self, area):
        self.actor = {"area": area}
        self.instance = "main"


@pytest.mark.parametrize("area, expected",
                         [("Enabling", True), ("New Customers", False), ("Elsewhere", None)])
def test_lookup_reads_a_table_bound_at_load_time(area, expected):
    expr = compile_expr("lookup('areas', actor.area, 'exempt')", TSCOPE)
    assert expr.fn({}, {}, _Actor(area)) is expected


def test_instance_names_the_instance():
    assert compile_expr("instance + '.cma'", TSCOPE).fn({}, {}, _Actor(None)) == "main.cma"


@pytest.mark.parametrize("text, says", [
    ("lookup('areaz', actor.area, 'exempt')", "unknown table 'areaz'"),
    ("lookup('areas', actor.area, 'exmpt')", "has no column 'exmpt'"),
    ("lookup(actor.area, actor.area, 'exempt')", "table name written out in quotes"),
])
def test_lookup_refusals(text, says):
    with pytest.raises(ExprError, match=says):
        compile_expr(text, TSCOPE)


def test_a_text_compiled_before_in_the_same_scope_is_not_compiled_again():
    """An editor checks the same workflow after each change: an unchanged expression keeps its
    compiled functions and gets its new position; a scope that says otherwise of a name compiles
    anew."""
    first = compile_expr("amount > 3 and lodgement_date <= today", SCOPE, ("wf.yaml", 10, 5))
    again = compile_expr("amount > 3 and lodgement_date <= today", SCOPE, ("wf.yaml", 12, 5))
    assert again.fn is first.fn and again.holds is first.holds
    assert (first.pos, again.pos) == (("wf.yaml", 10, 5), ("wf.yaml", 12, 5))
    other = Scope(data={**SCOPE.data, "amount": F("amount", "text")}, fields=SCOPE.fields,
                  intrays=SCOPE.intrays)
    assert compile_expr("amount > 3 and lodgement_date <= today", other).fn is not first.fn
    # a refusal is said each time
    assert refused("amout > 3").message == refused("amout > 3").message
