"""Starting the workbench: which addresses need a token, the workflows it serves, and uvicorn.

Pure checks (`needs_token`, `read_token`) apart from `run`, which blocks serving until interrupted.
"""
from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

from ..model import Workflow

MAX_TOKEN_FILE = 4096


def extra_missing() -> list[str]:
    """The web extra's libraries that are not installed."""
    from importlib.util import find_spec

    return [name for name in ("starlette", "uvicorn", "jinja2", "multipart", "sqlalchemy") if find_spec(name) is None]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def needs_token(host: str) -> bool:
    """Bound to anything but loopback, every request must carry a token."""
    return not is_loopback(host)


def read_token(path: Path) -> str:
    """The token written in a file (its first line); ValueError saying why when there is none."""
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_TOKEN_FILE + 1)
    except OSError as exc:
        raise ValueError(f"cannot read the token file {path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_TOKEN_FILE:
        raise ValueError(f"{path}: a token file holds one line of at most {MAX_TOKEN_FILE} bytes")
    lines = raw.decode("utf-8", "replace").strip().splitlines()
    token = lines[0].strip() if lines else ""
    check_token(token, str(path))
    return token


def check_token(token: str, where: str = "--token") -> None:
    if len(token) < 16 or not token.isprintable() or " " in token:
        raise ValueError(f"{where}: a token of at least 16 characters, without spaces (e.g. from "
                         "`python3 -c 'import secrets; print(secrets.token_urlsafe())'`)")


def docs_maker(workflows: list[Workflow]) -> Any:
    """The procedure pages of `procflow docs` for these workflows, made the first time they are asked for."""
    def make() -> dict[str, bytes]:
        from ..docs.site import build_site

        files, _notes = build_site(workflows, "html")
        return files

    return make


def run(app: Any, host: str, port: int) -> None:
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, server_header=False,
                limit_concurrency=200, timeout_keep_alive=5)
