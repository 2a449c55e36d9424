"""Starting the workbench: which addresses need a token, the workflows it serves, and uvicorn.

Pure checks (`needs_token`, `read_token`, `token_for`) apart from `run`, which blocks serving
until interrupted.
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

    needed = ("starlette", "uvicorn", "jinja2", "multipart", "sqlalchemy")
    return [name for name in needed if find_spec(name) is None]


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


def token_for(host: str, token: str | None, token_file: Path | None) -> str | None:
    """The token every request must carry (--token, or the first line of --token-file), or None on
    loopback without one; ValueError saying why when both are given, when it is not a good token,
    or when `host` is reachable from other machines and there is none."""
    if token is not None and token_file is not None:
        raise ValueError("give --token or --token-file, not both")
    if token_file is not None:
        token = read_token(token_file)
    elif token is not None:
        check_token(token)
    if token is None and needs_token(host):
        raise ValueError(f"--host {host} is reachable from other machines: give --token or "
                         "--token-file (every request must then carry it), or serve on 127.0.0.1")
    return token


def address(host: str, port: int, token: str | None) -> str:
    """The workbench's URL, with the token a browser must carry."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


def docs_maker(workflows: list[Workflow]) -> Any:
    """The procedure pages of `procflow docs` for these workflows, made the first time they are
    asked for."""
    def make() -> dict[str, bytes]:
        from ..docs.site import build_site

        files, _notes = build_site(workflows, "html")
        return files

    return make


def run(app: Any, host: str, port: int) -> None:
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False,
                server_header=False, limit_concurrency=200, timeout_keep_alive=5)
