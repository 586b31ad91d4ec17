"""The outermost layer of every request: security headers, a JSON access-log line, the 500 page, and (inside
it) the anonymous response cache of :mod:`openpapers.web.cache`.

One pure-ASGI middleware rather than three ``BaseHTTPMiddleware`` layers: it adds nothing per request but a
header list and a timer. Unhandled errors are turned into the friendly 500 page *here*, inside this layer, so
that page gets the same security headers and log line as every other response (Starlette's own error handler
sits outside all middleware and would bypass both).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

import orjson
from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openpapers.web.cache import ResponseCache

access_log = logging.getLogger("openpapers.web.access")
error_log = logging.getLogger("openpapers.web")

# No inline script or style anywhere in our pages: 'self' is all they need. Search queries must not leak to the
# sites papers link to (arXiv, GitHub), hence a same-origin referrer.
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
STATIC_CACHE = "public, max-age=86400"  # asset URLs carry a content hash (?v=…), so a day is safe


def configure_access_log() -> None:
    """One JSON object per line on stderr, unless the host application configured the logger itself."""
    if not access_log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        access_log.addHandler(handler)
        access_log.setLevel(logging.INFO)
        access_log.propagate = False


class Guard:
    """Headers, access log and last-resort error page for every HTTP request."""

    def __init__(self, app: ASGIApp, error_response: Callable[[Scope], Response], cache: bool = True) -> None:
        # The response cache sits right inside: replayed pages get the same headers and log line, and it sees
        # the final headers of the layers within (the auth layer's private marks and cookies).
        self.cache = ResponseCache(app, enabled=cache)
        self.app: ASGIApp = self.cache
        self.error_response = error_response

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        state = {"status": 500, "bytes": 0, "sent": False}
        static = scope["path"].startswith("/static/")
        head = scope.get("method") == "HEAD"
        if head:  # answered as GET without the body (monitors and link checkers use HEAD)
            scope = {**scope, "method": "GET"}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"], state["sent"] = message["status"], True
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if static and message["status"] == 200:
                    headers["Cache-Control"] = STATIC_CACHE
            elif message["type"] == "http.response.body":
                state["bytes"] += len(message.get("body", b""))
                if head:
                    message = {**message, "body": b""}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            error_log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if state["sent"]:
                raise  # the response is half-sent: nothing better to do than drop the connection
            await self.error_response(scope)(scope, receive, send_with_headers)
        finally:
            line = {
                "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "method": "HEAD" if head else scope.get("method"),
                "path": scope.get("path"),
                "status": state["status"],
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "bytes": state["bytes"],
                "pid": os.getpid(),  # which worker process answered (serve --workers N)
            }
            access_log.info(orjson.dumps(line).decode())
