"""An interactive simulation of one workflow (`procflow simulate WORKFLOW`): one instance called `main`,
commands given as lines of text, each answered with text. No I/O here: the CLI reads and prints."""
from __future__ import annotations

import json
import shlex
from collections.abc import Callable

from .clock import SimulatedClock, parse_duration, parse_moment
from .findings import Ambiguous, DefinitionError, ProcflowError, Refused
from .model import Workflow
from .report import options_text
from .runtime import Engine

HELP = """Commands:
  EVENT [field=value ...]   fire an event (values in YAML: 2026-03-01, true, [1, 2], {reason: 8})
  why EVENT [field=value ...]  say why an event cannot happen now
  advance 3d | at 2026-03-05 10:00   move the clock
  options | state | help | quit"""


class Session:
    """A new instance `main` of `wf` on a simulated clock starting at `clock` (ValueError if it is not a
    moment). `handle` answers one line; None means the session is over."""

    def __init__(self, wf: Workflow, clock: str):
        self.clock = SimulatedClock(clock)
        self.engine = Engine([wf], clock=self.clock)
        self.inst = self.engine.create(wf.name, "main")
        self.greeting = (f"{wf.title}: a new instance 'main' in status {self.inst.status}. Type 'help' for "
                         f"commands.\n{self.options()}")

    def options(self) -> str:
        return (f"[{self.clock.now:%Y-%m-%d %H:%M}] status: {self.inst.status}\n"
                + options_text(self.engine.options(self.inst)))

    def handle(self, line: str) -> str | None:
        """The answer to one command line ('' for a blank line), or None for quit."""
        return answer(line, self._command)

    def _command(self, cmd: str, rest: list[str]) -> str:
        from .spec.yamlsrc import parse_pairs

        engine, inst = self.engine, self.inst
        if cmd == "help":
            return HELP
        if cmd == "options":
            return self.options()
        if cmd == "state":
            return json.dumps(engine.state(inst), indent=2)
        if cmd in ("advance", "at"):  # through the engine, as a scenario does: schedules fire on the way
            text = " ".join(rest)
            engine.advance(self.clock.now + parse_duration(text) if cmd == "advance" else parse_moment(text))
            return self.options()
        if cmd == "why":
            if not rest:
                raise ValueError("say which event: why EVENT")
            reasons = engine.explain(inst, rest[0], parse_pairs(rest[1:]))
            return "  it can happen now" if not reasons else "\n".join(f"  - {r}" for r in reasons)
        outcome = engine.fire(inst, cmd, parse_pairs(rest))
        return (f"  {outcome.entry.from_} -> {outcome.status}"
                + (f"; opened {', '.join(i.code for i in outcome.opened)}" if outcome.opened else "")
                + (f"; closed {', '.join(i.code for i in outcome.closed)}" if outcome.closed else "")
                + (f"; letters {', '.join(lt.code for lt in outcome.letters)}" if outcome.letters else "")
                + "\n" + self.options())


def answer(line: str, command: Callable[[str, list[str]], str]) -> str | None:
    """One command line split into words and answered by `command(cmd, rest)`: '' for a blank line, None for
    quit, a refusal or a user's mistake answered in words."""
    try:
        words = shlex.split(line)
    except ValueError as exc:
        return f"  {exc}"
    if not words:
        return ""
    cmd, rest = words[0], words[1:]
    if cmd in ("quit", "exit"):
        return None
    try:
        return command(cmd, rest)
    except (Refused, Ambiguous) as exc:
        return "  refused: " + "; ".join(getattr(exc, "reasons", None) or [str(exc)])
    except DefinitionError as exc:
        return "  " + "; ".join(f.message for f in exc.findings)
    except (ValueError, ProcflowError) as exc:
        return f"  {exc}"
    except OverflowError:
        return "  the clock cannot go that far"
