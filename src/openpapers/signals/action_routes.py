"""What a signed-in reader does to papers: upvote, save (tags, note), "not interested", follow, and (admins)
feature a paper on a day's feed.

HTML forms POST to ``/me/…`` with an ``action`` (``add`` | ``remove``) and come back to the page they were on
(``next``), so everything works without JavaScript; ``/static/app.js`` turns the buttons into fetch calls with
the ``X-CSRF-Token`` header (a request sending ``Accept: application/json`` gets the JSON answer instead of the
redirect). The JSON API twins live in :mod:`openpapers.accounts.me_routes`. Paper ids are resolved like everywhere else
(any arXiv spelling, merged-away ids through their alias) and stored under the canonical id.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from openpapers.accounts import auth
from openpapers.accounts.service import User
from openpapers.core.records import Paper
from openpapers.core.taxonomy import category_name
from openpapers.db.database import Database
from openpapers.papers import views
from openpapers.search.query import parse_query
from openpapers.search.types import QueryError
from openpapers.signals import repository as signals
from openpapers.web.context import CATEGORY, SLUG, web

router = APIRouter(include_in_schema=False)
CSRF = [Depends(auth.csrf_protect)]
Action = Annotated[str, Form(pattern="^(add|remove)$")]
PaperRef = Annotated[str, Form(min_length=1, max_length=200)]
Next = Annotated[str, Form(max_length=2000)]
MAX_TAGS, MAX_TAG = 20, 40
_TAG = re.compile(r"[^\w .+#/-]", re.UNICODE)


def database(request: Request) -> Database:
    return web(request).store.db


def find_paper(request: Request, ref: str) -> Paper:
    """The paper behind any spelling of its id, or 404 (ids longer than any real one are refused first)."""
    ref = ref.strip()
    if not ref or len(ref) > 200:
        raise HTTPException(400, "a paper id is 1 to 200 characters")
    paper = web(request).store.get_paper(ref)
    if paper is None:
        raise HTTPException(404, f"paper {ref!r} was not found")
    return paper


def parse_tags(value: str | list[str] | None) -> list[str]:
    """Tags from a comma-separated field or a list: trimmed, de-duplicated, at most 20 of 40 characters."""
    items = value.split(",") if isinstance(value, str) else (value or [])
    tags: list[str] = []
    for item in items:
        tag = " ".join(_TAG.sub("", item).split())[:MAX_TAG]
        if tag and tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise HTTPException(400, f"at most {MAX_TAGS} tags per paper")
    return tags


def follow_target(request: Request, kind: str, target: str | None, search: dict[str, Any] | None = None
                  ) -> tuple[str, str]:
    """Check what is to be followed and return (stored target, label): 404 for an unknown author/org."""
    store = web(request).store
    if kind == "author":
        info = store.get_author(target) if target and re.match(SLUG, target) else None
        if info is None:
            raise HTTPException(404, f"author {target!r} was not found")
        return info.id, info.name
    if kind == "org":
        org = store.get_org(target) if target and re.match(SLUG, target) else None
        if org is None:
            raise HTTPException(404, f"organisation {target!r} was not found")
        return org.id, org.name
    if kind == "category":
        if not target or not re.match(CATEGORY, target):
            raise HTTPException(400, "a category is an arXiv code like cs.LG")
        name = category_name(target)
        return target, f"{target} · {name}" if name else target
    if kind == "search":
        return saved_search(search or {})
    raise HTTPException(400, "kind must be author, org, category or search")


def saved_search(spec: dict[str, Any]) -> tuple[str, str]:
    """A saved search's canonical JSON (sorted filters, so the same search is one follow) and its label."""
    q = " ".join(str(spec.get("q") or "").split())[:1000]
    lists = {k: sorted({str(v).strip() for v in spec.get(k) or [] if str(v).strip()})[:20]
             for k in ("category", "author", "org")}
    has_code = spec.get("has_code")
    if not q and not any(lists.values()) and has_code is None:
        raise HTTPException(400, "a saved search needs a query or a filter")
    try:
        parse_query(q, allow_empty=True)
    except QueryError as exc:
        raise HTTPException(400, f"bad query: {exc}") from None
    canon: dict[str, Any] = {"q": q, **{k: v for k, v in lists.items() if v}}
    if has_code is not None:
        canon["has_code"] = bool(has_code)
    extras = [*lists["category"], *lists["author"], *lists["org"]] + (["has code"] if has_code else [])
    label = (f'"{q}"' if q else "all papers") + (f" ({', '.join(extras)})" if extras else "")
    return orjson.dumps(canon, option=orjson.OPT_SORT_KEYS).decode(), label[:300]


