"""The workbench in a real browser: Debian's chromium driven by Playwright, nothing downloaded.

A COA case played from saving to finalisation by clicking and filling the forms (a refusal shown
with its sentence beside its field, the clock advanced and an intray shown overdue), and a CMA
contact where switching the acting area turns a role refusal into an accepted event. The tests take
the README's screenshots: set PROCFLOW_SCREENSHOTS=docs/img to write them there.

Outside CI they skip, saying why, when chromium or Playwright is missing; under CI=true they fail
instead.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium") or "") if p
                 and Path(p).is_file()), None)
REFUSAL = re.compile(r"status of (409|422) ")
ARGS = ["--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run",
        "--disable-gpu", "--disable-dev-shm-usage"]


def _missing() -> str | None:
    if CHROMIUM is None:
        return "needs Debian's chromium (/usr/bin/chromium), not installed"
    for module, extra in (("playwright", "test"), ("starlette", "web"), ("uvicorn", "web")):
        try:
            __import__(module)
        except ImportError:
            return f"needs {module} (pip install -e '.[{extra}]')"
    return None


MISSING = _missing()
if MISSING and os.environ.get("CI") == "true":
    raise RuntimeError(f"the workbench's browser tests must run in CI: {MISSING}")
pytestmark = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The workbench on a free loopback port, over a SQLite store whose clock starts 2026-03-02
    09:00."""
    import uvicorn

    from engine.store import folder, open_store
    from engine.web import create_app
    from engine.web.serve import docs_maker

    store = open_store(str(tmp_path_factory.mktemp("store") / "cases.db"),
                       folder(ROOT / "workflows"),
                       clock="2026-03-02 09:00")
    workflows = [store.hold(n) for n in ("coa", "cma", "sco")]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(store, workflows, docs=docs_maker(workflows)),
                            host="127.0.0.1", port=port,
                            log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the workbench did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", store
    srv.should_exit = True
    thread.join(10)
    store.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    args = [*ARGS, *(["--no-sandbox"] if os.geteuid() == 0 else [])]
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
        yield b
        b.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    # a refused form is answered 422 (409 when the case changed): Chromium logs that status, which
    # is no fault
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error"
          and not REFUSAL.search(m.text) else None)
    # a request cut short by the next navigation (the favicon, a download) is aborted, not failed
    pg.on("requestfailed",
          lambda r: errors.append(f"failed {r.url}: {r.failure}") if "ERR_ABORTED" not in
          str(r.failure) else None)
    yield pg
    context.close()
    assert not errors, errors  # no blocked fetch, no script error, nothing asked of another machine


def shot(page, name: str, tmp_path: Path, full: bool = False) -> None:
    out = Path(os.environ.get("PROCFLOW_SCREENSHOTS") or tmp_path)
    if not out.is_absolute():
        out = ROOT / out
    out.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out / f"{name}.png"), full_page=full)


def fire(page, title: str) -> None:
    page.get_by_role("link", name=title, exact=True).first.click()


