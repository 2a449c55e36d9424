"""An interactive simulation on the case store (`procflow simulate WORKFLOW`): several cases, the
store's clock, and nothing lost on quit. Commands are lines of text, each answered with text; the
CLI reads and prints.

After every event and clock move the current case's status and its open intrays (due, OVERDUE) are
shown; the events possible now only on request (`options`).
"""
from __future__ import annotations

import json
from dataclasses import asdict

from ..clock import parse_duration, parse_moment
from ..findings import Refused
from ..report import options_text
from ..session import answer, as_json, plain
from .base import CaseStore
from .present import case_text, fired_text, intrays_text, rows_json, rows_text, typed_data

HELP = """Commands:
  EVENT [field=value ...]   fire an event on the current case (values typed as the event declares them;
                            YAML for lists and records: reasons='[{reason: 8}]')
  why EVENT [field=value ...]  say why an event cannot happen now
  options                   the events possible now, and why not the others
  new WORKFLOW [ID]         start another case (e.g. an SCO record) and make it the current one
  use ID | cases            switch to another case | list the cases in the store
  advance 3d | at 2026-03-05 10:00   move the store's clock (the overnight schedules run on the way)
  show | state | help | quit    (every change is in the store already: quit loses nothing)"""  # noqa: E501


class StoreSession:
    """A session on `store`, on case `case` (made of workflow `workflow` when it does not exist).
    With `json_lines`, every answer (the greeting too) is one JSON object a line, for programs."""

    def __init__(self, store: CaseStore, workflow: str, case: str | None = None,
                 json_lines: bool = False):
        self.store = store
        self.say = as_json if json_lines else plain
        wf = store.hold(workflow)
        if case is not None and self._exists(case):
            self.current = case
            said = f"case '{case}' ({store.case(case).workflow}), as the store keeps it"
        else:
            name = case or ("main" if not self._exists("main") else None)
            self.current = store.create(wf.name, name).id
            said = f"a new case '{self.current}'"
        status = store.case(self.current).status
        hello = self.say(f"{wf.title}: {said}, in status {status}. Type 'help' for commands, "
                         "'options' for the events possible now.",
                         {"workflow": wf.name, "instance": self.current, "status": status})
        self.greeting = f"{hello}\n{self.summary()}"

    def _exists(self, case: str) -> bool:
        try:
            self.store.case(case)
        except Refused:
            return False
        return True

    def summary(self) -> str:
        """The clock, the current case's status and its open intrays (due, overdue)."""
        case, now = self.store.case(self.current), self.store.clock()
        text = f"[{now:%Y-%m-%d %H:%M}] {case.id}: {case.status}\n{intrays_text(case, now)}"
        if self.say is plain:
            return text
        return self.say(text, {"clock": now, "instance": case.id, "status": case.status,
                               "intrays": case.open_intrays(),
                               "options": [asdict(o) for o in self.store.options(self.current)]})

    def handle(self, line: str) -> str | None:
        """The answer to one command line ('' for a blank line), or None for quit."""
        return answer(line, self._command, self.say)

    def _event(self, name: str) -> object:
        return self.store.hold(self.store.case(self.current).workflow).events.get(name)

    def _command(self, cmd: str, rest: list[str]) -> str:
        store = self.store
        say = self.say
        if cmd == "help":
            return say(HELP, {"help": HELP})
        if cmd == "options":
            options = store.options(self.current)
            return say(options_text(options), {"options": [asdict(o) for o in options]})
        if cmd == "state":
            state = store.case(self.current).state
            return say(json.dumps(state, indent=2), state)
        if cmd == "show":
            return say(case_text(store.case(self.current), store.clock()),
                       store.case(self.current).state)
        if cmd == "cases":
            rows = store.cases()
            return say(rows_text(rows, store.clock()), {"cases": rows_json(rows, store.clock())})
        if cmd == "use":
            if len(rest) != 1:
                raise ValueError("say which case: use ID")
            self.current = store.case(rest[0]).id
            return self.summary()
        if cmd == "new":
            if len(rest) not in (1, 2):
                raise ValueError("say which workflow: new WORKFLOW [ID]")
            self.current = store.create(rest[0], rest[1] if len(rest) == 2 else None).id
            return self.summary()
        if cmd in ("advance", "at"):  # the store's clock: schedules run on the way, as in scenarios
            text = " ".join(rest)
            fired = store.advance(store.clock() + parse_duration(text) if cmd == "advance"
                                  else parse_moment(text))
            moved = say("\n".join(f"  {fired_text(f)}" for f in fired),
                        {"fired": [f.to_json() for f in fired]})
            return "\n".join(line for line in (moved, self.summary()) if line)
        if cmd == "why":
            if not rest:
                raise ValueError("say which event: why EVENT")
            data = typed_data(rest[1:], self._event(rest[0]))
            reasons = store.why(self.current, rest[0], data)  # type: ignore[arg-type]
            return say("  it can happen now" if not reasons
                       else "\n".join(f"  - {r}" for r in reasons),
                       {"event": rest[0], "allowed": not reasons, "reasons": reasons})
        data = typed_data(rest, self._event(cmd))
        fired = store.fire(self.current, cmd, data)  # type: ignore[arg-type]
        opened, closed = [i["code"] for i in fired.opened], [i["code"] for i in fired.closed]
        moved = say(f"  {fired.from_} -> {fired.to}"
                    + (f"; opened {', '.join(opened)}" if opened else "")
                    + (f"; closed {', '.join(closed)}" if closed else "")
                    + (f"; letters {', '.join(lt['code'] for lt in fired.letters)}" if fired.letters
                       else ""),
                    {"event": cmd, "accepted": True, "from": fired.from_, "to": fired.to,
                     "opened": opened,
                     "closed": closed, "letters": fired.letters})
        return moved + "\n" + self.summary()
