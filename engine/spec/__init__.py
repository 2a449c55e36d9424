"""Workflow documents: YAML with positions -> schema check -> semantic checks -> model (or findings).

The workflow files of one folder form a project: an expression in one may call the queries
another declares, so loading a file also reads its siblings' query declarations.
"""
from __future__ import annotations

from pathlib import Path as _FsPath
from typing import TYPE_CHECKING

from ..model import Workflow

if TYPE_CHECKING:  # pragma: no cover
    from .build import QuerySig
    from .yamlsrc import Source


def _build(src: Source, external: dict[str, QuerySig] | None = None) -> Workflow:
    from ..findings import DefinitionError
    from .build import build_workflow
    from .schema import check_schema

    findings = check_schema(src, "workflow")
    if findings:
        raise DefinitionError(findings)
    return build_workflow(src, external)


def sibling_queries(path: str | _FsPath) -> dict[str, QuerySig]:
    """The queries declared by the other workflow files in the same folder (unreadable ones are skipped:
    they are reported when they themselves are checked)."""
    from ..findings import DefinitionError
    from .build import signatures
    from .yamlsrc import load_yaml_file

    path = _FsPath(path)
    found: dict[str, QuerySig] = {}
    for other in sorted(path.parent.glob("*.yaml")):
        if other.resolve() == path.resolve():
            continue
        try:
            found.update(signatures(load_yaml_file(other).data))
        except DefinitionError:
            continue
    return found


def load_workflow_text(text: str, file: str = "<input>") -> Workflow:
    """The model of one workflow document, or DefinitionError with every finding at once."""
    from .yamlsrc import load_yaml

    return _build(load_yaml(text, file))


def load_workflow(path: str | _FsPath) -> Workflow:
    """Load a workflow file; every problem comes back as a positioned finding."""
    from .yamlsrc import load_yaml_file

    return _build(load_yaml_file(path), sibling_queries(path))
