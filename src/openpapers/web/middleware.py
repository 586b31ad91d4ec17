"""The outermost layer of every request: security headers, a JSON access-log line, the 500 page, and (inside
it) the request-body limit (:class:`BodyLimit`) and the anonymous response cache of :mod:`openpapers.web.cache`.

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
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
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


class BodyTooLarge(HTTPException):
    """A request body over the limit: 413. An HTTPException, so that where a route is reading the body FastAPI
    passes it on to the app's error handler (JSON for the API, a page for forms) instead of calling it a
    parse error (400)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")


class BodyLimit:
    """Refuses request bodies over ``limit`` bytes (``OPENPAPERS_MAX_BODY_BYTES``) before they are read.

    Why: FastAPI reads a body whole before validating it, so a 100 MB POST held a worker for seconds (and its
    memory) only to be told 422. A declared ``Content-Length`` over the limit is answered 413 at once, unread;
    a body without one (chunked) is counted as it arrives and refused at the first chunk past the limit.
    """

    def __init__(self, app: ASGIApp, limit: int, error_response: Callable[[Scope, int, str], Response]) -> None:
        self.app = app
        self.limit = limit
        self.error_response = error_response

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send)  # read outside a route (a middleware): answered here

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        error = BodyTooLarge(self.limit)
        response = self.error_response(scope, error.status_code, str(error.detail))
        response.headers["Connection"] = "close"  # the rest of the body is never read: the server drops it
        await response(scope, receive, send)


class Guard:
    """Headers, access log and last-resort error page for every HTTP request."""

    def __init__(self, app: ASGIApp, error_response: Callable[[Scope], Response], cache: bool = True,
                 max_body: int | None = None, refusal: Callable[[Scope, int, str], Response] | None = None) -> None:
        # The response cache sits right inside: replayed pages get the same headers and log line, and it sees
        # the final headers of the layers within (the auth layer's private marks and cookies). The body limit
        # is outside it and inside this layer, so a 413 gets the headers and the log line too.
        self.cache = ResponseCache(app, enabled=cache)
        self.app: ASGIApp = self.cache
        if max_body is not None and refusal is not None:
            self.app = BodyLimit(self.cache, max_body, refusal)
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
