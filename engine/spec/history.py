"""A workflow file's past versions, read from git: its text and model at a revision, and a version
found by its hash.

The one module that runs `git` (as a subprocess). A version is the content hash `build` gives a
workflow (`content_version`); an instance records it, so that it can be bound again to the very
workflow it ran on after the file has changed. Everything here reads; nothing writes to the
repository.
"""
from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..findings import DefinitionError, ProcflowError
from ..model import Workflow
from .yamlsrc import content_version

GIT_TIMEOUT = 30  # seconds for one git command


class HistoryError(ProcflowError):
    """The history cannot be read as asked: not a git work tree, an unknown revision, a file not in
    it."""


def decode(raw: bytes) -> str:
    """A document's text as the loader reads it: UTF-8, without a byte order mark."""
    text = raw.decode("utf-8-sig")
    return text[1:] if text.startswith("\ufeff") else text


@dataclass(frozen=True, slots=True)
class Tracked:
    """A path inside a git work tree: the tree's top folder and the path from it (with /)."""

    root: Path
    path: str

    @property
    def folder(self) -> str:
        """The folder of the path inside the tree ('' at the top)."""
        head, _, _ = self.path.rpartition("/")
        return head


def _git(root: Path | str, *args: str,
         stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("GIT_DIR", "GIT_WORK_TREE")}
    env.update(LC_ALL="C", GIT_OPTIONAL_LOCKS="0")
    return subprocess.run(["git", "--no-pager", *args], cwd=root, input=stdin, capture_output=True,
                          env=env,
                          timeout=GIT_TIMEOUT, check=False)


def locate(path: str | os.PathLike) -> Tracked | None:
    """Where a path lies in its git work tree, or None when it is in none (or git is not
    installed)."""
    full = Path(os.path.abspath(path))
    folder = full.parent
    while not folder.is_dir() and folder != folder.parent:  # a file of a folder deleted since
        folder = folder.parent
    try:
        out = _git(folder, "rev-parse", "--show-toplevel", "--show-prefix")
    except (OSError, subprocess.SubprocessError):
        return None
    lines = out.stdout.decode("utf-8", "replace").splitlines()
    if out.returncode != 0 or not lines:
        return None
    prefix = lines[1] if len(lines) > 1 else ""
    rel = os.path.relpath(full, folder).replace(os.sep, "/")
    return Tracked(Path(lines[0]), prefix + rel if rel != "." else prefix.rstrip("/"))


def _tracked(path: str | os.PathLike) -> Tracked:
    found = locate(path)
    if found is None:
        raise HistoryError(f"{path}: not in a git repository (or git is not installed)")
    return found


def commit_of(tracked: Tracked, rev: str) -> str:
    """The full commit hash a revision names; HistoryError when it names none."""
    out = _git(tracked.root, "rev-parse", "--verify", "--quiet", "--end-of-options",
               f"{rev}^{{commit}}")
    if out.returncode != 0 or not out.stdout.strip():
        raise HistoryError(f"unknown revision '{rev}' in the git repository at {tracked.root}")
    return out.stdout.decode().strip()


def _blobs(root: Path, specs: list[str]) -> dict[str, bytes | None]:
    """The content of each `REV:path` (None where there is no such file), read by one git
    process."""
    if not specs:
        return {}
    out = _git(root, "cat-file", "--batch", stdin="".join(s + "\n" for s in specs).encode())
    if out.returncode != 0:
        raise HistoryError(out.stderr.decode("utf-8", "replace").strip() or "git cat-file failed")
    data, at, found = out.stdout, 0, {}
    for spec in specs:
        end = data.index(b"\n", at)
        header = data[at:end].decode("utf-8", "replace").split()
        at = end + 1
        if len(header) == 3 and header[1] == "blob":
            size = int(header[2])
            found[spec] = data[at:at + size]
            at += size + 1
        else:  # "<spec> missing", or a tree / commit (not a file)
            found[spec] = None
            if len(header) == 3:
                at += int(header[2]) + 1
    return found


def _oids(root: Path, specs: list[str]) -> list[str | None]:
    """The blob id of each `REV:path` (None where there is no such file), asked of one git
    process."""
    if not specs:
        return []
    out = _git(root, "cat-file", "--batch-check", stdin="".join(s + "\n" for s in specs).encode())
    if out.returncode != 0:
        raise HistoryError(out.stderr.decode("utf-8", "replace").strip() or "git cat-file failed")
    found: list[str | None] = []
    for line in out.stdout.decode("utf-8", "replace").splitlines():
        parts = line.split()
        found.append(parts[0] if len(parts) == 3 and parts[1] == "blob" else None)
    return found


def text_at(path: str | os.PathLike, rev: str, *, verify: bool = True) -> tuple[str, str]:
    """The text of a file at a revision, and the name it is known by there (`REV:path`).
    `verify=False` skips asking whether the revision exists (it then reads as 'the file is not in
    it')."""
    tracked = _tracked(path)
    if verify:
        commit_of(tracked, rev)
    raw = _blobs(tracked.root, [f"{rev}:{tracked.path}"])[f"{rev}:{tracked.path}"]
    if raw is None:
        raise HistoryError(f"{tracked.path} is not in revision {rev}")
    try:
        return decode(raw), f"{rev}:{tracked.path}"
    except UnicodeDecodeError:
        raise HistoryError(f"{tracked.path} at revision {rev} is not UTF-8 text") from None


