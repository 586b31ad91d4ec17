"""What goes into one user's digest for one period: the papers of the period that match what they follow, their
recommendations among them, and what is trending among them.

Every paper in a digest belongs to the period (published or featured on its days, like the site's day/week
pages), so "nothing new" has one meaning: no section has a paper, and then no email is sent at all.

A :class:`PeriodDigests` is built once per period and shared by all users: it loads the period's papers once and
indexes them by author, organisation and category, computes trending once, and runs each distinct saved search
once. A user's follows section is then a few dictionary look-ups, which is what makes 10k digests cheap; only
recommendations are per user (:func:`openpapers.signals.recommend.recommend`).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import orjson

from openpapers.authors.repository import identity_links
from openpapers.core.records import Paper
from openpapers.digests.periods import DigestPeriod
from openpapers.papers.store import Store
from openpapers.papers.types import PaperScope
from openpapers.search.query import quoted
from openpapers.topics.repository import papers_in as topic_papers

log = logging.getLogger("openpapers.digest")

SECTIONS = ("follows", "recommendations", "trending", "discussion")
SECTION_TITLES = {
    "follows": "From what you follow",
    "recommendations": "Recommended for you",
    "trending": "Trending",
    "discussion": "New comments on papers in your library",
}
LIMITS = {"follows": 20, "recommendations": 10, "trending": 5, "discussion": 10}
_PAGE = 1000


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who a digest is for (the fields of ``users`` a digest needs)."""

    id: int
    email: str
    display_name: str
    frequency: str
    sections: tuple[str, ...]


@dataclass(slots=True)
class Item:
    paper: Paper
    reasons: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Section:
    key: str
    title: str
    items: list[Item]


@dataclass(slots=True)
class Digest:
    user: Recipient
    period: DigestPeriod
    sections: list[Section]

    @property
    def paper_count(self) -> int:
        return len({i.paper.id for s in self.sections for i in s.items})

    @property
    def is_empty(self) -> bool:
        return self.paper_count == 0


Recommender = Callable[[Store, int, DigestPeriod, int, Any], list[tuple[Paper, list[str]]]]
Trender = Callable[[Store, DigestPeriod, int], list[tuple[Paper, list[str]]]]


def default_recommender(
    store: Store, user_id: int, period: DigestPeriod, limit: int, search: Any = None
) -> list[tuple[Paper, list[str]]]:
    from openpapers.signals.recommend import recommend

    # No search service: saved searches then match papers holding every word of the query, which is plenty for
    # ranking; the follows section runs them through the real keyword search. (With it, each recommendation
    # call would run every saved search again, highlighting included: most of a digest's cost.)
    recs = recommend(store, user_id, since=period.start, limit=limit, search=None)
    return [(r.paper, list(r.reasons)) for r in recs]


def default_trender(store: Store, period: DigestPeriod, limit: int) -> list[tuple[Paper, list[str]]]:
    from openpapers.signals.trending import trending

    window = 1 if period.frequency == "daily" else 7
    return [(tp.paper, list(tp.reasons)) for tp in trending(store, day=period.end, window_days=window, limit=limit)]


