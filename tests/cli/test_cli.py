"""The ``openpapers`` command: a temporary data dir, the real seed pages, a real HTTP server on 127.0.0.1.

Errors, the environment and the entry point are checked the way a user meets them, through a subprocess of the
installed ``openpapers`` script: exit code 2, one line that names the file and line, never a traceback.
``COLUMNS`` is removed from its environment so it renders at the narrow default width, where line wrapping
would split long paths. Successful commands run in-process through Typer's CliRunner on the same ``app``,
which saves the second of start-up each subprocess costs.

Every test runs on SQLite and on PostgreSQL (tests/conftest.py): ``backend_db`` exports this test's database as
``OPENPAPERS_DATABASE_URL`` (or unsets it: the data dir's own file), and both the subprocesses and the
in-process commands get that environment. A data set of its own (the module's seeded store) is passed around as
its :class:`Settings`, whose database every command on it is pointed at.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import bibtexparser
import orjson
import pytest
from typer.testing import CliRunner

from helpers.seeds import seeds_dir as shared_seeds
from openpapers.cli import app
from openpapers.core.settings import Settings

OPENPAPERS = Path(sys.executable).parent / "openpapers"
SEED_CAPTURES = {  # file → capture date, as in shared/seeds/README.md (author page: 2026)
    "000_e02ea1ad3dd5f609.txt": "2026-11-22",
    "001_cddcb56b08f07435.txt": "2025-12-11",
    "002_422bd766d6ab3f8d.txt": "2025-12-11",
}
EXPORT_KEYS = {"id", "arxiv_id", "title", "authors", "authors_complete", "author_count", "abstract", "categories",
               "published", "has_code", "code_urls", "orgs", "upvotes"}
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

pytestmark = pytest.mark.usefixtures("backend_db", "no_sqlite_file")


def seeds_dir() -> Path:
    return shared_seeds(SEED_CAPTURES)


Data = Path | Settings  # a data dir on this test's database, or a data set with a database of its own


def data_dir_of(data: Data) -> Path:
    return data.data_dir if isinstance(data, Settings) else data


def database_env(data: Data | None) -> dict[str, str]:
    """The environment that points a command at ``data``'s database: a data set's own, else none (this test's,
    already in the environment)."""
    return {"OPENPAPERS_DATABASE_URL": data.database_url} if isinstance(data, Settings) else {}


def base_env(**extra: str) -> dict[str, str]:
    """The environment for a subprocess: ours (with this test's ``OPENPAPERS_DATABASE_URL``, if any) without the
    data dir and the terminal size."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENPAPERS_DATA_DIR", "COLUMNS", "LINES")}
    env.update(extra)
    return env


def op(data: Data | None, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    head = [str(OPENPAPERS)] + (["--data-dir", str(data_dir_of(data))] if data is not None else [])
    return subprocess.run([*head, *args], capture_output=True, text=True, env=env or base_env(**database_env(data)),
                          timeout=120)


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"exit {result.returncode}\nstdout: {result.stdout[-2000:]}\n" \
                                   f"stderr: {result.stderr[-2000:]}"
    assert "Traceback" not in result.stderr
    return result


def run(data: Data, *args: str) -> Any:
    """``openpapers --data-dir DIR ARGS`` in-process, on ``data``'s database; must succeed. Returns Click's
    Result (stdout, stderr)."""
    env: dict[str, str | None] = {"OPENPAPERS_DATA_DIR": None, **database_env(data)}
    result = CliRunner().invoke(app, ["--data-dir", str(data_dir_of(data)), *args], env=env, catch_exceptions=False)
    assert result.exit_code == 0, f"exit {result.exit_code}\nstdout: {result.stdout[-2000:]}\n" \
                                  f"stderr: {result.stderr[-2000:]}"
    return result


def stats(data: Data) -> dict[str, Any]:
    return orjson.loads(run(data, "stats", "--json").stdout_bytes)


def export_lines(data: Data) -> list[bytes]:
    return run(data, "export", "--format", "jsonl").stdout_bytes.splitlines()


def error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert result.returncode == 2, f"exit {result.returncode}\nstderr: {result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr
    return [ln for ln in result.stderr.splitlines() if ln.startswith("error:")]


def import_seeds(data: Data) -> None:
    seeds = seeds_dir()
    for name, captured in SEED_CAPTURES.items():
        run(data, "import", "listing", str(seeds / name), "--captured", captured, "-q")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, backend: Any) -> Iterator[Settings]:
    """A data set holding the three seed pages, each imported with its own capture date, built once per module
    and backend (its own database on PostgreSQL). Read-only for tests."""
    settings = backend.settings(tmp_path_factory.mktemp("seeded"))
    import_seeds(settings)
    yield settings
    if backend.is_postgres:
        backend.drop(settings.database_url)


