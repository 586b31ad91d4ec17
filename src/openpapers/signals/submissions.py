"""Papers readers submit by arXiv id or URL: fetched through the polite arXiv API client, stored like any
harvest (claims of source ``arxiv-api``), and put on that day's feed as "submitted by" the reader.

A submission is a row (day, paper, reader); the day's feed shows the day's submissions after the editors'
featured papers (:func:`openpapers.papers.daily_routes.with_curated`). A paper the store already has is not
fetched again: submitting it only puts it on today's feed. One :class:`PoliteClient` per API URL is shared by
every request of the process, so submissions keep arXiv's one request per three seconds between them.
"""

from __future__ import annotations

import threading
from datetime import date

from fastapi import HTTPException
from sqlalchemy import select

from openpapers.core.errors import OpenPapersError
from openpapers.core.records import Paper, normalize_arxiv_id
from openpapers.db import schema as t
from openpapers.db import schema_social as ts
from openpapers.db.clock import now as now_iso
from openpapers.db.database import Bind, tx
from openpapers.db.dialect import insert_ignore
from openpapers.papers.ingest import run_import
from openpapers.papers.store import Store
from openpapers.sources.arxiv_api import ArxivApiSource
from openpapers.sources.http import PoliteClient

_clients: dict[str, PoliteClient] = {}
_lock = threading.Lock()


def client_for(url: str) -> PoliteClient:
    with _lock:
        if url not in _clients:
            _clients[url] = PoliteClient(timeout=20.0, max_retries=2)
        return _clients[url]


def parse_arxiv_ref(text: str) -> str:
    """The version-less arXiv id of what a reader pasted (``2301.12345``, ``arXiv:2301.12345v2``, an abs or pdf
    URL); 422 with an example otherwise."""
    arxiv_id = normalize_arxiv_id((text or "").strip()[:300])
    if arxiv_id is None:
        raise HTTPException(422, f"{(text or '').strip()[:80]!r} is not an arXiv id or URL "
                                 "(like 2301.12345 or https://arxiv.org/abs/2301.12345)")
    return arxiv_id


def fetch(store: Store, arxiv_id: str, api_url: str) -> Paper:
    """The paper with ``arxiv_id``: from the store, else fetched from the arXiv API and stored (404 when arXiv
    does not know it, 502 when arXiv cannot be reached)."""
    known = store.get_paper(arxiv_id)
    if known is not None:
        return known
    source = ArxivApiSource(id_list=[arxiv_id], max_results=1, page_size=1, base_url=api_url,
                            client=client_for(api_url))
    try:
        report = run_import(store, source, skip_bad=True, detail={"via": "submit", "ids": arxiv_id})
    except OpenPapersError as exc:
        raise HTTPException(502, f"arXiv could not be asked about {arxiv_id}: {exc}") from None
    paper = store.get_paper(arxiv_id) if report.records else None
    if paper is None:
        raise HTTPException(404, f"arXiv has no paper {arxiv_id}")
    return paper


def add(bind: Bind, day: date, paper_id: str, user_id: int) -> bool:
    """Record that ``user_id`` submitted ``paper_id`` on ``day``; False when it was already submitted that day
    (by anyone: the first reader is the one shown)."""
    with tx(bind) as conn:
        stmt = insert_ignore(conn, ts.submissions).values(day=day.isoformat(), paper_id=paper_id, user_id=user_id,
                                                         created_at=now_iso())
        return conn.execute(stmt).rowcount == 1


def between(bind: Bind, start: date, end: date) -> list[tuple[str, str, str]]:
    """(day, paper id, submitter's display name) of the submissions of ``start``..``end``, in submission order."""
    s, u = ts.submissions.c, t.users.c
    stmt = (select(s.day, s.paper_id, u.display_name).join(t.users, u.id == s.user_id)
            .where(s.day >= start.isoformat(), s.day <= end.isoformat()).order_by(s.day, s.created_at, s.paper_id))
    with tx(bind) as conn:
        return [(r[0], r[1], r[2]) for r in conn.execute(stmt)]


def of_user(bind: Bind, user_id: int, limit: int = 50) -> list[tuple[str, str]]:
    """(day, paper id) of a reader's submissions, newest first."""
    s = ts.submissions.c
    stmt = select(s.day, s.paper_id).where(s.user_id == user_id).order_by(s.created_at.desc()).limit(limit)
    with tx(bind) as conn:
        return [(r[0], r[1]) for r in conn.execute(stmt)]


def latest_day(bind: Bind) -> date | None:
    with tx(bind) as conn:
        day = conn.execute(select(ts.submissions.c.day).order_by(ts.submissions.c.day.desc()).limit(1)).scalar()
    return date.fromisoformat(day) if day else None
