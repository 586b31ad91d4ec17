"""``OPENPAPERS_KEYWORD_INDEX=local`` on PostgreSQL: keyword search from tantivy files under each host's data dir,
kept current from the shared database.

Two "hosts" are two data dirs on one database: a paper imported and synced on one is found on the other once
its files catch up (the web cache asks about once a second), with no command run on the second host; the
database's own search rows stay maintained (pgvector's filters read them).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers.searchdata import paper
from openpapers.core.errors import OpenPapersError
from openpapers.core.settings import resolve_settings
from openpapers.papers.store import Store, open_store
from openpapers.search.backends.pgfts import PgKeywordIndex
from openpapers.search.retrievers import HostKeywordIndex, keyword_retriever
from openpapers.search.service import SearchService


@pytest.fixture
def store(tmp_path: Path, backend: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    if not backend.is_postgres:
        pytest.skip("a choice for PostgreSQL stores (SQLite always uses the data dir's files)")
    monkeypatch.setenv("OPENPAPERS_KEYWORD_INDEX", "local")
    s = open_store(resolve_settings(tmp_path))
    s.apply([paper(i) for i in range(60)])
    yield s
    s.close()


def ids(service: SearchService, query: str) -> set[str]:
    return {h.paper_id for h in service.search(query, mode="keyword", limit=100).hits}


def test_local_index_serves_keywords_and_keeps_the_database_rows(store: Store, tmp_path: Path) -> None:
    service = SearchService(store, tmp_path / "host-a")
    assert isinstance(service.keyword, HostKeywordIndex)
    assert service.sync(semantic=False)["keyword"] == 60
    assert (tmp_path / "host-a" / "index" / "keyword").is_dir()
    assert PgKeywordIndex(store).count() == 60  # the database's rows too
    assert ids(service, "topic") and ids(service, "topic") == {h.paper_id for h in PgKeywordIndex(store).search(
        "topic", limit=100)[0]}


def test_another_host_catches_up_without_a_command(store: Store, tmp_path: Path) -> None:
    a = SearchService(store, tmp_path / "host-a")
    b = SearchService(store, tmp_path / "host-b")
    a.sync(semantic=False)
    assert not b.keyword.built() and ids(b, "topic") == ids(a, "topic")  # answered by the database meanwhile
    b.data_version()  # host b's web cache looks: its files are empty, so it starts syncing them
    deadline = time.monotonic() + 30
    while not b.keyword.built():
        assert time.monotonic() < deadline, "host b never caught up"
        time.sleep(0.1)
        b.data_version()
    store.apply([paper(500, title="Quokkaflux estimators for sparse problems")])
    a.sync(semantic=False)  # the importing host syncs its own files (and the database rows)
    assert ids(a, "quokkaflux") == {"2401.00500"}
    deadline = time.monotonic() + 30
    # the new paper becomes searchable at the files' commit; the high-water mark is written right after it
    while ids(b, "quokkaflux") != {"2401.00500"} or b.keyword.last_seq != store.current_seq():
        assert time.monotonic() < deadline, "host b never saw the new paper"
        time.sleep(0.1)
        b.data_version()
    assert b.keyword.catch_up() is False  # up to date: nothing started


def test_a_bad_setting_is_a_clear_error(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENPAPERS_KEYWORD_INDEX", "tantivy")
    with pytest.raises(OpenPapersError, match="OPENPAPERS_KEYWORD_INDEX must be 'database' or 'local'"):
        keyword_retriever(store, tmp_path)


def test_the_same_database_by_another_url_keeps_its_files(store: Store, tmp_path: Path) -> None:
    """The files are tied to the database's own id, not its URL: a new port, host name or password (here: an
    extra connection option) must not cost a full rebuild."""
    SearchService(store, tmp_path / "host").sync(semantic=False)
    other = open_store(resolve_settings(tmp_path, database_url=store.url + "?application_name=elsewhere"))
    try:
        again = SearchService(other, tmp_path / "host")
        assert again.keyword.built()
        assert again.keyword.sync(other) == 0  # nothing to redo
        assert "2401.00007" in ids(again, "number 7")
    finally:
        other.close()
