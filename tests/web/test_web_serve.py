"""`openpapers serve --workers 2`: several processes answer, and stopping the server stops them all."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest


@pytest.mark.slow
def test_serve_with_two_workers(data_dir: Path, serve_env: dict[str, str]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-c", "from openpapers.cli import main, serve; main()", "--data-dir", str(data_dir),
           "serve", "--port", str(port), "--workers", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=serve_env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        children = psutil.Process(proc.pid).children(recursive=True)
        assert len([c for c in children if "multiprocessing" in " ".join(c.cmdline())]) >= 2
        assert httpx.get(base + "/day/2025-12-11").status_code == 200
        assert httpx.get(base + "/api/search", params={"q": "operator", "mode": "keyword"}).json()["total"] > 0
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert b"serving" in out
    _, alive = psutil.wait_procs(children, timeout=10)
    assert not alive, f"workers left running: {alive}"
