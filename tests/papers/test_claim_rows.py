"""Work claiming for several workers (dialect.claim_rows): every row is claimed exactly once, on both backends."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select

from openpapers.core.settings import resolve_settings
from openpapers.db.dialect import claim_rows, immediate
from openpapers.papers.store import open_store

# Every test here runs on SQLite and on PostgreSQL (see tests/conftest.py).
pytestmark = pytest.mark.usefixtures("backend_db")

JOBS = 300


def test_concurrent_claimers_never_get_the_same_row(tmp_path: Path) -> None:
    store = open_store(resolve_settings(tmp_path))
    engine = store.engine
    jobs = Table("test_jobs", MetaData(), Column("id", Integer, primary_key=True), Column("owner", String))
    jobs.create(engine)
    with engine.begin() as conn:
        conn.execute(insert(jobs), [{"id": i, "owner": None} for i in range(JOBS)])
    got: dict[str, list[int]] = {}
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        mine = got.setdefault(name, [])
        try:
            while True:
                with immediate(engine) as conn:
                    rows = claim_rows(conn, jobs, jobs.c.owner.is_(None), {"owner": name}, limit=7,
                                      order_by=[jobs.c.id])
                if not rows:
                    return
                assert all(r.owner == name for r in rows)
                mine.extend(r.id for r in rows)
        except BaseException as exc:  # surfaced below: a thread's assertion would otherwise vanish
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    claimed = [i for ids in got.values() for i in ids]
    assert len(claimed) == len(set(claimed)) == JOBS  # each job exactly once
    with engine.connect() as conn:
        owners = dict(conn.execute(select(jobs.c.id, jobs.c.owner)).all())
    assert all(owners[i] == name for name, ids in got.items() for i in ids)
    store.close()
