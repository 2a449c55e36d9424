"""The options and helpers the commands share: --workflows, --json, --store, printing what reaches a
terminal as text, writing files whole, a workflow by name, shell completion, and the mapping of a
user's mistake to its exit code (1 for findings, 2 for usage)."""
from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

WORKFLOWS_OPTION = click.option(
    "--workflows", "workflows_dir", default="workflows", show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder holding NAME.yaml workflow files.",
)
JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print JSON for programs.")
STORE_OPTION = click.option(
    "--store", "store_url", envvar="PROCFLOW_STORE", default="procflow.db", show_default=True,
    help="The case store: a SQLite file, or postgresql://user@host/db for a team "
         "(or PROCFLOW_STORE).")


def echo(message: Any = None, **kwargs: Any) -> None:
    """click.echo, with any control character in text written as \\xHH: what reaches a terminal is
    shown, never obeyed (an ESC sequence in a stored value would clear the screen)."""
    from engine.controls import visible

    click.echo(visible(message) if isinstance(message, str) else message, **kwargs)


def emit(as_json: bool, data: Any, text: str) -> None:
    """`data` as indented JSON for programs, or `text` for people."""
    echo(json.dumps(data, indent=2, ensure_ascii=False) if as_json else text)


def fail_usage(message: str) -> None:
    """End the command as a usage mistake (exit 2)."""
    raise click.UsageError(message)


@contextmanager
def usage_errors(prefix: str = "") -> Iterator[None]:
    """A ValueError inside (an engine function's word for a user's mistake) is a usage mistake."""
    try:
        yield
    except ValueError as exc:
        fail_usage(prefix + str(exc))


@contextmanager
def findings_end() -> Iterator[None]:
    """A DefinitionError inside prints its findings and ends the command with 1."""
    from engine.findings import DefinitionError

    try:
        yield
    except DefinitionError as exc:
        from engine.report import findings_text

        echo(findings_text(exc.findings), err=True)
        sys.exit(1)


@contextmanager
def refusals_end() -> Iterator[None]:
    """A Refused inside prints its reasons and ends the command with 1."""
    from engine.findings import Refused

    try:
        yield
    except Refused as exc:
        echo("; ".join(exc.reasons), err=True)
        sys.exit(1)


@contextmanager
def drawing() -> Iterator[None]:
    """A diagram that cannot be drawn (an unknown format, Graphviz missing or failing) ends the
    command with 1, saying why."""
    try:
        yield
    except (ValueError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from None


@contextmanager
def writing(what: Any, whole: bool = True) -> Iterator[None]:
    """An OSError inside, writing `what`: a full disk ends the command with 1 saying so (and, for a
    file written `whole`, that nothing was changed); another failure (a missing folder, no
    permission) is a usage mistake."""
    from engine.files import is_disk_full

    try:
        yield
    except OSError as exc:
        if is_disk_full(exc):
            kept = "; nothing was changed" if whole else ""
            raise click.ClickException(f"cannot write {what}: the disk is full ({exc.strerror})"
                                       + kept) from None
        fail_usage(f"cannot write {what}: {exc.strerror or exc}")


def make_folder(folder: Path, what: Any) -> None:
    """Create a folder and its parents, when missing; a failure is a usage mistake."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail_usage(f"cannot write {what}: {exc.strerror or exc}")


def write(path: Path, data: bytes | str, what: str = "") -> None:
    """Write a file whole (a temporary file renamed into place), the old file kept on a failure."""
    from engine.files import write_atomic

    with writing(what or path):
        write_atomic(path, data)


def load_workflow(name: str, workflows_dir: Path, by_name: bool = False) -> Any:
    """A workflow by file path or by name in the workflows folder (`by_name`: only by name, as a
    store names one); an unknown name is a usage mistake, findings end the command with 1."""
    from engine import load_workflow as load
    from engine.spec import workflow_path

    with usage_errors():
        path = workflow_path(name, workflows_dir, by_name)
    with findings_end():
        return load(path)


def completion(kind: str, files: bool = False) -> Any:
    """Shell completion (click's): the workflow, event, query or status names the workflows folder
    declares."""
    def complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
        from click.shell_completion import CompletionItem

        from engine.spec.names import declared_names

        folder = Path(ctx.params.get("workflows_dir") or "workflows")
        known = declared_names(folder)[kind]
        found = [CompletionItem(n) for n in known if n.startswith(incomplete)]
        return found + ([CompletionItem(incomplete, type="file")] if files else [])
    return complete
