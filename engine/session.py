"""An interactive simulation of one workflow (`procflow simulate WORKFLOW`): one instance called `main`,
commands given as lines of text, each answered with text. No I/O here: the CLI reads and prints."""
from __future__ import annotations

import json
import shlex
from dataclasses import asdict

from .clock import SimulatedClock, parse_duration, parse_moment
from .findings import Ambiguous, DefinitionError, Refused
from .model import Workflow
from .report import options_text
from .runtime import Engine
from .values import to_json

HELP = """Commands:
  EVENT [field=value ...]   fire an event (values in YAML: 2026-03-01, true, [1, 2], {reason: 8})
  why EVENT [field=value ...]  say why an event cannot happen now
  advance 3d | at 2026-03-05 10:00   move the clock
  options | state | help | quit"""


class Session:
    """A new instance `main` of `wf` on a simulated clock starting at `clock` (ValueError if it is not a
    moment). `handle` answers one line; None means the session is over. With `as_json`, every answer
    (the greeting too) is one JSON object on one line, for programs."""

    def __init__(self, wf: Workflow, clock: str, as_json: bool = False):
        self.clock = SimulatedClock(clock)
        self.engine = Engine([wf], clock=self.clock)
        self.inst = self.engine.create(wf.name, "main")
        self.as_json = as_json
        hello = f"{wf.title}: a new instance 'main' in status {self.inst.status}. Type 'help' for commands."
        self.greeting = (self._say(hello, {"workflow": wf.name, "instance": "main", "status": self.inst.status})
                         + "\n" + self.options())

    def _say(self, text: str, data: dict) -> str:
        return json.dumps(to_json(data), ensure_ascii=False) if self.as_json else text

    def options(self) -> str:
        options = self.engine.options(self.inst)
        return self._say(f"[{self.clock.now:%Y-%m-%d %H:%M}] status: {self.inst.status}\n" + options_text(options),
                         {"clock": self.clock.now, "status": self.inst.status, "options": [asdict(o) for o in options]})

    def handle(self, line: str) -> str | None:
        """The answer to one command line ('' for a blank line), or None for quit."""
        try:
            words = shlex.split(line)
        except ValueError as exc:
            return self._say(f"  {exc}", {"error": str(exc)})
        if not words:
            return ""
        cmd, rest = words[0], words[1:]
        if cmd in ("quit", "exit"):
            return None
        try:
            return self._command(cmd, rest)
        except (Refused, Ambiguous) as exc:
            reasons = getattr(exc, "reasons", None) or [str(exc)]
            return self._say("  refused: " + "; ".join(reasons), {"event": cmd, "accepted": False, "refused": reasons})
        except DefinitionError as exc:
            said = "; ".join(f.message for f in exc.findings)
            return self._say(f"  {said}", {"error": said})
        except ValueError as exc:
            return self._say(f"  {exc}", {"error": str(exc)})
        except OverflowError:
            return self._say("  the clock cannot go that far", {"error": "the clock cannot go that far"})

    def _command(self, cmd: str, rest: list[str]) -> str:
        from .spec.yamlsrc import parse_pairs

        engine, inst = self.engine, self.inst
        if cmd == "help":
            return self._say(HELP, {"help": HELP})
        if cmd == "options":
            return self.options()
        if cmd == "state":
            state = engine.state(inst)
            return self._say(json.dumps(state, indent=2), {"state": state})
        if cmd in ("advance", "at"):  # through the engine, as a scenario does: schedules fire on the way
            text = " ".join(rest)
            engine.advance(self.clock.now + parse_duration(text) if cmd == "advance" else parse_moment(text))
            return self.options()
        if cmd == "why":
            if not rest:
                raise ValueError("say which event: why EVENT")
            reasons = engine.explain(inst, rest[0], parse_pairs(rest[1:]))
            return self._say("  it can happen now" if not reasons else "\n".join(f"  - {r}" for r in reasons),
                             {"event": rest[0], "allowed": not reasons, "reasons": reasons})
        outcome = engine.fire(inst, cmd, parse_pairs(rest))
        opened, closed = [i.code for i in outcome.opened], [i.code for i in outcome.closed]
        moved = self._say(f"  {outcome.entry.from_} -> {outcome.status}"
                          + (f"; opened {', '.join(opened)}" if opened else "")
                          + (f"; closed {', '.join(closed)}" if closed else "")
                          + (f"; letters {', '.join(lt.code for lt in outcome.letters)}" if outcome.letters else ""),
                          {"event": cmd, "accepted": True, "from": outcome.entry.from_, "to": outcome.status,
                           "opened": opened, "closed": closed, "letters": [lt.to_json() for lt in outcome.letters]})
        return moved + "\n" + self.options()
