"""A real HTTP server on 127.0.0.1 for the network-source tests (tests/sources, and the harvest commands).

Each test installs a handler (a function from the recorded request to a :class:`Reply`); the server records
every request it sees (path, query, arrival time on the monotonic clock, client port, headers) so tests can
check what the client asked for and how the requests were spaced. HTTP/1.1 keep-alive is on, so a test can
also see whether the client reused its single connection. The ``server`` and ``client`` fixtures are in
tests/sources/conftest.py.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Hit:
    """One request as the server saw it."""

    path: str
    query: dict[str, list[str]]
    time: float
    client_port: int
    headers: dict[str, str]

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class Reply:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/xml; charset=utf-8"


class LoopbackServer:
    """Owns the server thread; ``handler`` decides the replies, ``hits`` records the requests.

    ``Reply`` is exposed as an attribute so test modules need not import this conftest by name.
    """

    Reply = Reply

    def __init__(self) -> None:
        self.hits: list[Hit] = []
        self.handler: Callable[[Hit], Reply] = lambda hit: Reply(404, "no handler installed")
        owner = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                hit = Hit(parts.path, parse_qs(parts.query, keep_blank_values=True), time.monotonic(),
                          self.client_address[1], {k.lower(): v for k, v in self.headers.items()})
                owner.hits.append(hit)
                reply = owner.handler(hit)
                body = reply.body.encode() if isinstance(reply.body, str) else reply.body
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(body)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # keep test output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def replies(self, *replies: Reply) -> None:
        """Answer with these replies in order; the last one repeats."""
        queue = list(replies)

        def handler(hit: Hit) -> Reply:
            return queue.pop(0) if len(queue) > 1 else queue[0]

        self.handler = handler

    def gaps(self) -> list[float]:
        """Seconds between consecutive request arrivals."""
        return [b.time - a.time for a, b in zip(self.hits, self.hits[1:], strict=False)]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
