"""A documentation site for several workflows: file name -> content, for the caller to write.

HTML: `index.html`, one `NAME.html` per workflow with its diagram inline, and `NAME.svg` beside it
(drawn by Graphviz; without it the page says so and the site is still complete). Markdown:
`index.md` and one `NAME.md` per workflow, its diagram as a Mermaid block (no Graphviz needed).
"""
from __future__ import annotations

from collections.abc import Sequence

from ..model import Workflow
from . import html, markdown
from .build import document

FORMATS = ("html", "markdown")


def build_site(workflows: Sequence[Workflow],
               fmt: str = "html") -> tuple[dict[str, bytes], list[str]]:
    """Every file of the site, and notes for the person running it (e.g. a diagram that could not be
    drawn)."""
    from ..render import render

    if fmt not in FORMATS:
        raise ValueError(f"unknown documentation format '{fmt}' (known: {', '.join(FORMATS)})")
    if any(wf.name == "index" for wf in workflows):
        raise ValueError("a workflow called 'index' would take the place of the site's index "
                         "page: give it another name to document it")
    files: dict[str, bytes] = {}
    notes: list[str] = []
    nav = [(wf.name, wf.title) for wf in workflows]
    entries = []
    for wf in workflows:
        doc = document(wf, workflows)
        tables = [(f"Table {t.number}: {t.title}", t.anchor) for t in doc.tables]
        entries.append((wf.name, wf.title, doc.procedure, doc.description or doc.purpose, tables))
        if fmt == "markdown":
            diagram = render(wf, "mermaid").decode("utf-8")
            files[f"{wf.name}.md"] = markdown.render(doc, diagram, nav).encode("utf-8")
            continue
        try:
            svg = render(wf, "svg").decode("utf-8")
        except (RuntimeError, OSError, ValueError) as exc:
            notes.append(f"{wf.name}: the diagram was not drawn ({exc})")
            files[f"{wf.name}.html"] = html.render(
                doc, "", nav,
                fallback=f"The diagram could not be drawn here: {exc}").encode("utf-8")
            continue
        files[f"{wf.name}.svg"] = svg.encode("utf-8")
        files[f"{wf.name}.html"] = html.render(doc, svg, nav,
                                               diagram_file=f"{wf.name}.svg").encode("utf-8")
    if fmt == "markdown":
        files["index.md"] = markdown.index(entries).encode("utf-8")
    else:
        files["index.html"] = html.index(entries, nav).encode("utf-8")
    return files, notes
