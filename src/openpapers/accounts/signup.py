"""Sign-up confirmed by email: the answer is the same for every address, and only the mailbox learns more.

The old sign-up created the account at once and said "An account with this email already exists" otherwise, so
anyone could test which addresses have accounts (25 of 25 tries answered, each costing an argon2 hash), while
login and reset were careful not to tell. Now:

* ``POST /signup`` always answers "check your inbox". What happens next is told by mail, to the address only:
  a new address gets a confirmation link (the account is created when it is used, :func:`confirm`), an address
  with an account gets "you already have an account: log in or reset your password".
* The work is the same either way: the password is hashed (argon2) before looking the address up, and the mail
  goes out after the response (the caller's background task), so timing does not tell either.
* Limits, in the store (shared by every worker): :data:`MAX_SIGNUPS_PER_IP` sign-ups per client address per
  hour (then 429 with ``Retry-After``, like login), and :data:`MAX_MAILS_PER_EMAIL` mails per address per hour
  (beyond that the answer stays the same and no mail goes out: a mailbox is not flooded).
* A pending sign-up (``signups`` table: address, password hash, name, where to go next, the SHA-256 of the
  token) lives :data:`SIGNUP_HOURS` hours; the link works once. Unconfirmed addresses cannot log in and do not
  block the real owner, whose own sign-up adds a row of its own.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from openpapers.accounts import repository as db
from openpapers.accounts import service as accounts
from openpapers.accounts.errors import AccountError, RateLimited
from openpapers.accounts.throttle import check_limit
from openpapers.db.clock import now as now_iso
from openpapers.db.database import Bind

SIGNUP_HOURS = 24
SIGNUP_WINDOW = timedelta(hours=1)
MAX_SIGNUPS_PER_IP = 10
MAX_MAILS_PER_EMAIL = 3
BAD_LINK = "This confirmation link is invalid, expired or already used. Sign up again to get a new one."


@dataclass(frozen=True, slots=True)
class SignupMail:
    """The mail a sign-up sends: ``confirm`` (with the link's token) or ``exists`` (log in or reset)."""

    kind: Literal["confirm", "exists"]
    email: str
    display_name: str
    token: str | None = None


def request_signup(bind: Bind, email: str, password: str, display_name: str = "", *, next_url: str = "/",
                   ip: str = "unknown") -> SignupMail | None:
    """Record a sign-up; the mail to send, or None (the address's hourly mails are used up).

    Raises :class:`RateLimited` (too many sign-ups from ``ip``) and :class:`AccountError` for input the person
    can fix (an invalid address, a short password): neither says anything about existing accounts.
    """
    check_limit(bind, f"signup-ip:{ip}", MAX_SIGNUPS_PER_IP, SIGNUP_WINDOW,
                "Too many sign-ups from this address. Try again in an hour.")
    db.record_attempt(bind, [f"signup-ip:{ip}"], now_iso())  # counted before the checks: bad input costs too
    email = accounts.normalize_email(email)
    accounts.check_password(password, email)
    password_hash = accounts.hash_password(password)  # for every address: the same work whether it has an account
    existing = accounts.find_user(bind, email)
    try:
        check_limit(bind, f"signup-mail:{email}", MAX_MAILS_PER_EMAIL, SIGNUP_WINDOW, "")
    except RateLimited:
        return None
    db.record_attempt(bind, [f"signup-mail:{email}"], now_iso())
    if existing is not None:
        return SignupMail("exists", email, existing.display_name)
    token = secrets.token_urlsafe(32)
    name = accounts.clean_name(display_name, email)
    db.add_signup(bind, token_hash=accounts.token_hash(token), email=email, display_name=name,
                  password_hash=password_hash, next_url=next_url,
                  expires_at=accounts.later(hours=SIGNUP_HOURS))
    return SignupMail("confirm", email, name, token)


def _usable(token: str) -> bool:
    return bool(token) and len(token) <= 200


def pending_email(bind: Bind, token: str) -> str | None:
    """The address a live confirmation link would create an account for (the confirm page shows it)."""
    row = db.peek_signup(bind, accounts.token_hash(token), now_iso()) if _usable(token) else None
    return str(row["email"]) if row else None


def confirm(bind: Bind, token: str) -> tuple[accounts.User, str]:
    """Create the account of a confirmation link (once): (the new user, where the sign-up wanted to go next)."""
    result = db.confirm_signup(bind, accounts.token_hash(token), now_iso()) if _usable(token) else None
    if result is None:
        raise AccountError(BAD_LINK)
    row, uid = result
    user = accounts.get_user(bind, uid) if uid is not None else None
    if user is None:
        raise AccountError("This address already has an account: log in, or reset its password.")
    return user, str(row["next_url"])
