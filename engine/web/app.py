"""The workbench's routes: each a small function that asks the store and renders a template.

The workflows are the ones held when the app was made (`create_app`): a request names one of them by
name and never loads or runs anything else. The store is used by one request at a time (its engine
is one object); several servers or the command line on the same store are kept apart by the store
itself (the version a form was read at is sent back with it: "the case changed since it was read").
"""
from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..clock import parse_duration, parse_moment
from ..findings import Ambiguous, ProcflowError, Refused
from ..model import Workflow
from ..store import CaseChanged, CaseStore
from ..store.present import fired_text
from . import forms, views
from .security import Guard

ACTOR_COOKIE = "procflow_actor"
STATUSES = ("open", "final")
# the workbench's templates, and the procedure documents' (docs/...), which the /docs pages are made
# from
TEMPLATES = Environment(loader=ChoiceLoader([PackageLoader("engine.web", "templates"),
                                             PackageLoader("engine.docs", "templates")]),
                        autoescape=select_autoescape(default=True),
                        trim_blocks=True, lstrip_blocks=True)
TEMPLATES.filters["moment"] = views.moment


class Workbench:
    """What every route shares: the store, the workflows served, one lock for the store, the docs
    pages."""

    def __init__(self, store: CaseStore, workflows: list[Workflow],
                 docs: Callable[[], dict[str, bytes]] | None):
        self.store = store
        self.workflows = {wf.name: wf for wf in workflows}
        self.lock = threading.Lock()
        self.areas, self.roles = views.areas_and_roles(workflows)
        self._docs = docs
        self._docs_files: dict[str, bytes] | None = None

    @contextmanager
    def using(self) -> Iterator[CaseStore]:
        with self.lock:
            yield self.store

    def docs(self) -> dict[str, bytes]:
        if self._docs_files is None:
            self._docs_files = self._docs() if self._docs is not None else {}
        return self._docs_files


def create_app(store: CaseStore, workflows: list[Workflow], *, token: str | None = None,
               docs: Callable[[], dict[str, bytes]] | None = None) -> Any:
    """The ASGI app over `store`, serving `workflows` (held by the store); `docs` makes the
    procedure pages (file name -> content, as `procflow docs` writes them). Every request passes the
    Guard (token, CSRF)."""
    bench = Workbench(store, [store.hold(wf.name) for wf in workflows], docs)
    routes = [
        Route("/", partial(start, bench)),
        Route("/workflows/{name}", partial(workflow_page, bench)),
        Route("/docs/{file}", partial(docs_page, bench)),
        Route("/cases", partial(new_case, bench), methods=["POST"]),
        Route("/cases/{case}", partial(case_page, bench)),
        Route("/cases/{case}/fire/{event}", partial(fire_page, bench), methods=["GET", "POST"]),
        Route("/cases/{case}/scenario.yaml", partial(scenario_file, bench)),
        Route("/clock", partial(clock, bench), methods=["POST"]),
        Route("/actor", partial(acting, bench), methods=["POST"]),
        Mount("/static", StaticFiles(packages=[("engine.web", "static")]), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})
    return Guard(app, token)


# -- helpers -------------------------------------------------------------------------------------
def page(bench: Workbench, request: Request, template: str, status: int = 200,
         **context: Any) -> HTMLResponse:
    now = context.pop("now", None)
    if now is None:
        with bench.using() as store:
            now = store.clock()
    context.update(request=request, csrf=request.scope.get("state", {}).get("csrf", ""), now=now,
                   clock=f"{now:%Y-%m-%d %H:%M}", actor=actor(request), areas=bench.areas,
                   roles=bench.roles,
                   workflows=list(bench.workflows.values()))
    context.setdefault("here", request.url.path)
    return HTMLResponse(TEMPLATES.get_template(template).render(**context), status_code=status)


def problem(bench: Workbench, request: Request, status: int, title: str,
            reasons: list[str]) -> HTMLResponse:
    return page(bench, request, "problem.html", status, title=title, reasons=reasons)


async def not_found(request: Request, exc: Exception) -> Response:
    code = getattr(exc, "status_code", 404)
    return Response("Not found" if code == 404 else "Method not allowed", status_code=code,
                    media_type="text/plain")


def actor(request: Request) -> dict:
    """Who is acting, as the person chose it (name, role, area): kept in a cookie, only short text
    values."""
    try:
        value = json.loads(request.cookies.get(ACTOR_COOKIE) or "{}")
    except ValueError:
        return {}
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items()
            if k in ("name", "role", "area") and isinstance(v, str) and v
            and len(v) <= 100}


def local(path: str | None) -> str:
    """A place to go back to: a path of this server only."""
    return path \
        if isinstance(path, str) and path.startswith("/") and not path.startswith("//") and \
        "\\" not in path and len(path) < 500 else "/"


def workflow_of(bench: Workbench, name: str) -> Workflow | None:
    return bench.workflows.get(name)


