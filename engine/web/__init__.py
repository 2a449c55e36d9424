"""The workbench in a browser (`procflow serve`): the procedures and their cases, served locally.

    from engine.web import create_app
    app = create_app(store, workflows)          # an ASGI app: run it with uvicorn on 127.0.0.1

It stands on the runtime's and the case store's public names; nothing below imports it. Starlette,
uvicorn and Jinja2 are the `web` extra: they load only here.
"""
from __future__ import annotations

MISSING_EXTRA = ("the workbench needs the web extra: pip install 'procflow[web]' "
                 "(Starlette, uvicorn, Jinja2)")

__all__ = ["MISSING_EXTRA", "create_app"]


def create_app(*args, **kwargs):  # noqa: ANN002, ANN003, ANN201  (see app.create_app)
    from .app import create_app as make

    return make(*args, **kwargs)
