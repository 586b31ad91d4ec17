"""The account JSON API under ``/api/me``: profile, settings, votes, library, dismissals, follows, tokens,
export and deletion, plus the admins' ``/api/featured``.

Authentication is the session cookie (then state-changing calls need the ``X-CSRF-Token`` header) or an API
token (``Authorization: Bearer op_…``, no CSRF token needed). Unauthenticated calls get 401 JSON. Paper ids in
paths accept every spelling the rest of the API does, including old-style ids with a slash.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import Response

from openpapers.accounts import auth
from openpapers.accounts import repository as db
from openpapers.accounts import routes as account
from openpapers.accounts import service as accounts
from openpapers.accounts.me_schemas import (
    DismissalOut,
    FeatureOut,
    FollowIn,
    FollowOut,
    FollowsOut,
    LibraryIn,
    LibraryItemOut,
    LibraryOut,
    MeOut,
    OkOut,
    PasswordIn,
    SettingsIn,
    SettingsOut,
    TokenCreated,
    TokenIn,
    TokenOut,
    VoteOut,
)
from openpapers.accounts.service import AccountError, User
from openpapers.papers import views
from openpapers.papers.schemas import ErrorOut
from openpapers.signals import repository as signals
from openpapers.signals.action_routes import (
    database,
    find_paper,
    follow_target,
    follow_url,
    parse_day,
    parse_tags,
    vote_total,
)
from openpapers.web.context import ERRORS, json, web

AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    401: {"model": ErrorOut, "description": "Not logged in, or a bad API token"},
    403: {"model": ErrorOut, "description": "CSRF check failed (cookie sessions) or not allowed"},
}
router = APIRouter(prefix="/api", responses=AUTH_ERRORS, dependencies=[Depends(auth.csrf_protect)])
Me = Annotated[User, Depends(auth.require_user)]
PaperPath = Annotated[str, Path(min_length=1, max_length=200, description="Paper id (any arXiv spelling)")]


def _private(model: Any, status: int = 200) -> Response:
    response = json(model, status)
    response.headers["Cache-Control"] = auth.PRIVATE
    return response


# -- profile and settings ---------------------------------------------------------------------------------------
@router.get("/me", response_model=MeOut, tags=["me"], summary="The signed-in user")
def me(request: Request, user: Me) -> Response:
    return _private(MeOut(id=user.id, email=user.email, display_name=user.display_name, is_admin=user.is_admin,
                          digest_frequency=user.digest_frequency,  # type: ignore[arg-type]
                          digest_sections=list(user.digest_sections),  # type: ignore[arg-type]
                          counts=dict(signals.counts_for_user(database(request), user.id))))


def _settings(user: User) -> SettingsOut:
    return SettingsOut(display_name=user.display_name, digest_frequency=user.digest_frequency,  # type: ignore[arg-type]
                       digest_sections=list(user.digest_sections))  # type: ignore[arg-type]


@router.get("/me/settings", response_model=SettingsOut, tags=["account"], summary="Name and digest settings")
def get_settings(user: Me) -> Response:
    return _private(_settings(user))


@router.put("/me/settings", response_model=SettingsOut, tags=["account"],
            summary="Change the name, digest frequency (off/daily/weekly) or digest sections")
def put_settings(request: Request, user: Me, body: SettingsIn) -> Response:
    try:
        updated = accounts.update_settings(database(request), user.id, display_name=body.display_name,
                                           digest_frequency=body.digest_frequency,
                                           digest_sections=list(body.digest_sections)
                                           if body.digest_sections is not None else None)
    except AccountError as exc:
        raise HTTPException(400, str(exc)) from None
    return _private(_settings(updated))


@router.delete("/me", response_model=OkOut, tags=["account"],
               summary="Delete the account and all its data (needs the password)")
def delete_me(request: Request, user: Me, body: PasswordIn) -> Response:
    try:
        accounts.delete_account(database(request), user, body.password)
    except AccountError as exc:
        raise HTTPException(400, str(exc)) from None
    response = _private(OkOut(message="account deleted"))
    response.headers.append("set-cookie", auth.cookie_header(request.scope, auth.SESSION_COOKIE, "", max_age=0))
    return response


@router.get("/me/export", tags=["account"], summary="Your library, votes and follows (JSON) or library (BibTeX)",
            responses={200: {"content": {"application/json": {}, "application/x-bibtex": {}}}})
def export_me(request: Request, user: Me,
              format: Annotated[str, Query(pattern="^(json|bibtex)$", description="json or bibtex")] = "json"
              ) -> Response:
    return account.export_response(request, user, format)


# -- API tokens -------------------------------------------------------------------------------------------------
@router.get("/me/tokens", response_model=list[TokenOut], tags=["account"], summary="Your API tokens (not the "
            "tokens themselves)")
def list_tokens(request: Request, user: Me) -> Response:
    rows = db.list_api_tokens(database(request), user.id)
    return Response(b"[" + b",".join(TokenOut(**r).model_dump_json().encode() for r in rows) + b"]",
                    media_type="application/json", headers={"Cache-Control": auth.PRIVATE})


@router.post("/me/tokens", response_model=TokenCreated, status_code=201, tags=["account"],
             summary="Create an API token (shown once)")
def create_token(request: Request, user: Me, body: TokenIn) -> Response:
    try:
        token_id, token = accounts.create_api_token(database(request), user, body.name)
    except AccountError as exc:
        raise HTTPException(400, str(exc)) from None
    row = next(r for r in db.list_api_tokens(database(request), user.id) if r["id"] == token_id)
    return _private(TokenCreated(**row, token=token), 201)


@router.delete("/me/tokens/{token_id}", response_model=OkOut, tags=["account"], summary="Revoke an API token")
def revoke_token(request: Request, user: Me, token_id: Annotated[int, Path(ge=1, le=2**62)]) -> Response:
    if not db.delete_api_token(database(request), user.id, token_id):
        raise HTTPException(404, "no such token")
    return _private(OkOut(message="token revoked"))


# -- votes ------------------------------------------------------------------------------------------------------
@router.post("/me/votes/{paper_id:path}", response_model=VoteOut, tags=["me"], summary="Upvote a paper (once)")
def vote(request: Request, user: Me, paper_id: PaperPath) -> Response:
    paper = find_paper(request, paper_id)
    signals.add_vote(database(request), user.id, paper.id)
    return _private(VoteOut(paper_id=paper.id, voted=True, upvotes=vote_total(request, paper)))


@router.delete("/me/votes/{paper_id:path}", response_model=VoteOut, tags=["me"], summary="Remove your upvote")
def unvote(request: Request, user: Me, paper_id: PaperPath) -> Response:
    paper = find_paper(request, paper_id)
    signals.remove_vote(database(request), user.id, paper.id)
    return _private(VoteOut(paper_id=paper.id, voted=False, upvotes=vote_total(request, paper)))


# -- library ----------------------------------------------------------------------------------------------------
def library_view(request: Request, user: User, tag: str | None = None) -> LibraryOut:
    rows = signals.list_library(database(request), user.id)
    tags = sorted({t for r in rows for t in r["tags"]}, key=lambda t: (t.lower(), t))  # stable: "PDE" before "pde"
    if tag:
        rows = [r for r in rows if tag in r["tags"]]
    papers = {p.id: p for p in web(request).store.get_papers([r["paper_id"] for r in rows])}
    cards = {c.id: c for c in views.summaries(web(request).store, list(papers.values()))}
    items = [LibraryItemOut(paper_id=r["paper_id"], tags=r["tags"], note=r["note"], saved_at=r["created_at"],
                            updated_at=r["updated_at"], paper=cards.get(r["paper_id"])) for r in rows]
    return LibraryOut(total=len(items), tags=tags, items=items)


@router.get("/me/library", response_model=LibraryOut, tags=["me"], summary="Your saved papers, newest first")
def get_library(request: Request, user: Me,
                tag: Annotated[str | None, Query(max_length=40, description="only papers with this tag")] = None
                ) -> Response:
    return _private(library_view(request, user, tag))


def _item(request: Request, user: User, paper_id: str) -> LibraryItemOut:
    paper = find_paper(request, paper_id)
    row = signals.library_item(database(request), user.id, paper.id)
    if row is None:
        raise HTTPException(404, "this paper is not in your library")
    return LibraryItemOut(paper_id=paper.id, tags=row["tags"], note=row["note"], saved_at=row["created_at"],
                          updated_at=row["updated_at"], paper=views.summaries(web(request).store, [paper])[0])


@router.get("/me/library/{paper_id:path}", response_model=LibraryItemOut, tags=["me"],
            summary="One saved paper with its tags and note")
def get_library_item(request: Request, user: Me, paper_id: PaperPath) -> Response:
    return _private(_item(request, user, paper_id))


@router.put("/me/library/{paper_id:path}", response_model=LibraryItemOut, tags=["me"],
            summary="Save a paper, or change its tags/note")
def put_library_item(request: Request, user: Me, paper_id: PaperPath, body: LibraryIn | None = None) -> Response:
    paper = find_paper(request, paper_id)
    body = body or LibraryIn()
    tags = parse_tags(body.tags) if body.tags is not None else None
    signals.save_to_library(database(request), user.id, paper.id, tags=tags, note=body.note)
    return _private(_item(request, user, paper.id))


@router.delete("/me/library/{paper_id:path}", response_model=OkOut, tags=["me"], summary="Remove a saved paper")
def delete_library_item(request: Request, user: Me, paper_id: PaperPath) -> Response:
    paper = find_paper(request, paper_id)
    if not signals.remove_from_library(database(request), user.id, paper.id):
        raise HTTPException(404, "this paper is not in your library")
    return _private(OkOut(message="removed from your library"))


# -- dismissals -------------------------------------------------------------------------------------------------
@router.post("/me/dismissals/{paper_id:path}", response_model=DismissalOut, tags=["me"],
             summary='Mark a paper "not interested" (it leaves your personal feed)')
def dismiss(request: Request, user: Me, paper_id: PaperPath) -> Response:
    paper = find_paper(request, paper_id)
    signals.dismiss(database(request), user.id, paper.id)
    return _private(DismissalOut(paper_id=paper.id, dismissed=True))


@router.delete("/me/dismissals/{paper_id:path}", response_model=DismissalOut, tags=["me"],
               summary='Undo "not interested"')
def undismiss(request: Request, user: Me, paper_id: PaperPath) -> Response:
    paper = find_paper(request, paper_id)
    signals.undismiss(database(request), user.id, paper.id)
    return _private(DismissalOut(paper_id=paper.id, dismissed=False))


# -- follows ----------------------------------------------------------------------------------------------------
def _follows(request: Request, user: User) -> FollowsOut:
    rows = signals.list_follows(database(request), user.id)
    return FollowsOut(follows=[FollowOut(**r, url=follow_url(r["kind"], r["target"])) for r in rows])


@router.get("/me/follows", response_model=FollowsOut, tags=["me"], summary="What you follow")
def get_follows(request: Request, user: Me) -> Response:
    return _private(_follows(request, user))


@router.post("/me/follows", response_model=FollowOut, status_code=201, tags=["me"],
             summary="Follow an author, organisation, category or search (query + filters)")
def post_follow(request: Request, user: Me, body: FollowIn) -> Response:
    spec = {"q": body.q, "category": body.category, "author": body.author, "org": body.org,
            "has_code": body.has_code}
    target, label = follow_target(request, body.kind, body.target, spec)
    follow_id, added = signals.add_follow(database(request), user.id, body.kind, target, label)
    row = next(r for r in signals.list_follows(database(request), user.id) if r["id"] == follow_id)
    return _private(FollowOut(**row, url=follow_url(body.kind, target)), 201 if added else 200)


@router.delete("/me/follows", response_model=OkOut, tags=["me"],
               summary="Unfollow, by follow id or by kind and target")
def delete_follow(request: Request, user: Me,
                  id: Annotated[int | None, Query(ge=1, le=2**62, description="follow id")] = None,
                  kind: Annotated[str | None, Query(pattern="^(author|org|category|search)$")] = None,
                  target: Annotated[str | None, Query(max_length=2000)] = None) -> Response:
    if id is None and (kind is None or target is None):
        raise HTTPException(400, "give the follow's id, or kind and target")
    if not signals.remove_follow(database(request), user.id, follow_id=id, kind=kind, target=target):
        raise HTTPException(404, "you do not follow that")
    return _private(OkOut(message="unfollowed"))


# -- admin: featured papers -------------------------------------------------------------------------------------
@router.post("/featured/{day}/{paper_id:path}", response_model=FeatureOut, tags=["account"],
             summary="Admins: feature a paper at the top of a day's feed")
def feature(request: Request, user: Annotated[User, Depends(auth.require_admin)],
            day: Annotated[str, Path(pattern=r"^\d{4}-\d{2}-\d{2}$")], paper_id: PaperPath) -> Response:
    paper, when = find_paper(request, paper_id), parse_day(day)
    signals.feature(database(request), when, paper.id, user.id)
    return _private(FeatureOut(paper_id=paper.id, day=when, featured=True))


@router.delete("/featured/{day}/{paper_id:path}", response_model=FeatureOut, tags=["account"],
               summary="Admins: stop featuring a paper on a day")
def unfeature(request: Request, _user: Annotated[User, Depends(auth.require_admin)],
              day: Annotated[str, Path(pattern=r"^\d{4}-\d{2}-\d{2}$")], paper_id: PaperPath) -> Response:
    paper, when = find_paper(request, paper_id), parse_day(day)
    signals.unfeature(database(request), when, paper.id)
    return _private(FeatureOut(paper_id=paper.id, day=when, featured=False))
