"""Positioned findings (errors and warnings) as data, and the exceptions that carry them.

Loaders and checkers collect `Finding`s; the CLI renders them. Nothing here formats deep inside
a loader: `Finding.render()` is the one plain-text form, `file:line:col: severity: message`.
"""
from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Finding:
    file: str
    line: int  # 1-based; 0 when unknown
    col: int  # 1-based; 0 when unknown
    message: str
    # a short machine-readable kind, e.g. "yaml", "schema", "reference", "guard"
    code: str = "error"
    severity: str = "error"  # "error" | "warning"
    hint: str = ""  # how to fix it, when we can say

    def render(self) -> str:
        where = self.file or "<input>"
        if self.line:
            where += f":{self.line}:{self.col or 1}"
        text = f"{where}: {self.severity}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    def to_json(self) -> dict:
        return asdict(self)


class ProcflowError(Exception):
    """Base of every error procflow reports to a user."""


class DefinitionError(ProcflowError):
    """A workflow or scenario document is wrong; carries every finding at once."""

    def __init__(self, findings: list[Finding], part: Any = None):
        self.findings = sorted(findings, key=lambda f: (f.file, f.line, f.col))
        self.part = part  # spec.Part: the model of the part the schema accepts, when it built
        super().__init__("\n".join(f.render() for f in self.findings))


class Refused(ProcflowError):
    """An event was refused: nothing changed. `reasons` are the sentences of the guards that
    refused."""

    def __init__(self, event: str, reasons: list[str], *, detail: list[dict] | None = None):
        self.event = event
        self.reasons = reasons
        self.detail = detail or []
        super().__init__(f"{event} refused: " + "; ".join(reasons))


class Ambiguous(ProcflowError):
    """More than one transition's guards passed for the same event: a defect of the workflow."""

    def __init__(self, event: str, transitions: list[str]):
        self.event = event
        self.transitions = transitions
        super().__init__(
            f"{event}: more than one transition can be taken ({' and '.join(transitions)}); "
            "the workflow must make their guards exclusive"
        )


def did_you_mean(name: Any, known: Any) -> str:
    """A hint naming the closest known name, or ''."""
    close = difflib.get_close_matches(str(name), [str(k) for k in known], n=1)
    return f"did you mean '{close[0]}'?" if close else ""
