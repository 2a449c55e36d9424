"""A procedure document as one self-contained HTML page: inline CSS, the diagram's SVG inline, no scripts.

Every text is escaped; the only links are to anchors of the site's own pages and to the diagram's
SVG file beside the page. A Content-Security-Policy forbids fetching anything else, so a page that
tried would say so in the browser's console.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from html import escape

from .model import Block, CrossRef, Document, Line, Ref, Row
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
"""

_LEAD = {"select": "Select:", "key": "Key:", "add": "Add:", "refuse": "Refused:", "unavailable": "Not available:"}


def esc(text: object) -> str:
    return escape(str(text), quote=True)


def href(ref: Ref) -> str:
    return f"{esc(ref.page + '.html') if ref.page else ''}#{esc(ref.anchor)}"


def link(ref: Ref) -> str:
    return f'<a href="{href(ref)}">{esc(ref.label)}</a>' if ref.anchor else esc(ref.label)


def links(refs: Iterable[Ref]) -> str:
    return ", ".join(link(r) for r in refs) or "—"


def notes(refs: Sequence[Ref]) -> str:
    return "".join(f'<a class="note" href="#{esc(r.anchor)}" title="Assumption {esc(r.label)}">{esc(r.label)}</a>'
                   for r in refs)


def line_html(line: Line, children: Sequence[Line] = ()) -> str:
    lead = _LEAD.get(line.kind)
    text = (f'<span class="lead">{lead}</span> ' if lead else "") + esc(line.text) + notes(line.notes)
    inner = f'<ul>{"".join(line_html(c) for c in children)}</ul>' if children else ""
    return f'<li class="{esc(line.kind)}">{text}{inner}</li>'


def block_html(block: Block) -> str:
    """The block's title, then its lines; a line of depth 1 belongs to the line before it (a transition)."""
    items: list[tuple[Line, list[Line]]] = []
    for line in block.lines:
        if line.depth and items:
            items[-1][1].append(line)
        else:
            items.append((line, []))
    lines = f'<ul class="lines">{"".join(line_html(li, ch) for li, ch in items)}</ul>' if items else ""
    return f'<div class="block"><p class="do">{esc(block.title)}{notes(block.notes)}</p>{lines}</div>'


def row_html(row: Row) -> str:
    number = "All" if row.number is None else str(row.number)
    cell = [f'<p class="heading">{esc(row.heading)}</p>'] if row.heading else []
    cell += [block_html(b) for b in row.blocks]
    if not row.blocks:
        cell.append('<p class="nothing">Nothing in the workflow implements this step.</p>')
    return f'<tr id="{esc(row.anchor)}"><th scope="row">{number}</th><td>{"".join(cell)}</td></tr>'


def catalogue(headers: Sequence[str], rows: Sequence[tuple[str, Sequence[str]]]) -> str:
    """A catalogue table: its column headers, then one row per (anchor, cells already in HTML); or None."""
    if not rows:
        return "<p>None.</p>"
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in headers)
    body = "".join(f'<tr id="{esc(anchor)}">' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"
                   for anchor, cells in rows)
    return f'<table class="catalogue"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def rules_html(ref: CrossRef) -> str:
    return "".join(f"<p><em>{group}</em>: {said}</p>" for group, said in ref.said(esc)) or "—"


def inline_svg(svg: str, title: str) -> str:
    """Graphviz's SVG, ready to sit inside HTML: no XML prolog, doctype, comments or namespace URLs."""
    svg = re.sub(r"<\?xml.*?\?>", "", svg, flags=re.S)
    svg = re.sub(r"<!DOCTYPE.*?>", "", svg, flags=re.S)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    svg = re.sub(r'\s+xmlns(?::\w+)?="[^"]*"', "", svg)
    return svg.strip().replace("<svg", f'<svg role="img" aria-label="{esc(title)}"', 1)


def page(title: str, body: str, nav: Sequence[tuple[str, str]], current: str, toc: str = "") -> str:
    items = [f'<a href="{esc(p)}.html"{" aria-current=" + chr(34) + "page" + chr(34) if p == current else ""}>'
             f"{esc(t)}</a>" for p, t in [("index", "All procedures"), *nav]]
    aside = f'<aside class="toc"><nav aria-label="On this page">{toc}</nav></aside>' if toc else ""
    layout = f'<div class="layout">{aside}<main>{body}</main></div>' if toc else f'<div class="layout" ' \
        f'style="grid-template-columns: 1fr"><main>{body}</main></div>'
    return ("<!DOCTYPE html>\n"
            '<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            f"<title>{esc(title)}</title><style>{STYLE}</style></head>\n<body>"
            '<header class="site"><nav aria-label="Procedures"><span class="brand">Child Support procedures</span>'
            f'{"".join(items)}</nav></header>\n{layout}\n</body></html>\n')


