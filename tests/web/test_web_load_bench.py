"""bench/web_load.py still runs end to end (a second of load per target, on the tests' data dir) and prints its
table: benchmark scripts are imported by nothing else, so only this notices when they rot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "web_load.py"


@pytest.mark.slow
def test_web_load_bench_runs_and_reports(data_dir: Path, serve_env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "load.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--data-dir", str(data_dir), "--clients", "2", "--duration", "0.5",
         "--warmup", "0.2", "--target", "feed=/day/2025-12-11", "--target", "search=/search?q={query}&mode=keyword",
         "--json", str(out)],
        capture_output=True, text=True, timeout=120, env=serve_env,
    )
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr  # 1 = a latency target missed on a busy machine
    assert "p95 ms" in proc.stdout and "server RSS: before" in proc.stdout
    result = orjson.loads(out.read_bytes())
    rows = {r["target"]: r for r in result["rows"]}
    assert set(rows) == {"feed", "search"}
    assert all(r["requests"] > 0 and r["errors"] == 0 and r["cpu_ms_per_req"] > 0 for r in rows.values())
    assert result["rss"]["after_mib"] > 10