@pytest.fixture(scope="module")
def seeded_export(seeded: Settings) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in export_lines(seeded)]


# -- listing import and export ----------------------------------------------------------------------------------


def test_export_jsonl_has_the_documented_shape(seeded: Settings, seeded_export: list[dict[str, Any]]) -> None:
    assert len(seeded_export) == stats(seeded)["papers"] > 300
    for row in seeded_export:
        assert row.keys() >= EXPORT_KEYS, EXPORT_KEYS - row.keys()
        assert isinstance(row["id"], str) and row["id"]
        assert isinstance(row["title"], str) and row["title"]
        assert isinstance(row["authors"], list) and all(isinstance(a, str) and a for a in row["authors"])
        assert isinstance(row["authors_complete"], bool)
        assert row["author_count"] is None or (isinstance(row["author_count"], int) and row["author_count"] > 0)
        assert isinstance(row["categories"], list) and all(isinstance(c, str) for c in row["categories"])
        assert row["published"] is None or ISO_DAY.match(row["published"]), row["published"]
        assert isinstance(row["has_code"], bool)
        assert isinstance(row["code_urls"], list) and isinstance(row["orgs"], list)
        assert row["upvotes"] is None or isinstance(row["upvotes"], int)
    assert len({row["id"] for row in seeded_export}) == len(seeded_export)


def by_title(rows: list[dict[str, Any]], prefix: str) -> dict[str, Any]:
    found = [r for r in rows if r["title"].startswith(prefix)]
    assert len(found) == 1, (prefix, [r["title"] for r in found])
    return found[0]


def test_known_seed_papers(seeded_export: list[dict[str, Any]]) -> None:
    mc = by_title(seeded_export, "Monte Carlo Neural PDE Solver for Learning PDEs via Probabilistic Representation")
    assert mc["authors"][:3] == ["Rui Zhang", "Qi Meng", "Rongchan Zhu"]
    assert mc["authors_complete"] is False  # the page shows three names, then "et al."
    assert mc["has_code"] is True
    assert mc["categories"] == ["cs.LG"]
    assert mc["published"] == "2023-02-10"
    assert mc["abstract"].startswith("In scenarios with limited available data")

    dual = by_title(seeded_export, "DualFast: Dual-Speedup Framework for Fast Sampling of Diffusion Models")
    assert dual["author_count"] == 4
    assert dual["published"] == "2025-06-15"  # "Jun 15" on a page captured in December 2025

    dpm = by_title(seeded_export, "DPM-Solver-v3: Improved Diffusion ODE Solver with Empirical Model Statistics")
    assert (dpm["upvotes"], dpm["published"]) == (2, "2023-10-20")


def test_reimporting_the_same_files_changes_no_counts(tmp_path: Path) -> None:
    seeds = seeds_dir()
    files = [str(seeds / name) for name in SEED_CAPTURES]
    ok(op(tmp_path, "import", "listing", *files, "--captured", "2025-12-11", "-q"))  # the real entry point
    first = orjson.loads(ok(op(tmp_path, "stats", "--json")).stdout)
    again = run(tmp_path, "import", "listing", *files, "--captured", "2025-12-11")
    assert "0 new papers" in again.stderr
    second = stats(tmp_path)
    assert first["papers"] > 300
    for key in ("papers", "claims", "authors", "orgs", "categories", "merged_aliases", "claims_by_source"):
        assert second[key] == first[key], key


