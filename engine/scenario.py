"""Scenarios played: each step fired and its expectations compared (scenario files are read and
checked in engine.spec.scenario); a suite of them played and counted, with coverage."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .clock import SimulatedClock, parse_duration, parse_moment
from .coverage import Coverage, WorkflowCoverage
from .findings import Ambiguous, DefinitionError, Refused
from .instance import Instance, Intray
from .outcome import Outcome, Trace
from .runtime import Engine
from .spec.scenario import Scenario, Step, load_scenario, status_named
from .values import ValueProblem, coerce, to_json

if TYPE_CHECKING:  # pragma: no cover
    from .render import Taken


@dataclass(frozen=True)
class Failure:
    """A failed expectation: the step (number and line), the expectation's key, what it expected and
    what was found."""

    file: str
    step: int
    line: int
    # status, fields.NAME, intrays, ..., results, error, or refused (refused without `error`)
    key: str
    expected: Any
    found: Any
    message: str

    def __str__(self) -> str:
        if self.message.startswith("("):  # (event) was refused ...
            return f"{self.file}:{self.line}: step {self.step} {self.message}"
        return f"{self.file}:{self.line}: step {self.step}: {self.message}"

    def to_json(self) -> dict:
        return {"step": self.step, "line": self.line, "key": self.key,
                "expected": to_json(self.expected),
                "found": to_json(self.found), "message": self.message}


@dataclass
class StepResult:
    index: int
    line: int
    kind: str  # event | advance | at | check | query
    instance: str
    clock: datetime
    event: str = ""
    from_status: str = ""
    to_status: str = ""
    opened: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    letters: list[dict] = field(default_factory=list)
    refused: str = ""
    found: list[str] = field(default_factory=list)  # a query step's results
    failures: list[Failure] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"step": self.index, "line": self.line, "kind": self.kind, "instance": self.instance,
                "clock": to_json(self.clock), "event": self.event or None,
                "from": self.from_status or None,
                "to": self.to_status or None, "opened": self.opened, "closed": self.closed,
                "letters": self.letters, "refused": self.refused or None, "found": self.found,
                "failures": [f.to_json() for f in self.failures]}


@dataclass
class ScenarioResult:
    file: str
    title: str
    steps: list[StepResult]
    engine: Engine

    @property
    def failed(self) -> list[Failure]:
        return [f for s in self.steps for f in s.failures]

    @property
    def failures(self) -> list[str]:
        return [str(f) for f in self.failed]

    @property
    def passed(self) -> bool:
        return not self.failed

    def to_json(self) -> dict:
        """The result for programs: each failed expectation with its step, line, key, expected and
        found."""
        return {"file": self.file, "scenario": self.title, "passed": self.passed,
                "steps": len(self.steps), "failures": self.failures,
                "expectations_failed": [f.to_json() for f in self.failed]}


# -- playing --------------------------------------------------------------------------------

def run_scenario(scenario: Scenario,
                 trace: Callable[[Trace], None] | None = None) -> ScenarioResult:
    """Play every step; `trace`, when given, is told what each event exercised (see
    Engine.trace)."""
    clock = SimulatedClock(parse_moment(scenario.clock))
    engine = Engine(scenario.workflows.values(), clock=clock)
    engine.trace = trace
    results = []
    for step in scenario.steps:
        results.append(_play(engine, clock, scenario, step))
    return ScenarioResult(scenario.file, scenario.title, results, engine)


def _play(engine: Engine, clock: SimulatedClock, scenario: Scenario, step: Step) -> StepResult:
    raw = step.raw
    expect = raw.get("expect", {})
    kind = next((k for k in ("event", "advance", "at", "query") if k in raw), "check")
    result = StepResult(step.index, step.line, kind, step.instance, clock.now)

    def fail(key: str, expected: Any, found: Any, message: str) -> None:
        result.failures.append(Failure(scenario.file, step.index, step.line, key, expected, found,
                                       message))

    def refused_as_expected(what: str) -> None:
        if "error" not in expect:
            fail("refused", None, result.refused, f"({what}) was refused: {result.refused}")
        elif expect["error"].lower() not in result.refused.lower():
            fail("error", expect["error"], result.refused,
                 f"({what}) expected the error '{expect['error']}', got: {result.refused}")

    if step.instance not in engine.instances and step.workflow:
        engine.create(step.workflow, step.instance)
    inst = engine.instances.get(step.instance)
    outcome: Outcome | None = None
    if kind in ("advance", "at"):
        try:
            engine.advance(clock.now + parse_duration(raw["advance"]) if kind == "advance"
                           else parse_moment(raw["at"]))
        except OverflowError:
            fail(kind, raw[kind], None, f"the clock cannot go that far ({kind} {raw[kind]})")
            return result
        except Refused as exc:
            fail(kind, raw[kind], None, "; ".join(exc.reasons))
            return result
    elif kind == "query":
        result.event = raw["query"]
        try:
            found = engine.search(raw["query"], raw.get("data") or {})
        except Refused as exc:
            result.refused = "; ".join(exc.reasons)
            refused_as_expected(f"query {raw['query']}")
            return result
        result.found = [r["instance"] for r in found]
        if "error" in expect:
            fail("error", expect["error"], result.found,
                 f"(query {raw['query']}) expected it to be refused with "
                                                         f"'{expect['error']}', but it found "
                                                         f"{result.found}")
        if "results" in expect and result.found != list(expect["results"]):
            fail("results", list(expect["results"]), result.found,
                 f"(query {raw['query']}) expected results {expect['results']}, found "
                 f"{result.found}")
        return result
    elif kind == "event":
        assert inst is not None
        before = engine.state(inst)
        result.event = raw["event"]
        result.from_status = inst.status
        try:
            outcome = engine.fire(inst, raw["event"], raw.get("data"), raw.get("actor"))
        except (Refused, Ambiguous) as exc:
            result.refused = "; ".join(getattr(exc, "reasons", None) or [str(exc)])
            if isinstance(exc, Ambiguous):
                result.refused = str(exc)
            refused_as_expected(raw["event"])
            if engine.state(inst) != before:
                fail("error", "nothing changed", "a change", "a refused event changed the instance")
            result.to_status = inst.status
            result.clock = clock.now
            for problem in _compare(engine, inst, {k: v for k, v in expect.items() if k != "error"},
                                    None):
                fail(*problem)
            return result
        result.to_status = inst.status
        result.opened = [i.code for i in outcome.opened]
        result.closed = [i.code for i in outcome.closed]
        result.letters = [lt.to_json() for lt in outcome.letters]
        if "error" in expect:
            fail("error", expect["error"], "accepted",
                 f"({raw['event']}) expected it to be refused with '{expect['error']}', but it "
                 "was accepted")
    result.clock = clock.now
    if inst is not None:
        for problem in _compare(engine, inst, expect, outcome):
            fail(*problem)
    return result


Problem = tuple[str, Any, Any, str]  # key, expected, found, message


def _compare(engine: Engine, inst: Instance, expect: dict,
             outcome: Outcome | None) -> list[Problem]:
    wf = inst.workflow
    problems: list[Problem] = []
    if "status" in expect:
        want = status_named(wf, expect["status"])
        if inst.status != want:
            problems.append(("status", expect["status"], inst.status,
                             f"expected status '{expect['status']}', found '{inst.status}'"))
    for name, want in expect.get("fields", {}).items():
        spec = wf.fields[name]
        got = inst.fields.get(name)
        try:
            typed = coerce(spec, want, wf.lists)
        except ValueProblem:
            typed = want
        if to_json(got) != to_json(typed):
            problems.append((f"fields.{name}", want, got,
                             f"expected field {name} = {to_json(want)!r}, found {to_json(got)!r}"))
    now = engine.clock()
    if "intrays" in expect:
        problems += _codes("intrays", "open intrays", expect["intrays"], inst.open_intrays())
    if "opened" in expect:
        problems += _codes("opened", "intrays opened by this step", expect["opened"],
                           outcome.opened if outcome else [])
    if "closed" in expect:
        problems += _codes("closed", "intrays closed by this step", expect["closed"],
                           outcome.closed if outcome else [])
    if "overdue" in expect:
        problems += _codes("overdue", "overdue intrays", expect["overdue"], inst.overdue(now))
    if "letters" in expect:
        wanted = expect["letters"]
        with_to = {x["code"] for x in wanted if isinstance(x, dict) and "to" in x}
        want = Counter(_letter_key(x) for x in wanted)
        issued = outcome.letters if outcome else []
        got = Counter((lt.code, tuple(sorted(lt.to))) if lt.code in with_to else (lt.code,)
                      for lt in issued)
        if want != got:
            shown = ", ".join(f"{lt.code} to {'/'.join(lt.to)}" for lt in issued) or "none"
            problems.append(("letters", wanted, [lt.to_json() for lt in issued],
                             f"expected letters {_show_letters(wanted)}, issued: {shown}"))
    for name in expect.get("allowed", []):
        option = engine.option(inst, name)
        if not option.allowed:
            problems.append(("allowed", name, option.reasons,
                             f"expected {name} to be allowed, but: {'; '.join(option.reasons)}"))
    for name in expect.get("not_allowed", []):
        if engine.option(inst, name).allowed:
            problems.append(("not_allowed", name, "allowed",
                             f"expected {name} not to be allowed, but it is"))
    return problems


def _letter_key(x: Any) -> tuple:
    if isinstance(x, str):
        return (x,)
    if "to" not in x:
        return (x["code"],)
    return (x["code"], tuple(sorted(x["to"])))


def _show_letters(expected: list) -> str:
    return ", ".join(x if isinstance(x, str) else f"{x['code']} to {'/'.join(x.get('to', []))}"
                     for x in expected) \
        or "none"


def _codes(key: str, what: str, want: Any, got: list[Intray]) -> list[Problem]:
    got_codes = Counter(i.code for i in got)
    shown = ", ".join(f"{i.code} (due {to_json(i.due)})" for i in got) or "none"
    found = [{"code": i.code, "due": to_json(i.due)} for i in got]
    if isinstance(want, list):
        if Counter(want) != got_codes:
            return [(key, want, found,
                     f"expected {what} {', '.join(want) or 'none'}, found {shown}")]
        return []
    want_codes = Counter({code: len(spec) if isinstance(spec, list) else 1
                          for code, spec in want.items()})
    if want_codes != got_codes:
        return [(key, want, found, f"expected {what} {', '.join(want) or 'none'}, found {shown}")]
    problems: list[Problem] = []
    for code, spec in want.items():
        specs = spec if isinstance(spec, list) else [spec]
        items = [i for i in got if i.code == code]
        unmatched = list(items)
        for s in specs:
            hit = next((i for i in unmatched if _intray_matches(s, i)), None)
            if hit is None:
                problems.append((f"{key}.{code}", s, found,
                                 f"expected {code} {_show_spec(s)} among {what}, found {shown}"))
            else:
                unmatched.remove(hit)
    return problems


def _intray_matches(spec: Any, item: Intray) -> bool:
    if spec is None:
        return True
    if isinstance(spec, dict):
        if "assigned_to" in spec and spec["assigned_to"] != item.assigned_to:
            return False
        if "about" in spec and spec["about"] != item.about:
            return False
        spec = spec.get("due")
        if spec is None:
            return True
    text = str(spec).strip()
    if len(text) == 10:  # a date matches any time that day
        return item.due.date() == date.fromisoformat(text)
    return item.due == parse_moment(text)


def _show_spec(spec: Any) -> str:
    if isinstance(spec, dict):
        return "with " + ", ".join(f"{k} {v}" for k, v in spec.items())
    return f"due {spec}"


# -- a suite of scenario files (`procflow test`) -----------------------------------------------

class Suite:
    """Scenario files played one by one and counted; with `coverage`, what they exercised of every
    workflow they use (see coverage.Coverage)."""

    def __init__(self, coverage: bool = False):
        self.coverage = Coverage() if coverage else None
        self.passed = 0
        self.failed = 0
        self.results: list[dict] = []  # each file's result as JSON, in order

    def run(self, file: Path) -> ScenarioResult | DefinitionError:
        """Play one file: its result, or the DefinitionError saying why it could not be loaded (a
        failure)."""
        coverage = self.coverage
        try:
            scenario = load_scenario(file)
            if coverage:
                for wf in scenario.workflows.values():
                    coverage.include(wf)
            result = run_scenario(scenario, trace=coverage.record if coverage else None)
        except DefinitionError as exc:
            self.failed += 1
            self.results.append({"file": str(file), "scenario": None, "passed": False,
                                 "failures": [f.render() for f in exc.findings]})
            return exc
        self.passed += result.passed
        self.failed += not result.passed
        self.results.append(result.to_json())
        return result

    def covered(self) -> list[WorkflowCoverage]:
        return self.coverage.results() if self.coverage else []

    def below(self, min_percent: float | None) -> list[WorkflowCoverage]:
        """The workflows whose transitions the scenarios take less than `min_percent` of."""
        return [c for c in self.covered()
                if min_percent is not None and c.percent("transitions") < min_percent]

    def fails(self, min_percent: float | None) -> bool:
        """A failed scenario, a workflow covered below `min_percent`, or no scenario at all."""
        return bool(self.failed or self.below(min_percent) or not (self.passed + self.failed))

    def to_json(self) -> dict:
        out: dict[str, Any] = {"results": self.results, "passed": self.passed,
                               "failed": self.failed}
        if self.coverage:
            out["coverage"] = [c.to_json() for c in self.covered()]
        return out


def taken_path(file: Path, workflow: str, instance: str) -> tuple[list[Taken], int]:
    """The steps a scenario's case `instance` of `workflow` took, for a diagram to draw as its path,
    and how many of the scenario's expectations fail. ValueError naming the scenario's cases of the
    workflow when it has no such case; DefinitionError when the scenario does not load."""
    from .render import taken_steps

    traces: list[Trace] = []  # which transition each event took
    result = run_scenario(load_scenario(file), trace=traces.append)
    case = result.engine.instances.get(instance)
    if case is None or case.workflow.name != workflow:
        known = [n for n, i in result.engine.instances.items() if i.workflow.name == workflow]
        raise ValueError(f"{file} has no case '{instance}' of workflow {workflow} (its cases of "
                         f"{workflow}: {', '.join(known) or 'none'}; choose one with --instance)")
    return taken_steps(result.steps, instance, traces), len(result.failures)
