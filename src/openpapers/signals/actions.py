"""What a signed-in reader does to papers, once for both ways of asking: upvote, save (tags, note), "not
interested", follow, and (admins) feature a paper on a day's feed.

The HTML forms (:mod:`openpapers.signals.action_routes`) and the REST API (:mod:`openpapers.signals.me_routes`)
are two doors to the same actions; keeping the checks (paper ids in any spelling, tag limits, what may be
followed, day keys) and the answers' shapes here means the two cannot drift apart. Paper ids are resolved like
everywhere else (any arXiv spelling, merged-away ids through their alias) and stored under the canonical id.
Failures are ``HTTPException`` with the status the reader should get (both doors are HTTP).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import HTTPException, Request
from sqlalchemy import select

from openpapers.accounts.service import User
from openpapers.authors.profiles import profile, resolve
from openpapers.authors.routes import IDENTITY
from openpapers.core.records import Paper, author_id
from openpapers.core.taxonomy import category_name
from openpapers.db import schema_social as ts
from openpapers.db.database import tx
from openpapers.papers import org_names, views
from openpapers.search.backends.keyword_base import checked_request
from openpapers.search.types import Filters, QueryError
from openpapers.signals import repository as signals
from openpapers.signals.schemas import (
    MAX_TAGS,
    DismissalOut,
    FeatureOut,
    FollowOut,
    FollowsOut,
    FollowStateOut,
    FollowUpdateIn,
    LibraryItemOut,
    LibraryOut,
    SavedOut,
    SavedSearchOut,
    VoteOut,
)
from openpapers.topics import repository as topics
from openpapers.web.context import CATEGORY, SLUG, database, unprocessable, web

MAX_TAG = 40
_TAG = re.compile(r"[^\w .+#/-]", re.UNICODE)



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


def parse_day(day: str) -> str:
    try:
        return date.fromisoformat(day).isoformat()
    except ValueError:
        raise HTTPException(400, f"{day!r} is not a date (YYYY-MM-DD)") from None


# -- votes, library, dismissals, featured -----------------------------------------------------------------------
def vote_total(request: Request, paper: Paper) -> int | None:
    local = signals.vote_counts(database(request), [paper.id]).get(paper.id, 0)
    return views.total_upvotes(paper.upvotes, local)


def set_vote(request: Request, user: User, paper: Paper, voted: bool) -> VoteOut:
    if voted:
        signals.add_vote(database(request), user.id, paper.id)
    else:
        signals.remove_vote(database(request), user.id, paper.id)
    return VoteOut(paper_id=paper.id, voted=voted, upvotes=vote_total(request, paper))


def save(request: Request, user: User, paper: Paper, *, tags: list[str] | None, note: str | None) -> SavedOut:
    """Save a paper or change its tags/note (``None`` keeps what is stored)."""
    signals.save_to_library(database(request), user.id, paper.id, tags=tags, note=note)
    return SavedOut(paper_id=paper.id, saved=True)


def unsave(request: Request, user: User, paper: Paper) -> bool:
    """Take a paper out of the library; False when it was not in it."""
    return bool(signals.remove_from_library(database(request), user.id, paper.id))


def set_dismissed(request: Request, user: User, paper: Paper, dismissed: bool) -> DismissalOut:
    if dismissed:
        signals.dismiss(database(request), user.id, paper.id)
    else:
        signals.undismiss(database(request), user.id, paper.id)
    return DismissalOut(paper_id=paper.id, dismissed=dismissed)


def set_featured(request: Request, admin: User, day: str, paper: Paper, featured: bool) -> FeatureOut:
    when = parse_day(day)
    if featured:
        signals.feature(database(request), when, paper.id, admin.id)
    else:
        signals.unfeature(database(request), when, paper.id)
    return FeatureOut(paper_id=paper.id, day=when, featured=featured)


def library_view(request: Request, user: User, tag: str | None = None) -> LibraryOut:
    """The reader's library, newest first, optionally only the papers with one tag (the ``/library`` page)."""
    rows = signals.list_library(database(request), user.id)
    tags = sorted({t for r in rows for t in r["tags"]}, key=lambda t: (t.lower(), t))  # stable: "PDE" before "pde"
    if tag:
        rows = [r for r in rows if tag in r["tags"]]
    papers = {p.id: p for p in web(request).store.get_papers([r["paper_id"] for r in rows])}
    cards = {c.id: c for c in views.summaries(web(request).store, list(papers.values()))}
    items = [LibraryItemOut(paper_id=r["paper_id"], tags=r["tags"], note=r["note"], saved_at=r["created_at"],
                            updated_at=r["updated_at"], paper=cards.get(r["paper_id"])) for r in rows]
    return LibraryOut(total=len(items), tags=tags, items=items)


