"""A workspace of workflow and scenario files as an editor sees it: the text of an open file is
the editor's, any other file's is the disk's. Checks each file as `procflow check` does.

Workflow files of one directory are checked together (a rule may call a query another declares;
`start:` names another workflow), so a change in one re-checks its neighbours too: `check_file`
checks the file changed first, and `affected` says which others to check after. Results are kept
by text, so an unchanged file is not checked twice.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..findings import DefinitionError, Finding
from ..model import Workflow
from ..spec.yamlsrc import MAX_BYTES, Source, load_yaml, yaml11_booleans

MAX_FILES = 500  # a workspace with more YAML files than this is read only this far
SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", "site"}


@dataclass
class Checked:
    """The outcome of checking one file: its findings (in any file), and its model when it built."""

    findings: list[Finding]
    workflow: Workflow | None = None
    key: str = ""


@dataclass
class Folder:
    root: Path
    # file -> text, for files open in the editor
    open_texts: dict[str, str] = field(default_factory=dict)
    _sources: dict[str, tuple[str, Source | None, list[Finding]]] = field(default_factory=dict)
    _checked: dict[str, Checked] = field(default_factory=dict)
    _good: dict[str, Source] = field(default_factory=dict)  # file -> its last text that loaded
    # file -> (stamp, text)
    _disk: dict[str, tuple[tuple[int, int], str]] = field(default_factory=dict)
    _schema_memo: dict = field(default_factory=dict)  # an event's text -> its schema errors
    _search_memo: dict = field(default_factory=dict)  # boundary searches of the graph analysis
    _files: list[str] | None = None

    # -- the files and their texts
    def files(self) -> list[str]:
        """The YAML files of the workspace (open ones included), each once, at most MAX_FILES."""
        if self._files is None:
            found: list[str] = []
            for path in sorted(_walk(self.root)):
                found.append(str(path))
                if len(found) >= MAX_FILES:
                    break
            self._files = found
        return sorted(set(self._files) | set(self.open_texts))

    def forget_files(self) -> None:
        """The list of files may have changed on disk (a file created, renamed or deleted)."""
        self._files = None

    def text(self, file: str) -> str | None:
        """The file's text: the editor's when it is open, else the disk's (read again when
        changed)."""
        if file in self.open_texts:
            return self.open_texts[file]
        try:
            stat = Path(file).stat()
            if stat.st_size > MAX_BYTES:
                return None
            stamp = (stat.st_mtime_ns, stat.st_size)
            cached = self._disk.get(file)
            if cached is None or cached[0] != stamp:
                cached = (stamp, Path(file).read_text(encoding="utf-8", errors="replace"))
                self._disk[file] = cached
            return cached[1]
        except OSError:
            return None

    def source(self, file: str) -> tuple[Source | None, list[Finding]]:
        """The document as read (None when it does not load, with the findings saying why)."""
        text = self.text(file)
        if text is None:
            return None, []
        cached = self._sources.get(file)
        if cached is not None and cached[0] == text:
            return cached[1], cached[2]
        try:
            src, problems = load_yaml(text, file), []
        except DefinitionError as exc:
            src, problems = None, exc.findings
        self._sources[file] = (text, src, problems)
        if src is not None:
            self._good[file] = src
        return src, problems

    def sources(self) -> dict[str, Source]:
        """Every document of the workspace as last loaded (a file being edited that does not load
        now is known by its last text that did)."""
        found = {}
        for file in self.files():
            src, _ = self.source(file)
            src = src or self._good.get(file)
            if src is not None:
                found[file] = src
        return found

    def is_scenario(self, file: str) -> bool:
        src, _ = self.source(file)
        if src is None:
            text = self.text(file) or ""
            return "scenario:" in text[:2000]
        return isinstance(src.data, dict) and "scenario" in src.data

    def is_workflow(self, file: str) -> bool:
        """A workflow file: a `workflow:` document that is not a scenario, or any YAML file (even
        one that does not load) in a directory named `workflows`."""
        if self.is_scenario(file):
            return False
        src, _ = self.source(file)
        if Path(file).parent.name == "workflows":
            return True
        return src is not None and isinstance(src.data, dict) and "workflow" in src.data

    def workflow_files(self, directory: Path) -> list[str]:
        return [f for f in self.files() if Path(f).parent == directory and self.is_workflow(f)]

    # -- checking
    def neighbours(self, file: str) -> dict[str, Any]:
        """The other workflow documents of the file's directory that load, by workflow name."""
        found: dict[str, Any] = {}
        for other in self.workflow_files(Path(file).parent):
            if other == file:
                continue
            src, _ = self.source(other)
            if src is not None and isinstance(src.data, dict) \
                    and isinstance(src.data.get("workflow"), str):
                found.setdefault(src.data["workflow"], src.data)
        return found

    def _key(self, file: str) -> str:
        """What a check of the file depends on: its text, and what it reads of its neighbours."""
        digest = hashlib.blake2b((self.text(file) or "").encode(), digest_size=16)
        for other in self.workflow_files(Path(file).parent):
            if other != file:
                digest.update(b"\0" + other.encode() + b"\0" + self._facing(other).encode())
        return digest.hexdigest()

    def _facing(self, file: str) -> str:
        """The parts of a workflow document its neighbours read (its name, initial status, statuses
        and fields, queries, events' data and starting statuses, procedure catalogue), as text: a
        change elsewhere in it (a title, a guard, an effect) does not re-check them."""
        src, _ = self.source(file)
        if src is None or not isinstance(src.data, dict):
            return "not loaded"
        doc = src.data
        events = {name: {"data": raw.get("data"), "from": [t.get("from")
                                                           for t in raw.get("transitions") or []
                                                          if isinstance(t, dict)]}
                  for name, raw in (doc.get("events") or {}).items() if isinstance(raw, dict)} \
            if isinstance(doc.get("events"), dict) else doc.get("events")
        facing = {key: doc.get(key) for key in ("workflow", "initial", "statuses", "fields",
                                                "lists", "queries",
                                                  "procedure", "tables")}
        return json.dumps({**facing, "events": events}, sort_keys=True, default=str)

    def check_file(self, file: str) -> Checked:
        """The findings `procflow check` reports for this workflow file (scenarios:
        `check_scenario`)."""
        key = self._key(file)
        cached = self._checked.get(file)
        if cached is not None and cached.key == key:
            return cached
        result = self._check_workflow(file)
        result.key = key
        self._checked[file] = result
        return result

    def _check_workflow(self, file: str) -> Checked:
        from ..analysis import analyse, analyse_part
        from ..spec import check_workflow_source, not_checked

        src, problems = self.source(file)
        if src is None:
            return Checked(problems)
        words = yaml11_booleans(src)
        wf, findings, \
            part = check_workflow_source(src, self.neighbours(file), memo=self._schema_memo)
        unloaded = [Path(other).name for other in self.workflow_files(Path(file).parent)
                    if other != file and self.source(other)[0] is None]
        if wf is None:
            if part is not None:
                findings = findings \
                    + analyse_part(part.workflow, part.events_set_aside(), self._search_memo)
            return Checked(words + not_checked(file, findings, unloaded))
        return Checked(words + not_checked(file, analyse(wf, self._search_memo), unloaded), wf)

    def folder_findings(self, directory: Path) -> list[Finding]:
        """What is said of the workflows of a directory together (two files declaring one
        workflow)."""
        from ..analysis import names

        built = [c.workflow for f in self.workflow_files(directory)
                 if (c := self._checked.get(f)) is not None and c.workflow is not None]
        return names(built) if built else []

    def workflow_named(self, name: str, near: Path) -> tuple[Workflow | None, str | None]:
        """The model of workflow `name` for a scenario in `near`: from `workflows/NAME.yaml` in that
        directory or one above it; with the file, which may not have loaded."""
        for directory in [near, *near.parents]:
            file = str(directory / "workflows" / f"{name}.yaml")
            if file in self.files():
                return self.check_file(file).workflow, file
            if directory == self.root:
                break
        return None, None

    def check_scenario(self, file: str, play: bool = False) -> list[Finding]:
        """A scenario's findings: its mistakes as `procflow check` says them, then (with play) each
        expectation that fails when it is played, at its step."""
        from ..scenario import load_scenario, run_scenario

        src, problems = self.source(file)
        if src is None:
            return problems
        near = Path(file).parent
        unloaded: list[str] = []

        def finder(name: str) -> Workflow | None:
            wf, wf_file = self.workflow_named(name, near)
            if wf is None and wf_file is not None:
                unloaded.append(wf_file)
            return wf

        try:
            scenario = load_scenario(file, finder)
        except DefinitionError as exc:
            if unloaded:
                line, col = src.pos(("workflow",))
                return [Finding(file, line, col,
                                f"not checked: {Path(unloaded[0]).name} did not load",
                                code="not-checked", severity="warning",
                                hint="its own findings say why")]
            return exc.findings
        words = yaml11_booleans(src)
        if not play:
            return words
        try:
            result = run_scenario(scenario)
        except Exception as exc:  # noqa: BLE001 - a defect of the engine, said at the scenario
            return [Finding(file, 1, 1, f"the scenario could not be played: {exc}",
                            code="scenario")]
        found = words
        for step in result.steps:
            for failure in step.failures:
                found.append(Finding(file, step.line, _step_col(src, step.index), failure.message,
                                     code="expectation"))
        return found


def _step_col(src: Source, index: int) -> int:
    return src.pos(("steps", index - 1))[1]


def _walk(root: Path) -> list[Path]:
    found: list[Path] = []
    stack = [root]
    while stack and len(found) < MAX_FILES:
        directory = stack.pop()
        try:
            entries = sorted(directory.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir() and not entry.is_symlink():
                if entry.name not in SKIP_DIRS and not entry.name.startswith("."):
                    stack.append(entry)
            elif entry.suffix in (".yaml", ".yml") and entry.is_file():
                found.append(entry)
    return found