def test_export_bibtex_parses_back_with_one_entry_per_paper(seeded: Settings, tmp_path: Path) -> None:
    out = tmp_path / "papers.bib"
    run(seeded, "export", "--format", "bibtex", "--out", str(out))
    library = bibtexparser.parse_string(out.read_text(encoding="utf-8"))
    assert library.failed_blocks == []
    keys = [entry.key for entry in library.entries]
    assert len(keys) == stats(seeded)["papers"]
    assert len(set(keys)) == len(keys)
    titles = {entry["title"].strip("{}"): entry for entry in library.entries}
    mc = titles["Monte Carlo Neural PDE Solver for Learning PDEs via Probabilistic Representation"]
    assert mc["year"] == "2023"
    assert mc["author"] == "Rui Zhang and Qi Meng and Rongchan Zhu and others"


def test_unknown_export_format_is_refused(seeded: Settings) -> None:
    result = op(seeded, "export", "--format", "csv")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--format" in result.stderr


# -- demo ---------------------------------------------------------------------------------------------------------


def test_import_demo_is_idempotent(tmp_path: Path) -> None:
    run(tmp_path, "import", "demo")
    first = stats(tmp_path)
    assert first["papers"] > 300 and first["claims_by_source"].keys() == {"listing"}
    run(tmp_path, "import", "demo", "-q")
    assert stats(tmp_path) == first


def test_demo_holds_exactly_what_importing_the_seeds_gives(seeded: Settings, tmp_path: Path) -> None:
    run(tmp_path, "import", "demo", "-q")
    assert sorted(export_lines(tmp_path)) == sorted(export_lines(seeded))


@pytest.mark.sqlite_only  # the data dir picks the database only on SQLite (its file); PostgreSQL's is the URL's
def test_data_dir_comes_from_the_environment(tmp_path: Path) -> None:
    env = base_env(OPENPAPERS_DATA_DIR=str(tmp_path / "from-env"))
    ok(op(None, "import", "demo", "-q", env=env))
    assert (tmp_path / "from-env" / "openpapers.db").is_file()
    assert stats(tmp_path / "from-env")["papers"] > 300
    # The flag wins over the environment.
    flagged = orjson.loads(ok(op(tmp_path / "from-flag", "stats", "--json", env=env)).stdout)
    assert flagged["papers"] == 0 and str(tmp_path / "from-flag") in flagged["store"]


# -- errors -------------------------------------------------------------------------------------------------------

AUTHOR_PAGE_WITH_BAD_DATE = """\
LGFeb 10, 2023Code
A Good First Entry About Neural OperatorsRui Zhang, Qi Meng, Zhi-Ming Ma
The first entry is fine.
LGFeb 12, 2023
A Good Second Entry On Operator LearningQi Meng, Wei Chen et al.
The second entry is fine too.
LGFeb 30, 2023
An Entry With An Impossible DateQi Meng, Yue Wang
The date above does not exist.
MLMay 8, 2018
The Last Good Entry Of This Small PageLi He, Qi Meng, Wei Chen et al.
Its abstract.
"""


def long_dir(tmp_path: Path) -> Path:
    """A deep directory, so that a message naming a file is longer than an 80-column terminal."""
    path = tmp_path / ("input-files-with-a-rather-long-directory-name-" * 2) / "nested"
    path.mkdir(parents=True)
    return path


@pytest.mark.parametrize("command", ["listing", "arxiv-snapshot", "hf-daily"])
def test_missing_file_is_one_clear_line(tmp_path: Path, command: str) -> None:
    missing = long_dir(tmp_path) / "no-such-file.txt"
    lines = error_lines(op(tmp_path / "data", "import", command, str(missing)))
    assert len(lines) == 1, lines
    assert str(missing) in lines[0]


