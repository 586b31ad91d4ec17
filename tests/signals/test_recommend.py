"""Recommendations on the demo corpus: a scripted user whose library is about PDE solvers gets PDE papers first,
with reasons naming the library papers; follows give "because you follow …"; dismissed, saved and voted papers
never appear; the window and the keyword fallback (no embeddings) behave. Every test runs on SQLite and on
PostgreSQL (tests/conftest.py): the corpus is built and embedded once per backend, each test writes to a copy."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from openpapers.accounts import repository as accounts
from openpapers.core.records import PaperRecord
from openpapers.core.settings import Settings
from openpapers.papers.demo import load_demo
from openpapers.papers.store import Store, open_store
from openpapers.search.service import SearchService
from openpapers.signals import candidates
from openpapers.signals import repository as signals
from openpapers.signals.recommend import ALL_TIME, default_since, recommend

PDE = re.compile(r"\bpdes?\b|partial differential|neural operator|navier|operator learning|fluid|differential "
                 r"equation|spde|deeponet|solver", re.I)
LIBRARY_TITLES = ("PROSE-FD", "Self-Supervised Learning with Lie Symmetries", "Monte Carlo Neural PDE Solver")


def _build(tmp_path_factory: pytest.TempPathFactory, backend: Any, name: str, *, embed: bool) -> Settings:
    data = tmp_path_factory.mktemp(name)
    settings: Settings = backend.settings(data)
    store = open_store(settings)
    try:
        load_demo(store)
        if embed:
            SearchService(store, data).sync()
    finally:
        store.close()  # nothing may stay connected to a PostgreSQL database that is cloned
    return settings


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory, backend: Any) -> Iterator[Settings]:
    """The demo corpus with every paper embedded (the shipped MiniLM model; about a minute on two cores), once
    per backend (tests/conftest.py)."""
    settings = _build(tmp_path_factory, backend, "rec-demo", embed=True)
    yield settings
    if backend.is_postgres:
        backend.drop(settings.database_url)


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory, backend: Any) -> Iterator[Settings]:
    settings = _build(tmp_path_factory, backend, "rec-plain", embed=False)
    yield settings
    if backend.is_postgres:
        backend.drop(settings.database_url)


@contextmanager
def _open_copy(backend: Any, src: Settings, dst: Path) -> Iterator[Store]:
    """A private copy of ``src`` (its files; on PostgreSQL a clone of its database), open, dropped afterwards."""
    settings: Settings = backend.copy(src, dst)
    candidates.clear_cache()
    store: Store = open_store(settings)
    try:
        yield store
    finally:
        store.close()
        if backend.is_postgres:
            backend.drop(settings.database_url)


@pytest.fixture
def store(embedded: Settings, backend: Any, tmp_path: Path) -> Iterator[Store]:
    """A private copy per test: every test writes its own users and signals."""
    with _open_copy(backend, embedded, tmp_path / "data") as s:
        yield s


def user(store: Store, email: str = "pde@example.org") -> int:
    uid = accounts.create_user(store.engine, email=email, display_name="PDE fan", password_hash="x")
    assert uid is not None
    return uid


def find(store: Store, *prefixes: str) -> list[str]:
    found = {p.title: p.id for p in store.iter_papers()}
    out = [pid for title, pid in found.items() if title.startswith(prefixes)]
    assert len(out) == len(prefixes), out
    return out


def pde_user(store: Store) -> tuple[int, list[str]]:
    uid = user(store)
    library = find(store, *LIBRARY_TITLES)
    for pid in library:
        signals.save_to_library(store.engine, uid, pid)
    return uid, library


def text(rec) -> str:  # type: ignore[no-untyped-def]
    return f"{rec.paper.title} {rec.paper.abstract or ''}"


def test_pde_library_ranks_pde_papers_first(store: Store) -> None:
    uid, library = pde_user(store)
    found = recommend(store, uid, since=ALL_TIME, limit=20)
    top = found[:8]
    assert len(top) == 8
    assert all(PDE.search(text(r)) for r in top), [r.paper.title for r in top]
    share = sum(bool(PDE.search(text(r))) for r in found) / len(found)
    assert share >= 0.8, [r.paper.title for r in found]
    library_titles = [t[:40] for t in LIBRARY_TITLES]
    for r in top:
        assert any(r.reasons[0].startswith(f"similar to “{t}") for t in library_titles), r.reasons
        assert r.reasons[0].endswith("in your library")
    assert not {r.paper.id for r in found} & set(library)  # saved papers are never recommended
    assert [r.score for r in found] == sorted((r.score for r in found), reverse=True)


def test_follow_gives_the_strongest_reason(store: Store) -> None:
    uid, _ = pde_user(store)
    signals.add_follow(store.engine, uid, "author", "qi-meng", "Qi Meng")
    found = recommend(store, uid, since=ALL_TIME, limit=400)
    followed = [r for r in found if "Qi Meng" in r.paper.authors]
    assert len(followed) > 10 and all(r.reasons[0] == "because you follow Qi Meng" for r in followed)
    assert all("Qi Meng" in r.paper.authors for r in found[:10])  # a follow outweighs any similarity
    pde_first = [r for r in followed if PDE.search(text(r))]
    assert followed.index(pde_first[0]) == 0  # among followed papers, the library's topic comes first


def test_follow_alone_is_enough(store: Store) -> None:
    uid = user(store)
    signals.add_follow(store.engine, uid, "author", "qi-meng", "Qi Meng")
    signals.add_follow(store.engine, uid, "category", "physics.flu-dyn", "physics.flu-dyn · Fluid Dynamics")
    found = recommend(store, uid, since=ALL_TIME, limit=50)
    assert found
    for r in found:
        assert r.reasons and all(x.startswith("because you follow ") for x in r.reasons)
        assert "Qi Meng" in r.paper.authors or "physics.flu-dyn" in r.paper.categories


def test_saved_search_follow_without_and_with_the_search_service(store: Store, tmp_path: Path) -> None:
    uid = user(store)
    signals.add_follow(store.engine, uid, "search", '{"q":"navier stokes"}', "navier stokes")
    plain = recommend(store, uid, since=ALL_TIME)
    assert plain and all(re.search(r"navier", text(r), re.I) for r in plain)
    assert plain[0].reasons == ["matches your saved search “navier stokes”"]
    service = SearchService(store, tmp_path / "data")  # the copy's data dir (its index files on SQLite)
    with_service = recommend(store, uid, since=ALL_TIME, search=service)
    assert {r.paper.id for r in with_service} >= {r.paper.id for r in plain}


def test_dismissed_voted_and_saved_never_appear(store: Store) -> None:
    uid, _ = pde_user(store)
    first = recommend(store, uid, since=ALL_TIME, limit=10)
    gone, voted = first[0].paper.id, first[1].paper.id
    signals.dismiss(store.engine, uid, gone)
    signals.add_vote(store.engine, uid, voted)
    again = recommend(store, uid, since=ALL_TIME, limit=400)
    ids = {r.paper.id for r in again}
    assert gone not in ids and voted not in ids


def test_dismissals_push_similar_papers_down(store: Store) -> None:
    uid, _ = pde_user(store)
    before = recommend(store, uid, since=ALL_TIME, limit=50)
    target = before[0]
    signals.dismiss(store.engine, uid, target.paper.id)
    after = {r.paper.id: r.score for r in recommend(store, uid, since=ALL_TIME, limit=50)}
    lowered = [r for r in before[1:] if r.paper.id in after and after[r.paper.id] < r.score]
    assert lowered  # Rocchio's negative term: neighbours of the dismissed paper lose score


def test_new_papers_only(store: Store) -> None:
    uid, _ = pde_user(store)
    since = date(2023, 6, 1)
    found = recommend(store, uid, since=since, limit=50)
    assert found
    for r in found:
        days = [d for d in (r.paper.published, r.paper.featured_on) if d]
        assert days and max(days) >= since
    assert default_since(store) == date(2026, 5, 22)  # the last 7 days of the corpus
    assert all(max(d for d in (r.paper.published, r.paper.featured_on) if d) >= date(2026, 5, 22)
               for r in recommend(store, uid))


def test_user_without_signals_gets_nothing(store: Store) -> None:
    assert recommend(store, user(store), since=ALL_TIME) == []


def test_upvotes_count_as_positives_with_their_own_reason(store: Store) -> None:
    uid = user(store)
    for pid in find(store, *LIBRARY_TITLES):
        signals.add_vote(store.engine, uid, pid)
    found = recommend(store, uid, since=ALL_TIME, limit=5)
    assert found and all(PDE.search(text(r)) for r in found)
    assert found[0].reasons[0].endswith(", which you upvoted")


def test_new_papers_enter_the_cached_window(store: Store) -> None:
    uid, _ = pde_user(store)
    signals.add_follow(store.engine, uid, "author", "ada-newcomer", "Ada Newcomer")
    assert not any(r.paper.title.startswith("Brand new") for r in recommend(store, uid, since=ALL_TIME, limit=400))
    store.apply([PaperRecord(source="test", source_key="new", arxiv_id="2605.99999",
                             title="Brand new operator learning for PDEs", abstract="Fresh.", authors=["Ada Newcomer"],
                             authors_complete=True, categories=["cs.LG"], published=date(2026, 5, 28))])
    found = recommend(store, uid, since=ALL_TIME, limit=5)
    assert found[0].paper.title.startswith("Brand new") and found[0].reasons[0] == "because you follow Ada Newcomer"


def test_keyword_fallback_without_embeddings(plain: Settings, backend: Any, tmp_path: Path) -> None:
    """A store indexed for keyword search only still gets a PDE feed for the PDE library, from TF-IDF."""
    with _open_copy(backend, plain, tmp_path / "plain") as s:
        uid, _ = pde_user(s)
        found = recommend(s, uid, since=ALL_TIME, limit=10)
        assert len(found) >= 5
        assert all(PDE.search(text(r)) for r in found[:5]), [r.paper.title for r in found]
        assert all(r.reasons and "in your library" in r.reasons[0] for r in found[:5])
