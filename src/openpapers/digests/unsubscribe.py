"""Signed one-click unsubscribe tokens (RFC 8058) for the digest lists.

A token names a user and a list (``daily`` | ``weekly``) and is signed with itsdangerous (HMAC-SHA1 over a
URL-safe payload plus a timestamp) using a secret kept in the store (``accounts.repository.get_secret``), so every
worker process and web server signs and checks with the same key, and a token cannot be forged or altered to
unsubscribe someone else. Tokens expire after ``MAX_AGE_DAYS`` (a year: an old digest's link still works for
a long while, as RFC 8058 expects of List-Unsubscribe URLs) — an expired or tampered token gets a clear 400.

Unsubscribing from list L turns the digest off only while the user's frequency is still L: an old daily
token does nothing to someone who has switched to weekly since. That also makes it idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from openpapers.accounts.repository import get_secret
from openpapers.db.database import Bind

LISTS = ("daily", "weekly")
SECRET_NAME = "unsubscribe"
SALT = "openpapers.digest.unsubscribe"
MAX_AGE_DAYS = 365


class BadToken(ValueError):
    """A token that is malformed, tampered with, signed with another key, or expired; the message says which."""


@dataclass(frozen=True, slots=True)
class Unsubscribe:
    user_id: int
    list: str


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SALT)


def make_token(secret: str, user_id: int, list_name: str) -> str:
    if list_name not in LISTS:
        raise ValueError(f"unknown list {list_name!r}")
    return _serializer(secret).dumps({"u": int(user_id), "l": list_name})


def read_token(secret: str, token: str, *, max_age_days: int = MAX_AGE_DAYS) -> Unsubscribe:
    """The (user, list) a token names; raises :class:`BadToken`."""
    if not token or len(token) > 500:
        raise BadToken("This unsubscribe link is incomplete.")
    try:
        data: Any = _serializer(secret).loads(token, max_age=max_age_days * 86400)
    except SignatureExpired:
        raise BadToken("This unsubscribe link has expired; use the link in a recent digest, or your "
                       "settings page.") from None
    except BadSignature:
        raise BadToken("This unsubscribe link is not valid (it may have been altered or cut short).") from None
    if not (isinstance(data, dict) and isinstance(data.get("u"), int) and data.get("l") in LISTS):
        raise BadToken("This unsubscribe link is not valid.")
    return Unsubscribe(int(data["u"]), str(data["l"]))


def store_secret(bind: Bind) -> str:
    """The signing key shared by every process (created in the store on first use)."""
    return get_secret(bind, SECRET_NAME)
