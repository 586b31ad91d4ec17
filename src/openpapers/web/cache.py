"""An in-process cache of whole anonymous responses, with ETags, sitting just inside :class:`~.middleware.Guard`.

Why: a page is a pure function of its URL and the store's contents for anyone not signed in, and rendering
one (store queries, a search, Jinja) costs milliseconds, while replaying stored bytes costs microseconds. Under
many readers the same pages (the day's feed, popular searches) are asked for again and again.

Correct with several worker processes and with PostgreSQL because nothing is shared and nothing needs to be told:
each process keys its entries by URL (with scheme and host: feeds hold absolute links) and the *data version* --
the store's change counter ``seq``, which every import advances, and today's date (pages like ``/`` move at
midnight) -- read from the store at most every :data:`VERSION_TTL_S` seconds. An import therefore invalidates every
worker's entries within that time; a worker that sees a new version simply stops finding its old keys, and they age
out of the LRU. What changes anonymous pages without advancing ``seq`` -- readers' votes and admin-featured papers
-- is covered by a short entry lifetime, :data:`MAX_AGE_S`: such a change shows to anonymous readers within seconds
(the reader who voted is signed in and bypasses the cache, so sees it at once), while a page read many times a
second is still rendered only once per lifetime, and readers who arrive while that render runs get the previous
copy instead of waiting (it is of the same data version: only such signals can differ).

What is never cached (and passes through untouched):

* requests that carry the session cookie (``op_session``) or an ``Authorization`` header: pages for a signed-in
  reader are personalised;
* anything but GET (HEAD arrives here as GET, rewritten by Guard), ``/static/`` (its own headers), ``/healthz``
  (the load bench's uncached baseline);
* responses that are not 200, that set a cookie, or that say ``private``/``no-store`` (the auth layer marks
  every page that rendered a CSRF token or a viewer-specific part that way), or bodies over
  :data:`MAX_BODY` bytes.

Cached responses get an ``ETag`` (a hash of the body) and ``Cache-Control: no-cache`` (browsers may keep the
page but must ask again; ``If-None-Match`` then gets a bodiless 304), with ``Vary: Cookie, Authorization`` so a
shared cache never hands an anonymous copy to a signed-in reader. ``OPENPAPERS_WEB_CACHE=0``
(``Settings.web.cache``) turns the response store off (ETags and 304s stay), which the load bench uses to measure
uncached pages.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openpapers.accounts.cookies import SESSION_COOKIE, request_cookies

MAX_ENTRIES = 512
MAX_BODY = 1_000_000
VERSION_TTL_S = 1.0  # how stale the data version may be: pages reflect an import within this time
MAX_AGE_S = 10.0  # an entry's lifetime: bounds staleness of what does not advance the store's seq (votes)
_SKIP_PREFIXES = ("/static/", "/healthz")
_VARY = b"Cookie, Authorization"


@dataclass(slots=True)
class Entry:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: bytes
    expires: float  # time.monotonic() after which it is rendered afresh


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value
    return None


def cacheable_request(scope: Scope) -> bool:
    """Anonymous GETs of pages and JSON (see the module docstring for what is left out)."""
    if scope.get("method") != "GET" or scope["path"].startswith(_SKIP_PREFIXES):
        return False
    if _header(scope, b"authorization") is not None:
        return False
    return SESSION_COOKIE not in request_cookies(scope)


def _storable(status: int, headers: list[tuple[bytes, bytes]]) -> bool:
    if status != 200:
        return False
    for key, value in headers:
        low = key.lower()
        if low == b"set-cookie":
            return False
        if low == b"cache-control" and (b"private" in value or b"no-store" in value):
            return False
    return True


def _etag(body: bytes) -> bytes:
    return b'"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"'


def _matches(scope: Scope, etag: bytes) -> bool:
    wanted = _header(scope, b"if-none-match")
    if wanted is None:
        return False
    tags = [t.strip().removeprefix(b"W/") for t in wanted.split(b",")]
    return etag in tags or b"*" in tags


class ResponseCache:
    """ASGI middleware: serve repeated anonymous GETs from memory, answer ``If-None-Match`` with 304."""

    def __init__(self, app: ASGIApp, *, max_entries: int = MAX_ENTRIES, enabled: bool = True) -> None:
        self.app = app
        self.max_entries = max_entries
        self.enabled = enabled  # Settings.web.cache (OPENPAPERS_WEB_CACHE)
        self.entries: OrderedDict[tuple[Any, ...], Entry] = OrderedDict()
        self._version: tuple[Any, ...] | None = None
        self._version_at = float("-inf")
        self._inflight: dict[tuple[Any, ...], asyncio.Future[Entry | None]] = {}
        self.hits = self.misses = 0

    def data_version(self, scope: Scope) -> tuple[Any, ...]:
        """(store seq, search indexes' version, UTC date), re-read at most every VERSION_TTL_S seconds. The
        indexes are committed after the store: a search rendered in between must not be kept as the new data's."""
        now = time.monotonic()
        if self._version is None or now - self._version_at >= VERSION_TTL_S:
            web = getattr(getattr(scope.get("app"), "state", None), "web", None)
            seq = web.store.current_seq() if web is not None else 0
            search = web.search.data_version() if web is not None else ()
            self._version = (seq, search, datetime.now(UTC).date().isoformat())
            self._version_at = now
        return self._version

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not cacheable_request(scope):
            await self.app(scope, receive, send)
            return
        # Scheme and host too: feeds and some links are absolute, built from the request's own address.
        key = (scope["path"], scope.get("query_string", b""), scope.get("scheme", "http"), _header(scope, b"host"),
               self.data_version(scope))
        entry = self.entries.get(key) if self.enabled else None
        if entry is not None and time.monotonic() >= entry.expires:
            if key in self._inflight:  # being rendered afresh for another reader: this one gets the old copy
                self.hits += 1
                await self._replay(scope, send, entry)
                return
            entry = None  # this reader renders it; readers arriving meanwhile get the old copy (above)
        if entry is not None:
            self.entries.move_to_end(key)
            self.hits += 1
            await self._replay(scope, send, entry)
            return
        waiting = self._inflight.get(key) if self.enabled else None
        if waiting is not None:  # the same page is being rendered for another reader: share its result
            shared = await asyncio.shield(waiting)
            if shared is not None:
                self.hits += 1
                await self._replay(scope, send, shared)
                return
        self.misses += 1
        future: asyncio.Future[Entry | None] | None = None
        if self.enabled and waiting is None:
            future = asyncio.get_running_loop().create_future()
            self._inflight[key] = future
        try:
            entry = await self._render(scope, receive, send)
            if entry is not None and self.enabled:
                self.entries[key] = entry
                self.entries.move_to_end(key)
                while len(self.entries) > self.max_entries:
                    self.entries.popitem(last=False)
        finally:
            if future is not None:
                self._inflight.pop(key, None)
                future.set_result(entry if self.enabled else None)

    async def _render(self, scope: Scope, receive: Receive, send: Send) -> Entry | None:
        """Run the app, buffering its answer; send it (or a 304) and return it when it may be stored."""
        start: Message | None = None
        chunks: list[bytes] = []
        passthrough = False

        async def capture(message: Message) -> None:
            nonlocal start, passthrough
            if passthrough:
                await send(message)
                return
            if message["type"] == "http.response.start":
                start = message
                if not _storable(message["status"], list(message.get("headers", []))):
                    passthrough = True
                    await send(message)
                return
            if message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if sum(map(len, chunks)) > MAX_BODY:  # too big to keep: stream the rest as it comes
                    passthrough = True
                    assert start is not None
                    await send(start)
                    await send({"type": "http.response.body", "body": b"".join(chunks),
                                "more_body": message.get("more_body", False)})
                    return
                return
            await send(message)

        await self.app(scope, receive, capture)
        if passthrough or start is None:
            return None
        body = b"".join(chunks)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() not in (b"content-length", b"etag")]
        # Lifetimes spread over [MAX_AGE_S / 2, MAX_AGE_S]: pages first rendered together (a burst of readers)
        # must not all expire, and be rendered again, in the same instant.
        entry = Entry(start["status"], headers, body, _etag(body),
                      time.monotonic() + MAX_AGE_S * (0.5 + 0.5 * random.random()))
        await self._replay(scope, send, entry)
        return entry

    async def _replay(self, scope: Scope, send: Send, entry: Entry) -> None:
        headers = [*entry.headers, (b"etag", entry.etag)]
        if not any(k.lower() == b"cache-control" for k, _ in headers):
            headers.append((b"cache-control", b"no-cache"))
        headers.append((b"vary", _VARY))
        if _matches(scope, entry.etag):
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        headers.append((b"content-length", str(len(entry.body)).encode()))
        await send({"type": "http.response.start", "status": entry.status, "headers": headers})
        await send({"type": "http.response.body", "body": entry.body})
