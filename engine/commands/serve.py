"""`procflow serve`: the workbench (engine.web) on the case store, in a browser."""
from __future__ import annotations

from pathlib import Path

import click

from .options import STORE_OPTION, WORKFLOWS_OPTION, fail_usage, usage_errors
from .storing import Storing


@click.command()
@STORE_OPTION
@WORKFLOWS_OPTION
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on. Any but loopback (127.0.0.1, ::1) needs --token or "
                   "--token-file.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--token", envvar="PROCFLOW_TOKEN", default=None,
              help="Every request must carry this token.")
@click.option("--token-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Read the token from the first line of this file.")
@click.option("--clock", "clock", metavar="MOMENT",
              help="A new store's clock starts here (default: now).")
def serve(store_url: str, workflows_dir: Path, host: str, port: int, token: str | None,
          token_file: Path | None, clock: str | None) -> None:
    """The workbench in a browser: the workflows, their procedure pages and the store's cases, on
    HOST:PORT.

    Start cases, fire their events through forms, move the clock, choose who is acting, and download
    a case as a scenario. Needs the web extra: pip install 'procflow[web]'.
    """
    from engine.spec import workflow_files
    from engine.web import MISSING_EXTRA
    from engine.web.serve import address, docs_maker, extra_missing, run, token_for

    if extra_missing():
        raise click.ClickException(MISSING_EXTRA)
    with usage_errors():
        token = token_for(host, token, token_file)
    names = sorted(p.stem for p in workflow_files(workflows_dir))
    if not names:
        fail_usage(f"no workflow files in {workflows_dir}: give --workflows DIR")
    with Storing(store_url, workflows_dir, clock) as store:
        from engine.web import create_app

        workflows = [store.hold(name) for name in names]
        try:
            app = create_app(store, workflows, token=token, docs=docs_maker(workflows))
        except ImportError:
            raise click.ClickException(MISSING_EXTRA) from None
        click.echo(f"procflow workbench on {address(host, port, token)} ({len(workflows)} "
                   f"workflow(s), store {store_url}); Ctrl-C stops it")
        run(app, host, port)
