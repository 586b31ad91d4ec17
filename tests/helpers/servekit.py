"""A real ``openpapers serve`` in a child process on a free loopback port, for tests that need the whole server
(browser tests, several workers, shutdown): started, waited for until ``/healthz`` answers, always stopped."""

from __future__ import annotations

import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(data_dir: Path, env: dict[str, str], log: Path, *extra: str, stop: int = signal.SIGTERM,
           start_s: float = 60) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Yields (base URL, process); output goes to ``log``. The serve module is imported explicitly, so this works
    whether or not the CLI package lists it. Stopped with ``stop`` (SIGINT: as Ctrl-C would)."""
    cmd = [sys.executable, "-c", "from openpapers.cli import main, serve; main()",
           "--data-dir", str(data_dir), "serve", "--host", "127.0.0.1", "--port", str(free_port()), *extra]
    port = cmd[cmd.index("--port") + 1]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_s
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"openpapers serve did not start:\n{log.read_text()[-4000:]}")
            time.sleep(0.1)
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(stop)
        proc.wait(timeout=30)


@contextmanager
def serving(data_dir: Path, env: dict[str, str], log: Path, *extra: str) -> Iterator[str]:
    """Just the base URL of :func:`server`."""
    with server(data_dir, env, log, *extra) as (base, _):
        yield base


@dataclass
class RawAnswer:
    """What :func:`post_streaming` saw: the status line's code, when it came, and how much body had gone out."""

    status: int
    seconds: float
    sent: int


def post_streaming(base: str, path: str, size: int, *, chunked: bool = False, headers: dict[str, str] | None = None,
                   wrap: tuple[bytes, bytes] = (b"", b""), piece: int = 64 * 1024, timeout: float = 60
                   ) -> RawAnswer:
    """POST ``size`` bytes to a server on loopback over a plain socket, watching for the answer between pieces.

    httpx writes the whole body before it reads, so it cannot show a server that answers early (and it fails
    with a broken pipe when the server then closes). This sends the body piece by piece (with Content-Length,
    or chunked), stops as soon as a response arrives or the server stops reading, and reports when that was.
    The body is ``wrap[0]``, then ``0`` digits, then ``wrap[1]``: ``size`` bytes in all (a JSON string field
    makes the server parse it all, as a real oversized request would).
    """
    host, port = base.removeprefix("http://").split(":")
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", "Content-Type: application/json",
             "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}",
             *(f"{k}: {v}" for k, v in (headers or {}).items())]
    head_part, tail_part = wrap
    started = time.perf_counter()
    sent = 0
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        while sent < size:
            if select.select([sock], [], [], 0)[0]:
                break  # the server has answered (or closed): stop sending
            n = min(piece, size - sent)
            data = (head_part if sent == 0 else b"") + b"0" * (n - (len(head_part) if sent == 0 else 0))
            if sent + n == size:
                data = data[: len(data) - len(tail_part)] + tail_part
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(data)
        else:
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        head = b""
        try:
            while b"\r\n" not in head:
                more = sock.recv(4096)
                if not more:
                    break
                head += more
        except ConnectionResetError:
            pass
        seconds = time.perf_counter() - started
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
    return RawAnswer(status, seconds, sent)
