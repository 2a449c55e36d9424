"""Fuzzing `check` as an attacker and a careless editor would: structure-aware mutations of the real
workflows, and expression text put into a guard. Every input is checked within a time and a memory
budget, and ends in a workflow or in positioned findings: never a traceback, a hang or gigabytes.
The corpus of the cases that once broke it is tested one by one in test_limits.py, test_check.py,
test_stores.py and test_expr.py."""
from __future__ import annotations

import resource
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from timebox import within

from engine import DefinitionError
from engine.analysis import analyse
from engine.spec import load_workflow_text

ROOT = Path(__file__).resolve().parent.parent
REAL = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8"))
        for p in sorted((ROOT / "workflows").glob("*.yaml"))}
MINI = (ROOT / "tests" / "fixtures" / "workflows" / "mini.yaml").read_text(encoding="utf-8")
GUARD = "      - check: lodgement_date <= today\n"
# per input: far above what one needs (about a second on a loaded machine), far below a hang
SECONDS = 20
MEGABYTES = 300  # growth of the peak memory per input: the gigabyte cases stay far above it

# what an attacker or a careless editor writes in place of a value
HOSTILE: list[Any] = [
    None, "", 0, -1, True, 10 ** 60, 1e308, float("nan"), [], {}, [[[[[]]]]], "x" * 5000,
    "\x00", "A\x1b[2J\x1b[H title", "tab\tand\nnewline", "../../../../etc/passwd", ".git/config",
    "99999999d", "48h", "0d", "2026-W09-7", "20260301", "2026-03-01T09:00+10:00",
    "matches(name, 'a*a*a*a*a*a*b')", "matches(name, '(a{1,20}){1,20}b')",
    "matches(name, '(a?){28}a{28}')",
    "matches(name, '(a)\\\\1')", "len('a' * 2000000000) > 0",
    "count(count(count(1 for c in [0]*3000) for b in [0]*3000) for a in [0]*3000) > 0",
    "count(count(count(1 for c in [0]*9) for b in [0]*9) for a in [0]*9) > 0",
    "(" * 200 + "1" + ")" * 200, "not " * 300 + "true", "__import__('os').system('true')",
    "().__class__.__bases__[0].__subclasses__()", "lodgement_date + 99999999 days", "[applicnat]",
    ["applicnat"],
]


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    """Every place in a YAML document: mapping keys and list items, depth first."""
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _paths(value, (*path, i))
    return found


def _mutated(doc: Any, path: tuple, how: str, value: Any) -> Any:
    """A copy of `doc` with the value at `path` replaced, deleted or wrapped (`how`)."""
    if not path:
        return value if how == "replace" else doc
    head, rest = path[0], path[1:]
    if isinstance(doc, dict):
        copy = dict(doc)
        if not rest and how == "delete":
            copy.pop(head, None)
        else:
            copy[head] = _mutated(doc[head], rest, how, value)
        return copy
    copy_list = list(doc)
    if not rest and how == "delete":
        del copy_list[head]
    elif not rest and how == "repeat":
        copy_list.insert(head, doc[head])
    else:
        copy_list[head] = _mutated(doc[head], rest, how, value)
    return copy_list


def _within_budget(work: Any) -> Any:
    """`work()` under a time budget and a memory one (the growth of the process's peak)."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        return within(SECONDS, work)
    finally:
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        assert grown < MEGABYTES, f"check took {grown:.0f} MB more memory than before"


def _check(text: str) -> None:
    """What `procflow check` does with one workflow file: load it, analyse it; findings are a fine
    answer."""
    def work() -> None:
        try:
            wf = load_workflow_text(text, "fuzz.yaml")
        except DefinitionError as exc:
            assert exc.findings and all(f.message for f in exc.findings)
            return
        for finding in analyse(wf):
            assert finding.message

    _within_budget(work)


FUZZ = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FUZZ
@given(st.data())
def test_check_ends_within_its_budget_on_mutated_real_workflows(data):
    name = data.draw(st.sampled_from(sorted(REAL)), label="workflow")
    doc = REAL[name]
    paths = _paths(doc)
    changes = data.draw(st.integers(1, 3), label="changes")
    for _ in range(changes):
        path = data.draw(st.sampled_from(paths), label="path")
        how = data.draw(st.sampled_from(["replace", "replace", "replace", "delete", "repeat"]),
                        label="how")
        value = data.draw(st.sampled_from(HOSTILE), label="value")
        try:
            doc = _mutated(doc, path, how, value)
        except (KeyError, IndexError, TypeError):
            pass  # an earlier change removed the place
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=10_000)
    _check(text)


# pieces of expression text: names the guard's scope has, operators, calls, literals small and large
ATOMS = st.sampled_from(["lodgement_date", "applicant", "number", "today", "now", "status", "notes",
                         "actor.role",
                         "1", "0", "-1", "2000000000", "9" * 120, "'a'", "'payer'", "[0]",
                         "[0, 1, 2]", "true", "null",
                         "35 days", "48 hours", "is_open('WORK')", "opened_on('WAIT', applicant)",
                         "matches(applicant, '(a+)+b')", "matches(applicant, '[a-z]{1,1000}')",
                         "date('2026-03-01')", "x", "n.text"])
BINARY = st.sampled_from([" * ", " + ", " - ", " // ", " and ", " or ", " == ", " < ", " in ",
                          " not in ", " ** ",
                          " if true else "])


@st.composite
def expressions(draw: Any, depth: int = 0) -> str:
    kind = draw(st.integers(0, 6 if depth < 4 else 0))
    if kind == 0:
        return draw(ATOMS)
    if kind in (1, 2):
        return f"{draw(expressions(depth + 1))}{draw(BINARY)}{draw(expressions(depth + 1))}"
    if kind == 3:
        func = draw(st.sampled_from(["count", "any", "all", "len", "min", "max"]))
        return f"{func}({draw(expressions(depth + 1))} for x in {draw(expressions(depth + 1))})"
    if kind == 4:
        return f"len({draw(expressions(depth + 1))})"
    if kind == 5:
        return f"not ({draw(expressions(depth + 1))})"
    return f"[{draw(expressions(depth + 1))}, {draw(expressions(depth + 1))}]"


@FUZZ
@given(expressions())
def test_check_ends_within_its_budget_on_any_guard_text(text):
    guard = text.replace("\\", "\\\\").replace('"', '\\"')
    _check(MINI.replace(GUARD, f'      - check: "{guard}"\n        says: fuzzed\n' + GUARD, 1))


@pytest.mark.parametrize("text",
                         [h for h in HOSTILE if isinstance(h, str) and ("(" in h or "*" in h)])
def test_check_ends_within_its_budget_on_the_corpus_as_a_guard(text):
    guard = text.replace("\\", "\\\\").replace('"', '\\"')
    _check(MINI.replace(GUARD, f'      - check: "{guard}"\n        says: hostile\n' + GUARD, 1))
