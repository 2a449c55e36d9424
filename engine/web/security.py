"""Who may talk to the workbench: the access token (when it listens beyond loopback) and CSRF on
every form.

An ASGI middleware, so that no route can forget it:
- With a token, every request must carry it: the `Authorization: Bearer TOKEN` header, or the
  `procflow_token` cookie, which `/?token=TOKEN` sets (HttpOnly, SameSite=Strict) before redirecting
  to the same page without it. Anything else is 401, compared in constant time.
- Every request that changes something (POST) must carry the form's `csrf` field equal to the
  `procflow_csrf` cookie (double submit; the cookie is SameSite=Strict and set on the first page),
  and an `Origin` header, when the browser sends one, naming this server. Anything else is 403 and
  changes nothing.
- Every response says: no framing, no sniffing, no referrer, and a Content-Security-Policy allowing
  this server's own styles and images only (no scripts at all: the pages are plain forms).
"""
from __future__ import annotations

import hmac
import secrets
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

CSRF_COOKIE = "procflow_csrf"
TOKEN_COOKIE = "procflow_token"
CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; " \
      "frame-ancestors 'none'; base-uri 'none'"
HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
           (b"x-frame-options", b"DENY"), (b"referrer-policy", b"no-referrer"),
           (b"cache-control", b"no-store")]
MAX_BODY = 1024 * 1024  # bytes of a request's body


def new_token() -> str:
    return secrets.token_urlsafe(24)


def same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a).encode(), str(b).encode())


def cookies(scope: dict) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for key, value in scope.get("headers") or ():
        if key == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header counts as no cookie
                continue
    return {k: m.value for k, m in jar.items()}


def header(scope: dict, name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key == name:
            return value.decode("latin-1")
    return None


class Guard:
    """The middleware: `token` None means loopback use without one (the server refuses to start
    otherwise)."""

    def __init__(self, app: Any, token: str | None = None):
        self.app = app
        self.token = token

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        jar = cookies(scope)
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        set_cookies: list[bytes] = []
        if self.token is not None:
            given = query.get("token", [None])[0]
            if same(given, self.token):
                rest = urlencode({k: v for k, v in query.items() if k != "token"}, doseq=True)
                location = scope.get("path", "/") + (f"?{rest}" if rest else "")
                await _plain(send, 303, "", [(b"location", location.encode("latin-1")),
                                             _cookie(TOKEN_COOKIE, given)])
                return
            bearer = (header(scope, b"authorization") or "").removeprefix("Bearer ").strip()
            if not (same(bearer, self.token) or same(jar.get(TOKEN_COOKIE), self.token)):
                await _plain(send, 401,
                             "This workbench needs its access token: open the address "
                             "procflow serve "
                                        "printed (it ends in ?token=...).")
                return
        csrf = jar.get(CSRF_COOKIE)
        if not csrf or len(csrf) > 100:
            csrf = secrets.token_urlsafe(24)
            set_cookies.append(_cookie(CSRF_COOKIE, csrf))
        scope.setdefault("state", {})["csrf"] = csrf
        if scope["method"] not in ("GET", "HEAD"):
            origin = header(scope, b"origin")
            host = header(scope, b"host")
            # "null": what a browser sends with this server's own forms, whose pages say
            # `Referrer-Policy: no-referrer`; the form's csrf field below still has to match
            if origin is not None and origin != "null" and urlsplit(origin).netloc != host:
                await _plain(send, 403, "Refused: this form was sent from another site.")
                return
            length = header(scope, b"content-length")
            if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
                await _plain(send, 413, "Refused: a form of at most 1 MiB.")
                return
            body = await _body(receive)
            if body is None:
                await _plain(send, 413, "Refused: a form of at most 1 MiB.")
                return
            form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True) if body else {}
            if set_cookies or not same(form.get("csrf", [None])[0], csrf):
                await _plain(send, 403,
                             "Refused: the form's security code does not match (reload "
                             "the page and "
                                        "send it again). Nothing changed.", set_cookies)
                return
            receive = _replay(body)

        async def sending(message: dict) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *HEADERS,
                                      *((b"set-cookie", c) for c in set_cookies)]
            await send(message)

        await self.app(scope, receive, sending)


def _cookie(name: str, value: str) -> bytes:
    return f"{name}={value}; Path=/; HttpOnly; SameSite=Strict".encode("latin-1")


async def _body(receive: Any) -> bytes | None:
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b""
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def _replay(body: bytes) -> Any:
    sent = False

    async def receive() -> dict:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _plain(send: Any, status: int, text: str, extra: list | None = None) -> None:
    headers = [(b"content-type", b"text/plain; charset=utf-8"), *HEADERS]
    for item in extra or ():
        headers.append(item if isinstance(item, tuple) else (b"set-cookie", item))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": text.encode("utf-8")})