def test_a_coa_case_from_saving_to_finalisation(server, page, tmp_path):
    base, store = server
    page.goto(base + "/")
    assert page.get_by_role("heading", name="Procedures and their cases").is_visible()
    page.get_by_label("Workflow", exact=True).first.select_option("coa")
    page.get_by_label("Case name (optional)").fill("coa-1")
    page.get_by_role("button", name="Start the case").click()
    assert page.locator("#case-status").inner_text() == "New"

    fire(page, "Save the application details")
    page.get_by_label("Applicant").select_option("payee")
    page.get_by_label("Lodgement Date").fill("2026-03-01")
    page.locator('[name="reasons.0.reason"]').select_option("6")
    page.get_by_label("Case Number").fill("<b>7654321</b>")
    page.get_by_role("button", name="Save the application details").click()
    assert page.get_by_role("heading", name="Done: Save the application details").is_visible()
    assert page.locator("#case-status").inner_text() == "None"
    assert page.get_by_text("<b>7654321</b>").is_visible()  # what was typed shows as text

    # the clock moves on three days: the case assessment intray (due in 48 hours) is overdue
    page.get_by_label("Period or moment").fill("3d")
    page.get_by_role("button", name="Advance").click()
    assert page.locator("#clock-now").inner_text() == "2026-03-05 09:00"
    assert page.locator("tr.overdue", has_text="COAASREQ").get_by_text("OVERDUE").is_visible()

    fire(page, "Select the Application Status on the COA Maintenance window")
    page.get_by_label("Application Status").select_option("App to Proceed")
    page.get_by_role("button", name="Select the Application Status").click()
    assert page.locator("#case-status").inner_text() == "App to Proceed"

    # a refusal: its sentence beside the field it is about, nothing changed
    version = store.case("coa-1").version
    fire(page, "Record the outcome on the Finalisation window")
    page.locator('[name="outcome"]').select_option("W'drawn-Estimat")
    page.get_by_label("Outcome Date").fill("2026-03-04")
    page.get_by_role("button", name="Record the outcome on the Finalisation window").click()
    assert page.get_by_role("alert").first.is_visible()
    why = page.locator("#why-outcome_date")
    assert "Outcome Date must be the date the application is being progressed" in why.inner_text()
    assert store.case("coa-1").version == version
    shot(page, "workbench-refused", tmp_path)

    page.get_by_label("Outcome Date").fill("2026-03-05")
    page.get_by_role("button", name="Record the outcome on the Finalisation window").click()
    assert page.locator("#case-status").inner_text() == "W'drawn-Estimat"
    done = page.locator("section.accepted").inner_text()
    assert "Letter issued: COA6A-1 to applicant" in done and "Intray closed: COAINPRO" in done
    assert page.locator("ol.timeline li").count() == 3
    assert page.locator("figure.diagram svg g.current").count() == 1
    shot(page, "workbench-case", tmp_path)

    download_link = page.get_by_role("link", name="Save as scenario")
    with page.expect_download() as got:
        download_link.click()
    text = Path(got.value.path()).read_text(encoding="utf-8")
    assert "event: finalise" in text and "W'drawn-Estimat" in text

    page.goto(base + "/")
    assert page.locator("table.cases", has_text="coa-1").is_visible()
    shot(page, "workbench-start", tmp_path)
    card = page.locator("li.card", has_text="Change of Assessment")
    card.get_by_role("link", name="Diagram, intrays and letters").click()
    assert page.get_by_role("heading", name="Intrays").is_visible()
    assert page.locator("figure.diagram svg").count() == 1
    shot(page, "workbench-workflow", tmp_path)


def test_the_acting_cma_area_decides_what_may_be_done(server, page):
    base, store = server
    page.goto(base + "/")
    page.get_by_label("Acting as").fill("M Officer")
    page.get_by_label("CMA area").select_option("Mainstream Services")
    page.get_by_role("button", name="Act").click()
    page.get_by_label("Workflow", exact=True).first.select_option("cma")
    page.get_by_label("Case name (optional)").fill("contact-1")
    page.get_by_role("button", name="Start the case").click()
    fire(page, "Open a customer contact")
    page.locator('[name="customer"]').fill("payer")
    page.get_by_role("button", name="Open a customer contact").click()
    assert page.get_by_role("heading", name="Done: Open a customer contact").is_visible()

    page.get_by_text("Not possible now, and why").click()
    assert page.locator("details.not-now li", has_text="Lock the customer").get_by_text(
        "Only Agreements Officers lock customers").is_visible()
    page.locator("details.not-now").get_by_role("link", name="Lock the customer").click()
    page.get_by_role("button", name="Lock the customer").click()
    assert "Only Agreements Officers lock customers" in page.get_by_role("alert").inner_text()
    assert store.case("contact-1").state["fields"]["customer_locked"] is not True

    page.get_by_label("Acting as").fill("B Officer")
    page.get_by_label("CMA area").select_option("Agreements Officers")
    page.get_by_role("button", name="Act").click()
    page.get_by_role("button", name="Lock the customer").click()
    assert page.get_by_role("heading", name="Done: Lock the customer").is_visible()
    assert store.case("contact-1").state["fields"]["locked_by"] == "B Officer"
