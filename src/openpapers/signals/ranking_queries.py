"""Read-only queries behind trending (signals/trending.py) and recommendations (signals/recommend.py).

Plain functions taking the store's ``Database`` or a ``Connection`` (:data:`openpapers.db.database.Bind`), written
in SQLAlchemy Core so they run on SQLite and PostgreSQL alike. Everything that needs arithmetic beyond counting
(time decay, similarity) happens in numpy in the callers: SQLite has no portable ``pow``/``exp``, and the rows
involved are bounded by a time window.

Signals store the paper id of the moment of the action; a paper merged into another since then is found through
``paper_aliases`` (:func:`resolve_ids`), so a vote on a merged-away id still counts for the surviving paper.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, bindparam, func, or_, select

from openpapers.authors.repository import identity_links
from openpapers.db import schema as t
from openpapers.db.database import Bind, tx

CHUNK = 5_000  # ids per IN list: well under every backend's bound-parameter limit


def _chunks(values: Sequence[str], size: int = CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def resolve_ids(bind: Bind, ids: Iterable[str]) -> dict[str, str]:
    """``{id: current paper id}`` for ids merged away since a signal recorded them (others are absent)."""
    wanted = sorted(set(ids))
    out: dict[str, str] = {}
    a = t.paper_aliases.c
    with tx(bind) as conn:
        for part in _chunks(wanted):
            out.update((r[0], r[1]) for r in conn.execute(select(a.alias, a.paper_id).where(a.alias.in_(part))))
    return out


# -- one user's signals --------------------------------------------------------------------------------------------
@dataclass(slots=True)
class UserSignals:
    """What a user told us, paper ids already resolved through aliases; times are ISO-8601 UTC strings."""

    saved: dict[str, str] = field(default_factory=dict)  # paper id -> saved at
    voted: dict[str, str] = field(default_factory=dict)  # paper id -> voted at
    dismissed: set[str] = field(default_factory=set)
    follows: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, target, label)
    # the follows the reader left out of the email digest (the Following page): (kind, target)
    not_in_digest: set[tuple[str, str]] = field(default_factory=set)

    def digest_follows(self) -> list[dict[str, str]]:
        """The follows that feed the email digest, as the digest builder takes them."""
        return [{"kind": k, "target": t, "label": label} for k, t, label in self.follows
                if (k, t) not in self.not_in_digest]

    @property
    def seen(self) -> set[str]:
        """Papers never to recommend again: saved, voted or dismissed."""
        return set(self.saved) | set(self.voted) | self.dismissed

    def is_empty(self) -> bool:
        return not (self.saved or self.voted or self.dismissed or self.follows)


def _current_ids(table: Any) -> Select[Any]:
    """A user's rows of ``table`` with the paper id resolved through ``paper_aliases`` (one statement, no IN list)."""
    a = t.paper_aliases.c
    return (
        select(func.coalesce(a.paper_id, table.c.paper_id), table.c.created_at)
        .select_from(table.outerjoin(t.paper_aliases, a.alias == table.c.paper_id))
        .where(table.c.user_id == bindparam("user_id"))
    )


# Built once: building a statement costs more than running it on SQLite, and these run on every personal feed.
_SAVED, _VOTED, _DISMISSED = (_current_ids(tbl) for tbl in (t.library, t.votes, t.dismissals))
_FOLLOWS = (
    select(t.follows.c.kind, t.follows.c.target, t.follows.c.label, t.follows.c.in_digest)
    .where(t.follows.c.user_id == bindparam("user_id"))
    .order_by(t.follows.c.id)
)


def user_signals(bind: Bind, user_id: int) -> UserSignals:
    params = {"user_id": user_id}
    with tx(bind) as conn:
        saved = {r[0]: r[1] for r in conn.execute(_SAVED, params)}
        voted = {r[0]: r[1] for r in conn.execute(_VOTED, params)}
        dismissed = {r[0] for r in conn.execute(_DISMISSED, params)}
        rows = conn.execute(_FOLLOWS, params).all()
    follows = [(r[0], r[1], r[2]) for r in rows]
    return UserSignals(saved=saved, voted=voted, dismissed=dismissed, follows=follows,
                       not_in_digest={(r[0], r[1]) for r in rows if not r[3]})