def render(doc: Document, svg: str = "", nav: Sequence[tuple[str, str]] = (), diagram_file: str = "",
           fallback: str = "") -> str:
    """The page of one workflow. `svg`: its diagram; `diagram_file`: the SVG beside the page; `fallback`:
    what to say instead of a diagram (e.g. Graphviz is not installed)."""
    toc = ['<ul><li><a href="#top">Purpose</a></li>', '<li><a href="#diagram">Diagram</a></li>']
    toc += [f'<li><a href="#{esc(t.anchor)}">Table {t.number}: {esc(t.title)}</a></li>' for t in doc.tables]
    if doc.parts:
        toc.append('<li><a href="#other-parts">Other parts of the text</a></li>')
    toc += ['<li><a href="#intrays">Intrays</a></li>', '<li><a href="#letters">Letters</a></li>',
            '<li><a href="#assumptions">Assumptions</a></li>', '<li><a href="#cross-reference">Cross-reference</a></li>',
            '<li><a href="#unimplemented">Steps nothing implements</a></li></ul>']
    body = [f'<h1 id="top">{esc(doc.title)}</h1>']
    if doc.procedure:
        tables = numbers_text([t.number for t in doc.tables])
        body.append(f'<p class="procedure">Procedure: <cite>{esc(doc.procedure)}</cite>'
                    + (f" — {tables}" if tables else "") + "</p>")
    if doc.purpose:
        body.append(f'<p class="purpose">{esc(doc.purpose)}</p>')
    if doc.description:
        body.append(f"<p><strong>This workflow:</strong> {esc(doc.description)}</p>")
    body.append(f'<p class="generated">Generated by <code>procflow docs</code> from <code>{esc(doc.file)}</code> '
                f"(version {esc(doc.version)}), the file the engine runs: to change this page, change the workflow."
                "</p>")
    body.append('<section id="diagram"><h2>Diagram</h2><figure class="diagram">')
    if svg:
        body.append(inline_svg(svg, f"Diagram of {doc.title}"))
        more = f' <a href="{esc(diagram_file)}">Open the diagram full size.</a>' if diagram_file else ""
        body.append(f"<figcaption>The statuses grouped by procedure table; each arrow is an event, with its "
                    f"condition; the legend keys what saving does.{more}</figcaption>")
    else:
        body.append(f"<figcaption>{esc(fallback or 'No diagram.')}</figcaption>")
    body.append("</figure></section>")
    for t in doc.tables:
        body.append(f'<section id="{esc(t.anchor)}" class="procedure-table"><h2>Table {t.number}: {esc(t.title)}</h2>')
        if t.start:
            body.append(f'<p class="start">Start point: {esc(t.start)}.</p>')
        body.append(f'<table class="steps"><thead><tr><th scope="col">{esc(t.columns[0])}</th>'
                    f'<th scope="col">{esc(t.columns[1])}</th></tr></thead><tbody>')
        body += [row_html(r) for r in t.rows]
        body.append("</tbody></table></section>")
    if doc.parts:
        body.append('<section id="other-parts"><h2>Other parts of the text</h2>'
                    '<p>Rules that cite a part of the text that is not a numbered table.</p>'
                    '<table class="steps parts"><thead><tr><th scope="col">Part</th><th scope="col">Action</th></tr>'
                    "</thead><tbody>")
        for part in doc.parts:
            cell = "".join(block_html(b) for b in part.blocks) or '<p class="nothing">Cited by definitions only ' \
                '(see the cross-reference).</p>'
            body.append(f'<tr id="{esc(part.anchor)}"><th scope="row" style="width: 12rem; font-size: 0.95rem">'
                        f"{esc(part.label)}</th><td>{cell}</td></tr>")
        body.append("</tbody></table></section>")
    body.append('<section id="intrays"><h2>Intrays</h2>')
    body.append(catalogue(("Code", "Intray", "Due", "Opened at", "Closed at", "Source", "Notes"), [
        (f"intray-{it.code}", [f"<strong>{esc(it.code)}</strong>", esc(it.name), esc(it.due), links(it.opened_at),
                               links(it.closed_at), links(it.source), esc(it.stays_open) + notes(it.notes)])
        for it in doc.intrays]))
    body.append('</section><section id="letters"><h2>Letters</h2>')
    body.append(catalogue(("Code", "Letter", "Issued to", "Issued at", "Source", "Notes"), [
        (f"letter-{lt.code}", [f"<strong>{esc(lt.code)}</strong>", esc(lt.title), esc(lt.recipients),
                               links(lt.issued_at), links(lt.source), notes(lt.notes)])
        for lt in doc.letters]))
    body.append('</section><section id="assumptions"><h2>Assumptions</h2><p>Where the text is silent or '
                "ambiguous, the workflow records the reading it chose, for policy staff to confirm. Readings are "
                "numbered as in the product's list (R1, R2 …); the others are numbered A1, A2 … here.</p>")
    if not doc.assumptions:
        body.append("<p>None.</p>")
    for group in doc.assumptions:
        key = group.key or "Readings without a number"
        body.append(f'<h3 id="{esc(("reading-" + group.key) if group.key else "readings-other")}">{esc(key)}</h3>'
                    '<ul class="assumptions">')
        for a in group.items:
            where = f' <span class="where">Applies to: {links(a.places)}.</span>' if a.places else ""
            count = f' <span class="where">({a.rules} rule{"s" if a.rules != 1 else ""}: ' \
                    f'line{"s" if a.rules != 1 else ""} {lines_text(a.lines)})</span>' if a.lines else ""
            body.append(f'<li id="{esc(a.anchor)}"><span class="label">{esc(a.label)}</span>{esc(sentence(a.text))}'
                        f"{where}{count}</li>")
        body.append("</ul>")
    body.append(f'</section><section id="cross-reference"><h2>Cross-reference</h2><p>Each step of the procedure '
                f"and the rules of <code>{esc(doc.file)}</code> that cite it, with the line they are written on."
                "</p>")
    body.append(xref_table(doc.crossref))
    body.append('<h3 id="unimplemented">Steps nothing implements</h3>')
    if doc.unimplemented:
        body.append("<ul>" + "".join(f"<li>{link(r)}</li>" for r in doc.unimplemented) + "</ul>")
    else:
        body.append("<p>None: every step is cited by some rule.</p>")
    if doc.elsewhere:
        body.append('<h3 id="elsewhere">Other places cited</h3><p>Steps of other tables or procedures that rules of '
                    "this workflow cite.</p>")
        body.append(xref_table(doc.elsewhere))
    body.append("</section>")
    return page(f"{doc.title} — procedure", "\n".join(body), nav, doc.workflow, "".join(toc))