# -- pages ---------------------------------------------------------------------------------------
def start(bench: Workbench, request: Request) -> HTMLResponse:
    q = request.query_params
    wanted = q.get("workflow") or None
    status = q.get("status") or None
    overdue = q.get("overdue") == "yes"
    with bench.using() as store:
        rows = store.cases(workflow=wanted if wanted in bench.workflows else None, status=status,
                           overdue=overdue,
                           limit=500)
        now = store.clock()
    cases = [{"id": r.id, "workflow": r.workflow, "status": r.status, "version": r.version,
              "events": r.events,
              "next_due": views.moment(r.next_due), "updated": views.moment(r.updated),
              "overdue": r.next_due is not None and parse_moment(r.next_due) < now} for r in rows]
    return page(bench, request, "start.html", cases=cases, filters={"workflow": wanted or "",
                                                                    "status": status or "",
                                                                      "overdue": overdue})


def workflow_page(bench: Workbench, request: Request) -> HTMLResponse:
    wf = workflow_of(bench, request.path_params["name"])
    if wf is None:
        return problem(bench, request, 404, "No such workflow", ["This workbench serves: " +
                                                                  ", ".join(bench.workflows)])
    return page(bench, request, "workflow.html", wf=wf, svg=views.diagram_svg(wf),
                has_docs="index.html" in bench.docs())


def docs_page(bench: Workbench, request: Request) -> Response:
    """A page of the procedure documents, as `procflow docs` writes them (its own CSP: inline
    styles)."""
    from ..docs.html import CSP

    name = request.path_params["file"]
    data = bench.docs().get(name)
    if data is None:
        pages = ", ".join(bench.workflows)
        return problem(bench, request, 404, "No such page",
                       [f"The procedure pages are index.html and one per workflow ({pages})."])
    kind = "image/svg+xml" if name.endswith(".svg") else "text/html; charset=utf-8"
    return Response(data, media_type=kind, headers={"content-security-policy": CSP})


def case_page(bench: Workbench, request: Request, fired: Any = None, status: int = 200,
              notice: list[str] | None = None) -> HTMLResponse:
    case_id = request.path_params["case"]
    who = actor(request)
    try:
        with bench.using() as store:
            case = store.case(case_id)
            options = store.options(case_id, who)
            now = store.clock()
    except Refused as exc:
        return problem(bench, request, 404, "No such case", exc.reasons)
    wf = bench.workflows.get(case.workflow) or store.hold(case.workflow)
    state = case.state
    history = [{**h, "at": views.moment(h.get("at")),
                "title": views.event_title(wf, h.get("event", "")),
                "who": ", ".join(f"{v}" for v in (h.get("actor") or {}).values())}
               for h in state.get("history") or ()]
    letters = [{**lt, "issued": views.moment(lt.get("issued")), "title": getattr(wf.letters.get(
        lt.get("code")),
                                                                                   "title", "")}
               for lt in state.get("letters") or ()]
    trays = views.intrays(state, now)
    for tray in trays:
        tray["name"] = getattr(wf.intrays.get(tray.get("code")), "name", "")
    return page(bench, request, "case.html", status, now=now, here=f"/cases/{quote(case.id)}",
                case=case, wf=wf, options=options, history=history,
                letters=letters, intrays=trays,
                fields=views.field_rows(wf, state.get("fields") or {}),
                svg=views.diagram_svg(wf, views.route(state), case.status), fired=fired,
                notice=notice or [],
                final=wf.statuses.get(case.status) is not None and wf.statuses[case.status].final)


async def fire_page(bench: Workbench, request: Request) -> HTMLResponse:
    case_id = request.path_params["case"]
    event_name = request.path_params["event"]
    try:
        with bench.using() as store:
            case = store.case(case_id)
            now = store.clock()
    except Refused as exc:
        return problem(bench, request, 404, "No such case", exc.reasons)
    wf = bench.workflows.get(case.workflow)
    event = wf.events.get(event_name) if wf is not None else None
    if wf is None or event is None:
        return problem(bench, request, 404, "No such event",
                       [f"{case.workflow} has no event '{event_name:.60}'"])
    rows = {k.removeprefix("rows_"): _count(v) for k, v in request.query_params.items()
            if k.startswith("rows_")}
    if request.method == "GET":
        inputs = forms.event_form(wf, event, case.state.get("fields") or {}, now, rows=rows)
        return page(bench, request, "fire.html", now=now, case=case, wf=wf, event=event,
                    inputs=inputs, version=case.version,
                    general=[])
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    more = form.get("more_rows")
    try:
        data = forms.form_data(event, form, wf.lists)
    except ValueError as exc:
        return _refused(bench, request, case, wf, event, {}, [str(exc)], form.get("version"))
    if more:  # "one more row": the same form with a row more, nothing fired
        rows[more] = max(rows.get(more, 0), len(data.get(more) or ()) + 1, forms.ROWS + 1)
        return _refused(bench, request, case, wf, event, data, [], form.get("version"), rows)
    version = _count(form.get("version")) or None
    try:
        with bench.using() as store:
            fired = store.fire(case_id, event_name, data, actor(request), expected=version)
    except CaseChanged as exc:
        return _refused(bench, request, case, wf, event, data, [str(exc)], version, status=409)
    except (Refused, Ambiguous) as exc:
        return _refused(bench, request, case, wf, event, data,
                        getattr(exc, "reasons", None) or [str(exc)], version)
    except ProcflowError as exc:
        return _refused(bench, request, case, wf, event, data, [str(exc)], version, status=409)
    return case_page(bench, request, fired={"text": fired_text(fired), "fired": fired,
                                            "title": views.event_title(wf, fired.event)})


