"""Regenerate the golden files of the generated procedure documents (tests/test_docs.py compares
against them).

    .venv/bin/python tests/golden/docs_regenerate.py

Run it after a deliberate change to what `procflow docs --format markdown` writes, and review the
diff.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# golden file -> the workflow it is generated from (relative to the repository: the page names the
# file)
GOLDEN = {
    "docs_objection.md": "tests/fixtures/docs/objection.yaml",
    "docs_mini.md": "tests/fixtures/workflows/mini.yaml",
}


def generate(relative: str) -> str:
    """The Markdown page `procflow docs --format markdown` writes for one workflow, run from the
    repository."""
    from engine import load_workflow
    from engine.docs.site import build_site

    wf = load_workflow(relative)
    files, _notes = build_site([wf], "markdown")
    return files[f"{wf.name}.md"].decode("utf-8")


def main() -> None:
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    for name, relative in GOLDEN.items():
        target = ROOT / "tests" / "golden" / name
        target.write_text(generate(relative), encoding="utf-8")
        print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
