"""The workbench over HTTP (Starlette's test client): pages, forms, refusals, the clock, security.

The browser tests (test_web_browser.py) play the same things by clicking; these check what a browser
cannot show cheaply: status codes, headers, that a refused or forged request changes nothing.
"""
from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="needs the web extra: pip install 'procflow[web]'")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from engine.store import folder, open_store  # noqa: E402
from engine.web import create_app  # noqa: E402
from engine.web.forms import event_form, form_data, reasons_by_field  # noqa: E402
from engine.web.serve import check_token, docs_maker, needs_token, read_token  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "a-token-of-some-length-123"
SAVE = {"applicant": "payee", "lodgement_date": "2026-02-27", "reasons.0.reason": "8",
        "reasons.0.sub_reason": "a",
        "case_number": "7654321"}


@pytest.fixture()
def store():
    s = open_store(":memory:", folder(ROOT / "workflows"), clock="2026-03-02 09:00")
    yield s
    s.close()


def client(store, token=None) -> TestClient:
    workflows = [store.hold(n) for n in ("coa", "sco", "cma")]
    return TestClient(create_app(store, workflows, token=token, docs=docs_maker(workflows)),
                      follow_redirects=False)


def csrf(c: TestClient) -> str:
    page = c.get("/")
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def test_start_page_lists_workflows_and_cases(store):
    store.create("coa", "c-1")
    c = client(store)
    page = c.get("/")
    assert page.status_code == 200
    assert "Change of Assessment application" in page.text and "/cases/c-1" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert page.headers["x-frame-options"] == "DENY"
    assert "/cases/c-1" not in c.get("/?workflow=sco").text
    assert "/cases/c-1" in c.get("/?workflow=coa&status=New").text


def test_a_case_is_started_and_an_event_fired_from_its_form(store):
    c = client(store)
    token = csrf(c)
    made = c.post("/cases", data={"csrf": token, "workflow": "coa", "case": "c-1"})
    assert made.status_code == 303 and made.headers["location"] == "/cases/c-1"
    form = c.get("/cases/c-1/fire/save_application")
    # three rows at first
    assert 'type="date"' in form.text and 'name="reasons.2.reason"' in form.text
    assert 'value="2026-03-02"' in form.text  # the lodgement date's default (today) filled in
    done = c.post("/cases/c-1/fire/save_application", data={"csrf": token, "version": "1", **SAVE})
    assert done.status_code == 200 and "Done: Save the application details" in done.text
    assert "COAINPRO</strong>, due 2026-04-06 09:00" in done.text
    case = store.case("c-1")
    assert case.status == "None" and case.version == 2
    assert case.state["fields"]["reasons"] == [{"reason": 8, "sub_reason": "a"}]


def test_a_refusal_says_why_beside_the_field_and_changes_nothing(store):
    store.create("coa", "c-1")
    c = client(store)
    token = csrf(c)
    before = store.case("c-1")
    refused = c.post("/cases/c-1/fire/save_application", data={"csrf": token, "version": "1",
                                                               **SAVE,
                                                               "lodgement_date": "2026-03-05"})
    assert refused.status_code == 422
    assert "Refused: nothing changed" in refused.text
    why = re.search(r'<p class="why" id="why-lodgement_date">([^<]+)</p>', refused.text)
    assert why and "future" in why.group(1).lower()
    assert 'value="7654321"' in refused.text  # what was keyed is kept
    assert store.case("c-1") == before and store.log("c-1")[-1].kind == "create"


def test_what_a_user_types_shows_as_text(store):
    store.create("coa", "c-1")
    c = client(store)
    done = c.post("/cases/c-1/fire/save_application",
                  data={"csrf": csrf(c), "version": "1", **SAVE,
                        "case_number": "<script>alert(1)</script>"})
    assert done.status_code == 200
    page = c.get("/cases/c-1").text
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_second_of_two_submissions_is_told_the_case_changed(store):
    store.create("coa", "c-1")
    c = client(store)
    token = csrf(c)
    first = c.post("/cases/c-1/fire/save_application", data={"csrf": token, "version": "1", **SAVE})
    assert first.status_code == 200
    after = store.case("c-1")
    second = c.post("/cases/c-1/fire/add_note",
                    data={"csrf": token, "version": "1", "text": "late"})
    assert second.status_code == 409 \
        and "the case changed since it was read: look again" in second.text
    assert store.case("c-1") == after


def test_a_form_without_its_csrf_code_or_from_elsewhere_changes_nothing(store):
    store.create("coa", "c-1")
    c = client(store)
    token = csrf(c)
    assert c.post("/cases/c-1/fire/save_application", data={"version": "1", **SAVE}).status_code \
        == 403
    assert c.post("/cases/c-1/fire/save_application",
                  data={"csrf": "x" * 32, "version": "1", **SAVE}).status_code \
        == 403
    foreign = c.post("/cases/c-1/fire/save_application",
                     data={"csrf": token, "version": "1", **SAVE},
                     headers={"origin": "http://evil.example"})
    assert foreign.status_code == 403
    assert c.post("/clock", data={"csrf": "nope", "action": "advance", "value": "3d"}).status_code \
        == 403
    # `Origin: null` is what a browser sends with the server's own forms (its pages say
    # Referrer-Policy: no-referrer): it still needs the form's code
    masked = c.post("/cases/c-1/fire/save_application",
                    data={"csrf": "x" * 32, "version": "1", **SAVE}, headers={"origin": "null"})
    assert masked.status_code == 403
    assert store.case("c-1").version == 1 and str(store.clock()) == "2026-03-02 09:00:00"
    own = c.post("/cases/c-1/fire/save_application", data={"csrf": token, "version": "1", **SAVE},
                 headers={"origin": "null"})
    assert own.status_code == 200 and store.case("c-1").version == 2