# -- trending --------------------------------------------------------------------------------------------------------
def _hours_sql(table: Any) -> Select[Any]:
    a, c = t.paper_aliases.c, table.c
    pid = func.coalesce(a.paper_id, c.paper_id).label("pid")
    hour = func.substr(c.created_at, 1, 13).label("hour")
    return (
        select(pid, hour, func.count())
        .select_from(table.outerjoin(t.paper_aliases, a.alias == c.paper_id))
        .where(c.created_at >= bindparam("start"), c.created_at <= bindparam("end"))
        .group_by(pid, hour)
    )


_HOURS = {"vote": _hours_sql(t.votes), "save": _hours_sql(t.library)}


def signal_hours(bind: Bind, start: str, end: str) -> dict[str, list[tuple[str, str, int]]]:
    """Votes and library saves made in ``[start, end]`` (ISO times), counted per paper and hour:
    ``{"vote"|"save": [(paper_id, "YYYY-MM-DDTHH", count)]}``, ids resolved through aliases. Hour buckets bound the
    rows whatever the number of users, and an hour is far below any sensible half-life."""
    params = {"start": start, "end": end}
    with tx(bind) as conn:
        return {kind: [(r[0], r[1], int(r[2])) for r in conn.execute(stmt, params).all()]
                for kind, stmt in _HOURS.items()}


def latest_signal_day(bind: Bind) -> date | None:
    """The day of the newest vote or library save (None when there is none)."""
    with tx(bind) as conn:
        found = [
            conn.execute(select(func.max(table.c.created_at))).scalar() for table in (t.votes, t.library)
        ]
    days = [date.fromisoformat(v[:10]) for v in found if v]
    return max(days) if days else None


def source_upvoted(bind: Bind, lo: date, hi: date) -> list[tuple[str, int, str | None, str | None]]:
    """Papers with source (Hugging Face) upvotes published or featured within ``[lo, hi]``:
    ``(paper_id, upvotes, published, featured_on)``."""
    p = t.papers.c
    lo_s, hi_s = lo.isoformat(), hi.isoformat()
    stmt = select(p.id, p.upvotes, p.published, p.featured_on).where(
        p.upvotes > 0, or_(p.published.between(lo_s, hi_s), p.featured_on.between(lo_s, hi_s))
    )
    with tx(bind) as conn:
        return [(r[0], int(r[1]), r[2], r[3]) for r in conn.execute(stmt)]


def paper_dates(bind: Bind, ids: Sequence[str]) -> dict[str, tuple[str | None, str | None, int]]:
    """``{paper_id: (published, featured_on, source upvotes)}`` for the ids that exist."""
    p = t.papers.c
    out: dict[str, tuple[str | None, str | None, int]] = {}
    with tx(bind) as conn:
        for part in _chunks(sorted(set(ids))):
            for r in conn.execute(select(p.id, p.published, p.featured_on, p.upvotes).where(p.id.in_(part))):
                out[r[0]] = (r[1], r[2], int(r[3] or 0))
    return out


# -- recommendation candidates -------------------------------------------------------------------------------------
_MARKER = select(
    select(t.counters.c.value).where(t.counters.c.name == "seq").scalar_subquery(),
    select(func.max(t.embeddings.c.label)).scalar_subquery(),
)


def change_marker(bind: Bind) -> tuple[int, int]:
    """``(paper seq, newest embedding label)``: moves when papers are imported, changed or merged (seq) and when
    vectors are added (label), so a per-process cache keyed by it follows the store. Two O(1) lookups: it runs
    on every personal feed. (A vector re-embedded in place keeps its label; the paper's text change that
    caused it moved seq first, and a cache built in between keeps the old vector until the next change.)"""
    with tx(bind) as conn:
        row = conn.execute(_MARKER).one()
    return int(row[0] or 0), int(row[1] or 0)