def library_entry(request: Request, user: User, paper: Paper) -> LibraryItemOut:
    """One saved paper with its tags and note; 404 when it is not in the library."""
    row = signals.library_item(database(request), user.id, paper.id)
    if row is None:
        raise HTTPException(404, "this paper is not in your library")
    return LibraryItemOut(paper_id=paper.id, tags=row["tags"], note=row["note"], saved_at=row["created_at"],
                          updated_at=row["updated_at"], paper=views.summaries(web(request).store, [paper])[0])


# -- follows ----------------------------------------------------------------------------------------------------
def follow_target(request: Request, kind: str, target: str | None, search: dict[str, Any] | None = None
                  ) -> tuple[str, str]:
    """Check what is to be followed and return (stored target, label): 404 for an unknown author/org, 422 for
    what cannot be followed at all (a malformed category, a saved search with nothing to search for)."""
    store = web(request).store
    if kind == "author" and target and re.fullmatch(IDENTITY, target):
        live = resolve(store, target)  # a person (identity id): follows match that person's papers only
        row = profile(store, live) if live else None
        if row is None:
            raise HTTPException(404, f"author {target!r} was not found")
        return row["id"], row["name"]
    if kind == "author":  # a name slug, or a name read as the search filters read it (its slug)
        aid = target if target and re.match(SLUG, target) else author_id(target or "")
        info = store.get_author(aid) if aid else None
        if info is None:
            raise HTTPException(404, f"author {target!r} was not found")
        return info.id, info.name
    if kind == "org":
        oid = target if target and re.match(SLUG, target) else org_names.id_for(target or "", store.db)
        org = store.get_org(oid) if oid else None
        if org is None:
            raise HTTPException(404, f"organisation {target!r} was not found")
        return org.id, org.name
    if kind == "category":
        if not target or not re.match(CATEGORY, target):
            raise unprocessable("a category is an arXiv code like cs.LG")
        name = category_name(target)
        return target, f"{target} · {name}" if name else target
    if kind == "search":
        return saved_search(search or {})
    if kind == "collection":  # public collections only (a private one is not found, as on its page)
        found = public_collection(request, target)
        if found is None:
            raise HTTPException(404, f"collection {target!r} was not found")
        return str(found[0]), str(found[1])[:300]
    if kind == "topic":
        label = topics.topic_label(store.engine, int(target)) if target and target.isdigit() else None
        if target is None or label is None:
            raise HTTPException(404, f"topic {target!r} was not found")
        return str(int(target)), label
    raise HTTPException(400, "kind must be author, org, category, search, collection or topic")


def public_collection(request: Request, target: str | None) -> tuple[Any, ...] | None:
    if not target or not target.isdigit() or len(target) > 10:
        return None
    c = ts.collections
    with tx(database(request)) as conn:
        row = conn.execute(select(c.c.id, c.c.name).where(c.c.id == int(target), c.c.public.is_(True))).first()
    return tuple(row) if row else None


def saved_search(spec: dict[str, Any]) -> tuple[str, str]:
    """A saved search's canonical JSON (sorted filters, so the same search is one follow) and its label."""
    q = " ".join(str(spec.get("q") or "").split())[:1000]
    lists = {k: sorted({str(v).strip() for v in spec.get(k) or [] if str(v).strip()})[:20]
             for k in ("category", "author", "org")}
    has_code = spec.get("has_code")
    if not q and not any(lists.values()) and has_code is None:
        raise unprocessable("a saved search needs a query or a filter")
    filters = Filters(categories=lists["category"], authors=lists["author"], orgs=lists["org"],
                      has_code=None if has_code is None else bool(has_code))
    try:  # the search page's own check: a saved search is refused where that search would be
        checked_request(q, filters, 1, 0)
    except QueryError as exc:
        raise unprocessable(f"bad query: {exc}") from None
    canon: dict[str, Any] = {"q": q, **{k: v for k, v in lists.items() if v}}
    if has_code is not None:
        canon["has_code"] = bool(has_code)
    extras = [*lists["category"], *lists["author"], *lists["org"]] + (["has code"] if has_code else [])
    # The query as typed (its own quotes kept, none added: the pages put the label in quotes of their own).
    label = (q or "all papers") + (f" ({', '.join(extras)})" if extras else "")
    return orjson.dumps(canon, option=orjson.OPT_SORT_KEYS).decode(), label[:300]


