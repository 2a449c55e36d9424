"""Workflow documents: YAML with positions -> schema check -> semantic checks -> model (or
findings).

The workflow files of one folder form a project: an expression in one may call the queries
another declares, so loading a file also reads its siblings' query declarations.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path as _FsPath
from typing import TYPE_CHECKING, Any

from ..findings import Finding
from ..model import Workflow

if TYPE_CHECKING:  # pragma: no cover
    from .effects import QuerySig
    from .yamlsrc import Source


def _build(src: Source, siblings: dict[str, Any] | None = None) -> Workflow:
    from ..findings import DefinitionError

    wf, findings, part = check_workflow_source(src, siblings)
    if wf is None:
        raise DefinitionError(findings, part)
    return wf


@dataclass(frozen=True)
class Part:
    """The model of the part of a document the schema accepts, and the key paths set aside."""

    workflow: Workflow
    set_aside: frozenset[tuple]

    def events_set_aside(self) -> set[str]:
        """The events some part of which was set aside (the whole event, a transition, a key)."""
        return {str(path[1]) for path in self.set_aside if len(path) > 1 and path[0] == "events"}


def check_workflow_source(src: Source, siblings: dict[str, Any] | None = None,
                          memo: dict | None = None) -> tuple[Workflow | None, list[Finding],
                                                             Part | None]:
    """The model of a loaded workflow document, or every finding at once: the schema's, and then
    what the parts the schema accepts say when built (a part with a schema error is set aside,
    and nothing is said about it being gone); third, the model of those parts when they built, for
    the analysis that needs no more. `memo`: see check_schema."""
    from ..findings import DefinitionError
    from .build import build_workflow
    from .partial import accepted_part
    from .schema import check_schema

    findings = check_schema(src, "workflow", memo=memo)
    if findings:
        found = accepted_part(src)
        if found is None:
            return None, findings, None
        part, dropped = found
        try:
            return None, findings, Part(build_workflow(part, siblings), frozenset(dropped))
        except DefinitionError as exc:
            return None, findings + _not_about(exc.findings, findings, dropped), None
    try:
        return build_workflow(src, siblings), [], None
    except DefinitionError as exc:
        return None, exc.findings, None


def _not_about(built: list[Finding], said: list[Finding], dropped: set[tuple]) -> list[Finding]:
    """The build's findings that are not the schema's again (same place) nor about a part set aside
    (a reference to a status, event ... that the schema set aside)."""
    places = {(f.line, f.col) for f in said}
    gone = {f"'{path[-1]}'" for path in dropped if path and isinstance(path[-1], str)}
    return [f for f in built
            if (f.line, f.col) not in places and not any(name in f.message for name in gone)]


def sibling_documents(path: str | _FsPath) -> dict[str, Any]:
    """The other workflow documents in the same folder, by workflow name, as read (not yet checked:
    a sibling's own mistakes are reported when it is checked; what is read from it here is read
    defensively)."""
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


def unloaded_siblings(path: str | _FsPath) -> list[str]:
    """The other YAML files of the folder that do not load (their own check says why)."""
    from ..findings import DefinitionError
    from .yamlsrc import load_yaml_file

    path = _FsPath(path)
    unloaded = []
    for other in sorted(path.parent.glob("*.yaml")):
        if other.resolve() != path.resolve():
            try:
                load_yaml_file(other)
            except DefinitionError:
                unloaded.append(other.name)
    return unloaded


# what a workflow's check says about names its folder's other files declare
_FROM_THE_FOLDER = ("unknown function or query", "unknown workflow (in this folder)",
                    "unknown query")


def not_checked(file: str, found: list[Finding], unloaded: list[str]) -> list[Finding]:
    """A workflow's findings when files of its folder do not load: what it uses from them (queries,
    workflows to start, their procedure catalogues) cannot be checked, so it is not said; one
    warning says so instead, at the first place it would have been."""
    if not unloaded:
        return found
    missed = [f for f in found
              if f.code == "unknown-step" or any(s in f.message for s in _FROM_THE_FOLDER)]
    if not missed:
        return found
    first = min(missed, key=lambda f: (f.line, f.col))
    return [f for f in found if f not in missed] + [Finding(
        file, first.line, first.col, f"not checked: {', '.join(unloaded)} did not load",
        code="not-checked",
        severity="warning", hint="what this file uses from it is checked once it loads")]


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


def workflow_files(folder: _FsPath) -> list[_FsPath]:
    """The NAME.yaml workflow files of a folder, by name (none when it is not a folder)."""
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def workflow_path(name: str, folder: _FsPath, by_name: bool = False) -> _FsPath:
    """The file of a workflow named by its path or by its name in `folder` (`by_name`: only by name,
    as a store names one); ValueError naming the workflows the folder has when there is none."""
    path = _FsPath(name)
    if by_name or not path.is_file():
        path = folder / f"{name}.yaml"
        if not path.is_file():
            known = ", ".join(sorted(p.stem for p in workflow_files(folder))) or "none"
            raise ValueError(f"no workflow '{name}' (looked for {path}; known: {known})")
    return path