def window_papers(bind: Bind, since: date | None, cap: int) -> list[tuple[str, str | None, str | None,
                                                                                           str | None, int]]:
    """The newest ``cap`` papers published or featured on/after ``since`` (every paper, undated ones last, when
    ``since`` is None): ``(id, published, featured_on, primary_category, source upvotes)``."""
    p = t.papers.c
    stmt = select(p.id, p.published, p.featured_on, p.primary_category, p.upvotes)
    if since is not None:
        stmt = stmt.where(or_(p.published >= since.isoformat(), p.featured_on >= since.isoformat()))
    stmt = stmt.order_by(p.published.desc().nulls_last(), p.id).limit(cap)
    with tx(bind) as conn:
        return [(r[0], r[1], r[2], r[3], int(r[4] or 0)) for r in conn.execute(stmt)]


def links(bind: Bind, ids: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
    """Authors, organisations and categories of ``ids``: ``{"author"|"org"|"category": [(paper_id, id)]}``."""
    out: dict[str, list[tuple[str, str]]] = {"author": [], "org": [], "category": []}
    tables: dict[str, tuple[Any, Any]] = {
        "author": (t.paper_authors.c.paper_id, t.paper_authors.c.author_id),
        "org": (t.paper_orgs.c.paper_id, t.paper_orgs.c.org_id),
        "category": (t.paper_categories.c.paper_id, t.paper_categories.c.category),
    }
    with tx(bind) as conn:
        for kind, (pid, key) in tables.items():
            for part in _chunks(ids):
                out[kind].extend((r[0], r[1]) for r in conn.execute(select(pid, key).where(pid.in_(part))))
    # People (identity ids) beside names: a follow of a person matches that person's papers, not namesakes'.
    out["author"].extend(identity_links(bind, list(ids)))
    return out


_VECTORS = select(t.embeddings.c.paper_id, t.embeddings.c.model, t.embeddings.c.vector).where(
    t.embeddings.c.paper_id.in_(bindparam("ids", expanding=True)))


def vectors(bind: Bind, ids: Sequence[str]) -> list[tuple[str, str, bytes]]:
    """Stored embeddings of ``ids``: ``(paper_id, model, float32 bytes)``."""
    out: list[tuple[str, str, bytes]] = []
    with tx(bind) as conn:
        for part in _chunks(ids):
            out.extend((r[0], r[1], bytes(r[2])) for r in conn.execute(_VECTORS, {"ids": list(part)}))
    return out


def current_model(bind: Bind) -> str | None:
    """The model of the newest stored vector: vectors of another model live in another space and are ignored."""
    e = t.embeddings.c
    with tx(bind) as conn:
        return conn.execute(select(e.model).order_by(e.label.desc()).limit(1)).scalar()


_TITLES = select(t.papers.c.id, t.papers.c.title, t.papers.c.primary_category).where(
    t.papers.c.id.in_(bindparam("ids", expanding=True)))


def titles(bind: Bind, ids: Sequence[str]) -> dict[str, tuple[str, str | None]]:
    """``{paper_id: (title, primary_category)}``: what a reason names, without decoding whole papers."""
    out: dict[str, tuple[str, str | None]] = {}
    with tx(bind) as conn:
        for part in _chunks(sorted(set(ids))):
            out.update((r[0], (r[1], r[2])) for r in conn.execute(_TITLES, {"ids": list(part)}))
    return out


__all__ = [
    "UserSignals",
    "change_marker",
    "current_model",
    "latest_signal_day",
    "links",
    "paper_dates",
    "resolve_ids",
    "signal_hours",
    "source_upvoted",
    "titles",
    "user_signals",
    "vectors",
    "window_papers",
]