def follow_url(kind: str, target: str) -> str:
    if kind == "author":
        return views.author_url(target)
    if kind == "org":
        return views.org_url(target)
    if kind == "category":
        return views.category_url(target)
    if kind == "collection":
        return f"/collection/{target}"
    if kind == "topic":
        return views.topic_url(int(target))
    spec = orjson.loads(target)
    items = [("q", spec.get("q", ""))] + [(k, v) for k in ("category", "author", "org") for v in spec.get(k, [])]
    if "has_code" in spec:
        items.append(("has_code", "true" if spec["has_code"] else "false"))
    return "/search?" + urlencode(items)


def follow(request: Request, user: User, kind: str, target: str | None, search: dict[str, Any] | None = None
           ) -> tuple[FollowOut, bool]:
    """Follow something (checked by :func:`follow_target`): the follow, and whether it is new."""
    stored, label = follow_target(request, kind, target, search)
    follow_id, added = signals.add_follow(database(request), user.id, kind, stored, label)
    row = next(r for r in signals.list_follows(database(request), user.id) if r["id"] == follow_id)
    return follow_out(row), added


def follow_out(row: dict[str, Any]) -> FollowOut:
    spec = SavedSearchOut(**orjson.loads(row["target"])) if row["kind"] == "search" else None
    return FollowOut(**row, url=follow_url(row["kind"], row["target"]), search=spec)


def update_follow(request: Request, user: User, follow_id: int, change: FollowUpdateIn) -> FollowOut:
    """Rename, put in or out of the digest, or change a saved search's query and filters (404 for a follow the
    reader does not have; 422 for a search the search page would refuse, or one they already follow)."""
    rows = {r["id"]: r for r in signals.list_follows(database(request), user.id)}
    row = rows.get(follow_id)
    if row is None:
        raise HTTPException(404, "you do not follow that")
    target = None
    searching = bool(change.model_fields_set & {"q", "category", "author", "org", "has_code"})
    if searching:
        if row["kind"] != "search":
            raise unprocessable("only a saved search has a query and filters to change")
        old = orjson.loads(row["target"])
        spec = {"q": change.q if change.q is not None else old.get("q", ""),
                **{k: getattr(change, k) if getattr(change, k) is not None else old.get(k, [])
                   for k in ("category", "author", "org")},
                "has_code": change.has_code if "has_code" in change.model_fields_set else old.get("has_code")}
        target, default = saved_search(spec)
        if any(r["kind"] == "search" and r["target"] == target and i != follow_id for i, r in rows.items()):
            raise unprocessable("you already follow that search")
        if change.label is None and row["label"] == _default_label(old):
            change.label = default  # an unrenamed search's label follows what it searches for
    label = " ".join(change.label.split())[:300] if change.label is not None else None
    if label == "":
        raise unprocessable("a name needs a letter")
    signals.update_follow(database(request), user.id, follow_id, label=label, in_digest=change.in_digest,
                          target=target)
    fresh = next(r for r in signals.list_follows(database(request), user.id) if r["id"] == follow_id)
    return follow_out(fresh)


def _default_label(spec: dict[str, Any]) -> str:
    try:
        return saved_search(spec)[1]
    except HTTPException:
        return ""


def unfollow(request: Request, user: User, *, follow_id: int | None = None, kind: str | None = None,
             target: str | None = None) -> bool:
    """Stop following, by follow id or by kind and stored target; False when nothing was followed."""
    return bool(signals.remove_follow(database(request), user.id, follow_id=follow_id, kind=kind, target=target))


def set_following(request: Request, user: User, kind: str, target: str | None, search: dict[str, Any],
                  following: bool) -> FollowStateOut:
    """The follow form: an unfollow of an author/org/category by its id needs no lookup (it may be gone)."""
    if not following and kind != "search" and target:
        unfollow(request, user, kind=kind, target=target)
        return FollowStateOut(kind=kind, target=target, following=False)
    stored, label = follow_target(request, kind, target, search)
    if following:
        signals.add_follow(database(request), user.id, kind, stored, label)
    else:
        unfollow(request, user, kind=kind, target=stored)
    return FollowStateOut(kind=kind, target=stored, label=label, following=following)


def follows_view(request: Request, user: User) -> FollowsOut:
    rows = signals.list_follows(database(request), user.id)
    return FollowsOut(follows=[follow_out(r) for r in rows])