class PeriodDigests:
    """Builds digests of one period for many users, sharing the per-period work."""

    def __init__(
        self,
        store: Store,
        period: DigestPeriod,
        *,
        search: Any | None = None,
        recommender: Recommender | None = default_recommender,
        trender: Trender | None = default_trender,
    ) -> None:
        self.store = store
        self.period = period
        self.search = search  # a SearchService, for saved searches (None: saved searches are skipped)
        self.recommender = recommender
        self.papers: dict[str, Paper] = {}
        self.by_author: dict[str, list[Paper]] = defaultdict(list)
        self.by_org: dict[str, list[Paper]] = defaultdict(list)
        self.by_category: dict[str, list[Paper]] = defaultdict(list)
        self._comments: dict[str, list[Mapping[str, Any]]] | None = None  # the period's comments, by paper
        self._searches: dict[str, list[str]] = {}
        self._topics: dict[str, list[str]] = {}
        self._load()
        self.trending: list[tuple[Paper, list[str]]] = []
        if trender is not None and self.papers:
            try:  # trending over everything, kept only for the period's papers
                self.trending = [(p, r) for p, r in trender(store, period, 200) if p.id in self.papers]
            except Exception:  # a broken section must not stop every digest; the others still go out
                log.exception("trending failed for %s", period.key)

    def _load(self) -> None:
        scope = PaperScope(day_from=self.period.start, day_to=self.period.end)
        offset = 0
        while True:
            page = self.store.list_papers(scope, order="newest", limit=_PAGE, offset=offset)
            for p in page.papers:
                if p.withdrawn or p.id in self.papers:
                    continue
                self.papers[p.id] = p
                for a in dict.fromkeys(p.author_ids):
                    self.by_author[a].append(p)
                for o in dict.fromkeys(p.org_ids):
                    self.by_org[o].append(p)
                codes = {c for code in p.categories for c in (code, code.split(".")[0])}
                for c in codes:
                    self.by_category[c].append(p)
            offset += _PAGE
            if len(page.papers) < _PAGE or offset >= page.total:
                break
        # People (identity ids, and retired ids redirecting to them) beside names: see signals.ranking_queries.
        for pid, iid in identity_links(self.store.db, list(self.papers)):
            self.by_author[iid].append(self.papers[pid])

    # -- per user ------------------------------------------------------------------------------------------------
    def build(self, user: Recipient, follows: Sequence[Mapping[str, Any]], hidden: set[str] | None = None) -> Digest:
        """The digest of ``user`` given their follows (``{kind, target, label}``). Papers the user already
        voted for, saved or dismissed (``hidden``, looked up when not given) are left out; a paper shows in one
        section only (the first)."""
        if not self.papers and "discussion" not in user.sections:
            return Digest(user, self.period, [])
        candidates: dict[str, list[Item]] = {}
        for key in SECTIONS:
            if key not in user.sections:
                continue
            if key == "follows":
                candidates[key] = self._follows(follows)
            elif key == "recommendations":
                candidates[key] = self._recommendations(user) if self.papers else []
            elif key == "discussion":
                candidates[key] = self._discussion(user)
            else:
                candidates[key] = [Item(p, list(r)) for p, r in self.trending]
        if hidden is None:
            hidden = self._hidden(user.id, {i.paper.id for items in candidates.values() for i in items})
        else:
            hidden = set(hidden)
        sections: list[Section] = []
        for key, items in candidates.items():
            # the discussion section is about saved papers, which ``hidden`` holds: it is not filtered by it
            kept = [i for i in items if key == "discussion" or i.paper.id not in hidden][: LIMITS[key]]
            hidden.update(i.paper.id for i in kept)
            if kept:
                sections.append(Section(key, SECTION_TITLES[key], kept))
        return Digest(user, self.period, sections)

    def _discussion(self, user: Recipient) -> list[Item]:
        """Papers in the user's library (of any date) that others commented on during the period."""
        if self._comments is None:
            from openpapers.discussion.repository import between

            self._comments = defaultdict(list)
            end = (self.period.end + timedelta(days=1)).isoformat()
            for row in between(self.store.db, self.period.start.isoformat(), end):
                self._comments[str(row["paper_id"])].append(row)
        if not self._comments:
            return []
        from openpapers.signals.repository import list_library

        saved = [r["paper_id"] for r in list_library(self.store.db, user.id) if r["paper_id"] in self._comments]
        items = []
        for paper in self.store.get_papers(saved):
            rows = [r for r in self._comments[paper.id] if r["user_id"] != user.id]
            if rows:
                who = rows[-1].get("display_name") or "a reader"
                items.append(Item(paper, [f"{len(rows)} new comment{'' if len(rows) == 1 else 's'} (latest by {who})"]))
        return items

    def _hidden(self, user_id: int, paper_ids: set[str]) -> set[str]:
        if not paper_ids:
            return set()
        from openpapers.signals.repository import viewer_state

        return set(viewer_state(self.store.db, user_id, sorted(paper_ids)))

    def _follows(self, follows: Sequence[Mapping[str, Any]]) -> list[Item]:
        found: dict[str, Item] = {}
        for f in follows:
            kind, target, label = str(f["kind"]), str(f["target"]), str(f.get("label") or f["target"])
            if kind == "author":
                papers, reason = self.by_author.get(target, []), f"because you follow {label}"
            elif kind == "org":
                papers, reason = self.by_org.get(target, []), f"because you follow {label}"
            elif kind == "category":
                papers, reason = self.by_category.get(target, []), f"new in {label}, which you follow"
            elif kind == "topic":
                papers = [self.papers[i] for i in self._topic(target) if i in self.papers]
                reason = f"in your topic: {label}"
            elif kind == "search":
                papers = [self.papers[i] for i in self._saved_search(target) if i in self.papers]
                reason = f"matches your saved search {quoted(label)}"
            else:
                continue
            for p in papers:
                item = found.setdefault(p.id, Item(p))
                if reason not in item.reasons:
                    item.reasons.append(reason)
        # Most reasons first (a paper by two followed authors is likelier wanted), then newest.
        return sorted(found.values(), key=lambda i: (-len(i.reasons), -(i.paper.published or _MIN).toordinal(),
                                                     i.paper.id))

    def _topic(self, target: str) -> list[str]:
        """Paper ids of a followed topic (looked up once per topic per period)."""
        if target not in self._topics:
            self._topics[target] = topic_papers(self.store.engine, int(target)) if target.isdigit() else []
        return self._topics[target]

    def _saved_search(self, target: str) -> list[str]:
        """Paper ids of the period matching a saved search, run once per distinct search per period."""
        if target in self._searches:
            return self._searches[target]
        ids: list[str] = []
        if self.search is not None:
            from openpapers.search.types import Filters, QueryError

            try:
                spec = orjson.loads(target)
                q = str(spec.get("q") or "")
                filters = Filters(
                    date_from=self.period.start, date_to=self.period.end,
                    categories=_list(spec.get("categories") or spec.get("category")),
                    authors=_list(spec.get("authors") or spec.get("author")),
                    orgs=_list(spec.get("orgs") or spec.get("org")),
                    has_code=True if spec.get("has_code") in (True, "true", "1", 1) else None,
                )
                hits, _ = self.search.keyword.search(q, filters, limit=500, highlight=False)
                ids = [h.paper_id for h in hits]
            except (orjson.JSONDecodeError, AttributeError, QueryError, ValueError) as exc:
                log.warning("saved search %r skipped: %s", target, exc)
        self._searches[target] = ids
        return ids

    def _recommendations(self, user: Recipient) -> list[Item]:
        if self.recommender is None:
            return []
        try:
            recs = self.recommender(self.store, user.id, self.period, 2 * LIMITS["recommendations"], self.search)
        except Exception:
            log.exception("recommendations failed for user %s", user.id)
            return []
        return [Item(p, list(r)) for p, r in recs if p.id in self.papers]


_MIN = date(1, 1, 1)


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value]
