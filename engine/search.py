"""What `procflow query` searches: the instances a scenario leaves, or those of a store file (the
JSON list `simulate --json` prints) restored with the workflows they run on, found by name in a
workflows folder (a case started on an older version bound to it from the file's git history)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .clock import SystemClock
from .findings import did_you_mean
from .runtime import Engine
from .stored import StoreProblem, read_store, workflow_name


def engine_from_store(store_file: Path, workflows_dir: Path) -> Engine:
    """An engine holding the instances of a store file, with the workflows they run on.

    StoreProblem (its text naming the file) when the file is not a store; ValueError naming the
    known workflows when the store names one the folder has not; DefinitionError when a workflow
    does not load; Refused (naming the instance and the place in it) when an instance does not fit
    its workflow."""
    from .spec import load_workflow, workflow_path

    try:
        states = read_store(store_file.read_text(encoding="utf-8"))
        names = {workflow_name(s.get("workflow"), f"[{i}].workflow") for i, s in enumerate(states)}
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreProblem(str(store_file),
                           f"not a store (a JSON list of instances): {exc}") from None
    except StoreProblem as exc:
        raise StoreProblem(str(store_file), str(exc)) from None
    engine = Engine(clock=SystemClock())

    def find_version(name: str, version: str) -> Any:
        """A case keeps the version it was started on: look for it in the workflow file's git
        history."""
        from .spec.history import find_version as in_history

        held = engine.workflows.get(name)
        file = held.file if held is not None else workflows_dir / f"{name}.yaml"
        return in_history(file, version)

    def by_name(name: str) -> Any:  # a store names no file to read: only names in the folder
        return load_workflow(workflow_path(name, workflows_dir, by_name=True))

    engine.find_version = find_version
    for wf_name in sorted(names):
        wf = by_name(wf_name)
        engine.add_workflow(wf)
        for required in wf.requires:
            if required not in engine.workflows:
                engine.add_workflow(by_name(required))
    for state in states:
        engine.restore(state)
    return engine


def searched(name: str, given: dict, scenario_file: Path | None, store_file: Path | None,
             workflows_dir: Path) -> list[dict]:
    """The records the declared query `name` finds with the criteria `given`, among the instances
    the scenario leaves or the store file holds. ValueError for a query no workflow declares (and
    as engine_from_store says); Refused for a criterion the search does not take."""
    if scenario_file is not None:
        from .scenario import load_scenario, run_scenario

        engine = run_scenario(load_scenario(scenario_file)).engine
    else:
        engine = engine_from_store(store_file, workflows_dir)  # type: ignore[arg-type]
    if name not in engine.queries:
        hint = did_you_mean(name, engine.queries)
        known = ", ".join(engine.queries) or "none"
        raise ValueError(f"no query '{name}'" + (f": {hint}" if hint else "")
                         + f" (the queries of its workflows: {known})")
    return engine.search(name, given)
