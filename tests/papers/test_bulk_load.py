"""The bulk path for an empty store must build exactly the store the normal path builds.

One snapshot with what makes the normal path's per-page dedup and merge matter: the same arXiv id again in the
same page and pages later (with more versions), different papers with one title, titles too short to key, old-
style ids, a bad line; imported once by ``run_import`` and once by ``bulk_import`` (two parsing processes), the
stores are compared table by table with plain SQL (claims in id order, papers with their ``seq``, link and key
tables), not only through the store's readers. Runs on SQLite and PostgreSQL (tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers.plainsql import plain_sql
from helpers.snapshotdata import snapshot_line
from openpapers.core.settings import resolve_settings
from openpapers.papers.bulk_load import DEFERRED_INDEXES, bulk_import, import_source, wants_bulk
from openpapers.papers.ingest import BadInput, run_import
from openpapers.papers.store import Store, open_store
from openpapers.sources.arxiv_snapshot import ArxivSnapshotSource

PAGE = 40
N = 400

pytestmark = pytest.mark.usefixtures("no_sqlite_file")


def tricky_snapshot(path: Path) -> Path:
    """N lines over N / PAGE pages, with duplicates, title clashes and one bad line (line 123)."""
    lines: list[bytes] = []
    for i in range(1, N + 1):
        if i == 123:
            lines.append(b'{"id": "2101.99999", "title": 5}\n')
        elif i % 50 == 7 and i > 50:  # an earlier page's paper again, now with a third version
            j = i - 45
            lines.append(snapshot_line(j, versions=[
                {"version": "v1", "created": "Mon, 4 Jan 2021 10:00:00 GMT"},
                {"version": "v2", "created": "Tue, 5 Jan 2021 10:00:00 GMT"},
                {"version": "v3", "created": f"Wed, {1 + i % 27} Mar 2021 10:00:00 GMT"}],
                update_date="2021-03-28", abstract=f"  Revised method {j}.\n"))
        elif i % 50 == 9:  # the same id twice in one page: the later line wins
            lines.append(snapshot_line(i - 1, title=f"A corrected title for the synthetic method {i - 1}"))
        elif i % 30 == 11:  # a title another paper (pages earlier or later) also has
            lines.append(snapshot_line(i, title="On the convergence of synthetic method number 3 for sparse "
                                                 "problems"))
        elif i % 60 == 13:  # too short to be a dedup key; the ids still differ
            lines.append(snapshot_line(i, title="Introduction"))
        elif i % 97 == 0:
            lines.append(snapshot_line(i, id=f"hep-th/0{i:06d}", title=f"Old-style paper {i} about strings"))
        else:
            lines.append(snapshot_line(i))
    path.write_bytes(b"".join(lines))
    return path


@pytest.fixture
def make_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend_db: str | None,
               database_for: Any) -> Iterator[Any]:
    """``make(name)`` opens the store of data dir ``tmp_path / name`` as the CLI does; on PostgreSQL each
    further store gets a database of its own."""
    opened: list[Store] = []

    def make(name: str) -> Store:
        if backend_db is not None and opened:
            monkeypatch.setenv("OPENPAPERS_DATABASE_URL", database_for(tmp_path / name))
        store = open_store(resolve_settings(tmp_path / name))
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


TABLES = {
    "claims": "SELECT id, source, source_key, paper_id, observed, data FROM claims ORDER BY id",
    "papers": "SELECT * FROM papers ORDER BY id",
    "paper_authors": "SELECT * FROM paper_authors ORDER BY paper_id, position",
    "authors": "SELECT * FROM authors ORDER BY id",
    "paper_categories": "SELECT * FROM paper_categories ORDER BY paper_id, category",
    "paper_orgs": "SELECT * FROM paper_orgs ORDER BY paper_id, org_id",
    "paper_keys": "SELECT * FROM paper_keys ORDER BY kind, value, paper_id",
    "paper_aliases": "SELECT * FROM paper_aliases ORDER BY alias",
    "counters": "SELECT * FROM counters ORDER BY name",
    "checkpoints": "SELECT key, state FROM checkpoints ORDER BY key",
}


def dump(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    with plain_sql(store.url) as conn:  # type: ignore[attr-defined]
        return {name: [tuple(r) for r in conn.exec_driver_sql(sql)] for name, sql in TABLES.items()}


def index_names(store: Store) -> set[str]:
    with plain_sql(store.url) as conn:  # type: ignore[attr-defined]
        if conn.dialect.name == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE type = 'index'"
        else:
            sql = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
        return {r[0] for r in conn.exec_driver_sql(sql)}


def test_bulk_path_builds_the_store_the_normal_path_builds(tmp_path: Path, make_store: Any) -> None:
    snap = tricky_snapshot(tmp_path / "snap.jsonl")
    normal, bulk = make_store("normal"), make_store("bulk")
    # The file names the checkpoint; both stores import the very same file.
    ref = run_import(normal, ArxivSnapshotSource(snap, page_size=PAGE), skip_bad=True)
    got = bulk_import(bulk, ArxivSnapshotSource(snap, page_size=PAGE), skip_bad=True, workers=2)
    assert ref.updated > 0 and ref.created < N - 1  # the data exercises re-merges of stored papers
    assert (got.records, got.created, got.updated, got.merged) == (ref.records, ref.created, ref.updated,
                                                                  ref.merged)
    assert [e.to_json() for e in got.skipped] == [e.to_json() for e in ref.skipped]
    assert len(got.skipped) == 1 and got.skipped[0].line == 123
    expected, actual = dump(normal), dump(bulk)
    for table in TABLES:
        assert actual[table] == expected[table], table
    assert set(DEFERRED_INDEXES) <= index_names(bulk)  # rebuilt after the load
    if not bulk.url.startswith("postgresql"):
        with plain_sql(bulk.url) as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"


def test_bulk_path_stops_at_a_bad_line_like_the_normal_path(tmp_path: Path, make_store: Any) -> None:
    snap = tricky_snapshot(tmp_path / "snap.jsonl")
    normal, bulk = make_store("normal"), make_store("bulk")
    with pytest.raises(BadInput) as ref:
        run_import(normal, ArxivSnapshotSource(snap, page_size=PAGE))
    with pytest.raises(BadInput) as got:
        bulk_import(bulk, ArxivSnapshotSource(snap, page_size=PAGE), workers=2)
    assert (got.value.line, got.value.field, got.value.imported) == (ref.value.line, ref.value.field,
                                                                     ref.value.imported)
    assert dump(bulk)["papers"] == dump(normal)["papers"]
    # The store sits at the page before the bad line; a resumed import (skipping it) finishes on the bulk path.
    assert wants_bulk(bulk, ArxivSnapshotSource(snap, page_size=PAGE))
    import_source(bulk, ArxivSnapshotSource(snap, page_size=PAGE), skip_bad=True)
    run_import(normal, ArxivSnapshotSource(snap, page_size=PAGE), skip_bad=True)
    expected, actual = dump(normal), dump(bulk)
    for table in TABLES:
        assert actual[table] == expected[table], table
    assert set(DEFERRED_INDEXES) <= index_names(bulk)


def test_bulk_path_is_only_for_an_empty_store(tmp_path: Path, make_store: Any) -> None:
    snap = tricky_snapshot(tmp_path / "snap.jsonl")
    store = make_store("data")
    source = ArxivSnapshotSource(snap, page_size=PAGE)
    assert not wants_bulk(store, source)  # too small for it unless asked
    assert wants_bulk(store, source, bulk=True)
    assert not wants_bulk(store, source, bulk=False)
    run_import(store, source, skip_bad=True)
    other = tmp_path / "more.jsonl"
    other.write_bytes(snapshot_line(1000))
    assert not wants_bulk(store, ArxivSnapshotSource(other), bulk=True)  # a store with papers: incremental
