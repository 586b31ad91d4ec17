"""The rules of collections, once for the forms, the JSON twins and the feeds.

* Anyone may read a public collection (its URL is the way to share it), sign-in or not; a private one exists only
  for its owner: to anyone else it is a 404, exactly like a collection that does not exist, so ids reveal nothing.
* Only the owner changes a collection (403 for a signed-in reader who can see it but does not own it).
* Anyone signed in can follow a public collection (a follow of kind ``collection``, listed with the others);
  making a collection private drops the follows of other readers, deleting it drops all of them.
* Limits: names 1–100 characters, descriptions up to 2,000, notes up to 5,000, 200 collections per reader,
  1,000 papers per collection.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Request
from sqlalchemy import delete

from openpapers.accounts.service import User
from openpapers.collections import repository as repo
from openpapers.collections.schemas import (
    MAX_DESCRIPTION,
    MAX_NAME,
    MAX_NOTE,
    CollectionItemOut,
    CollectionOut,
    CollectionPage,
    CollectionsPage,
    CollectionStateOut,
)
from openpapers.core.records import Paper
from openpapers.db import schema as t
from openpapers.db.database import tx
from openpapers.papers import views
from openpapers.signals import actions
from openpapers.signals import repository as signals
from openpapers.web.context import database, web

MAX_COLLECTIONS, MAX_ITEMS, PER_PAGE = 200, 1000, 50


def clean_text(value: str | None, limit: int, what: str, *, required: bool = False) -> str:
    """Trimmed text of at most ``limit`` characters (control characters other than newlines removed)."""
    text = "".join(ch for ch in (value or "") if ch in "\n\t" or ch.isprintable()).strip()
    if required and not text:
        raise HTTPException(400, f"a collection needs a {what}")
    if len(text) > limit:
        raise HTTPException(400, f"the {what} is longer than {limit} characters")
    return text


def url(collection_id: int) -> str:
    return f"/collection/{collection_id}"


def out(request: Request, row: dict[str, Any], user: User | None) -> CollectionOut:
    cid = int(row["id"])
    following = None
    if user is not None:
        following = signals.is_following(database(request), user.id, "collection", str(cid))
    return CollectionOut(
        id=cid, name=row["name"], description=row["description"] or "", public=bool(row["public"]),
        owner=row["owner_name"] or "a former reader", size=int(row["size"] or 0),
        followers=int(row["followers"] or 0), created_at=row["created_at"], updated_at=row["updated_at"],
        url=url(cid), api_url=views.api(url(cid)), feed_url=f"/feeds/collection/{cid}.atom",
        bibtex_url=f"/collection/{cid}/bibtex", mine=None if user is None else row["user_id"] == user.id,
        following=following)


def visible(request: Request, user: User | None, collection_id: int) -> dict[str, Any]:
    """The collection if this reader may see it; 404 otherwise (a private collection of someone else too)."""
    row = repo.get(database(request), collection_id)
    if row is None or not (row["public"] or (user is not None and row["user_id"] == user.id)):
        raise HTTPException(404, f"collection {collection_id} was not found")
    return row


def owned(request: Request, user: User, collection_id: int) -> dict[str, Any]:
    row = visible(request, user, collection_id)
    if row["user_id"] != user.id:
        raise HTTPException(403, "only the owner of a collection can change it")
    return row


def papers_of(request: Request, collection_id: int) -> tuple[list[dict[str, Any]], dict[str, Paper]]:
    rows = repo.items(database(request), collection_id)
    found = {p.id: p for p in web(request).store.get_papers([r["paper_id"] for r in rows])}
    return rows, found


def page_view(request: Request, user: User | None, collection_id: int) -> CollectionPage:
    row = visible(request, user, collection_id)
    rows, found = papers_of(request, collection_id)
    cards = {c.id: c for c in views.summaries(web(request).store, list(found.values()))}
    items = [CollectionItemOut(paper_id=r["paper_id"], note=r["note"], added_at=r["added_at"],
                               paper=cards.get(r["paper_id"])) for r in rows]
    return CollectionPage(collection=out(request, row, user), total=len(items), items=items)


def index_view(request: Request, user: User | None, page: int) -> CollectionsPage:
    db = database(request)
    mine = None
    if user is not None:
        mine = [out(request, r, user) for r in repo.list_collections(db, user_id=user.id, limit=MAX_COLLECTIONS)[0]]
    public, total = repo.list_collections(db, public=True, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    return CollectionsPage(mine=mine, public=[out(request, r, user) for r in public], total_public=total,
                           page=page, pages=views.pages(total, PER_PAGE))


def create(request: Request, user: User, name: str | None, description: str | None, public: bool) -> int:
    name_ = clean_text(name, MAX_NAME, "name", required=True)
    text = clean_text(description, MAX_DESCRIPTION, "description")
    if repo.list_collections(database(request), user_id=user.id, limit=1)[1] >= MAX_COLLECTIONS:
        raise HTTPException(400, f"at most {MAX_COLLECTIONS} collections per reader")
    return repo.create(database(request), user.id, name_, text, public)


def edit(request: Request, user: User, collection_id: int, name: str | None, description: str | None,
         public: bool | None) -> None:
    """Change what is given (``None`` keeps it); making a collection private drops other readers' follows."""
    owned(request, user, collection_id)
    values: dict[str, Any] = {}
    if name is not None:
        values["name"] = clean_text(name, MAX_NAME, "name", required=True)
    if description is not None:
        values["description"] = clean_text(description, MAX_DESCRIPTION, "description")
    if public is not None:
        values["public"] = public
    repo.update_collection(database(request), collection_id, **values)
    if public is False:
        f = t.follows
        with tx(database(request)) as conn:
            conn.execute(delete(f).where(f.c.kind == "collection", f.c.target == str(collection_id),
                                         f.c.user_id != user.id))


