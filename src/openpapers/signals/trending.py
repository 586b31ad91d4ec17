"""Trending papers: a time-decayed score from this instance's upvotes and library saves, plus the source's upvotes.

The score of a paper at reference instant ``T`` (the end of the chosen day) over a window of ``W`` days::

    score = Σ_votes  1.0 · 2^(−age_h / H)
          + Σ_saves  1.5 · 2^(−age_h / H)
          + 1.0 · log2(1 + source_upvotes) · 2^(−age_h(paper) / H)          (papers published/featured in the window)

with ``H = 48`` hours (:data:`HALF_LIFE_HOURS`) and ``age_h`` the age in hours of each signal at ``T`` (signals are
counted per hour, aged from the middle of their hour). Only signals of the window ``[T − W days, T)`` count.

Why these choices:

* Exponential decay with a half-life keeps the order stable between two looks (no cliff when a vote leaves a
  window) and lets fresh interest beat old, larger totals: a vote from two days ago counts half, a week-old one
  about a twelfth.
* A library save weighs 1.5 votes: saving is a costlier gesture (the paper is kept to be read) than a click.
* ``source_upvotes`` (``papers.upvotes``: Hugging Face's count, imported with the paper) give a fresh instance
  with no local users a meaningful view. Log-damped, so 100 upvotes elsewhere count like ~7 fresh local votes and
  a local community can outvote the outside world; aged from the day the paper was featured (or published), the
  only time we know for them.

Every paper comes with human-readable reasons ("12 upvotes in the last 3 days", "saved by 4", "▲ 231 on Hugging
Face") built from the same counts. ``day=None`` means the latest day with papers or signals (today, on an
instance that harvests daily; the corpus's last day on a static demo).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic

import numpy as np

from openpapers.core.records import Paper
from openpapers.db import clock
from openpapers.papers.store import Store
from openpapers.signals import ranking_queries as q
from openpapers.signals.candidates import latest_day

HALF_LIFE_HOURS = 48.0
WEIGHTS = {"vote": 1.0, "save": 1.5}
SOURCE_WEIGHT = 1.0
CACHE_SECONDS = 60.0


@dataclass(slots=True)
class TrendingPaper:
    paper: Paper
    score: float
    reasons: list[str]
    votes: int = 0  # local upvotes within the window
    saves: int = 0  # local library saves within the window
    source_upvotes: int = 0  # counted only when the paper was published or featured within the window


def decay(age_hours: float, half_life: float = HALF_LIFE_HOURS) -> float:
    """``2^(−age/half_life)``; a signal from the future (clock skew) counts as fresh, never more."""
    return 2.0 ** (-max(age_hours, 0.0) / half_life)


def default_day(store: Store, today: date | None = None) -> date:
    """The latest day with papers or local signals, never after ``today`` (UTC)."""
    today = today or datetime.now(UTC).date()
    found = [d for d in (latest_day(store), q.latest_signal_day(store.db)) if d is not None]
    return min(max(found), today) if found else today


def _span(hours: float) -> str:
    days = max(1, math.ceil(hours / 24))
    return "in the last day" if days == 1 else f"in the last {days} days"


def _reasons(votes: int, vote_age: float, saves: int, save_age: float, source: int) -> list[str]:
    out: list[str] = []
    if votes:
        out.append(f"{votes} upvote{'' if votes == 1 else 's'} {_span(vote_age)}")
    if saves:
        out.append(f"saved by {saves} {_span(save_age)}")
    if source:
        out.append(f"▲ {source} on Hugging Face")
    return out


_CACHE: dict[tuple[object, ...], tuple[float, list[TrendingPaper]]] = {}
_CACHE_LOCK = threading.Lock()


def trending(
    store: Store, *, day: date | None = None, window_days: int = 7, limit: int = 50, now: datetime | None = None,
    half_life_hours: float = HALF_LIFE_HOURS,
) -> list[TrendingPaper]:
    """The ``limit`` most trending papers as of the end of ``day`` (see the module docstring for the score).

    ``now`` (tests pass a fixed clock) caps the reference instant: trending "today" at 10:00 ages signals to
    10:00, not to midnight. Without ``now`` the result is the same for every caller, so it is kept for
    :data:`CACHE_SECONDS` per process (a page view or a 10k-user digest run computes it once)."""
    if window_days < 1:
        raise ValueError("window_days must be at least 1")
    key = (store.url, day, window_days, limit, half_life_hours)
    if now is None:
        with _CACHE_LOCK:
            hit = _CACHE.get(key)
        if hit is not None and monotonic() - hit[0] < CACHE_SECONDS:
            return list(hit[1])
    found = _compute(store, day, window_days, limit, now or datetime.now(UTC), half_life_hours)
    if now is None:
        with _CACHE_LOCK:
            _CACHE[key] = (monotonic(), found)
    return list(found)


def _compute(store: Store, day: date | None, window_days: int, limit: int, now: datetime,
             half_life: float) -> list[TrendingPaper]:
    day = day or default_day(store, now.date())
    ref = min(datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC), now)
    start = ref - timedelta(days=window_days)
    database = store.db
    ref64 = np.datetime64(ref.replace(tzinfo=None), "s")
    ids: dict[str, int] = {}
    per_kind: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for kind, rows in q.signal_hours(database, clock.now(start), clock.now(ref)).items():
        index = np.fromiter((ids.setdefault(r[0], len(ids)) for r in rows), dtype=np.int64, count=len(rows))
        hours = np.array([r[1] for r in rows], dtype="datetime64[h]") if rows else np.empty(0, "datetime64[h]")
        ages = (ref64 - hours.astype("datetime64[s]")).astype(np.float64) / 3600 - 0.5  # from the hour's middle
        counts = np.fromiter((r[2] for r in rows), dtype=np.float64, count=len(rows))
        per_kind[kind] = (index, ages, counts)
    source: dict[int, int] = {}
    src_rows: list[tuple[int, float]] = []
    first, last = start.date().isoformat(), ref.date().isoformat()
    for pid, upvotes, published, featured in q.source_upvoted(database, start.date(), ref.date()):
        days = [d for d in (published, featured) if d and first <= d <= last]
        at = datetime.combine(date.fromisoformat(max(days)), time(12), tzinfo=UTC)
        source[ids.setdefault(pid, len(ids))] = upvotes
        src_rows.append((ids[pid], SOURCE_WEIGHT * math.log2(1 + upvotes) * decay((ref - at).total_seconds() / 3600,
                                                                                    half_life)))
    n = len(ids)
    score = np.zeros(n, dtype=np.float64)
    count = {k: np.zeros(n, dtype=np.int64) for k in WEIGHTS}
    oldest = {k: np.zeros(n, dtype=np.float64) for k in WEIGHTS}
    for kind, (index, ages, counts) in per_kind.items():
        np.add.at(score, index, counts * WEIGHTS[kind] * np.exp2(-np.clip(ages, 0, None) / half_life))
        np.add.at(count[kind], index, counts.astype(np.int64))
        np.maximum.at(oldest[kind], index, ages)
    for i, value in src_rows:
        score[i] += value
    names = np.array(list(ids), dtype=object)
    order = np.lexsort((names, -score)) if n else np.empty(0, dtype=np.int64)
    out: list[TrendingPaper] = []
    step = max(limit, 1) * 2  # a few spare: a signal may name a paper deleted since
    for begin in range(0, n, step):
        part = order[begin : begin + step].tolist()
        papers = {p.id: p for p in store.get_papers([names[i] for i in part])}
        for i in part:
            paper = papers.get(names[i])
            if paper is not None and len(out) < limit:
                out.append(TrendingPaper(
                    paper, round(float(score[i]), 6),
                    _reasons(int(count["vote"][i]), oldest["vote"][i], int(count["save"][i]), oldest["save"][i],
                             source.get(i, 0)),
                    int(count["vote"][i]), int(count["save"][i]), source.get(i, 0)))
        if len(out) >= limit:
            break
    return out


__all__ = ["HALF_LIFE_HOURS", "SOURCE_WEIGHT", "WEIGHTS", "TrendingPaper", "decay", "default_day", "trending"]
