"""What `procflow case` and `procflow clock` print: cases, lists, outcomes and the log as text or
JSON.

Pure functions of what the store returns (no I/O), so that a web page can show the same things.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from ..clock import parse_moment
from ..model import Event
from ..runtime import EventOption
from ..values import to_json
from .base import Case, CaseRow, Fired, Logged

TEXT_TYPES = ("text", "choice")  # data given as key=value keeps its words as they are for these


def typed_data(words: list[str] | tuple[str, ...], event: Event | None) -> dict:
    """key=value words as the event's data: a text or choice field keeps the value as typed (a Case
    Number '0012' stays '0012'); any other is read as YAML (2026-03-01, true, [1, 2], '{reason:
    8}'). ValueError for a word that is not key=value or a value that is not YAML."""
    from ..spec.yamlsrc import parse_pairs

    return parse_pairs(words, {d.name for d in event.data if d.type in TEXT_TYPES}
                       if event is not None else set())


def case_json(case: Case, now: datetime) -> dict:
    return {"case": case.id, "workflow": case.workflow, "status": case.status,
            "version": case.version,
            "clock": to_json(now), "overdue": [i["code"] for i in case.overdue(now)],
            "state": case.state}


def case_text(case: Case, now: datetime) -> str:
    state = case.state
    lines = [f"{case.id}: {case.workflow}, status {case.status} (version {case.version}; clock "
             f"{now:%Y-%m-%d %H:%M})"]
    fields = state.get("fields") or {}
    lines.append("fields:" if fields else "fields: none")
    lines += [f"  {k}: {_short(v)}" for k, v in fields.items()]
    lines.append(intrays_text(case, now))
    letters = state.get("letters") or []
    lines.append("letters:" if letters else "letters: none")
    lines += [f"  {lt['code']} to {', '.join(lt['to'])} on {_moment(lt['issued'])}"
              for lt in letters]
    history = state.get("history") or []
    lines.append("history:" if history else "history: none")
    for h in history:
        who = ", ".join(f"{k} {v}" for k, v in (h.get("actor") or {}).items())
        lines.append(f"  {_moment(h['at'])}  {h['event']}: {h['from']} -> {h['to']}"
                     + (f"  by {who}" if who else ""))
    return "\n".join(lines)


def intrays_text(case: Case, now: datetime) -> str:
    """The open intrays, each with its due moment, the overdue ones said so."""
    items = case.open_intrays()
    if not items:
        return "open intrays: none"
    lines = ["open intrays:"]
    for i in items:
        late = parse_moment(i["due"]) < now
        extra = f", assigned to {i['assigned_to']}" if i.get("assigned_to") else ""
        lines.append(f"  {i['code']} due {_moment(i['due'])}{' OVERDUE' if late else ''}{extra}")
    return "\n".join(lines)


def rows_json(rows: list[CaseRow], now: datetime) -> list[dict]:
    return [{"case": r.id, "workflow": r.workflow, "status": r.status, "version": r.version,
             "next_due": r.next_due,
             "overdue": r.next_due is not None and parse_moment(r.next_due) < now,
             "events": r.events,
             "updated": r.updated} for r in rows]


def rows_text(rows: list[CaseRow], now: datetime) -> str:
    if not rows:
        return "no cases"
    width = max(len(r.id) for r in rows)
    lines = []
    for r in rows:
        due = "" if r.next_due is None else f"  next due {_moment(r.next_due)}" + (
            " OVERDUE" if parse_moment(r.next_due) < now else "")
        lines.append(f"{r.id:<{width}}  {r.workflow:<5} {r.status}{due}")
    lines.append(f"{len(rows)} case(s)")
    return "\n".join(lines)


def fired_text(fired: Fired) -> str:
    parts = [f"{fired.case}: {fired.event}: {fired.from_} -> {fired.to}"]
    if fired.opened:
        parts.append("opened "
                     + ", ".join(f"{i['code']} (due {_moment(i['due'])})" for i in fired.opened))
    if fired.closed:
        parts.append("closed " + ", ".join(i["code"] for i in fired.closed))
    if fired.letters:
        parts.append("letters "
                     + ", ".join(f"{lt['code']} to {', '.join(lt['to'])}" for lt in fired.letters))
    others = [f"{k} (version {v})" for k, v in fired.versions.items() if k != fired.case]
    if others:
        parts.append("also changed " + ", ".join(others))
    return "; ".join(parts)


def options_json(options: list[EventOption]) -> list[dict]:
    return [{"event": o.event, "title": o.title, "allowed": o.allowed, "reasons": o.reasons}
            for o in options]


def log_json(entries: list[Logged]) -> list[dict]:
    return [{"seq": e.seq, "at": e.at, "kind": e.kind, "case": e.case, "event": e.event,
             "data": e.data,
             "actor": e.actor, "outcome": e.outcome} for e in entries]


def log_text(entries: list[Logged]) -> str:
    lines = []
    for e in entries:
        if e.kind == "event":
            what = f"{e.case}: {e.event} {e.outcome['from']} -> {e.outcome['to']}"
        elif e.kind in ("advance", "set"):
            what = f"clock {e.kind} {_moment(e.data['from'])} -> {_moment(e.data['to'])}"
            if e.kind == "advance" and e.outcome and e.outcome.get("fired"):
                what += "; " + ", ".join(f"{c}: {ev}" for c, ev in e.outcome["fired"])
        else:
            what = f"{e.case}: {e.kind} ({(e.data or {}).get('workflow', '')})"
        lines.append(f"{e.seq:>6}  {_moment(e.at)}  {what}")
    return "\n".join(lines) or "nothing logged"


def _moment(text: str) -> str:
    return str(text).replace("T", " ")[:16]


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 100 else text[:97] + "..."
