"""Bench: the web app under concurrent load on loopback, as a reader's browser would hit it.

    python bench/web_load.py                                   # demo corpus (built once in bench/out/web-demo)
    python bench/web_load.py --data-dir ~/big --clients 32 --duration 20
    python bench/web_load.py --target feed=/month/2026-03 --target api=/api/search?q=diffusion

Starts ``openpapers serve`` (``--workers`` processes, 1 by default) on 127.0.0.1 and, for each target in turn, runs
``--clients`` concurrent closed-loop clients for ``--duration`` seconds after a short warm-up. The load generator is
``wrk`` (C, epoll; Debian package ``wrk``) driven by a generated Lua script when it is installed, else an asyncio
generator on httpx (``--driver``): the clients share the CPUs with the server, and httpx spent about as much CPU per
request as the server did, wrk a small fraction of it. Per target it prints requests/s, p50/p95/p99/max latency and
errors (non-200 answers and transport failures), plus the server's RSS before and after the run and its peak.
Targets: p95 ≤ 100 ms and no errors on the feed and search pages.

The baseline in the same run is ``/healthz`` (a store count and a tiny JSON body: the framework's floor), so
the page figures can be read as "so many times the cheapest request" on any machine. The load generator shares
the machine's CPUs with the server (2 cores here), so absolute requests/s are a lower bound; the server's CPU
time per request (``cpu ms/req``, from the server process's own counters) depends much less on what else runs.

``--cache off`` starts the server with ``OPENPAPERS_WEB_CACHE=0`` (no anonymous response cache): run both to
see pages served from the cache and rendered every time; ``search-mix`` rotates 62 distinct queries, so with the
cache on it measures the cache once each query was asked once.

Traffic goes only to 127.0.0.1, is bounded in time, and stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import httpx
import orjson
import psutil

HERE = Path(__file__).resolve().parent
DEFAULT_TARGETS = {
    "baseline": "/healthz",
    "feed": "/",
    "search": "/search?q=neural+operator",
    "search-mix": "/search?q={query}",  # the 62 queries of queries.txt in turn: caches cannot hide the cost
}
QUERIES = HERE / "queries.txt"
P95_TARGET_MS = 100.0


def percentile(samples: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


@dataclass
class Result:
    name: str
    path: str
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    statuses: dict[int, int] = field(default_factory=dict)
    server_cpu_s: float = 0.0  # user+system CPU the server spent during the measured phase
    wrk: dict[str, Any] | None = None  # wrk's summary when it drove the load (latencies in microseconds)

    def row(self) -> dict[str, Any]:
        if self.wrk is not None:
            n, w = self.wrk["requests"], self.wrk
            return {"target": self.name, "path": self.path, "requests": n,
                    "rps": round(n / self.seconds, 1) if self.seconds else 0.0,
                    "p50_ms": round(w["p50"] / 1000, 2), "p95_ms": round(w["p95"] / 1000, 2),
                    "p99_ms": round(w["p99"] / 1000, 2), "max_ms": round(w["max"] / 1000, 2), "errors": self.errors,
                    "cpu_ms_per_req": round(self.server_cpu_s * 1000 / n, 2) if n else float("nan")}
        lat = self.latencies_ms
        return {
            "target": self.name,
            "path": self.path,
            "requests": len(lat),
            "rps": round(len(lat) / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": round(percentile(lat, 50), 2),
            "p95_ms": round(percentile(lat, 95), 2),
            "p99_ms": round(percentile(lat, 99), 2),
            "max_ms": round(max(lat), 2) if lat else float("nan"),
            "errors": self.errors,
            "cpu_ms_per_req": round(self.server_cpu_s * 1000 / len(lat), 2) if lat else float("nan"),
        }


def prepare_demo(data_dir: Path) -> None:
    """The demo corpus with its indexes, built once (vectors too when the semantic side is available)."""
    from openpapers.core.settings import resolve_settings
    from openpapers.papers.demo import load_demo
    from openpapers.papers.store import open_store
    from openpapers.search.service import SearchService

    marker = data_dir / "bench-web-demo.json"
    if marker.exists():
        return
    store = open_store(resolve_settings(data_dir))
    try:
        load_demo(store)
        service = SearchService(store, data_dir)
        try:
            done = service.sync()
            semantic = True
        except Exception as exc:  # no vector module or model: keyword only, hybrid falls back
            print(f"note: semantic index not built ({exc}); search runs keyword-only", file=sys.stderr)
            done = service.sync(semantic=False)
            semantic = False
    finally:
        store.close()
    marker.write_bytes(orjson.dumps({"indexed": done, "semantic": semantic}))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path, port: int, log_path: Path, workers: int,
                 cache: bool = True) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-c", "from openpapers.cli import main, serve; main()", "--data-dir", str(data_dir),
           "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    env = {**os.environ, "OPENPAPERS_WEB_CACHE": "1" if cache else "0"}
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited early:\n{log_path.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not answer /healthz within 60 s")


def family(pid: int) -> list[psutil.Process]:
    """The server process and its workers (``--workers N`` forks them)."""
    proc = psutil.Process(pid)
    return [proc, *proc.children(recursive=True)]


def rss(pid: int) -> int:
    total = 0
    for proc in family(pid):
        with contextlib.suppress(psutil.Error):  # a worker may be exiting
            total += proc.memory_info().rss
    return total


class RssSampler(threading.Thread):
    """Samples the server's RSS (all its processes) every 100 ms to report its peak under load."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, rss(self.pid))
            self.stop.wait(0.1)


