"""Cross-site request forgery checks, independent of the web framework (accounts/auth.py applies them).

Three layers, each covering what the previous cannot:

* **Logged in**: every session has its own random CSRF token (stored with the session). Forms carry it in a
  hidden ``csrf_token`` field, scripts in the ``X-CSRF-Token`` header; a state-changing request without the
  matching token is refused. Another site can make the browser send the cookie but cannot read the token.
* **Anonymous forms** (log in, sign up, reset): there is no session yet, so a *signed double-submit cookie* is
  used: the ``op_csrf`` cookie holds a random nonce signed with the app secret (itsdangerous, 12 hours), the
  form holds the bare nonce; both must agree. Signing means a value planted by a sibling subdomain is useless
  unless it came from this server.
* **Origin**: a state-changing browser request whose ``Origin`` (or, lacking it, ``Referer``) names another site
  is refused outright, whatever it carries (defence in depth; a request with neither header still needs the
  token).

Requests authenticated by an ``Authorization: Bearer`` API token need none of this: browsers never attach that
header on their own, so a forged cross-site request cannot carry it.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer

ANON_COOKIE = "op_csrf"
FORM_FIELD = "csrf_token"
HEADER = "x-csrf-token"
ANON_MAX_AGE = 12 * 3600
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def tokens_match(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison; an absent or empty token never matches."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="openpapers.anon-csrf")


def new_anonymous(secret: str) -> tuple[str, str]:
    """A fresh (cookie value, form value) pair for an anonymous form."""
    nonce = secrets.token_urlsafe(24)
    return _serializer(secret).dumps(nonce), nonce


def anonymous_nonce(secret: str, cookie: str | None) -> str | None:
    """The nonce inside a valid, unexpired ``op_csrf`` cookie, else None."""
    if not cookie or len(cookie) > 500:
        return None
    try:
        value = _serializer(secret).loads(cookie, max_age=ANON_MAX_AGE)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def origin_of(url: str | None) -> str | None:
    """``scheme://host[:port]`` of a URL, lower-cased; None for anything else (``null``, garbage)."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def same_origin(origin: str | None, referer: str | None, allowed: set[str]) -> bool:
    """False when the request says it comes from a page outside ``allowed`` origins.

    ``Origin`` wins when present (``null`` counts as foreign); otherwise ``Referer``; with neither, True (the
    token check still applies: some privacy tools strip both).
    """
    if origin is not None:
        return origin_of(origin) in allowed
    if referer:
        return origin_of(referer) in allowed
    return True
