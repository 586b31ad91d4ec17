"""Topics on the embedded demo corpus, on SQLite and on PostgreSQL: the issue's bar (at least 6 labelled topics
covering 80 % of papers, none over 35 %, the PDE / neural-operator papers mostly in one topic whose label says so),
purity against the hand-written themes, ids kept by a rebuild, new papers placed on import."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete

from helpers.topicdata import build_settings, themes
from openpapers.core.settings import Settings
from openpapers.db import schema as t
from openpapers.papers.store import Store, open_store
from openpapers.topics import quality, service
from openpapers.topics import repository as repo

pytestmark = pytest.mark.usefixtures("backend_db")


@pytest.fixture(scope="module")
def demo_settings(tmp_path_factory: pytest.TempPathFactory, backend: Any) -> Iterator[Settings]:
    scratch = tmp_path_factory.mktemp("embed-once")
    settings = build_settings(backend, tmp_path_factory.mktemp("topics-demo"), scratch)
    yield settings
    if backend.is_postgres:
        backend.drop(settings.database_url)


@pytest.fixture
def store(demo_settings: Settings, backend: Any, tmp_path: Path) -> Iterator[Store]:
    """A private copy per test (some tests rebuild or reassign)."""
    settings: Settings = backend.copy(demo_settings, tmp_path / "data")
    s = open_store(settings)
    yield s
    s.close()
    if backend.is_postgres:
        backend.drop(settings.database_url)


def test_the_demo_map_meets_the_bar(store: Store) -> None:
    rows = repo.topics(store.engine)
    assign = repo.assignments(store.engine)
    q = quality.measure(assign, {r.id: r.label for r in rows}, themes())
    assert store.count_papers() == len(assign) == 391  # every paper has a topic
    assert q.labelled_topics >= 6 and q.coverage >= 0.8 and q.largest_share <= 0.35
    assert q.judged >= 90 and q.purity >= 0.62  # measured 0.674 (docs/topics.md)
    # the papers whose title names PDEs or neural operators: mostly in one topic (measured 13 of 15)
    named = [p.id for p in store.iter_papers() if re.search(
        r"\bS?PDEs?\b|neural operator|DeepONet|Navier|physics-informed|partial differential", p.title, re.I)]
    topic, count = Counter(assign[p] for p in named).most_common(1)[0]
    assert len(named) >= 12 and count / len(named) >= 0.75
    sciml = [assign[p] for p, th in themes().items() if th == "sciml"]  # hand-themed: PDEs, numerics, sci-ML
    assert Counter(sciml).most_common(1)[0] == (topic, max(Counter(sciml).values())) and sciml.count(topic) > 6
    label = next(r.label for r in rows if r.id == topic).lower()
    assert any(word in label for word in ("pde", "neural operator", "differential equation", "physics-informed"))
    build = repo.last_build(store.engine)
    assert build is not None and build["silhouette"] > 0.05 and build["topics"] == len(rows)


def test_a_rebuild_keeps_every_id_when_nothing_changed(store: Store) -> None:
    before = repo.assignments(store.engine)
    report = service.rebuild(store)
    assert report is not None and report.kept_ids == report.topics
    after = repo.assignments(store.engine)
    moved = sum(before[p] != after[p] for p in before)
    assert moved / len(before) < 0.05


def test_a_rebuild_with_another_k_keeps_ids_only_for_topics_that_stay(store: Store) -> None:
    before = {r.id for r in repo.topics(store.engine)}
    report = service.rebuild(store, ks=[6])
    assert report is not None and report.topics == 6
    after = {r.id for r in repo.topics(store.engine)}
    assert len(after & before) == report.kept_ids < 6
    assert min(after - before) > max(before)  # a new topic never takes an old id


def test_new_papers_land_in_their_nearest_topic_on_the_map(store: Store) -> None:
    before = repo.assignments(store.engine)
    gone = sorted(before)[::7]
    with store.engine.begin() as conn:
        conn.execute(delete(t.paper_topics).where(t.paper_topics.c.paper_id.in_(gone)))
    assert service.assign_new(store) == len(gone)
    after = repo.assignments(store.engine)
    assert all(after[p] == before[p] for p in gone)  # k-means labels are the nearest centroids
    assert service.assign_new(store) == 0
    rows = {r.id: r for r in repo.topics(store.engine)}
    ids, topic, xy = repo.map_points(store.engine)
    for pid, tid, (x, y) in zip(ids, topic.tolist(), xy.tolist(), strict=True):
        r = rows[tid]
        assert (x - r.x) ** 2 + (y - r.y) ** 2 <= r.radius ** 2 * 1.0001, pid
    assert sum(r.size for r in rows.values()) == len(after)


def test_no_topics_before_there_are_vectors(tmp_path: Path, backend: Any) -> None:
    settings = backend.settings(tmp_path / "empty")
    s = open_store(settings)
    try:
        assert service.rebuild(s) is None and service.assign_new(s) == 0
        assert repo.topics(s.engine) == []
    finally:
        s.close()
        if backend.is_postgres:
            backend.drop(settings.database_url)


def test_the_worker_job_rebuilds_under_its_lock(store: Store, tmp_path: Path) -> None:
    from openpapers.cli.worker import topics_job
    from openpapers.core.settings import resolve_settings
    from openpapers.db.locks import acquire, release

    settings = resolve_settings(tmp_path / "data", database_url=store.url)  # the data dir the copy lives in
    builds = repo.last_build(store.engine)
    assert builds is not None
    assert acquire(store.db, "topics", "someone-else", 60)
    assert topics_job(settings) is None  # another worker holds it: nothing rebuilt
    release(store.db, "topics", "someone-else")
    assert topics_job(settings) == len(repo.topics(store.engine))
    after = repo.last_build(store.engine)
    assert after is not None and after["id"] > builds["id"]


def test_semantic_search_filters_by_topic(store: Store, tmp_path: Path) -> None:
    from openpapers.search.service import SearchService

    search = SearchService(store, tmp_path / "data")
    search.sync()  # the vectors are stored already: the vector index is built from them, nothing re-embedded
    rows = repo.topics(store.engine)
    topic = next(r for r in rows if "PDE" in r.label or "differential" in r.label)
    members = set(repo.papers_in(store.engine, topic.id))
    found = search.search(f"neural network solver topic:{topic.id}", mode="semantic", limit=50)
    assert found.hits and {h.paper_id for h in found.hits} <= members
    other = next(r for r in rows if r.id != topic.id)
    both = search.search(f"solver topic:{topic.id} topic:{other.id}", mode="semantic", limit=100)
    assert {h.paper_id for h in both.hits} <= members | set(repo.papers_in(store.engine, other.id))