def load_queries() -> list[str]:
    lines = QUERIES.read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def cpu_seconds(pid: int) -> float:
    total = 0.0
    for proc in family(pid):
        try:
            t = proc.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


async def load(base: str, result: Result, clients: int, duration: float, warmup: float, server: int) -> None:
    paths = target_paths(result.path)
    turn = iter(range(1 << 62))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10.0) as client:
        async def worker(until: float, record: bool) -> None:
            while time.perf_counter() < until:
                started = time.perf_counter()
                try:
                    r = await client.get(paths[next(turn) % len(paths)])
                    await r.aread()
                    ok = r.status_code == 200
                    if record:
                        result.statuses[r.status_code] = result.statuses.get(r.status_code, 0) + 1
                except httpx.HTTPError:
                    ok = False
                if record:
                    result.latencies_ms.append((time.perf_counter() - started) * 1000)
                    result.errors += 0 if ok else 1

        if warmup > 0:
            until = time.perf_counter() + warmup
            await asyncio.gather(*(worker(until, False) for _ in range(clients)))
        cpu_before = cpu_seconds(server)
        started = time.perf_counter()
        until = started + duration
        await asyncio.gather(*(worker(until, True) for _ in range(clients)))
        result.seconds = time.perf_counter() - started
        result.server_cpu_s = cpu_seconds(server) - cpu_before


