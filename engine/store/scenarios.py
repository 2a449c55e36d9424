"""Cases in and out of the store as files: a case written as a scenario (a played case becomes a
regression test), a scenario played into the store, and the JSON store of `simulate --json` read in.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..clock import parse_duration, parse_moment
from ..findings import Ambiguous, Refused
from ..scenario import Scenario
from ..stored import StoreProblem, read_store
from ..values import to_json
from .base import CaseStore, Logged, StoreError

MAX_JSON_STORE = 200 * 1024 * 1024  # bytes of a JSON store read in


def export_scenario(store: CaseStore, case_id: str) -> dict:
    """The case's history as a scenario document: every event on it, and on the cases it was changed
    with (and the SCO-style records of the workflows its queries read), with the clock moves between
    them and, after each event, what came out of it (status; for the case itself the intrays opened
    and closed and the letters); at the end, its fields (but numbers, which count every case of the
    store) and open intrays."""
    case = store.case(case_id)
    log = store.log()
    if any(e.kind == "import" for e in log):
        imported = [e.case for e in log if e.kind == "import"]
        if case_id in imported:
            raise Refused("export", [f"{case_id} was read in from a JSON store: its events before "
                                     f"that are not in the log, so no scenario can play it"])
    wf = store.hold(case.workflow)
    included = _related(log, case_id) | {e.case for e in log if e.kind == "create" and
                                         e.data.get("workflow") in wf.requires and e.case}
    steps: list[dict] = []
    now: str | None = None
    start: str | None = None
    for e in log:
        if e.kind == "create" and e.case in included:
            now, start = _at(steps, e.at, now, start)
            steps.append({"instance": e.case, "workflow": e.data["workflow"],
                          "expect": {"status": store.hold(e.data["workflow"]).initial}})
        elif e.kind == "event" and e.case in included:
            now, start = _at(steps, e.at, now, start)
            step: dict[str, Any] = {"instance": e.case, "event": e.event}
            data = {k: v for k, v in (e.data or {}).items() if v is not None and v != []}
            if data:
                step["data"] = data
            if e.actor:
                step["actor"] = e.actor
            expect: dict[str, Any] = {"status": e.outcome["to"]}
            if e.case == case_id:
                expect.update(opened=e.outcome["opened"], closed=e.outcome["closed"],
                              letters=e.outcome["letters"])
            step["expect"] = expect
            steps.append(step)
        elif e.kind in ("advance", "set") and start is not None:
            now, start = _at(steps, e.data["to"], now, start)
    if not steps:
        raise Refused("export", [f"the log holds nothing of {case_id}"])
    state = case.state
    numbered = {ef.target for tr in wf.transitions() for ef in tr.effects if ef.kind == "number"}
    # store-wide sequences
    fields = {k: v for k, v in (state.get("fields") or {}).items() if k not in numbered}
    steps.append({"instance": case_id, "expect": {
        "status": case.status, "fields": fields,
        "intrays": [i["code"] for i in state.get("intrays") or () if i.get("state") == "open"]}})
    return {"scenario": f"Case {case_id} as played in the store", "workflow": case.workflow,
            "clock": _scenario_moment(start or to_json(store.clock())), "steps": steps}


def _at(steps: list[dict], at: str, now: str | None, start: str | None) -> tuple[str, str]:
    """An `at:` step when the clock has moved since the last step (the first moment is the
    scenario's clock)."""
    if start is None:
        return at, at
    if at != now:
        steps.append({"at": _scenario_moment(at)})
    return at, start


def _scenario_moment(iso: str) -> str:
    return iso.replace("T", " ")[:16] if iso.endswith(":00") else iso.replace("T", " ")


def _related(log: list[Logged], case_id: str) -> set[str]:
    """The case and every case an event changed together with it, and so on (bounded by the log's
    length)."""
    related = {case_id}
    groups = [{e.case, *(e.outcome or {}).get("versions", {})} for e in log if e.kind == "event"]
    for _ in range(len(groups) + 1):
        grown = False
        for names in groups:
            if names & related and not names <= related:
                related |= names
                grown = True
        if not grown:
            break
    related.discard(None)  # type: ignore[arg-type]
    return related


def scenario_yaml(doc: dict) -> str:
    import yaml

    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=110)


def import_scenario(store: CaseStore, scenario: Scenario,
                    prefix: str = "") -> tuple[int, list[str]]:
    """Play a scenario's steps into the store, its cases named PREFIX + the scenario's names: each
    event is its own transaction, the clock set to the scenario's first. The events played, and the
    steps that did not come out as the scenario expects (a refusal it did not expect, or an
    acceptance where it did)."""
    names = {prefix + s.instance for s in scenario.steps}
    taken = [n for n in sorted(names) if any(r.id == n for r in store.cases(limit=10**9))]
    if taken:
        raise Refused("import", [f"the store already has a case called {taken[0]}: give --prefix "
                                 f"to name the scenario's cases apart"])
    store.set_clock(scenario.clock)
    played, problems = 0, []
    existing: set[str] = set()
    for step in scenario.steps:
        raw, name = step.raw, prefix + step.instance
        if name not in existing and step.workflow \
                and not any(k in raw for k in ("advance", "at", "query")):
            try:
                store.case(name)
            except Refused:
                store.create(step.workflow, name)
            existing.add(name)
        if "advance" in raw:
            store.advance(store.clock() + parse_duration(raw["advance"]))
        elif "at" in raw:
            store.advance(parse_moment(raw["at"]))
        elif "event" in raw:
            expected_error = (raw.get("expect") or {}).get("error")
            try:
                store.fire(name, raw["event"], raw.get("data"), raw.get("actor"))
                played += 1
                if expected_error:
                    problems.append(f"step {step.index} ({raw['event']} on {name}): accepted, the "
                                    f"scenario expects it refused with '{expected_error}'")
            except (Refused, Ambiguous) as exc:
                if not expected_error:
                    problems.append(f"step {step.index} ({raw['event']} on {name}): refused: {exc}")
    return played, problems


def import_json_store(store: CaseStore, path: Path) -> list[str]:
    """The cases of a JSON store (the list of states `simulate --json` prints) added to the store,
    each as it was; the names added. Refused, adding nothing, when any is not a case or its name is
    taken."""
    try:
        if path.stat().st_size > MAX_JSON_STORE:
            raise StoreError(f"{path}: larger than {MAX_JSON_STORE // 2**20} MiB")
        states = read_store(path.read_text(encoding="utf-8"))  # bounded: nesting, digits, no NaN
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(f"{path}: not a JSON store (a JSON list of cases): {exc}") from None
    except StoreProblem as exc:
        raise StoreError(
            f"{path}: not a JSON store as `simulate --json` prints it: {exc}") from None
    return store.restore_all(states)
