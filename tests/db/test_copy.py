"""``openpapers db copy``: a SQLite store moved to the backend under test (PostgreSQL, or another SQLite file)
batch by batch, resumed after a crash, verified, and afterwards indistinguishable through the Store interface
and search."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from alembic.script import ScriptDirectory

from openpapers.core.errors import StoreError
from openpapers.core.settings import resolve_settings
from openpapers.db.copy import copy_store
from openpapers.db.migrate import alembic_config
from openpapers.papers.demo import load_demo
from openpapers.papers.export import write_jsonl
from openpapers.papers.store import Store, open_store
from openpapers.search.service import SearchService


class Crash(Exception):
    pass


def export(store: Store) -> list[bytes]:
    buf = io.BytesIO()
    write_jsonl(sorted(store.iter_papers(), key=lambda p: p.id), buf)
    return buf.getvalue().splitlines()


@pytest.fixture
def source(tmp_path: Path) -> Store:
    store = Store(f"sqlite:///{tmp_path / 'source.db'}")
    load_demo(store)
    ids = [p.id for p in store.iter_papers()][:5]
    vec = np.arange(384, dtype="<f4").tobytes()
    store.put_embeddings([(pid, "m", f"h{i}", vec) for i, pid in enumerate(ids)])
    store.delete_embeddings(ids[-1:])  # the largest label is gone: it must never be handed out again
    store.set_checkpoint("import:x", {"offset": 7})
    store.finish_import(store.start_import("demo", "import:x", {"a": 1}), 391, 0, {"a": 1})
    yield store
    store.close()


def test_copy_is_resumable_verified_and_lossless(source: Store, tmp_path: Path) -> None:
    target_url = resolve_settings(tmp_path / "target").database_url  # the backend under test
    open_store(resolve_settings(tmp_path / "target")).close()
    calls = 0

    def crash_after_three_batches(table: str, rows: int) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise Crash

    with pytest.raises(Crash):
        copy_store(source.url, target_url, batch=100, progress=crash_after_three_batches)
    report = copy_store(source.url, target_url, batch=100)
    assert report.resumed and report.ok, [t for t in report.tables if not t.ok]
    names = {t.name for t in report.tables}
    assert {"papers", "claims", "paper_authors", "embeddings", "checkpoints", "imports"} <= names
    assert next(t for t in report.tables if t.name == "claims").rows == 394

    target = open_store(resolve_settings(tmp_path / "target"))
    try:
        assert export(target) == export(source)
        same = {k: v for k, v in source.stats().items() if k != "store"}
        assert {k: v for k, v in target.stats().items() if k != "store"} == same
        assert target.get_checkpoint("import:x") == {"offset": 7}
        assert target.imports()[0]["records"] == 391
        before = {r[1]: r[0] for r in source.iter_embeddings()}
        assert {r[1]: r[0] for r in target.iter_embeddings()} == before
        new_label = target.put_embeddings([("newpaper", "m", "h", np.ones(384, dtype="<f4").tobytes())])["newpaper"]
        assert new_label > max(before.values()) + 1  # after the deleted label too
        # keyword search finds the same papers on both (ranking may differ between engines, membership not)
        s_src = SearchService(source, tmp_path / "src-data")
        s_dst = SearchService(target, tmp_path / "target")
        s_src.sync(semantic=False)
        s_dst.sync(semantic=False)
        for q in ("neural operator", '"diffusion model"', "ti:graph -survey", "au:\"Qi Meng\"", "cat:cs.LG"):
            a = s_src.search(q, mode="keyword", limit=200)
            b = s_dst.search(q, mode="keyword", limit=200)
            assert a.total == b.total and {h.paper_id for h in a.hits} == {h.paper_id for h in b.hits}, q
    finally:
        target.close()
    assert copy_store(source.url, target_url).already  # a finished copy is only verified again


def test_non_empty_target_is_refused(source: Store, tmp_path: Path) -> None:
    target = open_store(resolve_settings(tmp_path / "target"))
    target.set_checkpoint("something", {"x": 1})
    url = target.url
    target.close()
    with pytest.raises(StoreError, match="already holds data"):
        copy_store(source.url, url)
    with pytest.raises(StoreError, match="same database"):
        copy_store(source.url, source.url)


def test_db_migrate_command_reports_the_revision(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from openpapers.cli import app

    head = ScriptDirectory.from_config(alembic_config(None)).get_current_head()
    first = CliRunner().invoke(app, ["--data-dir", str(tmp_path), "db", "migrate"], catch_exceptions=False)
    # SQLite: a new file is created and upgraded; PostgreSQL: the test database comes migrated from its template
    assert first.exit_code == 0 and f"schema {head} (" in first.stdout
    again = CliRunner().invoke(app, ["--data-dir", str(tmp_path), "db", "migrate"], catch_exceptions=False)
    assert again.exit_code == 0 and "(already current)" in again.stdout
    assert "password" not in again.stdout
