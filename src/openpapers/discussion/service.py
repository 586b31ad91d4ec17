"""The rules of discussion, once for the forms and the JSON answers.

* Only signed-in readers comment; a comment is 1–10,000 characters of Markdown, stored as written and rendered
  (sanitised) on the way out, so a better sanitiser later applies to old comments too.
* The writer edits and deletes their own comments; administrators hide (and show again) or delete anyone's.
  A hidden comment stays in the thread as "hidden by a moderator" (replies around it keep their sense); its
  text is shown only to its writer and to administrators.
* Writing and editing are rate-limited per reader (:data:`BURST` in ten minutes, :data:`DAILY` a day), counted
  in the shared ``auth_attempts`` table by :func:`openpapers.accounts.throttle.check_limit`, so every worker
  process sees the same counts; over the limit is 429 with ``Retry-After``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import HTTPException, Request

from openpapers.accounts import repository as accounts_db
from openpapers.accounts import throttle
from openpapers.accounts.service import User
from openpapers.db.clock import now as now_iso
from openpapers.discussion import render
from openpapers.discussion import repository as repo
from openpapers.discussion.schemas import MAX_BODY, CommentOut, CommentStateOut
from openpapers.signals import actions
from openpapers.web.context import database

BURST, BURST_WINDOW = 10, timedelta(minutes=10)
DAILY, DAY = 50, timedelta(days=1)


def clean_body(body: str | None) -> str:
    text = "".join(ch for ch in (body or "") if ch in "\n\t" or ch.isprintable()).strip()
    if not text:
        raise HTTPException(400, "a comment cannot be empty")
    if len(text) > MAX_BODY:
        raise HTTPException(400, f"a comment is at most {MAX_BODY} characters")
    return text


def _throttle(request: Request, user: User) -> None:
    db = database(request)
    key = f"comment:{user.id}"
    try:
        throttle.check_limit(db, key, BURST, BURST_WINDOW, f"At most {BURST} comments or edits in ten minutes. "
                                                            "Wait a little before writing again.")
        throttle.check_limit(db, key, DAILY, DAY, f"At most {DAILY} comments or edits a day.")
    except throttle.RateLimited as exc:
        raise HTTPException(429, str(exc), headers={"Retry-After": str(exc.retry_after)}) from None
    accounts_db.record_attempt(db, [key], now_iso())


def out(row: dict[str, Any], viewer: User | None) -> CommentOut:
    hidden = row["hidden_at"] is not None
    mine = None if viewer is None else row["user_id"] == viewer.id
    readable = not hidden or bool(mine) or bool(viewer and viewer.is_admin)
    return CommentOut(id=int(row["id"]), paper_id=row["paper_id"], author=row.get("display_name") or "a former reader",
                      body=row["body"] if readable else None, html=render.render(row["body"]) if readable else None,
                      created_at=row["created_at"], updated_at=row["updated_at"], hidden=hidden, mine=mine)


def thread(request: Request, paper_id: str, viewer: User | None) -> list[CommentOut]:
    return [out(r, viewer) for r in repo.for_paper(database(request), paper_id)]


def counts(request: Request, paper_ids: list[str]) -> dict[str, int]:
    return repo.counts(database(request), paper_ids)


def _comment(request: Request, comment_id: int) -> dict[str, Any]:
    row = repo.get(database(request), comment_id)
    if row is None:
        raise HTTPException(404, f"comment {comment_id} was not found")
    return row


def _with_author(request: Request, row: dict[str, Any], user: User) -> CommentOut:
    found = next((r for r in repo.for_paper(database(request), row["paper_id"]) if r["id"] == row["id"]), row)
    return out(found, user)


def write(request: Request, user: User, paper_ref: str, body: str | None) -> CommentStateOut:
    paper = actions.find_paper(request, paper_ref)
    text = clean_body(body)
    _throttle(request, user)
    cid = repo.add(database(request), paper.id, user.id, text)
    return CommentStateOut(comment_id=cid, paper_id=paper.id,
                           comment=_with_author(request, _comment(request, cid), user))


def change(request: Request, user: User, comment_id: int, action: str, body: str | None) -> CommentStateOut:
    """``edit`` and ``delete`` (the writer; ``delete`` also administrators), ``hide`` and ``show``
    (administrators)."""
    row = _comment(request, comment_id)
    db = database(request)
    own = row["user_id"] == user.id
    if action in ("hide", "show"):
        if not user.is_admin:
            raise HTTPException(403, "only administrators moderate comments")
        repo.set_hidden(db, comment_id, user.id if action == "hide" else None)
        return CommentStateOut(comment_id=comment_id, paper_id=row["paper_id"], hidden=action == "hide")
    if action == "delete":
        if not (own or user.is_admin):
            raise HTTPException(403, "you can delete only your own comments")
        repo.remove(db, comment_id)
        return CommentStateOut(comment_id=comment_id, paper_id=row["paper_id"], deleted=True)
    if not own:
        raise HTTPException(403, "you can edit only your own comments")
    text = clean_body(body)
    _throttle(request, user)
    repo.edit(db, comment_id, text)
    return CommentStateOut(comment_id=comment_id, paper_id=row["paper_id"],
                           comment=_with_author(request, _comment(request, comment_id), user))
