"""`openpapers serve --workers 2`: several processes answer, and stopping the server stops them all."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx
import psutil
import pytest

from helpers.servekit import server


@pytest.mark.slow
def test_serve_with_two_workers(data_dir: Path, serve_env: dict[str, str], tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    with server(data_dir, serve_env, log, "--workers", "2", stop=signal.SIGINT) as (base, proc):
        children = psutil.Process(proc.pid).children(recursive=True)
        assert len([c for c in children if "multiprocessing" in " ".join(c.cmdline())]) >= 2
        assert httpx.get(base + "/day/2025-12-11").status_code == 200
        assert httpx.get(base + "/api/search", params={"q": "operator", "mode": "keyword"}).json()["total"] > 0
    assert b"serving" in log.read_bytes()
    _, alive = psutil.wait_procs(children, timeout=10)
    assert not alive, f"workers left running: {alive}"
