"""The names a workflows folder declares (workflows, events, queries, statuses), read cheaply for
shell completion.

Only reads: each `NAME.yaml` of the folder is parsed as plain YAML (no checking, no model); a file
that does not parse, or is larger than a workflow should be, is skipped. Nothing here raises for a
user's file.
"""
from __future__ import annotations

from pathlib import Path

import yaml

MAX_BYTES = 4_000_000  # a workflow is text a person wrote: far below this
KINDS = ("workflows", "events", "queries", "statuses")


def declared_names(folder: Path) -> dict[str, list[str]]:
    """{kind: sorted names} for the workflow files of `folder` (workflows by file name, as commands
    find them)."""
    found: dict[str, set[str]] = {kind: set() for kind in KINDS}
    try:
        files = sorted(p for p in folder.glob("*.yaml") if p.is_file())
    except OSError:
        files = []
    for path in files:
        found["workflows"].add(path.stem)
        try:
            if path.stat().st_size > MAX_BYTES:
                continue
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if isinstance(doc, dict):
            for kind in ("events", "queries", "statuses"):
                if isinstance(doc.get(kind), dict):
                    found[kind].update(str(k) for k in doc[kind])
    return {kind: sorted(names) for kind, names in found.items()}
