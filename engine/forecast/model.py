"""Workload models (`procflow forecast`): the YAML read with positions, checked against its schema
and against the workflow it drives, into immutable definitions. Every problem is a positioned
finding.

Nothing here draws a random number: a model names its distributions, and each random value gets a
slot, numbered in the order the model is written, that the player fills for a whole partition at
once (see draw.py). The same model and seed give the same draws, whatever the workflow does with
them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ..clock import parse_duration
from ..findings import DefinitionError, Finding, did_you_mean
from ..model import FieldSpec, Workflow
from ..values import ValueProblem, coerce

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DATA_KINDS = ("share", "days_before", "days_after", "number", "integer", "value", "sequence")
MAX_DAYS = 20 * 366  # a period longer than this is refused (bounded work)
SHARE_TOLERANCE = 1e-9


# -- definitions ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Delay:
    """A time in days: fixed, or drawn from a distribution (its parameters in days)."""

    kind: str  # fixed | uniform | triangular | exponential | lognormal
    params: tuple[float, ...]
    slot: int = -1  # -1: fixed, drawn for nobody

    def mean(self) -> float:
        p = self.params
        return {"fixed": lambda: p[0], "uniform": lambda: (p[0] + p[1]) / 2,
                "triangular": lambda: sum(p) / 3, "exponential": lambda: p[0],
                "lognormal": lambda: p[0] * math.exp(p[1] ** 2 / 2)}[self.kind]()


@dataclass(frozen=True, slots=True)
class Value:
    """A piece of event data as the model gives it. `kind`: const (the value), share (values and
    shares), days_before/days_after (a date that many days from the event's day), number/integer
    (drawn), sequence (text unique to each case), record (named parts), items (a list of parts)."""

    kind: str
    const: Any = None
    choices: tuple[Any, ...] = ()
    shares: tuple[float, ...] = ()
    delay: Delay | None = None
    parts: tuple[tuple[str, Value], ...] = ()
    slot: int = -1

    @property
    def fixed(self) -> bool:
        return self.kind == "const" \
            or (self.kind in ("record", "items") and all(v.fixed for _, v in self.parts))


@dataclass(frozen=True, slots=True)
class Play:
    """One event fired on a case, with its data, and what staff do when it is refused."""

    event: str
    data: tuple[tuple[str, Value], ...] = ()
    actor: dict | None = None
    share: float = 1.0  # among the alternatives of a `choose:`
    retry_after: Delay | None = None
    retries: int = 0
    then: str = "skip"  # after the last refused try: skip the step, or stop the case
    instead: Play | None = None  # fired once the last try is refused
    line: int = 0


@dataclass(frozen=True, slots=True)
class Step:
    plays: tuple[Play, ...]  # one event, or the alternatives of a `choose:`
    after: Delay
    when: frozenset[str] | None = None  # played only while the case is in one of these statuses
    share: float = 1.0  # the share of cases the step happens to
    pick_slot: int = -1  # a uniform draw deciding `share` and `choose:` (-1: nothing to decide)
    line: int = 0


@dataclass(frozen=True, slots=True)
class Arrivals:
    per_weekday: tuple[float, ...]  # cases a day, Monday first
    # from each date on, the rate is multiplied by the factor
    profile: tuple[tuple[date, float], ...] = ()
    poisson: bool = True
    # minutes after midnight every case arrives at, or None: spread over `hours`
    at: int | None = None
    hours: tuple[int, int] = (9 * 60, 17 * 60)

    def rate(self, day: date) -> float:
        return self.per_weekday[day.weekday()] * self.factor(day)

    def factor(self, day: date) -> float:
        """The profile's factor on a day (it changes only on the profile's dates)."""
        factor = 1.0
        for start, f in self.profile:
            if day >= start:
                factor = f
        return factor


@dataclass(frozen=True, slots=True)
class SetupItem:
    workflow: str
    event: str
    data: dict
    name: str | None = None
    actor: dict | None = None


@dataclass(frozen=True, slots=True)
class CycleTime:
    name: str
    start: frozenset[str]
    end: frozenset[str]


@dataclass(frozen=True)
class Model:
    name: str
    file: str
    workflow: str
    workflow_file: str
    start: date
    end: date
    arrivals: Arrivals
    steps: tuple[Step, ...]
    seed: int = 0
    actor: dict = field(default_factory=dict)
    setup: tuple[SetupItem, ...] = ()
    cycle_times: tuple[CycleTime, ...] = ()
    overnight: str = "after_events"
    # every random draw of a case, in the order the model is written
    slots: tuple[Delay | Value, ...] = ()

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def expected_cases(self, start: date | None = None, end: date | None = None) -> float:
        start, end = start or self.start, end or self.end
        return sum(self.arrivals.rate(start + timedelta(days=d))
                   for d in range((end - start).days + 1))


# -- reading ----------------------------------------------------------------------------------
def find_workflow_file(model_file: str | Path, name: str,
                       workflows_dir: Path | None = None) -> Path | None:
    """workflows/NAME.yaml: in the folder given, or beside the model's folder, or in the current
    folder."""
    here = Path(model_file).resolve().parent
    for folder in ([workflows_dir] if workflows_dir is not None else [here.parent / "workflows",
                                                                      here / "workflows",
                                                                       Path("workflows")]):
        candidate = folder / f"{name}.yaml"
        if candidate.is_file():
            return candidate
    return None


def is_model(data: Any) -> bool:
    """A workload model: a mapping with the top-level keys `workflow:` and `arrivals:`."""
    return isinstance(data, dict) and "workflow" in data and "arrivals" in data


def load_model(path: str | Path, workflows_dir: Path | None = None,
               workflows: dict[str, Workflow] | None = None) -> Model:
    """Read and check a model file; DefinitionError lists every positioned problem. `workflows` (by
    name) are the ones already loaded; the others the model names are loaded from
    workflows/NAME.yaml."""
    from ..spec.yamlsrc import load_yaml_file

    return _check(load_yaml_file(path), workflows_dir, workflows or {})


def load_model_text(text: str, file: str = "<input>", workflows_dir: Path | None = None,
                    workflows: dict[str, Workflow] | None = None) -> Model:
    from ..spec.yamlsrc import load_yaml

    return _check(load_yaml(text, file), workflows_dir, workflows or {})


def _check(src: Any, workflows_dir: Path | None, workflows: dict[str, Workflow]) -> Model:
    from ..spec.schema import check_schema

    findings = check_schema(src, "model")
    if findings:
        raise DefinitionError(findings)
    return _Reader(src, workflows_dir, dict(workflows)).read()


class _DataReader:
    """The data a play gives its event, each value checked against the field it fills: constants,
    shares, dates and numbers drawn per case (their draws take the reader's slots)."""

    def __init__(self, reader: _Reader):
        self.reader, self.problem = reader, reader.problem

    def value(self, raw: Any, path: tuple, spec: FieldSpec | None, wf: Workflow,
              event: str) -> Value:
        if spec is None:
            self.problem(path, f"the event {event} takes no data '{path[-1]}'",
                         did_you_mean(path[-1], [f.name for f in wf.events[event].data]),
                         code="reference")
            return Value("const")
        return self.typed(raw, path, spec, wf)

    def typed(self, raw: Any, path: tuple, spec: FieldSpec, wf: Workflow) -> Value:
        """A data value checked against the field it fills."""
        if isinstance(raw, dict) and len(raw) == 1 and next(iter(raw)) in DATA_KINDS:
            (kind, arg), = raw.items()
            return self.drawn(kind, arg, path + (kind,), spec, wf)
        if spec.type == "list" and spec.record is not None and isinstance(raw, list):
            parts = tuple((str(i), self.record(item, path + (i,), spec, wf))
                          for i, item in enumerate(raw))
            return Value("items", parts=parts)
        if spec.type == "list" and spec.of is not None and isinstance(raw, list):
            return Value("items", parts=tuple((str(i), self.typed(item, path + (i,), spec.of, wf))
                                              for i, item in enumerate(raw)))
        self.fits(raw, path, spec, wf)
        return Value("const", const=raw)

    def record(self, raw: Any, path: tuple, spec: FieldSpec, wf: Workflow) -> Value:
        if not isinstance(raw, dict):
            self.fits(raw, path, spec, wf)
            return Value("const", const=raw)
        fields = {f.name: f for f in spec.record or ()}
        parts = []
        for key, v in raw.items():
            if key not in fields:
                self.problem(path + (key,), f"{spec.label} has no part '{key}'",
                             did_you_mean(key, fields),
                             code="reference")
                continue
            parts.append((key, self.typed(v, path + (key,), fields[key], wf)))
        return Value("record", parts=tuple(parts))

    def drawn(self, kind: str, arg: Any, path: tuple, spec: FieldSpec, wf: Workflow) -> Value:
        if kind == "value":
            self.fits(arg, path, spec, wf)
            return Value("const", const=arg)
        if kind == "share":
            if not isinstance(arg, dict) or not arg:
                self.problem(path,
                             "shares are a mapping of values to their shares, such as {payee: "
                             "0.6, payer: 0.4}")
                return Value("const")
            shares = []
            for value, share in arg.items():
                self.fits(value, path + (value,), spec, wf)
                if isinstance(share, bool) or not isinstance(share, (int, float)) \
                        or not 0 <= share <= 1:
                    self.problem(path + (value,),
                                 f"a share is a number from 0 to 1, not {share!r:.40}")
                    share = 0
                shares.append(float(share))
            if abs(sum(shares) - 1) > SHARE_TOLERANCE:
                self.problem(path, f"the shares add up to {sum(shares):g}, not 1")
            v = Value("share", choices=tuple(arg), shares=tuple(shares),
                      slot=len(self.reader.slots))
        elif kind in ("days_before", "days_after"):
            if spec.type not in ("date", "datetime"):
                self.problem(path, f"{spec.label} is of type {spec.type}, not a date: "
                                   f"{kind} gives a date")
            v = Value(kind, delay=self.reader.delay(arg, path, drawn=False),
                      slot=len(self.reader.slots))
        elif kind in ("number", "integer"):
            if spec.type not in ("integer", "number", "text"):
                self.problem(path, f"{spec.label} is of type {spec.type}, not a number")
            v = Value(kind, delay=self.reader.delay(arg, path, drawn=False),
                      slot=len(self.reader.slots))
        else:  # sequence
            if spec.type != "text":
                self.problem(path, f"{spec.label} is of type {spec.type}: a sequence gives text")
            return Value("sequence", const=str(arg))
        if v.kind != "share" and v.delay is not None and v.delay.kind == "fixed":
            return Value(v.kind, delay=v.delay)  # nothing to draw
        self.reader.slots.append(v)
        return v

    def fits(self, raw: Any, path: tuple, spec: FieldSpec, wf: Workflow) -> None:
        try:
            coerce(spec, raw, wf.lists)
        except ValueProblem as exc:
            self.problem(path, str(exc), code="type")


class _Reader:
    """Builds a Model from a schema-valid document, collecting every finding before raising."""

    def __init__(self, src: Any, workflows_dir: Path | None, workflows: dict[str, Workflow]):
        self.src = src
        self.doc = src.data
        self.dir = workflows_dir
        self.workflows = workflows
        self.findings: list[Finding] = []
        self.slots: list[Delay | Value] = []
        self.data = _DataReader(self)

    def problem(self, path: tuple, message: str, hint: str = "", code: str = "model") -> None:
        line, col = self.src.pos(path)
        self.findings.append(Finding(self.src.file, line, col, message, code=code, hint=hint))

    def workflow(self, name: str, path: tuple) -> Workflow | None:
        if name in self.workflows:
            return self.workflows[name]
        from .. import load_workflow

        file = find_workflow_file(self.src.file, name, self.dir)
        if file is None:
            self.problem(path, f"no workflow '{name}': workflows/{name}.yaml was not found",
                         "run from the project folder, or give the folder with --workflows")
            self.workflows[name] = None  # type: ignore[assignment]
            return None
        try:
            self.workflows[name] = load_workflow(file)
        except DefinitionError:
            self.problem(path, f"the workflow '{name}' ({file}) has errors",
                         f"procflow check {file}")
            self.workflows[name] = None  # type: ignore[assignment]
        return self.workflows[name]

    def read(self) -> Model:
        doc = self.doc
        wf = self.workflow(doc["workflow"], ("workflow",))
        start, end = self.date(doc["period"]["from"], ("period", "from")), \
            self.date(doc["period"]["to"], ("period", "to"))
        if start and end and end < start:
            self.problem(("period", "to"), f"the period ends ({end}) before it starts ({start})")
        elif start and end and (end - start).days >= MAX_DAYS:
            self.problem(("period", "to"), f"the period is longer than {MAX_DAYS} days")
        arrivals = self.arrivals(doc["arrivals"])
        steps = tuple(self.step(s, ("steps", i), wf) for i, s in enumerate(doc["steps"])) if wf \
            else ()
        setup = tuple(self.setup_item(s, ("setup", i))
                      for i, s in enumerate(doc.get("setup") or []))
        cycles = tuple(self.cycle(c, ("cycle_times", i), wf)
                       for i, c in enumerate(doc.get("cycle_times") or []))
        if self.findings:
            raise DefinitionError(self.findings)
        assert wf is not None and start is not None and end is not None
        return Model(name=doc["model"], file=self.src.file, workflow=wf.name,
                     workflow_file=str(find_workflow_file(self.src.file, wf.name, self.dir) or ""),
                     start=start, end=end, arrivals=arrivals, steps=steps, seed=doc.get("seed", 0),
                     actor=dict(doc.get("actor") or {}), setup=setup, cycle_times=cycles,
                     overnight=doc.get("overnight", "after_events"), slots=tuple(self.slots))

    # -- pieces
    def date(self, text: str, path: tuple) -> date | None:
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.problem(path, f"'{text}' is not a date such as 2026-01-31")
            return None

    def arrivals(self, a: dict) -> Arrivals:
        if "per_day" in a:
            rates = (float(a["per_day"]),) * 7
        else:
            rates = tuple(float(a["per_weekday"].get(d, 0)) for d in WEEKDAYS)
        profile = []
        for key, factor in sorted((a.get("profile") or {}).items()):
            day = self.date(key, ("arrivals", "profile", key))
            if day is not None:
                profile.append((day, float(factor)))
        hours = a.get("hours", ["09:00", "17:00"])
        start, end = (_minutes(h) for h in hours)
        if end <= start:
            self.problem(("arrivals", "hours"),
                         f"the working hours end ({hours[1]}) before they start ({hours[0]})")
        return Arrivals(rates, tuple(profile), a.get("random", "poisson") == "poisson",
                        _minutes(a["at"]) if "at" in a else None, (start, end))

    def delay(self, spec: Any, path: tuple, *, drawn: bool = True) -> Delay:
        if isinstance(spec, dict):
            (kind, raw), = spec.items()
        else:
            kind, raw = "fixed", spec
        before = len(self.findings)
        if kind == "lognormal":
            params = (self.days(raw["median"], path + (kind, "median")), float(raw["sigma"]))
            if params[0] <= 0 and len(self.findings) == before:
                self.problem(path + (kind, "median"),
                             "the median of a lognormal delay must be more than 0")
        else:
            values = raw if isinstance(raw, list) else [raw]
            params = tuple(self.days(v, path + ((kind, i) if isinstance(raw, list) else (kind,)))
                           for i, v in enumerate(values))
        # a time already refused: the shape is not checked on top of it
        if len(self.findings) > before:
            return Delay(kind, params)
        if kind == "uniform" and params[0] > params[1]:
            self.problem(path,
                         f"a uniform delay's low ({params[0]:g} days) is above its high "
                         f"({params[1]:g} days)")
        if kind == "triangular" and not params[0] <= params[1] <= params[2]:
            self.problem(path, "a triangular delay is [low, most likely, high], in that order")
        if kind == "exponential" and params[0] <= 0:
            self.problem(path, "the mean of an exponential delay must be more than 0")
        if kind == "fixed" or not drawn:
            return Delay(kind, params)
        d = Delay(kind, params, len(self.slots))
        self.slots.append(d)
        return d

    def days(self, raw: Any, path: tuple) -> float:
        """A time in days: a number of days, or a period (35d, 48h, 2w)."""
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            value = float(raw)
        elif str(raw).startswith("-"):
            value = -1.0
        else:
            try:
                value = parse_duration(str(raw)).total_seconds() / 86400
            except ValueError as exc:
                self.problem(path, str(exc))
                return 0.0
        if value < 0 or not math.isfinite(value):
            self.problem(path, f"a time cannot be negative ({raw})",
                         "give a number of days of 0 or more")
            return 0.0
        if value > MAX_DAYS:
            self.problem(path, f"a time of {raw} is longer than {MAX_DAYS} days")
            return 0.0
        return value

    def step(self, s: dict, path: tuple, wf: Workflow) -> Step:
        after = self.delay(s.get("after", 0), path + ("after",))
        share = float(s.get("share", 1.0))
        choose = s.get("choose")
        pick = -1
        if share < 1 or choose:
            pick = len(self.slots)
            self.slots.append(Value("pick"))
        if choose:
            plays = tuple(self.play(p, path + ("choose", i), wf) for i, p in enumerate(choose))
            total = sum(p.share for p in plays)
            if abs(total - 1) > SHARE_TOLERANCE:
                self.problem(path + ("choose",),
                             f"the shares of the choices add up to {total:g}, not 1")
        else:
            plays = (self.play(s, path, wf),)
        when = self.statuses(s["when"], path + ("when",), wf) if "when" in s else None
        return Step(plays, after, when, share, pick, self.src.pos(path)[0])

    def play(self, p: dict, path: tuple, wf: Workflow) -> Play:
        event = wf.events.get(p["event"])
        if event is None:
            self.problem(path + ("event",), f"the workflow {wf.name} has no event '{p['event']}'",
                         did_you_mean(p["event"], wf.events), code="reference")
            return Play(p["event"])
        data = tuple((k, self.data.value(v, path + ("data", k), event.data_field(k), wf,
                                         event.name))
                     for k, v in (p.get("data") or {}).items())
        refused = p.get("on_refused") or {}
        retries = int(refused.get("retries", 1 if "retry_after" in refused else 0))
        retry = None
        if retries:
            retry = self.delay(refused.get("retry_after", "1d"),
                               path + ("on_refused", "retry_after"), drawn=False)
            # one draw per try, each its own slot, so every try is drawn for every case
            if retry.kind != "fixed":
                slots = [Delay(retry.kind, retry.params, len(self.slots) + i)
                         for i in range(retries)]
                self.slots.extend(slots)
                retry = slots[0]
        instead = self.play(refused["instead"], path + ("on_refused", "instead"), wf) \
            if "instead" in refused else None
        return Play(event.name, data, p.get("actor"), float(p.get("share", 1.0)), retry, retries,
                    refused.get("then", "skip"), instead, self.src.pos(path)[0])

    def statuses(self, raw: Any, path: tuple, wf: Workflow) -> frozenset[str]:
        names = [raw] if isinstance(raw, str) else list(raw)
        out = set()
        for i, name in enumerate(names):
            if name == "final":
                out |= {s.name for s in wf.statuses.values() if s.final}
            elif name not in wf.statuses:
                self.problem(path if isinstance(raw, str) else path + (i,),
                             f"the workflow {wf.name} has no status "
                             f"'{name}'", did_you_mean(name, [*wf.statuses, "final"]),
                             code="reference")
            else:
                out.add(name)
        return frozenset(out)

    def setup_item(self, s: dict, path: tuple) -> SetupItem:
        wf = self.workflow(s["workflow"], path + ("workflow",))
        if wf is not None and s["event"] not in wf.events:
            self.problem(path + ("event",), f"the workflow {wf.name} has no event '{s['event']}'",
                         did_you_mean(s["event"], wf.events), code="reference")
        elif wf is not None:
            event = wf.events[s["event"]]
            for key, raw in (s.get("data") or {}).items():
                spec = event.data_field(key)
                if spec is None:
                    self.problem(path + ("data", key),
                                 f"the event {event.name} takes no data '{key}'",
                                 did_you_mean(key, [f.name for f in event.data]), code="reference")
                else:
                    self.data.fits(raw, path + ("data", key), spec, wf)
        return SetupItem(s["workflow"], s["event"], dict(s.get("data") or {}), s.get("name"),
                         s.get("actor"))

    def cycle(self, c: dict, path: tuple, wf: Workflow | None) -> CycleTime:
        if wf is None:
            return CycleTime(c["name"], frozenset(), frozenset())
        return CycleTime(c["name"], self.statuses(c["from"], path + ("from",), wf),
                         self.statuses(c["to"], path + ("to",), wf))


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)
