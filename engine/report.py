"""Text and JSON renderings for people and programs: findings, workflow descriptions, routes,
scenario steps and results."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .findings import DefinitionError, Finding
from .model import FieldSpec, Workflow
from .values import to_json

if TYPE_CHECKING:  # pragma: no cover
    from .outcome import EventOption
    from .scenario import ScenarioResult, StepResult


# -- findings -------------------------------------------------------------------------------

def findings_text(findings: Iterable[Finding], *, context: bool = True) -> str:
    """`file:line:col: severity: message (hint)`, each followed by the user's line and a caret."""
    lines: list[str] = []
    cache: dict[str, list[str]] = {}
    for f in findings:
        lines.append(f.render())
        if not (context and f.line and f.file):
            continue
        if f.file not in cache:
            try:
                whole = Path(f.file).read_text(encoding="utf-8", errors="replace")
                cache[f.file] = whole.splitlines()
            except OSError:
                cache[f.file] = []
        text = cache[f.file]
        if 0 < f.line <= len(text):
            lines.append("    " + text[f.line - 1].rstrip())
            lines.append("    " + " " * max(f.col - 1, 0) + "^")
    return "\n".join(lines)


def checked_text(findings: list[Finding], checked: int) -> str:
    """`check`'s report: every finding, then how many errors and warnings in how many files."""
    if not findings:
        return f"{checked} file(s) checked, no problems"
    errors = sum(f.severity == "error" for f in findings)
    return (findings_text(findings) + f"\n{errors} error(s), {len(findings) - errors} warning(s) "
            f"in {checked} file(s)")


def findings_json(findings: Iterable[Finding]) -> list[dict]:
    return [f.to_json() for f in findings]


# -- describe -------------------------------------------------------------------------------

def _field(spec: FieldSpec) -> dict:
    out: dict[str, Any] = {"name": spec.name, "type": spec.type}
    if spec.title:
        out["title"] = spec.title
    if spec.required:
        out["required"] = True
    if spec.default is not None:
        out["default"] = spec.default.text
    if spec.list:
        out["list"] = spec.list
    if spec.of is not None:
        out["of"] = _field(spec.of)
    if spec.record is not None:
        out["record"] = [_field(r) for r in spec.record]
    if spec.locked_after:
        out["locked_after"] = list(spec.locked_after)
    return out


def describe(wf: Workflow) -> dict:
    """Everything a workflow declares, as JSON."""
    return {
        "workflow": wf.name,
        "title": wf.title,
        "description": wf.description,
        "version": wf.version,
        "initial": wf.initial,
        "statuses": [{"name": s.name, "final": s.final, "description": s.description,
                      "group": s.group, "source": s.source} for s in wf.statuses.values()],
        "events": [{
            "name": e.name, "title": e.title, "source": e.source,
            "by": None if e.by is None else {"areas": list(e.by.areas), "roles": list(e.by.roles),
                                             "says": e.by.says},
            "data": [_field(d) for d in e.data],
            "transitions": [{"from": list(t.sources), "to": t.target,
                             "when": t.when.text if t.when else None,
                             "guards": [{"check": g.check.text, "says": g.says}
                                        for g in (*e.guards, *t.guards)],
                             "source": t.source} for t in e.transitions],
        } for e in wf.events.values()],
        "fields": [_field(f) for f in wf.fields.values()],
        "lists": {n: list(v.values) for n, v in wf.lists.items()},
        "intrays": [{"code": i.code, "name": i.name, "due": i.due_text or None, "source": i.source}
                    for i in wf.intrays.values()],
        "letters": [{"code": lt.code, "title": lt.title, "source": lt.source}
                    for lt in wf.letters.values()],
        "tables": [{"name": t.name, "title": t.title, "key": t.key,
                    "columns": [c.name for c in t.columns],
                    "rows": [{t.key: key, **{c: to_json(v) for c, v in row.items()}}
                             for key, row in t.rows.items()],
                    "source": t.source} for t in wf.tables.values()],
        "assumptions": [{"where": where, "assumption": text, "line": pos[1] if pos else None}
                        for where, text, pos in wf.assumptions()],
    }


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_cell(v) for v in value) or "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def describe_text(wf: Workflow) -> str:
    d = describe(wf)
    out = [f"{wf.title} ({wf.name}, version {wf.version})"]
    if wf.description:
        out.append(wf.description)
    out.append("\nStatuses:")
    for s in d["statuses"]:
        mark = " [final]" if s["final"] else ""
        out.append(f"  {s['name']}{mark} — {s['description']} ({s['source']})")
    out.append("\nEvents:")
    for e in d["events"]:
        out.append(f"  {e['name']}: {e['title']} ({e['source']})")
        if e["by"]:
            who = [*(f"area {a}" for a in e["by"]["areas"]),
                   *(f"role {r}" for r in e["by"]["roles"])]
            out.append(f"      only by: {', '.join(who)}")
        for f in e["data"]:
            extra = [f["type"] + (f" of {f['list']}" if "list" in f else "")]
            if f.get("required"):
                extra.append("required")
            if "default" in f:
                extra.append(f"default {f['default']}")
            out.append(f"      {f['name']}: {', '.join(extra)}")
        for t in e["transitions"]:
            target = t["to"] or "(same status)"
            when = f" when {t['when']}" if t["when"] else ""
            out.append(f"      {' | '.join(t['from'])} -> {target}{when}")
    out.append("\nIntrays:")
    for i in d["intrays"]:
        due = i["due"] or "as set by the event"
        out.append(f"  {i['code']}: {i['name']}, due {due} ({i['source']})")
    out.append("\nLetters:")
    for lt in d["letters"]:
        out.append(f"  {lt['code']}: {lt['title']} ({lt['source']})")
    for t in d["tables"]:
        out.append(f"\nTable {t['name']}: {t['title'] or t['name']} ({t['source']})")
        for row in t["rows"]:
            cells = [f"{c}={_cell(row[c])}" for c in t["columns"] if row.get(c) is not None]
            out.append(f"  {row[t['key']]}: {'; '.join(cells)}")
    out.append(f"\nAssumptions ({len(d['assumptions'])}):")
    for a in d["assumptions"]:
        out.append(f"  line {a['line']}: {a['where']}: {a['assumption']}")
    return "\n".join(out)


