"""Trending: the decayed score orders papers by fresh local votes and saves, source upvotes carry a fresh instance,
signals outside the window are ignored, reasons say what was counted; fixed clocks throughout."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert

from openpapers.core.records import PaperRecord
from openpapers.core.settings import resolve_settings
from openpapers.db import schema
from openpapers.papers.store import Store, open_store
from openpapers.signals.trending import HALF_LIFE_HOURS, decay, default_day, trending

DAY = date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)


pytestmark = pytest.mark.usefixtures("backend_db")  # SQLite and PostgreSQL (tests/conftest.py)

def paper(key: str, title: str, published: date, upvotes: int | None = None,
          featured: date | None = None) -> PaperRecord:
    return PaperRecord(source="test", source_key=key, arxiv_id=f"2603.{key}", title=title, abstract="An abstract.",
                       authors=["Ada Tester"], authors_complete=True, categories=["cs.LG"], published=published,
                       upvotes=upvotes, featured_on=featured)


PAPERS = [
    paper("00001", "Fresh favourite", date(2026, 3, 9)),
    paper("00002", "Old crowd pleaser", date(2026, 3, 1)),
    paper("00003", "Saved often", date(2026, 3, 8)),
    paper("00004", "Hugging Face darling", date(2026, 3, 9), upvotes=120),
    paper("00005", "Modest source upvotes", date(2026, 3, 10), upvotes=3),
    paper("00006", "Last month's hit", date(2026, 1, 5), upvotes=900),
]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = open_store(resolve_settings(tmp_path))
    s.apply(PAPERS)
    yield s
    s.close()


def pid(store: Store, arxiv: str) -> str:
    found = store.get_paper(arxiv)
    assert found is not None
    return found.id


def add(store: Store, table: str, paper_arxiv: str, *ages_h: float) -> None:
    """One signal per age (hours before NOW), each from its own user, with fixed timestamps."""
    rows = []
    with store.engine.begin() as conn:
        for n, age in enumerate(ages_h):
            at = (NOW - timedelta(hours=age)).isoformat(timespec="seconds")
            uid = conn.execute(insert(schema.users).values(
                email=f"u{n}-{at}{table}{paper_arxiv}@x.test", display_name="u", password_hash="x", is_admin=False,
                created_at=at, digest_frequency="off", digest_sections="")).inserted_primary_key[0]
            row = {"user_id": uid, "paper_id": pid(store, paper_arxiv), "created_at": at}
            if table == "library":
                row.update(tags="[]", note="", updated_at=at)
            rows.append(row)
        conn.execute(insert(getattr(schema, table)), rows)


def titles(found: list) -> list[str]:  # type: ignore[type-arg]
    return [t.paper.title for t in found]


def test_decay_halves_per_half_life() -> None:
    assert decay(0) == 1.0
    assert decay(HALF_LIFE_HOURS) == pytest.approx(0.5)
    assert decay(3 * HALF_LIFE_HOURS) == pytest.approx(0.125)
    assert decay(-5) == 1.0  # a signal from the future counts as fresh, never more


def test_fresh_votes_beat_more_older_votes(store: Store) -> None:
    add(store, "votes", "2603.00001", 1, 2, 3)  # 3 votes, last few hours
    add(store, "votes", "2603.00002", 120, 121, 122, 123, 124)  # 5 votes, five days ago
    found = trending(store, day=DAY, now=NOW)
    order = titles(found)
    assert order.index("Fresh favourite") < order.index("Old crowd pleaser")
    fresh = found[order.index("Fresh favourite")]
    assert fresh.votes == 3 and fresh.reasons[0] == "3 upvotes in the last day"
    old = found[order.index("Old crowd pleaser")]
    assert old.reasons[0] == "5 upvotes in the last 6 days"
    expected = sum(decay(age - 0.5) for age in (1, 2, 3))  # counted per hour, aged from the middle of it
    assert fresh.score == pytest.approx(expected, rel=0.05)


def test_saves_weigh_more_than_votes_and_are_reported(store: Store) -> None:
    add(store, "votes", "2603.00001", 5, 6)
    add(store, "library", "2603.00003", 5, 6)
    found = trending(store, day=DAY, now=NOW)
    order = titles(found)
    assert order.index("Saved often") < order.index("Fresh favourite")
    saved = found[order.index("Saved often")]
    assert saved.saves == 2 and saved.reasons == ["saved by 2 in the last day"]


def test_source_upvotes_make_a_fresh_instance_meaningful(store: Store) -> None:
    found = trending(store, day=DAY, now=NOW)  # no users at all
    assert titles(found) == ["Hugging Face darling", "Modest source upvotes"]  # last month's hit is out of window
    assert found[0].reasons == ["▲ 120 on Hugging Face"] and found[0].source_upvotes == 120


def test_local_community_outvotes_source_upvotes(store: Store) -> None:
    add(store, "votes", "2603.00001", *[1] * 8)
    assert titles(trending(store, day=DAY, now=NOW))[0] == "Fresh favourite"


def test_signals_outside_the_window_do_not_count(store: Store) -> None:
    add(store, "votes", "2603.00002", 24 * 8)  # eight days ago, window is seven
    add(store, "votes", "2603.00001", -2)  # after the reference instant
    assert "Old crowd pleaser" not in titles(trending(store, day=DAY, now=NOW))
    assert "Fresh favourite" not in titles(trending(store, day=DAY, now=NOW))
    assert "Old crowd pleaser" in titles(trending(store, day=DAY, now=NOW, window_days=9))


def test_order_moves_with_the_clock(store: Store) -> None:
    add(store, "votes", "2603.00001", 1, 2)  # fresh at NOW
    add(store, "votes", "2603.00002", 30, 31, 32)  # a day older
    now_order = titles(trending(store, day=DAY, now=NOW))
    assert now_order.index("Fresh favourite") < now_order.index("Old crowd pleaser")
    earlier = titles(trending(store, day=DAY, now=NOW - timedelta(hours=12)))  # the fresh votes did not exist yet
    assert "Fresh favourite" not in earlier and "Old crowd pleaser" in earlier


def test_limit_and_default_day(store: Store) -> None:
    add(store, "votes", "2603.00001", 1)
    assert len(trending(store, day=DAY, now=NOW, limit=1)) == 1
    assert default_day(store, today=date(2026, 12, 1)) == DAY  # the newest paper or signal
    assert default_day(store, today=date(2026, 3, 5)) == date(2026, 3, 5)  # never after today
    with pytest.raises(ValueError):
        trending(store, window_days=0)


def test_votes_on_a_merged_away_id_count_for_the_survivor(store: Store) -> None:
    survivor = pid(store, "2603.00001")
    with store.engine.begin() as conn:
        conn.execute(insert(schema.paper_aliases).values(alias="t-gone", paper_id=survivor))
        conn.execute(insert(schema.votes).values(user_id=99, paper_id="t-gone",
                                                 created_at=(NOW - timedelta(hours=1)).isoformat(timespec="seconds")))
    found = {t.paper.id: t for t in trending(store, day=DAY, now=NOW)}
    assert found[survivor].votes == 1 and "t-gone" not in found
