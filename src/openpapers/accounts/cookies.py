"""The cookies this site sets, named once and written one way.

``op_session`` (the session, 30 days) and ``op_csrf`` (anonymous forms' signed nonce, a browser-session cookie)
are both ``HttpOnly; SameSite=Lax; Path=/``, plus ``Secure`` when the site's public URL or the request is https.
Routes write them with Starlette's ``Response.set_cookie`` through :func:`set_cookie`; the viewer middleware,
which holds no response object, gets the very same header lines from :func:`set_cookie_headers`. Cookies are
read with Starlette's parser (``request.cookies``, or :func:`request_cookies` for a bare ASGI scope).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.types import Scope

SESSION_COOKIE = "op_session"
# Spelled as RFC 6265bis does (and as this site always sent it); Starlette passes the value through, its type
# hint lists only the lower-case spellings.
_SAMESITE: Any = "Lax"


def request_cookies(scope: Scope) -> dict[str, str]:
    """The cookies of a request, for code that has only its ASGI scope (middleware)."""
    return HTTPConnection(scope).cookies


def secure_cookies(scope: Scope) -> bool:
    """Cookies are ``Secure`` when the site's public URL (OPENPAPERS_BASE_URL) or the request is https."""
    base = scope["app"].state.web.settings.base_url or ""
    return base.startswith("https://") or scope.get("scheme") == "https"


def set_cookie(response: Response, scope: Scope, name: str, value: str, *, max_age: int | None) -> None:
    """Set one of this site's cookies on ``response`` (``max_age=0`` with an empty value removes it)."""
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite=_SAMESITE,
                        secure=secure_cookies(scope))


def set_cookie_headers(scope: Scope, cookies: list[tuple[str, str, int | None]]) -> list[str]:
    """``Set-Cookie`` values for (name, value, max_age) triples, written by :func:`set_cookie`."""
    carrier = Response()
    for name, value, max_age in cookies:
        set_cookie(carrier, scope, name, value, max_age=max_age)
    return [v.decode("latin-1") for k, v in carrier.raw_headers if k == b"set-cookie"]
