"""A real ``openpapers serve`` in a child process on a free loopback port, for tests that need the whole server
(browser tests, several workers, shutdown): started, waited for until ``/healthz`` answers, always stopped."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