def test_the_clock_advances_and_an_intray_is_shown_overdue(store):
    store.create("coa", "c-1")
    store.fire("c-1", "save_application", {"applicant": "payee", "lodgement_date": "2026-02-27",
                                           "reasons": [{"reason": 8, "sub_reason": "a"}]})
    c = client(store)
    assert "OVERDUE" not in c.get("/cases/c-1").text
    moved = c.post("/clock",
                   data={"csrf": csrf(c), "action": "advance", "value": "3d", "next": "/cases/c-1"})
    assert moved.status_code in (200, 303)
    page = c.get("/cases/c-1").text
    assert "2026-03-05 09:00" in page
    assert re.search(r"COAASREQ</strong>.*?OVERDUE", page, re.S)
    assert "OVERDUE" in c.get("/?overdue=yes").text
    bad = c.post("/clock", data={"csrf": csrf(c), "action": "advance", "value": "soon"})
    assert bad.status_code == 422 and "neither a period" in bad.text


def test_the_acting_area_is_what_the_engine_judges(store):
    store.create("cma", "k-1")
    store.fire("k-1", "open_contact", {"customer": "payer", "case_number": "C400"},
               {"area": "Mainstream Services", "name": "M"})
    c = client(store)
    token = csrf(c)
    c.post("/actor", data={"csrf": token, "name": "M Officer", "area": "Mainstream Services",
                           "next": "/cases/k-1"})
    refused = c.post("/cases/k-1/fire/lock_customer", data={"csrf": token, "version": "2"})
    assert refused.status_code == 422 and "Only Agreements Officers lock customers" in refused.text
    c.post("/actor", data={"csrf": token, "name": "B Officer", "area": "Agreements Officers"})
    done = c.post("/cases/k-1/fire/lock_customer", data={"csrf": token, "version": "2"})
    assert done.status_code == 200 and store.case("k-1").state["fields"]["locked_by"] == "B Officer"


def test_save_as_scenario_downloads_the_history(store):
    store.create("coa", "c-1")
    store.fire("c-1", "save_application", {"applicant": "payee", "lodgement_date": "2026-02-27"})
    got = client(store).get("/cases/c-1/scenario.yaml")
    assert got.status_code == 200 and 'filename="c-1.yaml"' in got.headers["content-disposition"]
    assert "event: save_application" in got.text and "workflow: coa" in got.text


def test_pages_that_are_not_there(store):
    c = client(store)
    assert c.get("/cases/nope").status_code == 404
    assert c.get("/workflows/nope").status_code == 404
    assert c.get("/workflows/..%2Fcli").status_code == 404
    assert c.get("/docs/..%2F..%2Fcli.py").status_code == 404
    store.create("coa", "c-1")
    assert c.get("/cases/c-1/fire/no_such_event").status_code == 404


def test_the_procedure_pages_are_served(store):
    page = client(store).get("/docs/coa.html")
    assert page.status_code == 200 and "Table 1" in page.text


def test_with_a_token_every_request_needs_it(store):
    c = client(store, TOKEN)
    assert c.get("/").status_code == 401
    assert c.get("/static/workbench.css").status_code == 401
    assert c.get("/", headers={"authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert c.get("/", headers={"authorization": "Bearer wrong-token-of-some-length"}).status_code \
        == 401
    entered = c.get(f"/?token={TOKEN}")
    assert entered.status_code == 303 and "token" not in entered.headers["location"]
    assert c.get("/").status_code == 200  # the cookie it set


def test_the_token_rules():
    assert not needs_token("127.0.0.1") and not needs_token("::1") and not needs_token("localhost")
    assert needs_token("0.0.0.0") and needs_token("192.0.2.1")
    with pytest.raises(ValueError):
        check_token("short")


def test_a_token_file(tmp_path):
    good = tmp_path / "token"
    good.write_text(TOKEN + "\n")
    assert read_token(good) == TOKEN
    with pytest.raises(ValueError, match="cannot read"):
        read_token(tmp_path / "none")
    (tmp_path / "big").write_bytes(b"x" * 10_000)
    with pytest.raises(ValueError, match="one line"):
        read_token(tmp_path / "big")


def test_a_form_read_back_as_the_event_data(store):
    wf = store.hold("coa")
    ev = wf.events["save_application"]
    data = form_data(ev, {"applicant": "payee", "reasons.1.reason": "3", "reasons.0.reason": "8",
                          "reasons.2.reason":
                          "", "rica_application": "true", "csrf": "x", "unknown": "y"}, wf.lists)
    assert data == {"applicant": "payee", "reasons": [{"reason": 8}, {"reason": 3}],
                    "rica_application": True}
    with pytest.raises(ValueError):
        form_data(ev, {"applicant": "x" * 20_000}, wf.lists)
    inputs = {i.name: i for i in event_form(wf, ev, {}, store.clock())}
    assert inputs["applicant"].kind == "select" and "payee" in inputs["applicant"].choices
    assert inputs["rica_application"].value == "false" and inputs["reasons"].kind == "rows"
    by_field, general = reasons_by_field(ev, ["Applicant is required", "something else"])
    assert by_field == {"applicant": ["Applicant is required"]} and general == ["something else"]


def test_serve_refuses_another_address_without_a_token(tmp_path):
    from click.testing import CliRunner

    from cli import cli

    done = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--store", str(tmp_path / "s.db"),
                                    "--workflows", str(ROOT / "workflows")])
    assert done.exit_code == 2 and "--token" in done.output
    short = CliRunner().invoke(cli, ["serve", "--token", "abc", "--store", str(tmp_path / "s.db")])
    assert short.exit_code == 2 and "16 characters" in short.output
