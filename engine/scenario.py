"""Scenario files: load them (with positions and checks), play them, compare the expectations; a suite of
them played and counted, with coverage."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .clock import SimulatedClock, parse_duration, parse_moment
from .coverage import Coverage, WorkflowCoverage
from .findings import Ambiguous, DefinitionError, Finding, Refused
from .findings import did_you_mean as _did_you_mean
from .instance import Instance, Intray
from .model import Query, Workflow
from .outcome import Outcome, Trace
from .runtime import Engine
from .values import ValueProblem, coerce, normalise_name, to_json

MAIN = "main"
DEFAULT_CLOCK = "2026-01-01 09:00"


@dataclass
class Step:
    index: int
    line: int
    raw: dict
    instance: str
    workflow: str | None  # the workflow of the instance (known at load time)


@dataclass
class Scenario:
    file: str
    title: str
    clock: str
    steps: list[Step]
    workflows: dict[str, Workflow]


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
    failures: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"step": self.index, "line": self.line, "kind": self.kind, "instance": self.instance,
                "clock": to_json(self.clock), "event": self.event or None, "from": self.from_status or None,
                "to": self.to_status or None, "opened": self.opened, "closed": self.closed,
                "letters": self.letters, "refused": self.refused or None, "found": self.found,
                "failures": self.failures}


@dataclass
class ScenarioResult:
    file: str
    title: str
    steps: list[StepResult]
    engine: Engine

    @property
    def failures(self) -> list[str]:
        return [f for s in self.steps for f in s.failures]

    @property
    def passed(self) -> bool:
        return not self.failures

    def to_json(self) -> dict:
        return {"file": self.file, "scenario": self.title, "passed": self.passed,
                "steps": len(self.steps), "failures": self.failures}


# -- loading --------------------------------------------------------------------------------

WorkflowFinder = Callable[[str], Workflow | None]


def find_workflow_file(name: str, near: Path) -> Path | None:
    """`workflows/NAME.yaml` in the scenario's folder or the nearest folder above it, else the current one
    (NAME "*": the first workflow file found)."""
    for folder in [near, *near.parents, Path.cwd()]:
        if name == "*":
            candidates = sorted((folder / "workflows").glob("*.yaml"))
            if candidates:
                return candidates[0]
        elif (folder / "workflows" / f"{name}.yaml").is_file():
            return folder / "workflows" / f"{name}.yaml"
    return None


_LOADED: dict[tuple[Path, int, int], Workflow] = {}


def _load_cached(path: Path) -> Workflow:
    """Workflows are immutable: one load serves every scenario while the file is unchanged."""
    from .spec import load_workflow

    stat = path.stat()
    key = (path.resolve(), stat.st_mtime_ns, stat.st_size)
    if key not in _LOADED:
        _LOADED[key] = load_workflow(path)
    return _LOADED[key]


def load_scenario(path: str | Path, finder: WorkflowFinder | None = None) -> Scenario:
    """A checked scenario, or DefinitionError with every finding (file:line:col) at once."""
    from .spec.schema import check_schema
    from .spec.yamlsrc import load_yaml_file

    path = Path(path)
    src = load_yaml_file(path)
    findings = check_schema(src, "scenario")
    if findings:
        raise DefinitionError(findings)
    doc = src.data
    cache: dict[str, Workflow | None] = {}
    misnamed: dict[str, Workflow] = {}  # a file found for the name declares another workflow

    def workflow(name: str) -> Workflow | None:
        if name not in cache:
            if finder is not None:
                cache[name] = finder(name)
            else:
                wf_file = find_workflow_file(name, path.resolve().parent)
                cache[name] = _load_cached(wf_file) if wf_file else None
            found = cache[name]
            if found is not None and found.name != name:
                misnamed[name], cache[name] = found, None
        return cache[name]

    def unknown(p: tuple, name: str) -> None:
        wf = misnamed.get(name)
        if wf is not None:
            err(p, f"unknown workflow '{name}': {Path(wf.file).name if wf.file else 'its file'} declares workflow "
                   f"'{wf.name}'", f"name the workflow as its file is named, or use '{wf.name}' here")
        else:
            err(p, f"unknown workflow '{name}'", f"no workflows/{name}.yaml was found")

    def err(p: tuple, message: str, hint: str = "", key: bool = False) -> None:
        line, col = src.pos(p, key=key)
        findings.append(Finding(src.file, line, col, message, code="scenario", hint=hint))

    def folder() -> Path | None:
        for wf in cache.values():
            if wf is not None and wf.file:
                return Path(wf.file).parent
        found = find_workflow_file("*", path.resolve().parent)
        return found.parent if found else None

    def known_queries() -> dict[str, str]:
        from .spec import sibling_queries

        where = folder()
        sigs = sibling_queries(where / "_") if where else {}
        return {name: sig.owner for name, sig in sigs.items()}

    def query_owner(name: str) -> Workflow | None:
        for wf in cache.values():
            if wf is not None and name in wf.queries:
                return wf
        owner = known_queries().get(name)
        return workflow(owner) if owner else None

    kinds: dict[str, str] = {}
    main_wf = doc.get("workflow")
    if main_wf is not None:
        if workflow(main_wf) is None:
            unknown(("workflow",), main_wf)
        else:
            kinds[MAIN] = main_wf
    clock = doc.get("clock", DEFAULT_CLOCK)
    now: datetime | None = None  # the clock as the steps move it, while it is known
    try:
        now = parse_moment(clock)
    except ValueError as exc:
        err(("clock",), str(exc))
    steps = []
    for i, raw in enumerate(doc["steps"]):
        p = ("steps", i)
        name = raw.get("instance", MAIN)
        actions = [k for k in ("event", "advance", "at", "query") if k in raw]
        if len(actions) > 1:
            err(p, f"a step does one thing; this one has {' and '.join(actions)}")
        if not actions and "expect" not in raw:
            err(p, "a step needs an event, advance, at, query or expect")
        if "workflow" in raw:
            if workflow(raw["workflow"]) is None:
                unknown(p + ("workflow",), raw["workflow"])
            elif name in kinds and kinds[name] != raw["workflow"]:
                err(p + ("workflow",), f"instance '{name}' is already a {kinds[name]}")
            else:
                kinds[name] = raw["workflow"]
        wf_name = kinds.get(name)
        wf = workflow(wf_name) if wf_name else None
        if wf is None and ("event" in raw or "expect" in raw) and "query" not in raw and "workflow" not in raw:
            err(p, f"instance '{name}' has no workflow yet: name it with `workflow:` on its first step")
        if wf is not None:
            _check_step(wf, raw, p, err)
        if "query" in raw:
            owner = query_owner(raw["query"])
            if owner is None:
                err(p + ("query",), f"unknown query '{raw['query']}'", _did_you_mean(raw["query"], known_queries()))
            else:
                _check_query(owner.queries[raw["query"]], owner, raw, p, err)
        for key in ("advance", "at"):
            if key in raw:
                try:
                    moment = parse_moment(raw[key]) if key == "at" else None
                    if key == "advance" and now is not None:
                        now = now + parse_duration(raw[key])
                    elif key == "advance":
                        parse_duration(raw[key])
                    elif now is not None and moment is not None and moment < now:
                        err(p + (key,), f"at: {moment} is before the clock ({now}): the clock cannot move backwards",
                            "use a later moment, or move the steps after it earlier")
                    else:
                        now = moment
                except (ValueError, OverflowError) as exc:
                    err(p + (key,), str(exc) if isinstance(exc, ValueError) else "the clock cannot go that far")
                    now = None
        steps.append(Step(i + 1, src.pos(p)[0], raw, name, wf_name))
    pending = [w for w in cache.values() if w is not None]
    while pending:  # the workflows whose queries the loaded ones call
        for name in pending.pop().requires:
            if name not in cache:
                required = workflow(name)
                if required is None:
                    err(("workflow",), f"workflow '{name}' is needed for its queries but was not found")
                else:
                    pending.append(required)
    if findings:
        raise DefinitionError(findings)
    loaded = {n: w for n, w in cache.items() if w is not None}
    return Scenario(src.file, doc["scenario"], clock, steps, loaded)


def _check_query(query: Query, wf: Workflow, raw: dict, p: tuple, err: Callable[..., None]) -> None:
    """A query step's criteria and expectations; a step expecting `error` may give a criterion the search refuses."""
    expect = raw.get("expect", {})
    names = [q.name for q in query.params]
    if "error" not in expect:
        for key in raw.get("data") or {}:
            if key not in names:
                err(p + ("data", key), query.not_a_criterion(key, wf.fields),
                    _did_you_mean(key, names) or f"its parameters are {', '.join(names) or 'none'}", key=True)
    unexpected = [k for k in expect if k not in ("results", "error")]
    if unexpected:
        err(p + ("expect", unexpected[0]), f"a query step can only expect `results` or `error`, not `{unexpected[0]}`",
            key=True)
    if "results" in expect and "error" in expect:
        err(p + ("expect", "error"), "a query step expects `results` or `error`, not both", key=True)


