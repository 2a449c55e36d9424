"""Scenario files read and checked like workflows: every step against the workflows it names, every
finding at once (file:line:col), before anything is played (see engine.scenario)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..clock import parse_duration, parse_moment
from ..findings import DefinitionError, Finding
from ..findings import did_you_mean as _did_you_mean
from ..model import Query, Workflow
from ..values import ValueProblem, coerce, normalise_name

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


WorkflowFinder = Callable[[str], Workflow | None]


def find_workflow_file(name: str, near: Path) -> Path | None:
    """`workflows/NAME.yaml` in the scenario's folder or the nearest folder above it, else the
    current one (NAME "*": the first workflow file found)."""
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
    from . import load_workflow

    stat = path.stat()
    key = (path.resolve(), stat.st_mtime_ns, stat.st_size)
    if key not in _LOADED:
        _LOADED[key] = load_workflow(path)
    return _LOADED[key]


def load_scenario(path: str | Path, finder: WorkflowFinder | None = None) -> Scenario:
    """A checked scenario, or DefinitionError with every finding (file:line:col) at once."""
    from .schema import check_schema
    from .yamlsrc import load_yaml_file

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
            err(p,
                f"unknown workflow '{name}': {Path(wf.file).name if wf.file else 'its file'} "
                "declares workflow "
                   f"'{wf.name}'",
                f"name the workflow as its file is named, or use '{wf.name}' here")
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
        from . import sibling_queries

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
        if wf is None and ("event" in raw or "expect" in raw) and "query" not in raw \
                and "workflow" not in raw:
            err(p, f"instance '{name}' has no workflow yet: "
                   "name it with `workflow:` on its first step")
        if wf is not None:
            _check_step(wf, raw, p, err)
        if "query" in raw:
            owner = query_owner(raw["query"])
            if owner is None:
                err(p + ("query",), f"unknown query '{raw['query']}'",
                    _did_you_mean(raw["query"], known_queries()))
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
                        err(p + (key,),
                            f"at: {moment} is before the clock ({now}): the clock cannot "
                            "move backwards",
                            "use a later moment, or move the steps after it earlier")
                    else:
                        now = moment
                except (ValueError, OverflowError) as exc:
                    err(p + (key,),
                        str(exc) if isinstance(exc, ValueError) else "the clock cannot go that far")
                    now = None
        steps.append(Step(i + 1, src.pos(p)[0], raw, name, wf_name))
    pending = [w for w in cache.values() if w is not None]
    while pending:  # the workflows whose queries the loaded ones call
        for name in pending.pop().requires:
            if name not in cache:
                required = workflow(name)
                if required is None:
                    err(("workflow",),
                        f"workflow '{name}' is needed for its queries but was not found")
                else:
                    pending.append(required)
    if findings:
        raise DefinitionError(findings)
    loaded = {n: w for n, w in cache.items() if w is not None}
    return Scenario(src.file, doc["scenario"], clock, steps, loaded)


def _check_query(query: Query, wf: Workflow, raw: dict, p: tuple, err: Callable[..., None]) -> None:
    """A query step's criteria and expectations; a step expecting `error` may give a criterion the
    search refuses."""
    expect = raw.get("expect", {})
    names = [q.name for q in query.params]
    if "error" not in expect:
        for key in raw.get("data") or {}:
            if key not in names:
                err(p + ("data", key), query.not_a_criterion(key, wf.fields),
                    _did_you_mean(key, names) or f"its parameters are {', '.join(names) or 'none'}",
                    key=True)
    unexpected = [k for k in expect if k not in ("results", "error")]
    if unexpected:
        err(p + ("expect", unexpected[0]),
            f"a query step can only expect `results` or `error`, not `{unexpected[0]}`",
            key=True)
    if "results" in expect and "error" in expect:
        err(p + ("expect", "error"), "a query step expects `results` or `error`, not both",
            key=True)


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
                        f"its fields are {', '.join(d.name for d in event.data) or 'none'}",
                        key=True)
                elif "error" not in expect:
                    try:
                        coerce(spec, value, wf.lists)
                    except ValueProblem as exc:
                        err(p + ("data", key), str(exc))
    for key in ("allowed", "not_allowed"):
        for j, ev in enumerate(expect.get(key, [])):
            if ev not in wf.events:
                err(p + ("expect", key, j), f"unknown event '{ev}'", _did_you_mean(ev, wf.events))
    if "status" in expect and status_named(wf, expect["status"]) is None:
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
                err(p + ("expect", key, code if isinstance(spec, dict) else j),
                    f"unknown intray '{code}'",
                    _did_you_mean(code, wf.intrays), key=isinstance(spec, dict))
            elif isinstance(spec, dict) and due_problem(spec[code]):
                err(p + ("expect", key, code), due_problem(spec[code]))
    for j, letter in enumerate(expect.get("letters", [])):
        code = letter if isinstance(letter, str) else letter["code"]
        if code not in wf.letters:
            err(p + ("expect", "letters", j), f"unknown letter '{code}'",
                _did_you_mean(code, wf.letters))


def status_named(wf: Workflow, name: str) -> str | None:
    name = normalise_name(name)
    if name in wf.statuses:
        return name
    for status in wf.statuses.values():
        if name in status.aliases:
            return status.name
    return None


def due_problem(spec: Any) -> str:
    """What is wrong with an expected due date (as _intray_matches reads it), or ''."""
    if isinstance(spec, list):  # one expectation per open intray of that code
        return next((p for p in map(due_problem, spec) if p), "")
    due = spec.get("due") if isinstance(spec, dict) else spec
    if due is None:
        return ""
    text = str(due).strip()
    try:
        parse_moment(text)
    except ValueError:
        return f"'{due}' is not a due date such as 2026-03-04 or 2026-03-04 09:00"
    return ""
