"""The digest bench runs end to end at a tiny size (so the script cannot rot) and reports every phase."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_digest_bench_smoke(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(BENCH / "digests.py"), "--users", "30", "--papers", "40",
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "users 30: 30 digests" in out and "server received 30" in out, out
    for phase in ("TOTAL", "build", "compose", "outbox writes", "send", "baseline: 30 tiny", "load average"):
        assert phase in out, out


def test_crash_bench_smoke(tmp_path: Path) -> None:
    """A tiny campaign (20 users, 3 kills) through the bench's own entry point: it prints the figures and exits 0."""
    done = subprocess.run([sys.executable, str(BENCH / "crash_digests.py"), "--users", "20", "--kills", "3",
                           "--jobs", "1", "--seed", "7", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    for figure in ("users due 18", "users served 18", "missing 0", "failed 0", "resends", "1 campaigns, 0 broke"):
        assert figure in done.stdout, done.stdout
