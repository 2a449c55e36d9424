"""No expression in a workflow can make a guard, or `check`, run for minutes or take gigabytes: what
it builds is bounded where it is written out (a finding) and as it runs (a refusal naming the
condition, not its policy)."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from engine import Refused, load_workflow
from engine.clock import SimulatedClock
from engine.expr import LIMITS, ExprError, ExprLimit, Scope, compile_expr
from engine.model import FieldSpec
from engine.runtime import Engine

MINI = Path(__file__).resolve().parent / "fixtures" / "workflows" / "mini.yaml"
SCOPE = Scope(fields={"n": FieldSpec(name="n", type="integer"),
                      "s": FieldSpec(name="s", type="text")},
              queries={"found": (0, frozenset({"name"}))})
SAVE_GUARD = ("      - check: lodgement_date <= today\n"
              "        says: the Lodgement Date cannot be in the future\n")


@pytest.mark.parametrize("text, says", [
    # about 20 minutes of `check` before these bounds
    ("count(count(count(1 for c in [0]*3000) for b in [0]*3000) for a in [0]*3000) > 0",
     "3000 list items"),
    ("count(count(count(1 for c in [0]*9) for b in [0]*9) for a in [0]*9) > 0",
     "loops nest at most 2 deep"),
    ("any(any(any(c for c in [a]) for b in [a]) for a in [1])", "loops nest at most 2 deep"),
    ("len('a' * 2000000000) > 0", "2000000000 characters of text"),  # 1.9 GB before these bounds
    ("len(2000000000 * 'a') > 0", "2000000000 characters of text"),
    ("len('ab' * 5000 * 2) > 0", "20000 characters of text"),
    ("len([1, 2] * 600) > 0", "1200 list items"),
    ("n < 10 ** 400", r"operator '\*\*' is not allowed"),
])
def test_what_an_expression_builds_where_it_is_written_out_is_refused_with_its_place(text, says):
    with pytest.raises(ExprError, match=says) as caught:
        compile_expr(text, SCOPE)
    assert 0 <= caught.value.offset < len(text)


@pytest.mark.parametrize("text, fields, says", [
    ("len(s * n) > 0", {"s": "ab", "n": 10 ** 9}, "2000000000 characters of text"),
    ("len([s] * n) > 0", {"s": "ab", "n": 1001}, "1001 list items"),
    ("n * n * n * n > 0", {"n": 10 ** 99}, "more than 1024 bits"),
])
def test_what_an_expression_builds_as_it_runs_is_bounded(text, fields, says):
    expr = compile_expr(text, SCOPE)
    with pytest.raises(ExprLimit, match=says):
        expr.fn({}, fields, None)
    with pytest.raises(ExprLimit, match=says):  # a bound is never read as the guard being false
        expr.holds({}, fields, None)


def test_values_within_the_bounds_are_built():
    assert compile_expr("len('-' * 60) == 60 and n * n > 0 and len([0] * 1000) == 1000",
                        SCOPE).holds({}, {"n": 7}, None)
    assert compile_expr("count(any(b for b in [a, a]) for a in [1, 0, 1]) == 2",
                        SCOPE).holds({}, {}, None)


def test_running_out_of_memory_inside_a_guard_is_not_the_guard_failing():
    class Ctx:
        def query(self, name):
            raise MemoryError

    expr = compile_expr("count(found()) == 0", SCOPE)
    assert MemoryError in LIMITS
    with pytest.raises(MemoryError):
        expr.holds({}, {}, Ctx())


def _mini_with(tmp_path: Path, check: str) -> Path:
    path = tmp_path / "mini.yaml"
    text = MINI.read_text(encoding="utf-8")
    assert SAVE_GUARD in text
    path.write_text(text.replace(SAVE_GUARD, SAVE_GUARD + f"      - check: \"{check}\"\n"
                                 "        says: the policy sentence of the guard\n", 1),
                    encoding="utf-8")
    return path


def test_a_guard_stopped_at_a_bound_refuses_the_event_naming_the_condition_and_changes_nothing(
    tmp_path):
    wf = load_workflow(_mini_with(tmp_path, "len(applicant * 100000000) > 0"))
    engine = Engine([wf], clock=SimulatedClock("2026-03-02 09:00"))
    inst = engine.create("mini", "c1")
    before = engine.state(inst)
    with pytest.raises(Refused) as caught:
        engine.fire(inst, "save", {"applicant": "payer"})
    [reason] = caught.value.reasons
    assert "len(applicant * 100000000) > 0" in reason and "500000000 characters of text" in reason
    assert "mini.yaml:" in reason and "policy sentence" not in reason
    assert engine.state(inst) == before
    assert engine.explain(inst, "save", {"applicant": "payer"}) == [reason]


def test_check_reports_a_guard_that_stops_on_boundary_values_as_an_error_naming_it(tmp_path):
    path = _mini_with(tmp_path, "number is None or number < 2000000000 or len('a' * number) > 0")
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 1, result.output
    assert "error: the condition 'number is None or number < 2000000000" in result.output
    assert "stops on some values: '*' would build 2000000000 characters of text" in result.output
    assert "policy sentence" not in result.output and "Traceback" not in result.output
