"""Several worker processes on one store hold no state of their own that breaks correctness.

A real ``openpapers serve --workers 2`` on a writable store (SQLite, then PostgreSQL). Every request opens a new
connection and many run at once, so the kernel hands them to both workers; the access log's ``pid`` says which
one answered, and each test checks that both did. A session opened on one worker is valid on the other, a CSRF
token issued by one is accepted by the other, a logout on one ends the session everywhere, and an import is
seen by every worker's response cache within seconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from helpers.accountkit import PASSWORD, confirm_path, csrf_from
from helpers.servekit import server
from helpers.snapshotdata import snapshot_line
from helpers.webdata import writable_store

pytestmark = pytest.mark.slow
WORD = "quokkaflux"  # in no demo paper: the search for it is empty until the import below
NEW_PAPER = snapshot_line(99991, title=f"The {WORD} estimator for sparse problems",
                          abstract=f"We introduce the {WORD} estimator.")  # one line of an arXiv snapshot


class OwnConnection(httpx.BaseTransport):
    """A new connection pool per request, read to the end and closed before the answer is returned. The tests
    send bursts from eight threads through one client (one cookie jar); a shared pool with keep-alive off closed
    connections under other threads' reads now and then (``EBADF``), which was the pool, not the server."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with httpx.HTTPTransport() as transport:
            response = transport.handle_request(request)
            try:
                raw = b"".join(response.iter_raw())  # as sent: the client decodes it, once
            finally:
                response.close()
        return httpx.Response(response.status_code, headers=response.headers, stream=httpx.ByteStream(raw),
                              extensions=response.extensions, request=request)


@dataclass
class Served:
    base: str
    log: Path
    env: dict[str, str]
    data: Path

    def client(self) -> httpx.Client:
        """Every request is a new connection, which either worker may accept (see :class:`OwnConnection`)."""
        return httpx.Client(base_url=self.base, follow_redirects=False, timeout=30, transport=OwnConnection())

    def pids(self, path: str, since: int) -> set[int]:
        """The workers that answered ``path`` (every path under it, if it ends with a slash), from the access log
        lines after byte ``since``."""
        lines = self.log.read_bytes()[since:].splitlines()
        found = set()
        for line in lines:
            if line.startswith(b"{"):
                entry = orjson.loads(line)
                got = entry.get("path", "")
                if (got == path or (path.endswith("/") and got.startswith(path))) and "pid" in entry:
                    found.add(entry["pid"])
        return found

    def mark(self) -> int:
        return self.log.stat().st_size