def test_bad_captured_date_is_refused(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text(AUTHOR_PAGE_WITH_BAD_DATE)
    result = op(tmp_path / "data", "import", "listing", str(page), "--captured", "2025-02-30")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "--captured" in result.stderr and "YYYY-MM-DD" in result.stderr
    assert stats(tmp_path / "data")["papers"] == 0


def test_bad_listing_entry_stops_with_file_and_line(tmp_path: Path) -> None:
    page = long_dir(tmp_path) / "author-page.txt"
    page.write_text(AUTHOR_PAGE_WITH_BAD_DATE)
    lines = error_lines(op(tmp_path / "data", "import", "listing", str(page), "--captured", "2025-12-11"))
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: {page}:7: [")
    assert stats(tmp_path / "data")["papers"] == 0  # the page is one unit: nothing of it is written


def test_skip_bad_imports_the_rest_and_reports_what_was_skipped(tmp_path: Path) -> None:
    page = long_dir(tmp_path) / "author-page.txt"
    page.write_text(AUTHOR_PAGE_WITH_BAD_DATE)
    result = ok(op(tmp_path / "data", "import", "listing", str(page), "--captured", "2025-12-11", "--skip-bad"))
    skipped = [ln.strip() for ln in result.stderr.splitlines() if ln.strip().startswith("skipped")]
    assert len(skipped) == 1 and skipped[0].startswith(f"skipped {page}:7:"), result.stderr
    assert "1 skipped" in result.stderr
    assert stats(tmp_path / "data")["papers"] == 3
    log = orjson.loads(run(tmp_path / "data", "imports").stdout_bytes)  # the import log, as JSON
    assert log[0]["skipped"] == 1 and log[0]["detail"]["errors"][0]["line"] == 7


def test_bad_snapshot_line_names_file_line_and_field(tmp_path: Path) -> None:
    snap = long_dir(tmp_path) / "snapshot.json"
    good = {"id": "0704.0001", "title": "A fine title for a fine paper", "authors": "A. B",
            "versions": [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}], "categories": "hep-ph"}
    snap.write_bytes(orjson.dumps(good) + b"\n" + orjson.dumps({**good, "id": "0704.0002", "title": ""}) + b"\n")
    lines = error_lines(op(tmp_path / "data", "import", "arxiv-snapshot", str(snap)))
    assert lines == [f"error: {snap}:2: [title] missing title"]


# -- Hugging Face daily papers ------------------------------------------------------------------------------------


def hf_item(arxiv_id: str, title: str, **paper: Any) -> dict[str, Any]:
    return {
        "paper": {"id": arxiv_id, "title": title, "summary": f"Abstract of {title}.",
                  "authors": [{"_id": "a1", "name": "Ada Example", "hidden": False},
                              {"_id": "a2", "name": "Bo Sample", "hidden": False}],
                  "publishedAt": "2024-05-06T17:59:59.000Z", "submittedOnDailyAt": "2024-05-07T01:00:00.000Z",
                  "upvotes": 17, "discussionId": "d1", **paper},
        "publishedAt": "2024-05-07T06:00:00.000Z", "title": title, "numComments": 3,
        "thumbnail": "https://example.org/t.png",
    }


def test_import_hf_daily(tmp_path: Path) -> None:
    daily = tmp_path / "daily_papers.json"
    items = [hf_item("2405.01234", "Tiny Models That Reason", githubRepo="https://github.com/example/tiny",
                     organization={"name": "example-lab", "fullname": "Example Lab"}),
             hf_item("2405.05678", "Another Daily Paper", upvotes=3)]
    daily.write_bytes(orjson.dumps(items, option=orjson.OPT_INDENT_2))
    run(tmp_path / "data", "import", "hf-daily", str(daily), "--observed", "2024-05-08", "-q")
    rows = {r["arxiv_id"]: r for r in map(orjson.loads, export_lines(tmp_path / "data"))}
    assert rows.keys() == {"2405.01234", "2405.05678"}
    tiny = rows["2405.01234"]
    assert tiny["title"] == "Tiny Models That Reason"
    assert (tiny["authors"], tiny["authors_complete"]) == (["Ada Example", "Bo Sample"], True)
    assert (tiny["has_code"], tiny["code_urls"]) == (True, ["https://github.com/example/tiny"])
    assert tiny["orgs"] == ["example-lab"]
    assert (tiny["published"], tiny["featured_on"], tiny["upvotes"]) == ("2024-05-06", "2024-05-07", 17)
    assert rows["2405.05678"]["has_code"] is False
    assert stats(tmp_path / "data")["claims_by_source"] == {"hf-daily": 2}


# -- harvesting from a loopback arXiv API -------------------------------------------------------------------------

ATOM = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"
      xmlns:arxiv="http://arxiv.org/schemas/atom">
  <title type="html">ArXiv Query: search_query=x</title>
  <id>http://arxiv.org/api/test</id>
  <updated>2024-03-05T00:00:00-05:00</updated>
  <opensearch:totalResults>2</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
  <opensearch:itemsPerPage>2</opensearch:itemsPerPage>
  <entry>
    <id>http://arxiv.org/abs/2402.00001v2</id>
    <updated>2024-02-20T10:00:00Z</updated>
    <published>2024-02-01T09:00:00Z</published>
    <title>Loopback Harvesting of
  Synthetic Papers</title>
    <summary>We harvest a feed served on 127.0.0.1.</summary>
    <author><name>Ada Example</name></author>
    <author><name>Bo Sample</name></author>
    <arxiv:primary_category term="cs.DL" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.DL" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.IR" scheme="http://arxiv.org/schemas/atom"/>
  </entry>
  <entry>
    <id>http://arxiv.org/abs/2402.00002v1</id>
    <updated>2024-02-02T09:00:00Z</updated>
    <published>2024-02-02T09:00:00Z</published>
    <title>A Second Harvested Paper</title>
    <summary>Short.</summary>
    <author><name>Cy Test</name></author>
    <arxiv:primary_category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
  </entry>
</feed>
"""


class ApiServer:
    """A tiny arXiv-API look-alike on 127.0.0.1 that records the query of every request."""

    def __init__(self) -> None:
        self.queries: list[dict[str, list[str]]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                owner.queries.append(parse_qs(parts.query))
                body = ATOM.encode() if parts.path == "/api/query" else b"not found"
                self.send_response(200 if parts.path == "/api/query" else 404)
                self.send_header("Content-Type", "application/atom+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/query"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def api_server() -> Iterator[ApiServer]:
    server = ApiServer()
    try:
        yield server
    finally:
        server.close()


def test_harvest_arxiv_api_from_a_loopback_server(tmp_path: Path, api_server: ApiServer) -> None:
    run(tmp_path, "harvest", "arxiv", "--via", "api", "--base-url", api_server.url, "--interval", "0.1",
        "--query", "x", "-q")
    assert len(api_server.queries) == 1
    assert api_server.queries[0]["search_query"] == ["x"]
    rows = {r["arxiv_id"]: r for r in map(orjson.loads, export_lines(tmp_path))}
    assert rows.keys() == {"2402.00001", "2402.00002"}
    first = rows["2402.00001"]
    assert first["title"] == "Loopback Harvesting of Synthetic Papers"
    assert first["authors"] == ["Ada Example", "Bo Sample"]
    assert first["categories"] == ["cs.DL", "cs.IR"]
    assert (first["published"], first["updated"]) == ("2024-02-01", "2024-02-20")
    assert stats(tmp_path)["claims_by_source"] == {"arxiv-api": 2}


def test_harvest_refuses_an_impolite_interval_against_arxiv(tmp_path: Path) -> None:
    result = op(tmp_path, "harvest", "arxiv", "--via", "api", "--query", "x", "--interval", "0.5")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "--interval" in result.stderr and "3 seconds" in result.stderr
    assert stats(tmp_path)["papers"] == 0


def test_dates_in_seed_export_are_plausible(seeded_export: list[dict[str, Any]]) -> None:
    """Year-less dates resolve to the capture year or the one before, never into the future of the capture."""
    days = [date.fromisoformat(r["published"]) for r in seeded_export if r["published"]]
    assert days and max(days) <= date(2026, 11, 22)


def test_imports_keep_both_indexes_current(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An import makes its papers searchable at once: keyword fully, embeddings up to the configured number."""
    monkeypatch.setenv("OPENPAPERS_EMBED_ON_IMPORT", "100")
    seeds = seeds_dir()
    run(tmp_path, "import", "listing", str(seeds / "000_e02ea1ad3dd5f609.txt"), "--captured", "2026-11-22")
    for mode in ("keyword", "semantic", "hybrid"):
        result = run(tmp_path, "search", "Monte Carlo neural PDE solver", "--mode", mode, "--json", "--limit", "3")
        hits = orjson.loads(result.stdout)
        assert "Monte Carlo Neural PDE Solver" in hits[0]["title"], (mode, hits)
    similar = orjson.loads(run(tmp_path, "similar", hits[0]["id"], "--json", "--limit", "3").stdout)
    assert similar and all(h["id"] != hits[0]["id"] for h in similar)