def _check_step(wf: Workflow, raw: dict, p: tuple, err: Callable[..., None]) -> None:
    expect = raw.get("expect", {})
    if "event" in raw:
        event = wf.events.get(raw["event"])
        if event is None:
            err(p + ("event",), f"unknown event '{raw['event']}' in workflow {wf.name}",
                _did_you_mean(raw["event"], wf.events))
        else:
            for key, value in (raw.get("data") or {}).items():
                spec = event.data_field(key)
                if spec is None:
                    err(p + ("data", key), f"event {event.name} has no data field '{key}'",
                        _did_you_mean(key, [d.name for d in event.data]) or
                        f"its fields are {', '.join(d.name for d in event.data) or 'none'}", key=True)
                elif "error" not in expect:
                    try:
                        coerce(spec, value, wf.lists)
                    except ValueProblem as exc:
                        err(p + ("data", key), str(exc))
    for key in ("allowed", "not_allowed"):
        for j, ev in enumerate(expect.get(key, [])):
            if ev not in wf.events:
                err(p + ("expect", key, j), f"unknown event '{ev}'", _did_you_mean(ev, wf.events))
    if "status" in expect and _status(wf, expect["status"]) is None:
        err(p + ("expect", "status"), f"unknown status '{expect['status']}' in workflow {wf.name}",
            _did_you_mean(expect["status"], wf.statuses))
    for key in expect.get("fields", {}):
        if key not in wf.fields:
            err(p + ("expect", "fields", key), f"unknown field '{key}' in workflow {wf.name}",
                _did_you_mean(key, wf.fields), key=True)
    for key in ("intrays", "opened", "closed", "overdue"):
        spec = expect.get(key, [])
        for j, code in enumerate(spec):
            if code not in wf.intrays:
                err(p + ("expect", key, code if isinstance(spec, dict) else j), f"unknown intray '{code}'",
                    _did_you_mean(code, wf.intrays), key=isinstance(spec, dict))
            elif isinstance(spec, dict) and _due_problem(spec[code]):
                err(p + ("expect", key, code), _due_problem(spec[code]))
    for j, letter in enumerate(expect.get("letters", [])):
        code = letter if isinstance(letter, str) else letter["code"]
        if code not in wf.letters:
            err(p + ("expect", "letters", j), f"unknown letter '{code}'", _did_you_mean(code, wf.letters))


