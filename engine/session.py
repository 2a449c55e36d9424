"""One line of an interactive session answered: split into words, the command run, a refusal or a
user's mistake answered in words (or, for programs, as one JSON object); and the lines typed, read
in bounded pieces from the stream the CLI gives. The CLI says where they come from and prints."""
from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from .findings import Ambiguous, DefinitionError, ProcflowError, Refused
from .values import to_json

Say = Callable[[str, dict], str]
MAX_LINE = 10_000  # characters of one line typed into an interactive session


def plain(text: str, data: dict) -> str:
    """An answer in words (the data is for programs)."""
    return text


def as_json(text: str, data: dict) -> str:
    """An answer for programs: one JSON object on one line."""
    return json.dumps(to_json(data), ensure_ascii=False)


def answer(line: str, command: Callable[[str, list[str]], str], say: Say = plain) -> str | None:
    """One command line split into words and answered by `command(cmd, rest)`: '' for a blank line,
    None for quit, a refusal or a user's mistake answered through `say(text, data)`."""
    try:
        words = shlex.split(line)
    except ValueError as exc:
        return say(f"  {exc}", {"error": str(exc)})
    if not words:
        return ""
    cmd, rest = words[0], words[1:]
    if cmd in ("quit", "exit"):
        return None
    try:
        return command(cmd, rest)
    except (Refused, Ambiguous) as exc:
        reasons: Any = getattr(exc, "reasons", None) or [str(exc)]
        said = {"event": cmd, "accepted": False, "refused": list(reasons)}
        return say("  refused: " + "; ".join(reasons), said)
    except DefinitionError as exc:
        said = "; ".join(f.message for f in exc.findings)
        return say(f"  {said}", {"error": said})
    except (ValueError, ProcflowError) as exc:
        return say(f"  {exc}", {"error": str(exc)})
    except OverflowError:
        return say("  the clock cannot go that far", {"error": "the clock cannot go that far"})


def typed_lines(stream: TextIO) -> Iterator[str | None]:
    """The lines typed, each read at most MAX_LINE + 1 characters at a time: a longer one is skipped
    to its end and given as None, so that no line can hold the session (a 1 MB line took 38 s to
    split into words)."""
    while True:
        line = stream.readline(MAX_LINE + 1)
        if not line:
            return
        if len(line) > MAX_LINE and not line.endswith("\n"):
            while line and not line.endswith("\n"):
                line = stream.readline(MAX_LINE + 1)
            yield None
        else:
            yield line