def follow_url(kind: str, target: str) -> str:
    if kind == "author":
        return views.author_url(target)
    if kind == "org":
        return views.org_url(target)
    if kind == "category":
        return views.category_url(target)
    from urllib.parse import urlencode

    spec = orjson.loads(target)
    items = [("q", spec.get("q", ""))] + [(k, v) for k in ("category", "author", "org") for v in spec.get(k, [])]
    if "has_code" in spec:
        items.append(("has_code", "true" if spec["has_code"] else "false"))
    return "/search?" + urlencode(items)


def vote_total(request: Request, paper: Paper) -> int | None:
    local = signals.vote_counts(database(request), [paper.id]).get(paper.id, 0)
    return views.total_upvotes(paper.upvotes, local)


def _answer(request: Request, next_url: str | None, fallback: str, payload: dict[str, Any]) -> Response:
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse(payload, headers={"Cache-Control": auth.PRIVATE})
    return RedirectResponse(auth.safe_next(next_url, fallback), status_code=303)


# -- forms ------------------------------------------------------------------------------------------------------
@router.post("/me/votes", dependencies=CSRF)
def vote_form(request: Request, user: Annotated[User, Depends(auth.require_user)], paper_id: PaperRef,
              action: Action = "add", next: Next = "") -> Response:
    paper = find_paper(request, paper_id)
    if action == "add":
        signals.add_vote(database(request), user.id, paper.id)
    else:
        signals.remove_vote(database(request), user.id, paper.id)
    return _answer(request, next, views.paper_url(paper.id),
                   {"paper_id": paper.id, "voted": action == "add", "upvotes": vote_total(request, paper)})


@router.post("/me/library", dependencies=CSRF)
def library_form(request: Request, user: Annotated[User, Depends(auth.require_user)], paper_id: PaperRef,
                 action: Action = "add", tags: Annotated[str | None, Form(max_length=2000)] = None,
                 note: Annotated[str | None, Form(max_length=10_000)] = None, next: Next = "") -> Response:
    paper = find_paper(request, paper_id)
    if action == "add":
        signals.save_to_library(database(request), user.id, paper.id,
                                tags=parse_tags(tags) if tags is not None else None, note=note)
    else:
        signals.remove_from_library(database(request), user.id, paper.id)
    return _answer(request, next, views.paper_url(paper.id), {"paper_id": paper.id, "saved": action == "add"})


@router.post("/me/dismissals", dependencies=CSRF)
def dismiss_form(request: Request, user: Annotated[User, Depends(auth.require_user)], paper_id: PaperRef,
                 action: Action = "add", next: Next = "") -> Response:
    paper = find_paper(request, paper_id)
    if action == "add":
        signals.dismiss(database(request), user.id, paper.id)
    else:
        signals.undismiss(database(request), user.id, paper.id)
    return _answer(request, next, views.paper_url(paper.id), {"paper_id": paper.id, "dismissed": action == "add"})


@router.post("/me/follows", dependencies=CSRF)
def follow_form(request: Request, user: Annotated[User, Depends(auth.require_user)],
                kind: Annotated[str, Form(pattern="^(author|org|category|search)$")], action: Action = "add",
                target: Annotated[str | None, Form(max_length=200)] = None,
                q: Annotated[str | None, Form(max_length=1000)] = None,
                category: Annotated[list[str] | None, Form(max_length=20)] = None,
                author: Annotated[list[str] | None, Form(max_length=20)] = None,
                org: Annotated[list[str] | None, Form(max_length=20)] = None,
                has_code: Annotated[str | None, Form(pattern="^(true|false|)$")] = None,
                next: Next = "") -> Response:
    search = {"q": q, "category": category, "author": author, "org": org,
              "has_code": None if not has_code else has_code == "true"}
    if action == "remove" and kind != "search" and target:
        signals.remove_follow(database(request), user.id, kind=kind, target=target)
        return _answer(request, next, "/settings", {"kind": kind, "target": target, "following": False})
    stored, label = follow_target(request, kind, target, search)
    if action == "add":
        signals.add_follow(database(request), user.id, kind, stored, label)
    else:
        signals.remove_follow(database(request), user.id, kind=kind, target=stored)
    return _answer(request, next, follow_url(kind, stored),
                   {"kind": kind, "target": stored, "label": label, "following": action == "add"})


@router.post("/me/featured", dependencies=CSRF)
def feature_form(request: Request, user: Annotated[User, Depends(auth.require_admin)], paper_id: PaperRef,
                 day: Annotated[str, Form(pattern=r"^\d{4}-\d{2}-\d{2}$")], action: Action = "add",
                 next: Next = "") -> Response:
    paper, when = find_paper(request, paper_id), parse_day(day)
    if action == "add":
        signals.feature(database(request), when, paper.id, user.id)
    else:
        signals.unfeature(database(request), when, paper.id)
    return _answer(request, next, f"/day/{when}", {"paper_id": paper.id, "day": when, "featured": action == "add"})


def parse_day(day: str) -> str:
    try:
        return date.fromisoformat(day).isoformat()
    except ValueError:
        raise HTTPException(400, f"{day!r} is not a date (YYYY-MM-DD)") from None