def _status(wf: Workflow, name: str) -> str | None:
    name = normalise_name(name)
    if name in wf.statuses:
        return name
    for status in wf.statuses.values():
        if name in status.aliases:
            return status.name
    return None


# -- playing --------------------------------------------------------------------------------

def run_scenario(scenario: Scenario, trace: Callable[[Trace], None] | None = None) -> ScenarioResult:
    """Play every step; `trace`, when given, is told what each event exercised (see Engine.trace)."""
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
    where = f"{scenario.file}:{step.line}"
    kind = next((k for k in ("event", "advance", "at", "query") if k in raw), "check")
    result = StepResult(step.index, step.line, kind, step.instance, clock.now)
    if step.instance not in engine.instances and step.workflow:
        engine.create(step.workflow, step.instance)
    inst = engine.instances.get(step.instance)
    outcome: Outcome | None = None
    if kind in ("advance", "at"):
        try:
            engine.advance(clock.now + parse_duration(raw["advance"]) if kind == "advance" else parse_moment(raw["at"]))
        except OverflowError:
            result.failures.append(f"{where}: step {step.index}: the clock cannot go that far ({kind} {raw[kind]})")
            return result
        except Refused as exc:
            result.failures.append(f"{where}: step {step.index}: {'; '.join(exc.reasons)}")
            return result
    elif kind == "query":
        result.event = raw["query"]
        try:
            found = engine.search(raw["query"], raw.get("data") or {})
        except Refused as exc:
            result.refused = "; ".join(exc.reasons)
            if "error" not in expect:
                result.failures.append(f"{where}: step {step.index} (query {raw['query']}) was refused: "
                                       f"{result.refused}")
            elif expect["error"].lower() not in result.refused.lower():
                result.failures.append(f"{where}: step {step.index}: expected the error '{expect['error']}', "
                                       f"got: {result.refused}")
            return result
        result.found = [r["instance"] for r in found]
        if "error" in expect:
            result.failures.append(f"{where}: step {step.index} (query {raw['query']}): expected it to be refused "
                                   f"with '{expect['error']}', but it found {result.found}")
        if "results" in expect and result.found != list(expect["results"]):
            result.failures.append(f"{where}: step {step.index} (query {raw['query']}): expected results "
                                   f"{expect['results']}, found {result.found}")
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
            if "error" not in expect:
                result.failures.append(f"{where}: step {step.index} ({raw['event']}) was refused: {result.refused}")
            elif expect["error"].lower() not in result.refused.lower():
                result.failures.append(f"{where}: step {step.index} ({raw['event']}): expected the error "
                                       f"'{expect['error']}', got: {result.refused}")
            if engine.state(inst) != before:
                result.failures.append(f"{where}: step {step.index}: a refused event changed the instance")
            result.to_status = inst.status
            result.clock = clock.now
            rest = {k: v for k, v in expect.items() if k != "error"}
            result.failures += [f"{where}: step {step.index}: {m}" for m in _compare(engine, inst, rest, None)]
            return result
        result.to_status = inst.status
        result.opened = [i.code for i in outcome.opened]
        result.closed = [i.code for i in outcome.closed]
        result.letters = [lt.to_json() for lt in outcome.letters]
        if "error" in expect:
            result.failures.append(f"{where}: step {step.index} ({raw['event']}): expected it to be refused "
                                   f"with '{expect['error']}', but it was accepted")
    result.clock = clock.now
    if inst is not None:
        result.failures += [f"{where}: step {step.index}: {m}" for m in _compare(engine, inst, expect, outcome)]
    return result


