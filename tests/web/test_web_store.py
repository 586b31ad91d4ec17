"""The store's browsing reads the web pages use: scoped listings, facets, adjacent days, organisations."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from helpers.webdata import FEATURED_ID, OLD_STYLE_ID, XSS_ID
from openpapers.core.records import PaperRecord
from openpapers.core.settings import Settings, resolve_settings
from openpapers.papers.store import Store, open_store
from openpapers.papers.types import PaperScope


@pytest.fixture(scope="module")
def store(web_settings: Settings) -> Iterator[Store]:
    s = open_store(web_settings)
    yield s
    s.close()


def ids(store: Store, scope: PaperScope, **kw: object) -> list[str]:
    return [p.id for p in store.list_papers(scope, **kw).papers]  # type: ignore[arg-type]


def test_day_range_matches_published_or_featured(store: Store) -> None:
    dec = PaperScope(day_from=date(2025, 12, 1), day_to=date(2025, 12, 31))
    assert ids(store, dec, order="upvotes") == [FEATURED_ID, XSS_ID]
    assert ids(store, dec, order="newest") == [XSS_ID, FEATURED_ID]
    assert ids(store, PaperScope(day_from=date(2025, 12, 15), day_to=date(2025, 12, 15))) == [FEATURED_ID]
    assert store.list_papers(PaperScope(day_from=date(2025, 12, 13), day_to=date(2025, 12, 14))).total == 0


def test_listing_pages_and_total(store: Store) -> None:
    scope = PaperScope(author_id="qi-meng")
    whole = store.list_papers(scope, limit=1000)
    first = store.list_papers(scope, limit=10)
    second = store.list_papers(scope, limit=10, offset=10)
    assert first.total == second.total == whole.total == len(whole.papers) >= 40
    assert [p.id for p in first.papers + second.papers] == [p.id for p in whole.papers[:20]]
    dated = [p.published for p in whole.papers if p.published]
    assert dated == sorted(dated, reverse=True)
    assert all(p.published for p in whole.papers[: len(dated)])  # undated papers last


def test_category_and_archive_scopes(store: Store) -> None:
    lg = store.list_papers(PaperScope(category="cs.LG")).total
    cs = store.list_papers(PaperScope(category="cs")).total
    assert 0 < lg < cs
    assert ids(store, PaperScope(category="hep-th")) == [OLD_STYLE_ID]
    assert store.list_papers(PaperScope(category="c%")).total == 0  # LIKE wildcards are escaped
    both = PaperScope(category="cs", org_id="example-lab", author_id="erin-fifth")
    assert ids(store, both) == [FEATURED_ID]


def test_facets(store: Store) -> None:
    co = store.facets(PaperScope(author_id="alice-example"), "author", limit=10)
    assert {f.id for f in co} == {"bob-i-tag-i", "carol-third", "dan-fourth", "erin-fifth"}
    orgs = store.facets(PaperScope(author_id="alice-example"), "org")
    assert [(f.id, f.name, f.count) for f in orgs] == [("example-lab", "Example Lab", 2), ("other-org", "Other Org", 1)]
    top = store.facets(PaperScope(category="cs.LG"), "author", limit=3)
    assert top[0].id == "qi-meng" and top[0].count >= top[1].count >= top[2].count
    window = store.facets(PaperScope(author_id="qi-meng"), "category", window=1)
    assert len(window) == 1 and window[0].count == 1  # counted over the newest paper only
    with pytest.raises(ValueError):
        store.facets(PaperScope(), "colour")


def test_adjacent_and_latest_days(store: Store) -> None:
    assert store.adjacent_days(date(2025, 12, 13), date(2025, 12, 14)) == (date(2025, 12, 12), date(2025, 12, 15))
    assert store.adjacent_days(date(2026, 5, 28), date(2026, 5, 28)) == (date(2026, 3, 30), None)
    assert store.adjacent_days(date(1900, 1, 1), date(1900, 1, 1))[0] is None
    assert store.latest_day() == date(2026, 5, 28)


def test_featured_day_can_be_the_latest(tmp_path: Path) -> None:
    s = open_store(resolve_settings(tmp_path))
    try:
        assert s.latest_day() is None and s.adjacent_days(date(2025, 1, 1), date(2025, 1, 1)) == (None, None)
        s.apply([PaperRecord(source="test", source_key="a", title="Only featured", featured_on=date(2025, 3, 3))])
        assert s.latest_day() == date(2025, 3, 3)
        assert s.get_org("nobody") is None
    finally:
        s.close()


def test_get_org(store: Store) -> None:
    info = store.get_org("example-lab")
    assert info is not None and (info.name, info.paper_count) == ("Example Lab", 2)
