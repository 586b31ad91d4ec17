"""The account JSON API under ``/api/me``: profile, settings, tokens, export and deletion (what readers do to
papers, ``/api/me/votes`` and the rest, is :mod:`openpapers.signals.me_routes`).

Authentication is the session cookie (then state-changing calls need the ``X-CSRF-Token`` header) or an API
token (``Authorization: Bearer op_…``, no CSRF token needed). Unauthenticated calls get 401 JSON.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from openpapers.accounts import auth, export
from openpapers.accounts import repository as db
from openpapers.accounts import service as accounts
from openpapers.accounts.me_schemas import (
    MeOut,
    OkOut,
    PasswordIn,
    SettingsIn,
    SettingsOut,
    TokenCreated,
    TokenIn,
    TokenOut,
)
from openpapers.accounts.service import AccountError, User
from openpapers.core.url_keys import MAX_ROW_ID
from openpapers.papers.schemas import ErrorOut
from openpapers.signals import repository as signals
from openpapers.web.context import database, json

router = APIRouter(prefix="/api", responses=auth.AUTH_ERRORS, dependencies=[Depends(auth.csrf_protect)])
Me = Annotated[User, Depends(auth.require_user)]



def _private(model: BaseModel, status: int = 200) -> Response:
    return auth.private(json(model, status))


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
               summary="Delete the account and all its data (needs the password)",
               responses={403: {"model": ErrorOut, "description": "The password is wrong (nothing was deleted), "
                                                                  "or the CSRF check failed"}})
def delete_me(request: Request, user: Me, body: PasswordIn) -> Response:
    try:
        accounts.delete_account(database(request), user, body.password)
    except AccountError as exc:  # a wrong password: the request is understood, and refused
        raise HTTPException(403, str(exc)) from None
    response = _private(OkOut(message="account deleted"))
    auth.clear_session_cookie(request, response)
    return response


@router.get("/me/export", tags=["account"], summary="Your library, votes and follows (JSON) or library (BibTeX)",
            responses={200: {"content": {"application/json": {}, "application/x-bibtex": {}}}})
def export_me(request: Request, user: Me,
              format: Annotated[str, Query(pattern="^(json|bibtex)$", description="json or bibtex")] = "json"
              ) -> Response:
    return export.export_response(request, user, format)


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
def revoke_token(request: Request, user: Me, token_id: Annotated[int, Path(ge=1, le=MAX_ROW_ID)]) -> Response:
    if not db.delete_api_token(database(request), user.id, token_id):
        raise HTTPException(404, "no such token")
    return _private(OkOut(message="token revoked"))