def _compare(engine: Engine, inst: Instance, expect: dict, outcome: Outcome | None) -> list[str]:
    wf = inst.workflow
    problems = []
    if "status" in expect:
        want = _status(wf, expect["status"])
        if inst.status != want:
            problems.append(f"expected status '{expect['status']}', found '{inst.status}'")
    for name, want in expect.get("fields", {}).items():
        spec = wf.fields[name]
        got = inst.fields.get(name)
        try:
            typed = coerce(spec, want, wf.lists)
        except ValueProblem:
            typed = want
        if to_json(got) != to_json(typed):
            problems.append(f"expected field {name} = {to_json(want)!r}, found {to_json(got)!r}")
    now = engine.clock()
    if "intrays" in expect:
        problems += _codes("open intrays", expect["intrays"], inst.open_intrays())
    if "opened" in expect:
        problems += _codes("intrays opened by this step", expect["opened"], outcome.opened if outcome else [])
    if "closed" in expect:
        problems += _codes("intrays closed by this step", expect["closed"], outcome.closed if outcome else [])
    if "overdue" in expect:
        problems += _codes("overdue intrays", expect["overdue"], inst.overdue(now))
    if "letters" in expect:
        wanted = expect["letters"]
        with_to = {x["code"] for x in wanted if isinstance(x, dict) and "to" in x}
        want = Counter(_letter_key(x) for x in wanted)
        issued = outcome.letters if outcome else []
        got = Counter((lt.code, tuple(sorted(lt.to))) if lt.code in with_to else (lt.code,) for lt in issued)
        if want != got:
            shown = ", ".join(f"{lt.code} to {'/'.join(lt.to)}" for lt in issued) or "none"
            problems.append(f"expected letters {_show_letters(wanted)}, issued: {shown}")
    for name in expect.get("allowed", []):
        option = engine.option(inst, name)
        if not option.allowed:
            problems.append(f"expected {name} to be allowed, but: {'; '.join(option.reasons)}")
    for name in expect.get("not_allowed", []):
        if engine.option(inst, name).allowed:
            problems.append(f"expected {name} not to be allowed, but it is")
    return problems


