"""Administrators' pages: ``/admin/users`` (list, promote, demote, disable, enable: what ``openpapers user …``
does from the shell) and ``/admin/orgs`` (display names of organisations), each with its JSON twin under
``/api/admin/…`` and plain POST forms that come back to the page (``Accept: application/json`` gets JSON).

An administrator cannot demote or disable their own account here (a slip would lock the last one out); the CLI,
run by whoever owns the server, can.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from openpapers.accounts import auth
from openpapers.accounts import repository as db
from openpapers.accounts import service as accounts
from openpapers.accounts.admin_schemas import (
    AdminOrgOut,
    AdminOrgsPage,
    AdminUserOut,
    AdminUsersPage,
    AdminUserStateOut,
)
from openpapers.accounts.service import User
from openpapers.papers import org_names
from openpapers.web import pages
from openpapers.web.context import PageParam, database, wants_json

router = APIRouter()
CSRF = [Depends(auth.csrf_protect)]
Admin = Annotated[User, Depends(auth.require_admin)]
ORGS_PER_PAGE = 100


def user_out(row: Any) -> AdminUserOut:
    return AdminUserOut(id=int(row["id"]), email=row["email"], display_name=row["display_name"],
                        is_admin=bool(row["is_admin"]), disabled=bool(row.get("disabled_at")),
                        digest_frequency=row["digest_frequency"] or "off", created_at=row["created_at"])


def _context(_request: Request, _view: Any, _args: dict[str, Any]) -> dict[str, Any]:
    return {"nav": "admin"}


@pages.page(router, "/admin/users", template="admin_users.html", context=_context, private=True, tags=["admin"],
            responses=auth.AUTH_ERRORS, summary="Administrators: every account")
def admin_users(request: Request, user: Admin) -> AdminUsersPage:
    rows = db.list_users(database(request))
    return AdminUsersPage(total=len(rows), users=[user_out(r) for r in rows])


@router.post("/admin/users", dependencies=CSRF, include_in_schema=False)
def change_user(request: Request, admin: Admin, user_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
                action: Annotated[str, Form(pattern="^(promote|demote|disable|enable)$")]) -> Response:
    bind = database(request)
    row = db.get_user(bind, user_id)
    if row is None:
        raise HTTPException(404, f"no account {user_id}")
    if user_id == admin.id and action in ("demote", "disable"):
        raise HTTPException(400, "you cannot demote or disable your own account here (use the CLI)")
    if action in ("promote", "demote"):
        accounts.set_admin(bind, user_id, action == "promote")
    else:
        accounts.set_disabled(bind, user_id, action == "disable")
    changed = user_out(db.get_user(bind, user_id) or row)
    if wants_json(request):
        return Response(AdminUserStateOut(user=changed).model_dump_json(), media_type="application/json",
                        headers={"Cache-Control": auth.PRIVATE})
    return RedirectResponse(f"/admin/users#user-{user_id}", status_code=303)


@pages.page(router, "/admin/orgs", template="admin_orgs.html", context=_context, private=True, tags=["admin"],
            responses=auth.AUTH_ERRORS, summary="Administrators: organisations and their display names")
def admin_orgs(request: Request, user: Admin, prefix: Annotated[str, Query(max_length=100)] = "",
               page: PageParam = 1) -> AdminOrgsPage:
    bind = database(request)
    prefix = prefix.strip().lower()
    rows, total = org_names.list_orgs(bind, prefix, ORGS_PER_PAGE, (page - 1) * ORGS_PER_PAGE)
    table, mine = org_names.names(bind), org_names.overrides(bind)
    orgs = [AdminOrgOut(id=r["id"], stored_name=r["name"], display_name=table.get(r["id"]) or r["name"],
                        override=mine.get(r["id"]), papers=int(r["papers"] or 0)) for r in rows]
    return AdminOrgsPage(prefix=prefix, page=page, pages=max(1, -(-total // ORGS_PER_PAGE)), total=total, orgs=orgs)


@router.post("/admin/orgs", dependencies=CSRF, include_in_schema=False)
def name_org(request: Request, admin: Admin, org_id: Annotated[str, Form(pattern=r"^[a-z0-9][a-z0-9-]{0,199}$")],
             name: Annotated[str, Form(max_length=org_names.MAX_NAME)] = "",
             next: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """Set an organisation's display name; an empty name goes back to the bundled table's (or the stored one)."""
    bind = database(request)
    clean = " ".join(name.split())
    if clean:
        org_names.set_name(bind, org_id, clean, admin.id)
    else:
        org_names.clear_name(bind, org_id)
    if wants_json(request):
        shown = org_names.names(bind).get(org_id)
        return Response(orjson.dumps({"org_id": org_id, "display_name": shown}), media_type="application/json",
                        headers={"Cache-Control": auth.PRIVATE})
    return RedirectResponse(auth.safe_next(next, "/admin/orgs"), status_code=303)

