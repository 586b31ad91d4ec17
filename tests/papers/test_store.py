"""The SQL store on real SQLite and PostgreSQL: dedup, merge across batches, aliases, atomic batches, migrations."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import DatabaseError

from openpapers.core.errors import StoreError
from openpapers.core.records import PaperRecord
from openpapers.core.settings import resolve_settings
from openpapers.papers.store import Store, open_store

# Every test here runs on SQLite and on PostgreSQL (see tests/conftest.py).
pytestmark = pytest.mark.usefixtures("backend_db")

TITLE = "Monte Carlo Neural PDE Solver for Learning PDEs via Probabilistic Representation"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = open_store(resolve_settings(tmp_path))
    yield s
    s.close()


def page_claim(key: str = "aaa#t", **kw: object) -> PaperRecord:
    base = dict(
        source="listing",
        source_key=key,
        observed=date(2026, 1, 1),
        title=TITLE,
        authors=["Rui Zhang", "Qi Meng", "Rongchan Zhu"],
        categories=["cs.LG"],
        has_code=True,
    )
    base.update(kw)
    return PaperRecord(**base)  # type: ignore[arg-type]


def api_claim(arxiv_id: str = "2301.00001", **kw: object) -> PaperRecord:
    base = dict(
        source="arxiv-api",
        source_key=arxiv_id,
        observed=date(2026, 2, 1),
        arxiv_id=arxiv_id + "v2",
        title=TITLE.upper(),
        authors=["Rui Zhang", "Qi Meng", "Rongchan Zhu", "Zhi-Ming Ma"],
        authors_complete=True,
        abstract="Abstract.",
        published=date(2023, 2, 10),
    )
    base.update(kw)
    return PaperRecord(**base)  # type: ignore[arg-type]


def dump(store: Store) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, through the store's own engine (either backend)."""
    engine = store.engine
    out: dict[str, list[tuple[object, ...]]] = {}
    with engine.connect() as conn:
        for table in sorted(inspect(conn).get_table_names()):
            rows = conn.exec_driver_sql(f"SELECT * FROM {table}").fetchall()
            out[table] = sorted((tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in rows),
                                key=repr)
    return out


def test_same_paper_from_two_sources_is_one_record(store: Store) -> None:
    first = store.apply([page_claim()])
    second = store.apply([api_claim()])
    assert first.created == 1 and second.created == 0 and second.updated == 1
    assert store.count_papers() == 1
    paper = store.get_paper("arXiv:2301.00001v1")
    assert paper is not None and paper.id == first.paper_ids[0]
    assert paper.arxiv_id == "2301.00001"
    assert paper.authors_complete and paper.authors[-1] == "Zhi-Ming Ma"
    assert paper.has_code  # from the listing page; nothing is lost
    assert sorted(paper.sources) == ["arxiv-api", "listing"]
    assert {c.source for c in store.claims_for(paper.id)} == {"arxiv-api", "listing"}


def test_reapplying_a_batch_changes_nothing(store: Store) -> None:
    batch = [page_claim(), api_claim(), api_claim("2301.00002", title="Another paper entirely, long title")]
    store.apply(batch)
    before = dump(store)
    store.apply(batch)
    after = dump(store)
    before.pop("counters"), after.pop("counters")
    for rows in (before["papers"], after["papers"]):
        rows[:] = [r[:-1] for r in rows]  # seq bumps on every write, by design
    for rows in (before["claims"], after["claims"]):
        rows[:] = sorted(r[1:] for r in rows)  # a replaced claim gets a new row id; its content must not change
    assert before == after


def test_title_match_never_joins_two_arxiv_ids(store: Store) -> None:
    store.apply([api_claim("2301.00001"), api_claim("2301.00002")])  # same title, two papers (e.g. erratum)
    assert store.count_papers() == 2
    store.apply([page_claim()])  # a title-only claim joins one of them, never merges the two
    assert store.count_papers() == 2
    assert store.stats()["claims"] == 3


def test_late_arxiv_id_merges_title_only_papers_and_keeps_alias(store: Store) -> None:
    a = store.apply([page_claim("p1#t")]).paper_ids[0]
    store.apply([api_claim()])
    assert store.count_papers() == 1
    assert store.get_paper(a) is not None and store.get_paper("2301.00001").id == a


def test_in_batch_duplicates_collapse(store: Store) -> None:
    res = store.apply([page_claim("p1#t"), page_claim("p2#t", upvotes=4), api_claim()])
    assert res.created == 1 and store.count_papers() == 1 and store.stats()["claims"] == 3
    assert store.get_paper(res.paper_ids[0]).upvotes == 4


def test_short_generic_titles_do_not_merge(store: Store) -> None:
    store.apply([page_claim("p1#t", title="Introduction"), page_claim("p2#t", title="Introduction", authors=["X Y"])])
    assert store.count_papers() == 2
    ids = {p.id for p in store.iter_papers()}
    assert len(ids) == 2


def _add_failing_trigger(store: Store) -> None:
    """A real failure in the middle of the write: papers and claims are inserted, then author links fail."""
    with store.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(
                "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'boom'; END $$")
            conn.exec_driver_sql(
                "CREATE TRIGGER boom BEFORE INSERT ON paper_authors FOR EACH ROW "
                "WHEN (NEW.author_id = 'mallory-x') EXECUTE FUNCTION boom()")
        else:
            conn.exec_driver_sql(
                "CREATE TRIGGER boom BEFORE INSERT ON paper_authors WHEN NEW.author_id = 'mallory-x' "
                "BEGIN SELECT RAISE(ABORT, 'boom'); END")


def test_failed_batch_leaves_store_exactly_as_it_was(store: Store) -> None:
    store.apply([page_claim()])
    before = dump(store)
    _add_failing_trigger(store)
    with pytest.raises(DatabaseError):
        store.apply(
            [api_claim(), api_claim("2301.09999", title="A different and long paper title", authors=["Mallory X"])],
            checkpoint=("k", {"offset": 9}),
        )
    after = dump(store)
    assert {k: v for k, v in after.items()} == before
    assert store.get_checkpoint("k") is None


def test_iter_papers_after_seq_gives_only_changes(store: Store) -> None:
    store.apply([page_claim()])
    seq = 1  # the first write's sequence number
    store.apply([api_claim("2301.00002", title="Second paper with a long enough title")])
    changed = [p.title for p in store.iter_papers(after_seq=seq)]
    assert changed == ["Second paper with a long enough title"]


def test_papers_by_author_and_author_entity(store: Store) -> None:
    store.apply(
        [
            api_claim(),
            api_claim("2301.00002", title="Second paper with a long enough title", published=date(2024, 1, 1)),
        ]
    )
    info = store.get_author("qi-meng")
    assert info is not None and info.name == "Qi Meng" and info.paper_count == 2
    assert [p.arxiv_id for p in store.papers_by_author("qi-meng")] == ["2301.00002", "2301.00001"]


def test_schema_newer_than_code_is_refused(tmp_path: Path) -> None:
    s = open_store(resolve_settings(tmp_path))
    with s.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_future'")
    s.close()
    with pytest.raises(StoreError, match="newer"):
        Store(resolve_settings(tmp_path).database_url)


@pytest.mark.sqlite_only
def test_sqlite_file_is_wal(store: Store, tmp_path: Path) -> None:
    store.apply([page_claim()])
    con = sqlite3.connect(tmp_path / "openpapers.db")
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()
