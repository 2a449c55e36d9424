"""An instance's state as JSON (the state JSON of the scenario spec), written and read back: the way
a store keeps cases. Reading checks everything before the engine holds anything (see
Engine.restore)."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .findings import Refused
from .instance import HistoryEntry, Instance, Intray, Letter
from .model import Workflow
from .stored import StoreProblem, read_parts, workflow_name
from .values import to_json


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
    """An instance's JSON (as `write_state` gives it) read and checked against its workflow (see
    stored.py); Refused, saying what is wrong and where. `workflows` are the current versions by
    name; `version(name, version, instance)` finds another."""
    if not isinstance(state, Mapping):
        raise Refused("restore", [f"a stored instance is a mapping as `state()` writes it, not "
                                  f"{type(state).__name__} {state!r:.60}"])
    try:
        name = workflow_name(state.get("workflow"))
    except StoreProblem as exc:
        raise Refused("restore", [str(exc)]) from None
    wf = workflows.get(name)
    if wf is None:
        raise Refused("restore", [f"unknown workflow '{name}'"])
    wanted = state.get("version")
    if wanted and wanted != wf.version:  # the case keeps the version it was started on
        wf = version(wf.name, str(wanted), str(state.get("instance", "")))
    label = state.get("instance")
    if not isinstance(label, str) or not label:
        raise Refused("restore", ["a stored instance has no name ('instance')"])
    if not isinstance(state.get("status"), str) or state["status"] not in wf.statuses:
        raise Refused("restore", [f"{label}: unknown status '{state.get('status')!s:.60}'"])
    fields, intrays, letters, history = read_parts(state, wf, label)
    return Stored(wf, label, state["status"], fields, intrays, letters, history)
