"""An instance's state as JSON (the state JSON of the scenario spec), written and read back: the way a
store keeps cases. Reading checks everything before the engine holds anything (see Engine.restore)."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .clock import parse_moment
from .findings import Refused
from .instance import HistoryEntry, Instance, Intray, Letter
from .model import Workflow
from .values import ValueProblem, coerce, to_json


@dataclass(slots=True, eq=False)
class Stored:
    """A stored instance, read and checked, not yet held by an engine."""

    workflow: Workflow
    name: str
    status: str
    fields: dict
    intrays: list[Intray]
    letters: list[Letter]
    history: list[HistoryEntry]


def write_state(inst: Instance) -> dict:
    """The instance as the JSON of the scenario spec."""
    return {
        "instance": inst.name,
        "workflow": inst.workflow.name,
        "version": inst.workflow.version,
        "status": inst.status,
        "fields": to_json(inst.fields),
        "intrays": [i.to_json() for i in inst.intrays],
        "letters": [lt.to_json() for lt in inst.letters],
        "history": inst.history_json(),
    }


def read_state(state: Any, workflows: Mapping[str, Workflow],
               version: Callable[[str, str, str], Workflow]) -> Stored:
    """An instance's JSON (as `write_state` gives it) read and checked; Refused, saying what is wrong.
    `workflows` are the current versions by name; `version(name, version, instance)` finds another."""
    if not isinstance(state, Mapping):
        raise Refused("restore", [f"a stored instance is a mapping as `state()` writes it, not "
                                  f"{type(state).__name__} {state!r:.60}"])
    wf = workflows.get(state["workflow"]) if isinstance(state.get("workflow"), str) else None
    if wf is None:
        raise Refused("restore", [f"unknown workflow '{state.get('workflow')}'"])
    wanted = state.get("version")
    if wanted and wanted != wf.version:  # the case keeps the version it was started on
        wf = version(wf.name, str(wanted), str(state.get("instance", "")))
    label = state.get("instance")
    if not isinstance(label, str) or not label:
        raise Refused("restore", ["a stored instance has no name ('instance')"])
    if not isinstance(state.get("status"), str) or state["status"] not in wf.statuses:
        raise Refused("restore", [f"{label}: unknown status '{state.get('status')}'"])
    if not isinstance(state.get("fields") or {}, dict):
        raise Refused("restore", [f"{label}: its fields are not a mapping of field names to values"])
    fields = {}
    for name, value in (state.get("fields") or {}).items():
        spec = wf.fields.get(name)
        if spec is None:
            raise Refused("restore", [f"{label}: unknown field '{name}'"])
        try:
            fields[name] = coerce(spec, value, wf.lists)
        except ValueProblem as exc:
            raise Refused("restore", [f"{label}: {exc}"]) from None
    try:
        intrays = [Intray(i["code"], _moment(i["opened"]), _moment(i["due"]), i.get("about"), i.get("assigned_to"),
                          _moment(i.get("closed"), needed=False)) for i in state.get("intrays") or []]
        letters = [Letter(lt["code"], tuple(lt["to"]), _moment(lt["issued"])) for lt in state.get("letters") or []]
        history = [HistoryEntry(_moment(h["at"]), h["event"], _mapping(h.get("actor") or {}),
                                _mapping(h.get("data") or {}), h["from"], h["to"], h.get("source", ""))
                   for h in state.get("history") or []]
        if not all(isinstance(v, str) for h in history for v in (h.event, h.from_, h.to)):
            raise TypeError("an event or status that is not a name")
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        what = f"missing '{exc.args[0]}'" if isinstance(exc, KeyError) else str(exc)
        raise Refused("restore", [f"{label}: an intray, letter or history entry is not as `state()` writes it: "
                                  f"{what}"]) from None
    return Stored(wf, label, state["status"], fields, intrays, letters, history)


def _moment(value: Any, needed: bool = True) -> datetime | None:
    if value is None and needed:
        raise ValueError("a date and time is missing")
    return None if value is None else parse_moment(value)


def _mapping(value: Any) -> dict:
    if not isinstance(value, Mapping):
        raise TypeError(f"{value!r:.60} is not a mapping")
    return dict(value)
