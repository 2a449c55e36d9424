"""Workflow documents: YAML with positions -> schema check -> semantic checks -> model (or findings).

The workflow files of one folder form a project: an expression in one may call the queries
another declares, so loading a file also reads its siblings' query declarations.
"""
from __future__ import annotations

from pathlib import Path as _FsPath
from typing import TYPE_CHECKING, Any

from ..model import Workflow

if TYPE_CHECKING:  # pragma: no cover
    from .effects import QuerySig
    from .yamlsrc import Source


def _build(src: Source, siblings: dict[str, Any] | None = None) -> Workflow:
    from ..findings import DefinitionError
    from .build import build_workflow
    from .schema import check_schema

    findings = check_schema(src, "workflow")
    if findings:
        raise DefinitionError(findings)
    return build_workflow(src, siblings)


def sibling_documents(path: str | _FsPath) -> dict[str, Any]:
    """The other workflow documents in the same folder, by workflow name, as read (not yet checked: a
    sibling's own mistakes are reported when it is checked; what is read from it here is read defensively)."""
    from ..findings import DefinitionError
    from .yamlsrc import load_yaml_file

    path = _FsPath(path)
    found: dict[str, Any] = {}
    for other in sorted(path.parent.glob("*.yaml")):
        if other.resolve() == path.resolve():
            continue
        try:
            src = load_yaml_file(other)
        except DefinitionError:
            continue
        if isinstance(src.data, dict) and isinstance(src.data.get("workflow"), str):
            found[src.data["workflow"]] = src.data
    return found


def sibling_queries(path: str | _FsPath) -> dict[str, QuerySig]:
    """The queries the other workflows of the folder declare, as callers see them."""
    from .effects import signatures

    found: dict[str, QuerySig] = {}
    for doc in sibling_documents(path).values():
        found.update(signatures(doc))
    return found


def load_workflow_text(text: str, file: str = "<input>") -> Workflow:
    """The model of one workflow document, or DefinitionError with every finding at once."""
    from .yamlsrc import load_yaml

    return _build(load_yaml(text, file))


def load_workflow(path: str | _FsPath) -> Workflow:
    """Load a workflow file; every problem comes back as a positioned finding."""
    from .yamlsrc import load_yaml_file

    return _build(load_yaml_file(path), sibling_documents(path))
