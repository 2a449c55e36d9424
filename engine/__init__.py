"""procflow: written procedures as executable, checked workflows.

The embedding API, for programs that run workflows:

    from engine import load_workflow, Engine
    coa = load_workflow("workflows/coa.yaml")
    engine = Engine([coa], clock=SimulatedClock("2026-03-02 09:00"))
    case = engine.create("coa", "main")
    engine.fire(case, "save_application", {"applicant": "payer", "lodgement_date": "2026-03-01"})
    engine.state(case)   # the JSON of the scenario spec

Each of these names loads its module when first used, so that importing `engine` costs nothing;
heavy modules (transitions, jsonschema) load only when a workflow is first loaded or run.

The CLI (cli.py, and the command modules of engine/commands it registers) uses more than these
names: each command imports, inside itself, the module of the capability it runs (check, scenario,
session, analysis, diff, render, docs, store, web, lsp, forecast) and report for its text, so that
`procflow --help` loads none of them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .clock import SimulatedClock, SystemClock
    from .findings import Ambiguous, DefinitionError, Finding, ProcflowError, Refused
    from .instance import Instance
    from .model import Workflow
    from .runtime import Engine

__all__ = ["load_workflow", "load_workflow_text", "Engine", "Instance", "SimulatedClock",
           "SystemClock", "Finding", "DefinitionError", "Refused", "Ambiguous", "ProcflowError"]

_LAZY = {"Engine": "runtime", "Instance": "instance", "SimulatedClock": "clock",
         "SystemClock": "clock", "Finding": "findings", "DefinitionError": "findings",
         "Refused": "findings", "Ambiguous": "findings", "ProcflowError": "findings"}


def load_workflow(path: Any) -> Workflow:
    """Load and check a workflow file; DefinitionError lists every positioned problem."""
    from .spec import load_workflow as load

    return load(path)


def load_workflow_text(text: str, file: str = "<input>") -> Workflow:
    from .spec import load_workflow_text as load

    return load(text, file)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(name)