@pytest.fixture(scope="module")
def served(backend: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data = tmp_path_factory.mktemp("workers")
    settings = writable_store(backend, data)
    env = {**os.environ, "OPENPAPERS_DATABASE_URL": settings.database_url, "OPENPAPERS_ACCOUNT_MAIL": "log"}
    env.pop("OPENPAPERS_WEB_CACHE", None)  # the response cache on, as deployed
    log = data / "serve.log"
    with server(data, env, log, "--workers", "2", stop=signal.SIGINT) as (base, _):
        yield Served(base, log, env, data)


def on_both_workers(served: Served, path: str, call: Callable[[], httpx.Response],
                    check: Callable[[httpx.Response], None], *, rounds: int = 10, burst: int = 16) -> None:
    """Run ``call`` in concurrent bursts until both workers have answered ``path``; every answer must pass
    ``check``."""
    since = served.mark()
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(rounds):
            for response in pool.map(lambda _: call(), range(burst)):
                check(response)
            if len(served.pids(path, since)) >= 2:
                return
    pytest.fail(f"only workers {served.pids(path, since)} answered {path} in {rounds * burst} requests")


def sign_up(served: Served, client: httpx.Client, email: str) -> str:
    """Sign up through the forms and the confirmation link the server logged (each request may land on another
    worker); returns the session's CSRF token as a page shows it."""
    token = csrf_from(client.get("/signup").text)
    since = served.mark()
    r = client.post("/signup", data={"email": email, "password": PASSWORD, "display_name": "",
                                     "csrf_token": token})
    assert r.status_code == 200 and "Check your inbox" in r.text, r.text
    deadline = time.monotonic() + 10  # the mail is logged by a background task, just after the answer
    while "/signup/confirm/" not in (logged := served.log.read_bytes()[since:].decode()):
        assert time.monotonic() < deadline, "no confirmation link logged"
        time.sleep(0.05)
    path = confirm_path(logged)
    r = client.post(path, data={"csrf_token": csrf_from(client.get(path).text)})
    assert r.status_code == 303, r.text
    settings = client.get("/settings")
    assert settings.status_code == 200
    return csrf_from(settings.text)


def test_sessions_and_csrf_tokens_are_valid_on_every_worker(served: Served) -> None:
    with served.client() as client:
        token = sign_up(served, client, "workers@example.org")
        ids = [hit["paper"]["id"] for hit in
               client.get("/api/search", params={"q": "operator", "mode": "keyword"}).json()["results"]][:8]
        assert len(ids) >= 4

        def me_ok(r: httpx.Response) -> None:
            assert r.status_code == 200 and r.json()["email"] == "workers@example.org", r.text

        on_both_workers(served, "/api/me", lambda: client.get("/api/me"), me_ok)

        def vote_ok(r: httpx.Response) -> None:
            assert r.status_code == 200 and r.json()["voted"] is True, r.text

        counter = iter(range(10**6))
        on_both_workers(served, "/api/me/votes/",
                        lambda: client.post(f"/api/me/votes/{ids[next(counter) % len(ids)]}",
                                            headers={"X-CSRF-Token": token}), vote_ok)
        counts = client.get("/api/me").json()["counts"]
        assert counts["votes"] == len(ids), counts  # one vote per paper, however many workers took them


def test_signed_out_session_is_refused_by_every_worker(served: Served) -> None:
    with served.client() as client:
        token = sign_up(served, client, "leaver@example.org")
        cookie = client.cookies.get("op_session")
        assert cookie
        assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    with served.client() as replay:
        replay.cookies.set("op_session", cookie)

        def refused(r: httpx.Response) -> None:
            assert r.status_code == 401, r.text

        on_both_workers(served, "/api/me", lambda: replay.get("/api/me"), refused)


def test_an_import_reaches_every_workers_response_cache(served: Served, tmp_path: Path) -> None:
    with served.client() as client:
        def search() -> httpx.Response:
            return client.get("/api/search", params={"q": WORD, "mode": "keyword"})

        def empty(r: httpx.Response) -> None:
            assert r.status_code == 200 and r.json()["total"] == 0

        on_both_workers(served, "/api/search", search, empty)  # both workers now hold the empty answer
        papers = client.get("/healthz").json()["papers"]

        snapshot = tmp_path / "one.jsonl"
        snapshot.write_bytes(NEW_PAPER)
        subprocess.run([sys.executable, "-c", "from openpapers.cli import main; main()", "--data-dir",
                        str(served.data), "import", "arxiv-snapshot", str(snapshot), "-q"], env=served.env,
                       check=True, capture_output=True)
        imported = time.monotonic()

        # The cache re-reads the store's data version at most once a second: within a few seconds every worker
        # answers with the new paper, and none goes back to the stale answer.
        while True:
            since = served.mark()
            with ThreadPoolExecutor(max_workers=8) as pool:
                totals = [r.json()["total"] for r in pool.map(lambda _: search(), range(16))]
            if all(t == 1 for t in totals) and len(served.pids("/api/search", since)) >= 2:
                break
            assert time.monotonic() - imported < 10, f"workers still answer {totals} 10 s after the import"
            time.sleep(0.3)
        assert time.monotonic() - imported < 5

        def found(r: httpx.Response) -> None:
            assert r.status_code == 200 and r.json()["total"] == 1

        on_both_workers(served, "/api/search", search, found)

        def counted(r: httpx.Response) -> None:  # /healthz counts once per store change, never a stale count
            assert r.status_code == 200 and r.json()["papers"] == papers + 1

        on_both_workers(served, "/healthz", lambda: client.get("/healthz"), counted)


def test_local_keyword_files_catch_up_with_an_import_made_on_another_host(backend: Any, tmp_path: Path) -> None:
    """OPENPAPERS_KEYWORD_INDEX=local: the serving host's tantivy files learn of a paper imported by another
    host (another data dir, same database) without any command run on the serving host."""
    if not backend.is_postgres:
        pytest.skip("a choice for PostgreSQL stores")
    settings = writable_store(backend, tmp_path / "host-a")
    env = {**os.environ, "OPENPAPERS_DATABASE_URL": settings.database_url, "OPENPAPERS_KEYWORD_INDEX": "local"}
    state = tmp_path / "host-a" / "index" / "keyword.state.json"

    def files_seq() -> int:
        try:
            return int(orjson.loads(state.read_bytes()).get("last_seq") or 0)
        except (FileNotFoundError, ValueError):
            return 0

    with (server(tmp_path / "host-a", env, tmp_path / "serve.log", "--workers", "2", stop=signal.SIGINT) as (base, _),
          httpx.Client(base_url=base, timeout=30) as client):
        def total(q: str) -> int:
            return int(client.get("/api/search", params={"q": q, "mode": "keyword"}).json()["total"])

        assert total("operator") > 0  # from the database at first, then from the files once built
        deadline = time.monotonic() + 60
        while files_seq() == 0:
            assert time.monotonic() < deadline, "the serving host never built its keyword files"
            time.sleep(0.2)
            total("operator")
        built = files_seq()
        snapshot = tmp_path / "one.jsonl"
        snapshot.write_bytes(NEW_PAPER)
        subprocess.run([sys.executable, "-c", "from openpapers.cli import main; main()", "--data-dir",
                        str(tmp_path / "host-b"), "import", "arxiv-snapshot", str(snapshot), "-q"], env=env,
                       check=True, capture_output=True)
        deadline = time.monotonic() + 20
        while total(WORD) != 1:
            assert time.monotonic() < deadline, "the serving host's files never caught up with the import"
            time.sleep(0.3)
    assert files_seq() > built  # found through host a's own files, synced by its server