def _siblings_at(tracked: Tracked, rev: str) -> dict[str, Any]:
    """The other workflow documents of the file's folder at a revision, as read (see
    `sibling_documents`)."""
    from .yamlsrc import load_yaml

    tree = f"{rev}:{tracked.folder}" if tracked.folder else f"{rev}^{{tree}}"
    out = _git(tracked.root, "ls-tree", "--full-tree", "--name-only", tree)
    if out.returncode != 0:
        return {}
    names = [n for n in out.stdout.decode("utf-8", "replace").splitlines() if n.endswith(".yaml")]
    mine = tracked.path.rpartition("/")[2]
    specs = [f"{rev}:{tracked.folder + '/' if tracked.folder else ''}{n}" for n in sorted(names)
             if n != mine]
    found: dict[str, Any] = {}
    for spec, raw in _blobs(tracked.root, specs).items():
        if raw is None:
            continue
        try:
            data = load_yaml(decode(raw), spec).data
        except (DefinitionError, UnicodeDecodeError):
            continue
        if isinstance(data, dict) and isinstance(data.get("workflow"), str):
            found[data["workflow"]] = data
    return found


def _build_text(text: str, name: str, tracked: Tracked, rev: str) -> Workflow:
    from . import _build
    from .yamlsrc import load_yaml

    return _build(load_yaml(text, name), _siblings_at(tracked, rev))


def load_at(path: str | os.PathLike, rev: str) -> Workflow:
    """The workflow a file held at a revision, its queries resolved against its folder at that
    revision.

    Positions name the file as `REV:path`. HistoryError when the revision or the file cannot be
    read; DefinitionError (with every finding) when what it held is not a valid workflow.
    """
    tracked = _tracked(path)
    text, name = text_at(path, rev)
    return _build_text(text, name, tracked, rev)


def previous_text(path: str | os.PathLike, rev: str = "HEAD") -> tuple[str, str] | None:
    """The text a file held at a revision and its name there (`REV:path`), when it differs from the
    file now.

    None when it is the same, or when there is nothing to compare with: the file is not in a git
    work tree, the revision is unknown, or the file is not in it.
    """
    try:
        text, name = text_at(path, rev, verify=False)
    except (HistoryError, OSError, subprocess.SubprocessError):
        return None
    try:
        now = decode(Path(path).read_bytes())
    except (OSError, UnicodeDecodeError):
        now = None
    return None if now == text else (text, name)


def previous(path: str | os.PathLike, rev: str = "HEAD") -> Workflow | None:
    """The workflow a file held at a revision, when it differs from the file now (see
    `previous_text`); None too when what it held does not load."""
    found = previous_text(path, rev)
    if found is None:
        return None
    try:
        return _build_text(*found, _tracked(path), rev)
    except (HistoryError, DefinitionError):
        return None


def find_version(path: str | os.PathLike, version: str) -> Workflow:
    """The workflow of a file's history whose content hash is `version` (the newest commit holding
    it).

    Looks at the file's commits on every branch (`git rev-list --all -- PATH`); LookupError saying
    where it looked when none holds it. A file that was renamed is followed only under its present
    name.
    """
    tracked = locate(path)
    if tracked is None:
        raise LookupError(f"{path} is not in a git repository, where its past versions "
                          "would be found")
    out = _git(tracked.root, "rev-list", "--all", "--", tracked.path)
    commits = out.stdout.decode().split() if out.returncode == 0 else []
    if not commits:
        raise LookupError(f"{tracked.path} has no committed history in {tracked.root}")
    oids = _oids(tracked.root, [f"{c}:{tracked.path}" for c in commits])
    first: dict[str, str] = {}  # each distinct content, with the newest commit holding it
    for commit, oid in zip(commits, oids, strict=True):
        if oid is not None:
            first.setdefault(oid, commit)
    for oid, raw in _blobs(tracked.root, list(first)).items():
        try:
            text = decode(raw) if raw is not None else None
        except UnicodeDecodeError:
            continue
        if text is not None and content_version(text) == version:
            commit = first[oid]
            try:
                return _build_text(text, f"{commit[:12]}:{tracked.path}", tracked, commit)
            except DefinitionError as exc:
                why = exc.findings[0].render() if exc.findings else exc
                raise LookupError(f"it is in commit {commit[:12]} of {tracked.path}, but does not "
                                  f"load there: {why}") from None
    raise LookupError(f"none of the {len(commits)} commit(s) of {tracked.path} holds it")


def two_versions(args: list[str] | tuple[str, ...], git: bool) -> tuple[Workflow, Workflow]:
    """The old and the new workflow `procflow diff` compares: two files OLD NEW, or with `git` the
    revisions REV1 [REV2] of a file PATH (without REV2, the file as it is now). ValueError saying
    what to give for a usage mistake; DefinitionError when a version is not a valid workflow."""
    from . import load_workflow

    if not git:
        if len(args) != 2:
            raise ValueError("give two workflow files, OLD NEW (or --git REV1 [REV2] PATH for git "
                             "revisions)")
        for name in args:
            if not Path(name).is_file():
                raise ValueError(f"no workflow file '{name}'")
        return load_workflow(args[0]), load_workflow(args[1])
    if len(args) not in (2, 3):
        raise ValueError("with --git, give REV1 [REV2] PATH: the revisions of the workflow file "
                         "PATH to compare")
    *revs, path = args
    try:
        old = load_at(path, revs[0])
        if len(revs) == 2:
            return old, load_at(path, revs[1])
    except HistoryError as exc:
        raise ValueError(str(exc)) from None
    if not Path(path).is_file():
        raise ValueError(f"no workflow file '{path}' in the working tree (give REV2 to compare two "
                         "revisions)")
    return old, load_workflow(path)
