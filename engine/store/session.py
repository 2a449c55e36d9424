"""An interactive simulation on the case store (`procflow simulate WORKFLOW`): several cases, the store's clock,
and nothing lost on quit. Commands are lines of text, each answered with text; the CLI reads and prints.

After every event and clock move the current case's status and its open intrays (due, OVERDUE) are shown;
the events possible now only on request (`options`).
"""
from __future__ import annotations

import json

from ..clock import parse_duration, parse_moment
from ..findings import Refused
from ..report import options_text
from ..session import answer
from .base import CaseStore
from .present import case_text, fired_text, intrays_text, rows_text, typed_data

HELP = """Commands:
  EVENT [field=value ...]   fire an event on the current case (values typed as the event declares them;
                            YAML for lists and records: reasons='[{reason: 8}]')
  why EVENT [field=value ...]  say why an event cannot happen now
  options                   the events possible now, and why not the others
  new WORKFLOW [ID]         start another case (e.g. an SCO record) and make it the current one
  use ID | cases            switch to another case | list the cases in the store
  advance 3d | at 2026-03-05 10:00   move the store's clock (the overnight schedules run on the way)
  show | state | help | quit    (every change is in the store already: quit loses nothing)"""


class StoreSession:
    """A session on `store`, on case `case` (made of workflow `workflow` when it does not exist)."""

    def __init__(self, store: CaseStore, workflow: str, case: str | None = None):
        self.store = store
        wf = store.hold(workflow)
        if case is not None and self._exists(case):
            self.current = case
            said = f"case '{case}' ({store.case(case).workflow}), as the store keeps it"
        else:
            name = case or ("main" if not self._exists("main") else None)
            self.current = store.create(wf.name, name).id
            said = f"a new case '{self.current}'"
        self.greeting = (f"{wf.title}: {said}, in status {store.case(self.current).status}. Type 'help' for "
                         f"commands, 'options' for the events possible now.\n{self.summary()}")

    def _exists(self, case: str) -> bool:
        try:
            self.store.case(case)
        except Refused:
            return False
        return True

    def summary(self) -> str:
        """The clock, the current case's status and its open intrays (due, overdue)."""
        case, now = self.store.case(self.current), self.store.clock()
        return f"[{now:%Y-%m-%d %H:%M}] {case.id}: {case.status}\n{intrays_text(case, now)}"

    def handle(self, line: str) -> str | None:
        """The answer to one command line ('' for a blank line), or None for quit."""
        return answer(line, self._command)

    def _event(self, name: str) -> object:
        return self.store.hold(self.store.case(self.current).workflow).events.get(name)

    def _command(self, cmd: str, rest: list[str]) -> str:
        store = self.store
        if cmd == "help":
            return HELP
        if cmd == "options":
            return options_text(store.options(self.current))
        if cmd == "state":
            return json.dumps(store.case(self.current).state, indent=2)
        if cmd == "show":
            return case_text(store.case(self.current), store.clock())
        if cmd == "cases":
            return rows_text(store.cases(), store.clock())
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
            fired = store.advance(store.clock() + parse_duration(text) if cmd == "advance" else parse_moment(text))
            return "\n".join([*(f"  {fired_text(f)}" for f in fired), self.summary()])
        if cmd == "why":
            if not rest:
                raise ValueError("say which event: why EVENT")
            reasons = store.why(self.current, rest[0], typed_data(rest[1:], self._event(rest[0])))  # type: ignore[arg-type]
            return "  it can happen now" if not reasons else "\n".join(f"  - {r}" for r in reasons)
        fired = store.fire(self.current, cmd, typed_data(rest, self._event(cmd)))  # type: ignore[arg-type]
        return (f"  {fired.from_} -> {fired.to}"
                + (f"; opened {', '.join(i['code'] for i in fired.opened)}" if fired.opened else "")
                + (f"; closed {', '.join(i['code'] for i in fired.closed)}" if fired.closed else "")
                + (f"; letters {', '.join(lt['code'] for lt in fired.letters)}" if fired.letters else "")
                + "\n" + self.summary())
