"""The case store opened for one command, and what ends the command when a user's mistake or a busy
store stops it: a message and exit 1 (a usage mistake, 2)."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from .options import echo, fail_usage

STORE_EXTRA = "the case store needs the store extra: pip install 'procflow[store]'"


class Storing:
    """`with Storing(url, folder) as store:` the store, closed at the end; a refusal, an
    ambiguity or findings end the command with 1, saying why."""

    def __init__(self, store_url: str, workflows_dir: Path, clock: str | None = None):
        self.args = (store_url, workflows_dir, clock)
        self.store: Any = None

    def __enter__(self) -> Any:
        try:
            from engine.store import folder, open_store
        except ImportError:
            raise click.ClickException(STORE_EXTRA) from None
        store_url, workflows_dir, clock = self.args
        try:
            self.store = open_store(store_url, folder(workflows_dir), clock=clock)
        except ImportError:
            from engine.store import MISSING_EXTRA

            raise click.ClickException(MISSING_EXTRA) from None
        except ValueError as exc:
            fail_usage(str(exc))
        except Exception as exc:
            self.__exit__(type(exc), exc, None)
            raise
        return self.store

    def __exit__(self, kind: Any, exc: Any, _tb: Any) -> bool:
        from engine import Ambiguous, DefinitionError, ProcflowError, Refused
        from engine.report import findings_text

        if self.store is not None:
            self.store.close()
        if isinstance(exc, DefinitionError):
            echo(findings_text(exc.findings), err=True)
        elif isinstance(exc, Refused):
            echo("refused: " + "; ".join(exc.reasons), err=True)
        elif isinstance(exc, (Ambiguous, ProcflowError)):
            echo(str(exc), err=True)
        else:
            return False
        sys.exit(1)
