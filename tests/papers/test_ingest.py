"""run_import against a real store: idempotent re-imports, stopping at bad input, skipping it, resuming.

Every test runs on SQLite and on PostgreSQL (tests/conftest.py). The store is opened exactly as the CLI opens it
(``open_store(resolve_settings(dir))``, the database from ``OPENPAPERS_DATABASE_URL`` or the data dir's file),
and states are checked with plain SQL counts as well as through the store, so a bug that the store's own readers
hide still shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import orjson
import pytest

from helpers.plainsql import plain_sql
from helpers.snapshotdata import snapshot_line
from openpapers.core.settings import resolve_settings
from openpapers.papers.ingest import BadInput, run_import
from openpapers.papers.store import Store, open_store
from openpapers.sources.arxiv_snapshot import ArxivSnapshotSource

N = 23
PAGE = 5

pytestmark = pytest.mark.usefixtures("no_sqlite_file")


def write_snapshot(path: Path, n: int = N, bad: dict[int, bytes] | None = None) -> Path:
    bad = bad or {}
    path.write_bytes(b"".join(bad.get(i, snapshot_line(i)) for i in range(1, n + 1)))
    return path


@pytest.fixture
def make_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend_db: str | None, database_for: Any
) -> Iterator[Any]:
    """``make(name)`` opens the store of data dir ``tmp_path / name`` the way the CLI does. The first uses this
    test's database (``backend_db``); on PostgreSQL every further one gets a database of its own, exported as
    ``OPENPAPERS_DATABASE_URL`` just before it is opened (on SQLite each data dir has its own file)."""
    opened: list[Store] = []

    def make(name: str = "data") -> Store:
        if backend_db is not None and opened:
            monkeypatch.setenv("OPENPAPERS_DATABASE_URL", database_for(tmp_path / name))
        store = open_store(resolve_settings(tmp_path / name))
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


def db_counts(store: Store) -> dict[str, int]:
    """Counts read with plain SQL from the database ``store`` is open on (not through the store)."""
    with plain_sql(store.url) as conn:  # type: ignore[attr-defined]

        def one(sql: str) -> int:
            return int(conn.exec_driver_sql(sql).scalar_one())

        return {
            "papers": one("SELECT count(*) FROM papers"),
            "claims": one("SELECT count(*) FROM claims"),
            "distinct_keys": one("SELECT count(DISTINCT source_key) FROM claims"),
            "orphans": one("SELECT count(*) FROM claims c WHERE NOT EXISTS "
                           "(SELECT 1 FROM papers p WHERE p.id = c.paper_id)"),
        }


def exported(store: Store) -> list[bytes]:
    return sorted(orjson.dumps(p.to_export()) for p in store.iter_papers())


def test_importing_twice_creates_no_duplicates(tmp_path: Path, make_store: Any) -> None:
    snap = write_snapshot(tmp_path / "snap.jsonl")
    store = make_store()
    first = run_import(store, ArxivSnapshotSource(snap, page_size=PAGE))
    assert (first.records, first.created, first.updated, first.skipped) == (N, N, 0, [])
    assert first.resumed_from is None
    before = exported(store)

    second = run_import(store, ArxivSnapshotSource(snap, page_size=PAGE))
    assert second.resumed_from is None  # a finished import starts afresh, it does not "resume" past the end
    assert (second.records, second.created, second.updated) == (N, 0, N)
    assert store.count_papers() == N
    stats = store.stats()
    assert stats["papers"] == stats["claims"] == N
    assert stats["claims_by_source"] == {"arxiv-snapshot": N}
    assert db_counts(store) == {"papers": N, "claims": N, "distinct_keys": N, "orphans": 0}
    assert exported(store) == before


def test_imported_papers_carry_the_snapshot_fields(tmp_path: Path, make_store: Any) -> None:
    store = make_store()
    run_import(store, ArxivSnapshotSource(write_snapshot(tmp_path / "snap.jsonl"), page_size=PAGE))
    paper = store.get_paper("arXiv:2101.00007v2")
    assert paper is not None
    assert paper.id == paper.arxiv_id == "2101.00007"
    assert paper.authors == ["Ada Example", "Bo Sample", "Cy Test Jr"]
    assert paper.categories == ["cs.LG", "stat.ML"]
    assert paper.withdrawn is True
    assert paper.published is not None and paper.published.isoformat() == "2021-01-04"
    assert paper.updated is not None and paper.updated.isoformat() == "2021-02-08"


def test_bad_line_stops_before_its_page_and_names_it(tmp_path: Path, make_store: Any) -> None:
    bad_line = 13  # on the third page (lines 11-15)
    snap = write_snapshot(tmp_path / "snap.jsonl", bad={bad_line: snapshot_line(bad_line, title=None)})
    store = make_store()
    source = ArxivSnapshotSource(snap, page_size=PAGE)
    with pytest.raises(BadInput) as info:
        run_import(store, source)
    exc = info.value
    assert (exc.file, exc.line, exc.field) == (str(snap), bad_line, "title")
    assert f"{snap}:{bad_line}" in str(exc)
    assert exc.imported == 10

    # Exactly the two pages before the bad one are stored; nothing of the bad page (lines 11, 12 are good).
    ids = sorted(p.arxiv_id for p in store.iter_papers())
    assert ids == [f"2101.{i:05d}" for i in range(1, 11)]
    assert db_counts(store)["claims"] == 10
    assert store.get_checkpoint(source.checkpoint_key) == {"offset": len(b"".join(
        snapshot_line(i) for i in range(1, 11))), "line": 10}
    log = store.imports()[0]
    assert log["finished_at"] is not None and log["records"] == 10


def test_bad_input_then_skip_bad_resumes_after_the_stored_pages(tmp_path: Path, make_store: Any) -> None:
    snap = write_snapshot(tmp_path / "snap.jsonl", bad={13: b"{not json\n"})
    store = make_store()
    with pytest.raises(BadInput):
        run_import(store, ArxivSnapshotSource(snap, page_size=PAGE))
    report = run_import(store, ArxivSnapshotSource(snap, page_size=PAGE), skip_bad=True)
    assert report.resumed_from is not None and report.resumed_from["line"] == 10
    assert report.records == N - 10 - 1
    assert store.count_papers() == N - 1


def test_skip_bad_imports_the_rest_and_logs_what_was_skipped(tmp_path: Path, make_store: Any) -> None:
    bad = {
        4: b'{"id": "2101.00004", "title": "trunc\n',
        12: snapshot_line(12, id="no-such-id"),
        13: snapshot_line(13, versions=[{"version": "v1", "created": "yesterday"}]),
        23: b"[1, 2, 3]\n",
    }
    snap = write_snapshot(tmp_path / "snap.jsonl", bad=bad)
    store = make_store()
    report = run_import(store, ArxivSnapshotSource(snap, page_size=PAGE), skip_bad=True)
    assert report.records == N - len(bad)
    assert [(e.line, e.field) for e in report.skipped] == [(4, "json"), (12, "id"), (13, "versions"), (23, "json")]
    assert sorted(p.arxiv_id for p in store.iter_papers()) == [
        f"2101.{i:05d}" for i in range(1, N + 1) if i not in bad]

    log = store.imports()[0]
    assert log["skipped"] == len(bad) and log["records"] == N - len(bad)
    logged = log["detail"]["errors"]
    assert [(e["file"], e["line"], e["field"]) for e in logged] == [(str(snap), n, f) for n, f in
                                                                    [(4, "json"), (12, "id"), (13, "versions"),
                                                                     (23, "json")]]
    assert all(e["message"] for e in logged)


def test_checkpoint_resume_continues_and_ends_like_a_clean_import(tmp_path: Path, make_store: Any) -> None:
    snap = write_snapshot(tmp_path / "snap.jsonl")
    clean = make_store("clean")
    run_import(clean, ArxivSnapshotSource(snap, page_size=PAGE))

    store = make_store("interrupted")
    source = ArxivSnapshotSource(snap, page_size=PAGE)
    # An interrupted run: two pages committed with their checkpoints, then the process died.
    last_state: dict[str, Any] = {}
    for page in islice(source.pages(), 2):
        store.apply(page.records, checkpoint=(source.checkpoint_key, page.state))
        last_state = page.state
    assert store.count_papers() == 2 * PAGE

    seen: list[tuple[int, dict[str, Any]]] = []
    report = run_import(store, ArxivSnapshotSource(snap, page_size=PAGE), progress=lambda n, s: seen.append((n, s)))
    assert report.resumed_from == last_state
    assert report.records == N - 2 * PAGE
    assert report.created == N - 2 * PAGE
    assert [n for n, _ in seen] == [5, 10, 13]
    assert seen[-1][1].get("done") is True
    assert store.get_checkpoint(source.checkpoint_key) == seen[-1][1]
    assert db_counts(store) == db_counts(clean)
    assert exported(store) == exported(clean)


def test_a_page_redone_after_a_kill_writes_nothing_twice(tmp_path: Path, make_store: Any) -> None:
    """A kill between commit and checkpoint cannot happen (one transaction), but a page applied without its
    checkpoint (the older state is what a resumed run sees) must still be harmless to redo."""
    snap = write_snapshot(tmp_path / "snap.jsonl")
    store = make_store()
    source = ArxivSnapshotSource(snap, page_size=PAGE)
    pages = list(islice(source.pages(), 2))
    store.apply(pages[0].records, checkpoint=(source.checkpoint_key, pages[0].state))
    store.apply(pages[1].records)  # committed, checkpoint still says page 1
    report = run_import(store, ArxivSnapshotSource(snap, page_size=PAGE))
    assert report.resumed_from == pages[0].state
    assert db_counts(store) == {"papers": N, "claims": N, "distinct_keys": N, "orphans": 0}


def test_checkpoint_of_another_file_is_not_used(tmp_path: Path, make_store: Any) -> None:
    a = write_snapshot(tmp_path / "a.jsonl")
    b = write_snapshot(tmp_path / "b.jsonl", n=7)
    store = make_store()
    src_a = ArxivSnapshotSource(a, page_size=PAGE)
    first = next(iter(src_a.pages()))
    store.apply(first.records, checkpoint=(src_a.checkpoint_key, first.state))
    report = run_import(store, ArxivSnapshotSource(b, page_size=PAGE))
    assert report.resumed_from is None
    assert report.records == 7