def remove(request: Request, user: User, collection_id: int) -> CollectionStateOut:
    owned(request, user, collection_id)
    repo.delete_collection(database(request), collection_id)
    return CollectionStateOut(collection_id=collection_id, deleted=True)


def set_item(request: Request, user: User, collection_id: int, paper_ref: str, add: bool,
             note: str | None) -> CollectionStateOut:
    """Add a paper (or change its note), or take it out."""
    row = owned(request, user, collection_id)
    paper = actions.find_paper(request, paper_ref)
    if add:
        text = None if note is None else clean_text(note, MAX_NOTE, "note")
        if int(row["size"] or 0) >= MAX_ITEMS and collection_id not in repo.containing(
                database(request), user.id, paper.id):
            raise HTTPException(400, f"a collection holds at most {MAX_ITEMS} papers")
        repo.put_item(database(request), collection_id, user.id, paper.id, text)
    else:
        repo.remove_item(database(request), collection_id, paper.id)
    return CollectionStateOut(collection_id=collection_id, paper_id=paper.id, in_collection=add)


def set_following(request: Request, user: User, collection_id: int, following: bool) -> CollectionStateOut:
    row = visible(request, user, collection_id)
    if following:
        if not row["public"]:
            raise HTTPException(400, "only a public collection can be followed")
        signals.add_follow(database(request), user.id, "collection", str(collection_id), row["name"][:300])
    else:
        signals.remove_follow(database(request), user.id, kind="collection", target=str(collection_id))
    return CollectionStateOut(collection_id=collection_id, following=following)


def choices_for(request: Request, user: User, paper_id: str) -> list[tuple[CollectionOut, bool]]:
    """The reader's collections and whether each holds the paper (the paper page's form)."""
    db = database(request)
    rows = repo.list_collections(db, user_id=user.id, limit=MAX_COLLECTIONS)[0]
    holding = repo.containing(db, user.id, paper_id)
    return [(out(request, r, None), int(r["id"]) in holding) for r in rows]
