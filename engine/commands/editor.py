"""The commands for editors: `procflow schema` (the JSON Schema of workflow and scenario files)
and `procflow lsp` (the language server, engine.lsp)."""
from __future__ import annotations

from pathlib import Path

import click

from .options import write


@click.command("schema")
@click.argument("kind", type=click.Choice(["workflow", "scenario"]))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="File to write (default: standard output).")
def schema_command(kind: str, output: Path | None) -> None:
    """Write the JSON Schema of workflow or scenario files, for an editor outside this repository.

    Its `$id` (urn:procflow:schema:KIND:1) stays the same while the format does; `procflow lsp`
    checks against the same schema without it.
    """
    from engine.spec.schema import schema_text

    text = schema_text(kind)
    if output is None:
        click.echo(text, nl=False)
        return
    write(output, text)


@click.command("lsp")
def lsp_command() -> None:
    """Serve editors as a language server over standard input and output.

    Diagnostics as `check` gives them, as you type; hover, go to definition, references,
    completion, the outline and "did you mean" fixes for workflow and scenario files; scenarios
    are played on save. Needs the `lsp` extra (pip install 'procflow[lsp]'). Editor set-up:
    README.
    """
    try:
        from engine.lsp.server import run
    except ImportError as exc:
        raise click.ClickException(f"procflow lsp needs pygls ({exc.name} is not installed): "
                                   "pip install 'procflow[lsp]'") from None
    run()