# -- routes ---------------------------------------------------------------------------------

def routes_json(wf: Workflow, to: str | None, found: list, cut: bool, written: list[str]) -> dict:
    """`procflow paths --json`: the routes, each a list of events and the statuses they lead to."""
    return {"workflow": wf.name, "to": to or "final", "truncated": cut,
            "routes": [[{"event": e, "status": st} for e, st in r] for r in found],
            "skeletons": written}


def routes_text(wf: Workflow, to: str | None, found: list, cut: bool, written: list[str],
                folder: Path | None) -> str:
    """`procflow paths`: the routes numbered, then how many (and the skeletons written)."""
    from .analysis import show_route

    lines = [f"{i:>3}. {show_route(wf, route)}" for i, route in enumerate(found, 1)]
    lines.append(f"{len(found)} route(s) to {to or 'a final status'}"
                 + (" (cut short)" if cut else "")
                 + (f"; {len(written)} skeleton(s) written to {folder}" if folder else ""))
    return "\n".join(lines)


# -- scenarios ------------------------------------------------------------------------------

def suite_line(file: Path, result: ScenarioResult | DefinitionError) -> str:
    """`procflow test`'s line for one file: PASS or FAIL, with its failures or why it did not
    load."""
    if isinstance(result, DefinitionError):
        return f"FAIL {file}\n" + findings_text(result.findings)
    return scenario_summary(result)


def found_text(found: list[dict]) -> str:
    """What a query found: each instance and its status, then how many."""
    return "\n".join([*(f"{r['instance']}  ({r['status']})" for r in found), f"{len(found)} found"])


def step_text(step: StepResult) -> str:
    clock = to_json(step.clock).replace("T", " ")[:16]
    head = f"[{clock}] step {step.index}"
    if step.kind == "event":
        if step.refused:
            line = f"{head} {step.instance}: {step.event} refused: {step.refused}"
        else:
            line = f"{head} {step.instance}: {step.event}  {step.from_status} -> {step.to_status}"
            if step.opened:
                line += f"  opened {', '.join(step.opened)}"
            if step.closed:
                line += f"  closed {', '.join(step.closed)}"
            if step.letters:
                line += "  letters " + ", ".join(f"{lt['code']} to {'/'.join(lt['to'])}"
                                                 for lt in step.letters)
    elif step.kind in ("advance", "at"):
        line = f"{head} clock moves to {clock}"
    else:
        line = f"{head} {step.instance}: check"
    return "\n".join([line] + [f"    FAILED {f}" for f in step.failures])


def played_text(result: ScenarioResult) -> str:
    """A scenario played step by step: each step, where each instance ends, and whether it
    passed."""
    lines = [f"{result.title} ({result.file})", *map(step_text, result.steps)]
    for inst in result.engine.instances.values():
        opened = ", ".join(f"{i.code} due {i.due:%Y-%m-%d %H:%M}" for i in inst.open_intrays())
        lines.append(f"{inst.name}: {inst.status}; open intrays: {opened or 'none'}")
    lines.append("passed" if result.passed else f"failed: {len(result.failures)} expectation(s)")
    return "\n".join(lines)


def scenario_summary(result: ScenarioResult) -> str:
    mark = "PASS" if result.passed else "FAIL"
    lines = [f"{mark} {result.file}: {result.title}"]
    lines += [f"    {f}" for f in result.failures]
    return "\n".join(lines)


def options_text(options: list[EventOption]) -> str:
    lines = []
    for o in options:
        if o.allowed:
            lines.append(f"  + {o.event}: {o.title}")
    for o in options:
        if not o.allowed:
            lines.append(f"  - {o.event}: {'; '.join(o.reasons)}")
    return "\n".join(lines)