def _refused(bench: Workbench, request: Request, case: Any, wf: Workflow, event: Any, data: dict,
             reasons: list[str],
             version: Any, rows: dict | None = None, status: int = 422) -> HTMLResponse:
    by_field, general = forms.reasons_by_field(event, reasons)
    inputs = forms.event_form(wf, event, case.state.get("fields") or {}, _now(bench), given=data,
                              rows=rows)
    for item in inputs:
        item.reasons = by_field.get(item.name, [])
    return page(bench, request, "fire.html", status if reasons else 200, case=case, wf=wf,
                event=event,
                inputs=inputs, version=version or case.version, general=general,
                refused=bool(reasons))


def _count(value: Any) -> int:
    return min(int(value), 10**9) \
        if isinstance(value, str) and value.isdigit() and len(value) < 10 else 0


def _now(bench: Workbench) -> Any:
    with bench.using() as store:
        return store.clock()


async def new_case(bench: Workbench, request: Request) -> Response:
    form = await request.form()
    name = form.get("workflow")
    case_id = (form.get("case") or "").strip() or None
    if not isinstance(name, str) or name not in bench.workflows:
        return problem(bench, request, 422, "No such workflow",
                       ["Choose one of: " + ", ".join(bench.workflows)])
    try:
        with bench.using() as store:
            case = store.create(name, case_id if isinstance(case_id, str) else None, actor(request))
    except (Refused, ProcflowError) as exc:
        return problem(bench, request, 422, "The case was not created",
                       getattr(exc, "reasons", None) or [str(exc)])
    return RedirectResponse(f"/cases/{quote(case.id)}", status_code=303)


async def clock(bench: Workbench, request: Request) -> Response:
    form = await request.form()
    action = form.get("action")
    text = str(form.get("value") or "").strip()[:100]
    fired: list = []
    try:
        with bench.using() as store:
            if action == "set":
                store.set_clock(text.replace("T", " "))
            elif action == "advance":
                try:
                    to = store.clock() + parse_duration(text)
                except (ValueError, OverflowError):
                    to = parse_moment(text.replace("T", " "))
                fired = store.advance(to)
            else:
                raise Refused("clock",
                              ["set the clock to a moment, or advance it by a period (3d, 48h)"])
    except ValueError:
        return problem(bench, request, 422, "The clock did not move",
                       [f"'{text}' is neither a period (3d, 48h) nor a moment (2026-03-05 09:00)"])
    except (Refused, ProcflowError) as exc:
        return problem(bench, request, 422, "The clock did not move",
                       getattr(exc, "reasons", None) or [str(exc)])
    back = local(str(form.get("next") or "/"))
    if fired:
        return problem(bench, request, 200, "The clock moved; the overnight schedules ran",
                       [fired_text(f) for f in fired], back=back)
    return RedirectResponse(back, status_code=303)


async def acting(bench: Workbench, request: Request) -> Response:
    form = await request.form()
    chosen = {k: str(form.get(k) or "").strip()[:100] for k in ("name", "role", "area")}
    response = RedirectResponse(local(str(form.get("next") or "/")), status_code=303)
    response.set_cookie(ACTOR_COOKIE, json.dumps({k: v for k, v in chosen.items() if v}),
                        httponly=True,
                        samesite="strict", path="/")
    return response


def scenario_file(bench: Workbench, request: Request) -> Response:
    """The case's history as a scenario file (a played case becomes a regression test)."""
    from ..store.scenarios import export_scenario, scenario_yaml

    case_id = request.path_params["case"]
    try:
        with bench.using() as store:
            doc = export_scenario(store, case_id)
    except (Refused, ProcflowError) as exc:
        return problem(bench, request, 404, "No scenario",
                       getattr(exc, "reasons", None) or [str(exc)])
    text = scenario_yaml(doc)
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in case_id)
    return Response(text, media_type="application/yaml",
                    headers={"content-disposition": f'attachment; filename="{safe}.yaml"'})


def folder_names(root: Path) -> list[str]:
    """The workflow names of a folder: its NAME.yaml files."""
    return sorted(p.stem for p in root.glob("*.yaml")) if root.is_dir() else []
