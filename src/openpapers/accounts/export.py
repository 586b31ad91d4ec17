"""A user's data, for them to take away: JSON (everything they did) and BibTeX (their library).

The JSON is what the account holds about its owner: profile and digest settings, library (with tags and
notes), votes, "not interested" marks and follows, each paper with its title and link so the file is readable
on its own. BibTeX entries are written by :mod:`openpapers.papers.export`, the same code as ``openpapers export``.
``export_response`` answers both doors to it (``/settings/export`` and ``/api/me/export``) the same way.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import Response

from openpapers.accounts import repository as db
from openpapers.accounts.auth import PRIVATE
from openpapers.accounts.service import User
from openpapers.papers.export import write_bibtex
from openpapers.papers.store import Store
from openpapers.signals import repository as signals
from openpapers.web.context import web


def export_json(store: Store, user: User, *, base_url: str = "") -> dict[str, Any]:
    database = store.db
    row = db.get_user(database, user.id) or {}
    library = signals.list_library(database, user.id)
    votes = signals.user_papers(database, "votes", user.id)
    dismissed = signals.user_papers(database, "dismissals", user.id)
    ids = [r["paper_id"] for r in library] + [p for p, _ in votes] + [p for p, _ in dismissed]
    papers = {p.id: p for p in store.get_papers(dict.fromkeys(ids))}

    def ref(pid: str) -> dict[str, Any]:
        paper = papers.get(pid)
        return {"paper_id": pid, "arxiv_id": paper.arxiv_id if paper else None,
                "title": paper.title if paper else None, "url": f"{base_url}/paper/{pid}"}

    return {
        "format": "openpapers-account-export/1",
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "user": {"email": user.email, "display_name": user.display_name, "is_admin": user.is_admin,
                 "created_at": row.get("created_at"), "digest_frequency": user.digest_frequency,
                 "digest_sections": list(user.digest_sections)},
        "library": [{**ref(r["paper_id"]), "tags": r["tags"], "note": r["note"], "saved_at": r["created_at"],
                     "updated_at": r["updated_at"]} for r in library],
        "votes": [{**ref(pid), "voted_at": at} for pid, at in votes],
        "not_interested": [{**ref(pid), "at": at} for pid, at in dismissed],
        "follows": [{"kind": f["kind"], "target": f["target"], "label": f["label"], "since": f["created_at"]}
                    for f in signals.list_follows(database, user.id)],
    }


def export_json_bytes(store: Store, user: User, *, base_url: str = "") -> bytes:
    return orjson.dumps(export_json(store, user, base_url=base_url), option=orjson.OPT_INDENT_2)


def export_bibtex(store: Store, user: User) -> bytes:
    """The library as BibTeX, newest saved first (papers no longer in the store are left out)."""
    library = signals.list_library(store.db, user.id)
    out = io.BytesIO()
    write_bibtex(store.get_papers([r["paper_id"] for r in library]), out)
    return out.getvalue()


def site_url(request: Request) -> str:
    """Absolute links in emails come from OPENPAPERS_BASE_URL, never from the request's Host header (which a
    client chooses: trusting it would let anyone mail reset links pointing at their own site)."""
    return web(request).settings.public_url


def export_response(request: Request, user: User, format: str) -> Response:
    store = web(request).store
    if format == "bibtex":
        body, media, ext = export_bibtex(store, user), "application/x-bibtex; charset=utf-8", "bib"
    else:
        body, media, ext = export_json_bytes(store, user, base_url=site_url(request)), "application/json", "json"
    return Response(body, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="openpapers-{user.id}.{ext}"', "Cache-Control": PRIVATE})
