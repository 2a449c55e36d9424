"""Workflow documents: YAML with positions -> schema check -> semantic checks -> model (or findings)."""
from __future__ import annotations

from pathlib import Path as _FsPath

from ..model import Workflow


def _build(src) -> Workflow:  # type: ignore[no-untyped-def]
    from ..findings import DefinitionError
    from .build import build_workflow
    from .schema import check_schema

    findings = check_schema(src, "workflow")
    if findings:
        raise DefinitionError(findings)
    return build_workflow(src)


def load_workflow_text(text: str, file: str = "<input>") -> Workflow:
    """The model of one workflow document, or DefinitionError with every finding at once."""
    from .yamlsrc import load_yaml

    return _build(load_yaml(text, file))


def load_workflow(path: str | _FsPath) -> Workflow:
    """Load a workflow file; every problem comes back as a positioned finding."""
    from .yamlsrc import load_yaml_file

    return _build(load_yaml_file(path))
