"""The generated HTML site in a real browser: every page renders its diagram and tables, without
console errors.

Headless Chromium (Debian's `chromium` package; .ci/run installs it) loads each page from disk and
dumps the DOM it built; with `--enable-logging=stderr` every console message (console.error, an
uncaught exception, a fetch the page's Content-Security-Policy blocked) is written to stderr as a
`CONSOLE` line. The pages have no scripts, so any console line is an error.
`test_console_errors_are_caught` proves the detection works on pages that misbehave on purpose.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from engine import load_workflow
from engine.docs.html import CSP
from engine.docs.site import build_site

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = next((found for name in ("chromium", "chromium-browser", "google-chrome")
                 if (found := shutil.which(name))),
                None)
CONSOLE = re.compile(r":CONSOLE[:(]")

MISSING = ("needs the `chromium` program (Debian package chromium), not installed"
           if CHROMIUM is None else
           "needs Graphviz's `dot` program to draw the diagrams" if shutil.which("dot") is None
           else None)
if MISSING and os.environ.get("CI") == "true":
    raise RuntimeError(f"the documentation site's browser test must run in CI: {MISSING}")
pytestmark = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")


def browse(page: Path, profile: Path) -> tuple[str, list[str]]:
    """The DOM headless Chromium built for a page, and the console lines it logged while loading
    it."""
    assert CHROMIUM is not None
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
         f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", "--dump-dom",
         page.resolve().as_uri()],
        capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, [line for line in done.stderr.splitlines() if CONSOLE.search(line)]


class Dom(HTMLParser):
    """What the checks need of a dumped DOM: elements with their classes, ids, links, the tables'
    rows."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.repeated: list[str] = []  # ids given to more than one element
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.svg = 0
        self.svg_nodes = 0
        self.tables: list[dict] = []  # class="steps" tables: {"headers": [...], "rows": [row ids]}
        self._table: dict | None = None
        self._in_th = False
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            if a["id"] in self.ids:
                self.repeated.append(a["id"])
            self.ids.add(a["id"])
        for name, value in a.items():
            if name in ("href", "src", "xlink:href", "action", "srcset", "data", "poster",
                        "formaction") or \
                    "url(" in value:
                self.urls.append((tag, name, value))
        classes = a.get("class", "").split()
        if tag == "svg":
            self.svg += 1
        if tag == "g" and "node" in classes:
            self.svg_nodes += 1
        if tag == "table" and "steps" in classes:
            self._table = {"headers": [], "rows": []}
            self.tables.append(self._table)
        elif tag == "tr" and self._table is not None and "id" in a:
            self._table["rows"].append(a["id"])
        elif tag == "th" and self._table is not None and not self._table["rows"]:
            self._in_th = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = None
        if tag == "th":
            self._in_th = False

    def handle_data(self, data: str) -> None:
        if self._in_th and self._table is not None and data.strip():
            self._table["headers"].append(data.strip())


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    out = tmp_path_factory.mktemp("site")
    workflows = [load_workflow(p) for p in sorted((ROOT / "workflows").glob("*.yaml"))]
    files, notes = build_site(workflows, "html")
    assert notes == []
    for name, data in files.items():
        (out / name).write_bytes(data)
    return out, workflows


@pytest.fixture(scope="module")
def browsed(site, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, list[str]]]:
    """Each page of the site as Chromium built it: (its DOM, its console lines)."""
    out, _ = site
    profile = tmp_path_factory.mktemp("profile")
    return {page.name: browse(page, profile) for page in sorted(out.glob("*.html"))}


def test_every_page_renders_its_diagram_and_tables_without_console_errors(site, browsed):
    _out, workflows = site
    assert sorted(browsed) == sorted(["index.html", *(f"{wf.name}.html" for wf in workflows)])
    doms: dict[str, Dom] = {}
    for name, (text, console) in browsed.items():
        assert console == [], f"{name}: {console}"
        assert "<html" in text[:200].lower()
        doms[name] = Dom(text)
        assert doms[name].repeated == [], f"{name}: ids used twice: {doms[name].repeated}"
    for wf in workflows:
        dom = doms[f"{wf.name}.html"]
        assert dom.svg == 1, f"{wf.name}: the diagram's <svg> is missing"
        assert dom.svg_nodes >= len(wf.statuses), f"{wf.name}: {dom.svg_nodes} nodes drawn"
        steps = [t for t in dom.tables if t["rows"] and not t["rows"][0].startswith("part-")]
        assert len(steps) == len(wf.procedure.tables)
        for shown, table in zip(steps, wf.procedure.tables, strict=True):
            assert shown["headers"] == list(table.columns)
            numbered = [r for r in shown["rows"] if not r.endswith("-all")]
            prefix = f"{wf.procedure.document.lower()}-t{table.number}-s"
            assert numbered == [f"{prefix}{s.number}" for s in table.steps]
    assert {f"{wf.name}.html" for wf in workflows} <= {u[2] for u in doms["index.html"].urls}


def test_no_element_references_the_network_and_every_link_resolves(site, browsed):
    out, _ = site
    ids = {name: Dom(text).ids for name, (text, _console) in browsed.items()}
    for page, (text, _console) in browsed.items():
        dom = Dom(text)
        assert not re.search(r"https?:", " ".join(v for _, _, v in dom.urls)), \
            f"{page}: {[u for u in dom.urls if 'http' in u[2]]}"
        for tag, name, value in dom.urls:
            parts = urlsplit(value)
            assert not parts.scheme and not parts.netloc, f"{page}: <{tag} {name}={value!r}>"
            target = unquote(parts.path) or page
            assert (out / target).is_file(), \
                f"{page}: <{tag} {name}={value!r}> names a missing file"
            if parts.fragment and target.endswith(".html"):
                assert parts.fragment in ids[target], \
                    f"{page}: <{tag} {name}={value!r}> names a missing anchor"


BROKEN = {
    "console_error.html": "<script>console.error('deliberate console error')</script>",
    "exception.html": "<script>undefinedFunction()</script>",
    "network.html": '<img src="https://example.invalid/tracker.png" alt="">',
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_console_errors_are_caught(name, tmp_path):
    """The detection is real: a console.error, an uncaught exception and a blocked network fetch are
    each seen."""
    page = tmp_path / name
    page.write_text('<!DOCTYPE html><html><head><meta charset="utf-8">'
                    '<meta http-equiv="Content-Security-Policy" '
                    f'content="{CSP}"><title>broken</title></head>'
                    f"<body><p>A page that misbehaves on purpose.</p>{BROKEN[name]}</body></html>",
                    encoding="utf-8")
    _dom, console = browse(page, tmp_path / "profile")
    assert console, f"{name}: its console error was not detected"


def test_a_clean_page_logs_nothing(tmp_path):
    page = tmp_path / "clean.html"
    page.write_text('<!DOCTYPE html><html><head><meta charset="utf-8"><title>clean</title></head>'
                    "<body><p>Nothing to see.</p></body></html>", encoding="utf-8")
    dom, console = browse(page, tmp_path / "profile")
    assert console == [] and "Nothing to see." in dom