WRK_SCRIPT = """
local paths = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests":%%d,"duration_us":%%d,"p50":%%d,"p95":%%d,"p99":%%d,"max":%%d,' ..
    '"connect":%%d,"read":%%d,"write":%%d,"status":%%d,"timeout":%%d}\\n', summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def run_wrk(base: str, result: Result, clients: int, duration: float, warmup: float, server: int) -> None:
    """One target under wrk: a warm-up run, then the measured one; latency percentiles from wrk's own
    histogram (microsecond resolution), errors = transport failures + answers with status >= 400."""
    paths = target_paths(result.path)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_SCRIPT % ", ".join(_lua_string(p) for p in paths))
    threads = str(min(2, clients))

    def wrk(seconds: float) -> dict[str, Any]:
        cmd = ["wrk", "-t", threads, "-c", str(clients), "-d", f"{max(1, round(seconds))}s", "--timeout", "10s",
               "-s", f.name, base + paths[0]]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        line = next(ln for ln in out.splitlines() if ln.startswith("WRKJSON "))
        return orjson.loads(line[len("WRKJSON "):])

    try:
        if warmup > 0:
            wrk(warmup)
        cpu_before = cpu_seconds(server)
        data = wrk(duration)
        result.server_cpu_s = cpu_seconds(server) - cpu_before
    finally:
        os.unlink(f.name)
    result.seconds = data["duration_us"] / 1e6
    result.wrk = data
    result.errors = sum(data[k] for k in ("connect", "read", "write", "status", "timeout"))


def target_paths(path: str) -> list[str]:
    return [path.replace("{query}", quote_plus(q)) for q in load_queries()] if "{query}" in path else [path]


def print_table(rows: list[dict[str, Any]], rss: dict[str, float], clients: int, duration: float,
                workers: int, driver: str = "httpx", cache: bool = True, load_start: float | None = None) -> None:
    print(f"web load: {clients} clients x {duration:g} s per target, {workers} server worker(s), load generator "
          f"{driver}, response cache {'on' if cache else 'off'}; {os.cpu_count()} CPUs, load average "
          f"{load_start if load_start is not None else float('nan'):.2f} at start, {os.getloadavg()[0]:.2f} at end")
    head = f"{'target':<10} {'path':<34} {'req':>7} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} " \
           f"{'max ms':>8} {'errors':>6} {'cpu ms/req':>10}"
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['target']:<10} {r['path'][:34]:<34} {r['requests']:>7} {r['rps']:>8.1f} {r['p50_ms']:>8.2f} "
              f"{r['p95_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['max_ms']:>8.2f} {r['errors']:>6} "
              f"{r['cpu_ms_per_req']:>10.2f}")
    base = next((r for r in rows if r["target"] == "baseline"), None)
    if base and base["p50_ms"] > 0:
        ratios = ", ".join(f"{r['target']} {r['p95_ms'] / base['p95_ms']:.1f}x" for r in rows if r is not base)
        print(f"p95 as a multiple of the same-run /healthz baseline p95: {ratios}")
    print(f"server RSS: before {rss['before_mib']:.1f} MiB, after {rss['after_mib']:.1f} MiB, "
          f"peak {rss['peak_mib']:.1f} MiB")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", type=Path, help="data dir to serve (default: the demo corpus in bench/out)")
    ap.add_argument("--clients", type=int, default=10, help="concurrent clients (default 10)")
    ap.add_argument("--duration", type=float, default=10.0, help="seconds of measured load per target")
    ap.add_argument("--workers", type=int, default=1, help="server processes (openpapers serve --workers)")
    ap.add_argument("--warmup", type=float, default=2.0, help="seconds of unmeasured load before each target")
    ap.add_argument("--target", action="append", default=[], metavar="NAME=PATH",
                    help="replace the default targets (baseline, feed, search, search-mix); {query} in a "
                         "path cycles through bench/queries.txt")
    ap.add_argument("--json", type=Path, help="also write the results as JSON here")
    ap.add_argument("--driver", choices=("auto", "wrk", "httpx"), default="auto",
                    help="load generator: wrk when installed (auto), or the asyncio/httpx one")
    ap.add_argument("--cache", choices=("on", "off"), default="on",
                    help="the server's anonymous response cache (off: every request renders)")
    args = ap.parse_args(argv)
    driver = ("wrk" if shutil.which("wrk") else "httpx") if args.driver == "auto" else args.driver
    if driver == "wrk" and not shutil.which("wrk"):
        ap.error("--driver wrk: wrk is not installed (Debian: apt-get install wrk)")
    load_start = os.getloadavg()[0]
    if args.clients < 1 or args.duration <= 0 or args.duration > 600:
        ap.error("--clients must be ≥ 1 and --duration in (0, 600]")
    targets = dict(t.split("=", 1) for t in args.target) if args.target else DEFAULT_TARGETS

    data_dir = args.data_dir
    if data_dir is None:
        data_dir = HERE / "out" / "web-demo"
        prepare_demo(data_dir)
    port = free_port()
    log_path = Path(tempfile.mkstemp(prefix="web-load-", suffix=".log")[1])
    server = start_server(data_dir, port, log_path, args.workers, cache=args.cache == "on")
    sampler = RssSampler(server.pid)
    try:
        rss_before = rss(server.pid)
        sampler.start()
        results = []
        for name, path in targets.items():
            result = Result(name, path)
            if driver == "wrk":
                run_wrk(f"http://127.0.0.1:{port}", result, args.clients, args.duration, args.warmup, server.pid)
            else:
                asyncio.run(load(f"http://127.0.0.1:{port}", result, args.clients, args.duration, args.warmup,
                                 server.pid))
            results.append(result)
        rss_after = rss(server.pid)
    finally:
        sampler.stop.set()
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    rows = [r.row() for r in results]
    rss_mib = {"before_mib": rss_before / 2**20, "after_mib": rss_after / 2**20,
           "peak_mib": max(sampler.peak, rss_after) / 2**20}
    print_table(rows, rss_mib, args.clients, args.duration, args.workers, driver, args.cache == "on", load_start)
    failed = [r for r in rows if r["target"] != "baseline" and (r["errors"] or r["p95_ms"] > P95_TARGET_MS)]
    for r in failed:
        print(f"MISSED TARGET: {r['target']} p95 {r['p95_ms']} ms (≤ {P95_TARGET_MS:g}), errors {r['errors']}")
    for res in results:
        if res.errors:
            print(f"{res.name}: statuses {res.statuses}")
    if args.json:
        args.json.write_bytes(orjson.dumps({"clients": args.clients, "duration_s": args.duration, "rows": rows,
                                            "workers": args.workers, "rss": rss_mib, "driver": driver,
                                            "cache": args.cache, "load_start": load_start,
                                            "data_dir": str(data_dir)}, option=orjson.OPT_INDENT_2))
    log_path.unlink(missing_ok=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
