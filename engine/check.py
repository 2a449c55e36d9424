"""`procflow check`: the workflow and scenario files under some paths checked and analysed, every
finding at once (each reported once), as data for the CLI to render."""
from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .findings import DefinitionError, Finding
from .model import Workflow


@dataclass(slots=True)
class Checked:
    """What `check_files` found: how many files it read, and every finding, each once."""

    checked: int
    findings: list[Finding]

    def fails(self, strict: bool) -> bool:
        """Whether the check fails: an error, or with `strict` any finding."""
        return any(f.severity == "error" or strict for f in self.findings)


def yaml_files(paths: tuple[Path, ...] | list[Path]) -> Iterator[Path]:
    """The YAML files named or in the folders named, each once (a file named twice is checked
    once)."""
    seen: set[Path] = set()
    for path in paths:
        found = sorted(p for p in path.rglob("*")
                       if p.suffix in (".yaml", ".yml") and p.is_file()) \
            if path.is_dir() else [path]
        for file in found:
            if file.resolve() not in seen:
                seen.add(file.resolve())
                yield file


def is_scenario(path: Path) -> bool:
    """A scenario file has a top-level `scenario:` key; anything else is taken for a workflow (or a
    model)."""
    return file_kind(path) == "scenario"


def file_kind(path: Path) -> str:
    """'scenario' (a top-level `scenario:` key), 'model' (a workload model: `workflow:` and
    `arrivals:`) or 'workflow' (anything else)."""
    if not path.is_file():
        return "workflow"
    from .forecast.model import is_model
    from .spec.yamlsrc import load_yaml_file

    try:
        data = load_yaml_file(path).data
    except DefinitionError:
        try:
            head = path.read_text(errors="replace")[:2000] if path.suffix in (".yaml", ".yml") \
                else ""
        except OSError:  # unreadable: the load above has already said so
            return "workflow"
        return "scenario" if "scenario" in head else "model" if "arrivals:" in head else "workflow"
    if isinstance(data, dict) and "scenario" in data:
        return "scenario"
    return "model" if is_model(data) else "workflow"


def check_files(paths: tuple[Path, ...] | list[Path], against: str | None = None) -> Checked:
    """Every finding of the YAML files under `paths`: scenarios and workload models loaded and
    checked; workflows loaded, analysed, their names checked together, and compared with their
    version at git revision `against` (default HEAD) for statuses cases may be in that are gone."""
    from .analysis import analyse, analyse_part, names
    from .scenario import load_scenario
    from .spec import load_workflow, not_checked, unloaded_siblings
    from .spec.yamlsrc import load_yaml_file, yaml11_booleans

    findings: list[Finding] = []
    checked = 0
    workflows: list[Workflow] = []
    for file in yaml_files(paths):
        checked += 1
        try:
            findings.extend(yaml11_booleans(load_yaml_file(file)))
            kind = file_kind(file)
            if kind == "scenario":
                load_scenario(file)
            elif kind == "model":
                from .forecast.model import load_model

                load_model(file)
            else:
                try:
                    wf = load_workflow(file)
                # and what depends on a neighbour that does not load, once
                except DefinitionError as exc:
                    part = [] if exc.part is None \
                        else analyse_part(exc.part.workflow, exc.part.events_set_aside())
                    findings.extend(not_checked(str(file), exc.findings + part,
                                                unloaded_siblings(file)))
                    continue
                workflows.append(wf)
                findings.extend(not_checked(str(file), analyse(wf), unloaded_siblings(file)))
                findings.extend(removed_statuses(file, wf, against or "HEAD"))
        except DefinitionError as exc:
            findings.extend(exc.findings)
    if workflows:
        findings.extend(names(workflows))
    # a scenario reports its workflow's findings too, under the path it resolved: report each once
    unique: dict[tuple, Finding] = {}
    for f in findings:
        unique.setdefault((os.path.realpath(f.file), f.line, f.col, f.message), f)
    return Checked(checked, list(unique.values()))


def revision_problem(paths: tuple[Path, ...] | list[Path], rev: str) -> str | None:
    """What is wrong with `--against REV` for these paths (it must name a commit of their
    repository)."""
    from .spec.history import HistoryError, commit_of, locate

    tracked = next((t for t in (locate(p if p.is_file() else p / "x") for p in paths)
                    if t is not None), None)
    if tracked is None:
        return f"--against {rev}: {', '.join(map(str, paths))} is not in a git repository"
    try:
        commit_of(tracked, rev)
    except HistoryError as exc:
        return f"--against {rev}: {exc}"
    return None


def removed_statuses(file: Path, wf: Workflow, rev: str) -> list[Finding]:
    """`removed-status` warnings: statuses of the file's version at `rev` that cases may be in, now
    gone. Nothing when the file is not tracked in git, is new since `rev`, or is unchanged. The old
    text is only read, not checked: a version that would not load now is compared too."""
    from .diff import reachable_in_document, removed_status_findings
    from .spec.history import previous_text
    from .spec.yamlsrc import load_yaml, load_yaml_file

    found = previous_text(file, rev)
    if found is None:
        return []
    try:
        old = load_yaml(*found)
    except DefinitionError:
        return []
    gone = [(s, old.pos(("statuses", s), key=True)[0]) for s in reachable_in_document(old.data)
            if s not in wf.statuses]
    if not gone:
        return []
    line, col = load_yaml_file(file).pos(("statuses",), key=True)
    return removed_status_findings(gone, (str(file), line, col), f"its version at {rev}")