def _letter_key(x: Any) -> tuple:
    if isinstance(x, str):
        return (x,)
    if "to" not in x:
        return (x["code"],)
    return (x["code"], tuple(sorted(x["to"])))


def _show_letters(expected: list) -> str:
    return ", ".join(x if isinstance(x, str) else f"{x['code']} to {'/'.join(x.get('to', []))}" for x in expected) \
        or "none"


def _codes(what: str, want: Any, got: list[Intray]) -> list[str]:
    got_codes = Counter(i.code for i in got)
    shown = ", ".join(f"{i.code} (due {to_json(i.due)})" for i in got) or "none"
    if isinstance(want, list):
        if Counter(want) != got_codes:
            return [f"expected {what} {', '.join(want) or 'none'}, found {shown}"]
        return []
    want_codes = Counter({code: len(spec) if isinstance(spec, list) else 1 for code, spec in want.items()})
    if want_codes != got_codes:
        return [f"expected {what} {', '.join(want) or 'none'}, found {shown}"]
    problems = []
    for code, spec in want.items():
        specs = spec if isinstance(spec, list) else [spec]
        items = [i for i in got if i.code == code]
        unmatched = list(items)
        for s in specs:
            hit = next((i for i in unmatched if _intray_matches(s, i)), None)
            if hit is None:
                problems.append(f"expected {code} {_show_spec(s)} among {what}, found {shown}")
            else:
                unmatched.remove(hit)
    return problems


def _due_problem(spec: Any) -> str:
    """What is wrong with an expected due date (as _intray_matches reads it), or ''."""
    if isinstance(spec, list):  # one expectation per open intray of that code
        return next((p for p in map(_due_problem, spec) if p), "")
    due = spec.get("due") if isinstance(spec, dict) else spec
    if due is None:
        return ""
    text = str(due).strip()
    try:
        parse_moment(text)
    except ValueError:
        return f"'{due}' is not a due date such as 2026-03-04 or 2026-03-04 09:00"
    return ""


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
        """Play one file: its result, or the DefinitionError saying why it could not be loaded (a failure)."""
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
        return [c for c in self.covered() if min_percent is not None and c.percent("transitions") < min_percent]

    def fails(self, min_percent: float | None) -> bool:
        """A failed scenario, a workflow covered below `min_percent`, or no scenario at all."""
        return bool(self.failed or self.below(min_percent) or not (self.passed + self.failed))

    def to_json(self) -> dict:
        out: dict[str, Any] = {"results": self.results, "passed": self.passed, "failed": self.failed}
        if self.coverage:
            out["coverage"] = [c.to_json() for c in self.covered()]
        return out
