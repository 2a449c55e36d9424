"""A procedure document as one self-contained HTML page: inline CSS, the diagram's SVG inline, no
scripts.

The HTML is in Jinja2 templates (engine/docs/templates/docs/), autoescaped: every text is escaped;
the only links are to anchors of the site's own pages and to the diagram's SVG file beside the page.
A Content-Security-Policy forbids fetching anything else, so a page that tried would say so in the
browser's console. The workbench (engine/web) serves these pages and uses the same templates'
pieces.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from html import escape
from typing import Any

from markupsafe import Markup

from .model import Document, Line
from .words import lines_text, numbers_text, sentence

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:"

STYLE = """
:root { --ink: #1d2430; --muted: #5b6472; --line: #d5d9e0; --soft: #f4f6f9; --accent: #1f5fa8;
        --refuse: #a3262a; --save: #1d6b3a; --when: #6b4a00; }
* { box-sizing: border-box; }
html { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif;
       color: var(--ink); line-height: 1.45; font-size: 15px; }
body { margin: 0; background: #fff; }
a { color: var(--accent); }
header.site { background: #12325a; color: #fff; padding: 0.6rem 1.2rem; }
header.site nav { display: flex; flex-wrap: wrap; gap: 0.4rem 1.4rem; align-items: baseline; }
header.site a { color: #fff; text-decoration: none; }
header.site a:hover { text-decoration: underline; }
header.site a[aria-current="page"] { font-weight: 700; border-bottom: 2px solid #fff; }
header.site .brand { font-weight: 700; margin-right: 1rem; opacity: 0.85; }
.layout { display: grid; grid-template-columns: 16rem minmax(0, 1fr); gap: 2rem; padding: 1rem 1.5rem 3rem; }
aside.toc { position: sticky; top: 0.5rem; align-self: start; max-height: calc(100vh - 1rem); overflow: auto;
            font-size: 0.88rem; border-right: 1px solid var(--line); padding-right: 1rem; }
aside.toc ul { list-style: none; padding: 0; margin: 0; }
aside.toc li { margin: 0.3rem 0; }
aside.toc a { text-decoration: none; }
main { max-width: 82rem; }
h1 { margin: 0.2rem 0 0.4rem; font-size: 1.8rem; }
h2 { margin-top: 2.2rem; border-bottom: 2px solid var(--line); padding-bottom: 0.2rem; font-size: 1.35rem; }
h3 { margin-top: 1.4rem; font-size: 1.1rem; }
p.procedure { color: var(--muted); margin: 0 0 0.8rem; }
p.purpose { font-size: 1.05rem; }
p.generated { color: var(--muted); font-size: 0.85rem; border-left: 3px solid var(--line); padding-left: 0.6rem; }
p.start { font-weight: 600; }
figure.diagram { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 0.5rem; overflow: auto;
                 background: #fff; }
figure.diagram svg { max-width: 100%; height: auto; display: block; margin: 0 auto; }
figure.diagram figcaption { font-size: 0.85rem; color: var(--muted); margin-top: 0.4rem; }
table { border-collapse: collapse; width: 100%; margin: 0.6rem 0 1rem; }
th, td { border: 1px solid var(--line); padding: 0.45rem 0.6rem; vertical-align: top; text-align: left; }
thead th { background: var(--soft); }
table.steps > tbody > tr > th { width: 4.5rem; text-align: center; font-size: 1.1rem; background: var(--soft); }
table.steps > tbody > tr:target > td, table.steps > tbody > tr:target > th { outline: 3px solid #f0c419; }
p.heading { font-weight: 700; margin: 0 0 0.4rem; }
p.nothing { color: var(--muted); font-style: italic; margin: 0; }
div.block { border-top: 1px dashed var(--line); padding-top: 0.35rem; margin-top: 0.35rem; }
div.block:first-of-type { border-top: none; padding-top: 0; }
p.heading { font-size: 1.05rem; }
p.do { margin: 0.1rem 0 0.2rem; font-weight: 600; color: var(--accent); border-left: 3px solid var(--accent);
       padding-left: 0.45rem; }
ul.lines { margin: 0.1rem 0 0.3rem; padding-left: 1.1rem; }
ul.lines ul { padding-left: 1.2rem; margin: 0.15rem 0; }
ul.lines li { margin: 0.12rem 0; }
li.when { list-style: "▸ "; color: var(--when); }
li.when > ul { color: var(--ink); }
li.save { list-style: "✔ "; }
li.save::marker { color: var(--save); }
li.refuse { list-style: "✗ "; }
li.refuse::marker { color: var(--refuse); }
li.unavailable, li.blocked { list-style: "⊘ "; color: var(--muted); }
span.lead { font-weight: 600; }
li.refuse span.lead { color: var(--refuse); }
a.note { font-size: 0.75rem; vertical-align: super; text-decoration: none; background: var(--soft);
         border: 1px solid var(--line); border-radius: 3px; padding: 0 0.2rem; margin-left: 0.15rem; }
td.rules p { margin: 0 0 0.3rem; }
table.xref td:first-child { width: 9rem; }
table.catalogue a, table.xref td:first-child a, span.where a { white-space: nowrap; }
table.xref td:nth-child(2) { width: 16rem; }
ul.assumptions li { margin: 0.35rem 0; }
ul.assumptions li:target { background: #fff6cc; }
span.label { font-weight: 700; margin-right: 0.3rem; }
span.where { color: var(--muted); font-size: 0.88rem; }
ul.index > li { margin: 1.2rem 0; }
ul.index p { margin: 0.2rem 0; }
@media (max-width: 900px) { .layout { grid-template-columns: 1fr; } aside.toc { position: static; border: none; } }
@media print { header.site, aside.toc { display: none; } .layout { display: block; } }
"""  # noqa: E501

_LEAD = {"select": "Select:", "key": "Key:", "add": "Add:", "refuse": "Refused:",
         "unavailable": "Not available:"}


@cache
def templates() -> Any:
    """The Jinja2 environment of the documents' templates (loaded once)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("engine.docs", "templates"),
                      autoescape=select_autoescape(default=True),
                      extensions=["jinja2.ext.do"])
    env.globals.update(lead=_LEAD, nest=nest, sentence=sentence, lines_text=lines_text, esc=esc)
    return env


def esc(text: object) -> str:
    return escape(str(text), quote=True)


def nest(lines: Sequence[Line]) -> list[tuple[Line, list[Line]]]:
    """A block's lines, each with the lines of depth 1 that belong to it (a transition's)."""
    items: list[tuple[Line, list[Line]]] = []
    for line in lines:
        if line.depth and items:
            items[-1][1].append(line)
        else:
            items.append((line, []))
    return items


def inline_svg(svg: str, title: str) -> str:
    """Graphviz's SVG, ready to sit inside HTML: no XML prolog, doctype, comments or namespace
    URLs."""
    svg = re.sub(r"<\?xml.*?\?>", "", svg, flags=re.S)
    svg = re.sub(r"<!DOCTYPE.*?>", "", svg, flags=re.S)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    svg = re.sub(r'\s+xmlns(?::\w+)?="[^"]*"', "", svg)
    return svg.strip().replace("<svg", f'<svg role="img" aria-label="{escape(title, quote=True)}"',
                               1)


def _page(template: str, title: str, nav: Sequence[tuple[str, str]], current: str,
          **context: Any) -> str:
    return templates().get_template(template).render(title=title, nav=list(nav), current=current,
                                                     csp=CSP,
                                                      style=STYLE, **context) + "\n"


def render(doc: Document, svg: str = "", nav: Sequence[tuple[str, str]] = (),
           diagram_file: str = "",
           fallback: str = "") -> str:
    """The page of one workflow. `svg`: its diagram; `diagram_file`: the SVG beside the page;
    `fallback`: what to say instead of a diagram (e.g. Graphviz is not installed)."""
    toc = Markup(templates().get_template("docs/toc.html").render(doc=doc))
    return _page("docs/workflow.html", f"{doc.title} — procedure", nav, doc.workflow, toc=toc,
                 doc=doc,
                 svg=Markup(inline_svg(svg, f"Diagram of {doc.title}")) if svg else "",
                 diagram_file=diagram_file,
                 fallback=fallback, tables=numbers_text([t.number for t in doc.tables]))


def index(entries: Sequence[tuple[str, str, str, str, Sequence[tuple[str, str]]]],
          nav: Sequence[tuple[str, str]]) -> str:
    """The site's first page: (page, title, procedure, summary, its tables as (label, anchor)) of
    each workflow."""
    return _page("docs/index.html", "Child Support procedures", nav, "index", toc="",
                 entries=entries)