def xref_table(refs: Sequence[CrossRef]) -> str:
    rows = "".join(f"<tr><td>{link(r.place)}</td><td>{esc(r.heading)}</td><td class=\"rules\">{rules_html(r)}</td>"
                   "</tr>" for r in refs)
    return ('<table class="xref"><thead><tr><th scope="col">Source</th><th scope="col">Heading</th>'
            f'<th scope="col">Rules (line)</th></tr></thead><tbody>{rows}</tbody></table>')


def index(entries: Sequence[tuple[str, str, str, str, Sequence[tuple[str, str]]]],
          nav: Sequence[tuple[str, str]]) -> str:
    """The site's first page: (page, title, procedure, summary, its tables as (label, anchor)) of each workflow."""
    items = []
    for p, title, procedure, summary, tables in entries:
        listed = "".join(f'<li><a href="{esc(p)}.html#{esc(anchor)}">{esc(label)}</a></li>' for label, anchor in tables)
        items.append(f'<li><a href="{esc(p)}.html"><strong>{esc(title)}</strong></a>'
                     + (f'<p class="procedure">Procedure: <cite>{esc(procedure)}</cite></p>' if procedure else "")
                     + (f"<p>{esc(summary)}</p>" if summary else "") + (f"<ul>{listed}</ul>" if listed else "")
                     + "</li>")
    body = ("<h1>Child Support procedures</h1><p class=\"purpose\">Each page is generated from the workflow file the "
            "engine runs: the procedure's tables as numbered steps, with what to select and key, what happens on "
            "saving, and what is refused.</p>"
            f'<ul class="index">{"".join(items)}</ul>')
    return page("Child Support procedures", body, nav, "index")
