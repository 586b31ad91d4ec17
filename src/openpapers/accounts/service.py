"""Accounts: sign-up, passwords (argon2id), login with rate limiting, sessions, API tokens, resets, deletion.

Policy lives here, storage in :mod:`openpapers.accounts.repository`. The choices, and why:

* Emails are validated and brought to one spelling first (:mod:`openpapers.accounts.emails`: NFKC, no invisible
  or control characters, email-validator, lower case), so ``Ada@X.org`` and ``ａｄａ@x.org`` are one account.
* Web sign-ups are confirmed by mail (:mod:`openpapers.accounts.signup`); :func:`sign_up` here creates a confirmed
  account at once, for ``openpapers user create`` and for the confirmation link itself.
* Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's second recommendation); a login whose
  stored hash used other parameters is re-hashed with the current ones. A login for an unknown email still
  verifies a password against a dummy hash, so its timing does not tell which emails have accounts.
* Failed logins are recorded in the store (shared by every worker process) and slowed down per (email, client
  address) pair, not per email: see :mod:`openpapers.accounts.throttle`. Someone guessing from one address
  soon waits minutes between tries, while the owner logging in from their own address is not held up.
* Sessions: 32 random bytes in the cookie, their SHA-256 in the store, 30 days absolute lifetime, a new one at
  every login (no fixation), each with its own CSRF token. Changing or resetting the password ends all others;
  a reset also revokes every API token (whoever made it needed a reset may have taken one).
* API tokens (``op_`` + 32 random bytes) are shown once and stored as SHA-256; a reset token likewise, valid
  for an hour and usable once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from openpapers.accounts import repository as db
from openpapers.accounts import throttle
from openpapers.accounts.emails import InvalidEmail
from openpapers.accounts.emails import normalize_email as _normalize
from openpapers.accounts.errors import AccountError, RateLimited
from openpapers.db.clock import now as now_iso
from openpapers.db.database import Bind

# AccountError and RateLimited live in accounts/errors.py (the throttle raises them too); callers import them here.
__all__ = ["AccountError", "InvalidCredentials", "RateLimited", "Session", "User"]
SESSION_DAYS = 30
RESET_MINUTES = 60
RESET_WINDOW = timedelta(hours=1)
MAX_RESETS_PER_EMAIL = 3
MAX_RESETS_PER_IP = 20
MIN_PASSWORD, MAX_PASSWORD = 10, 1024
HOUSEKEEPING_EVERY = 50  # one login in this many also purges expired rows
FREQUENCIES = ("off", "daily", "weekly")
SECTIONS = ("follows", "recommendations", "trending", "discussion")


class InvalidCredentials(AccountError):
    def __init__(self) -> None:
        super().__init__("Wrong email or password.")




@dataclass(frozen=True, slots=True)
class User:
    id: int
    email: str
    display_name: str
    is_admin: bool
    digest_frequency: str
    digest_sections: tuple[str, ...]
    disabled: bool = False

    @classmethod
    def from_row(cls, row: Any) -> User:
        sections = tuple(s for s in (row["digest_sections"] or "").split(",") if s in SECTIONS)
        return cls(id=int(row["id"]), email=row["email"], display_name=row["display_name"],
                   is_admin=bool(row["is_admin"]), digest_frequency=row["digest_frequency"] or "off",
                   digest_sections=sections, disabled=bool(row.get("disabled_at")))


@dataclass(frozen=True, slots=True)
class Session:
    """A live session: ``token`` only right after login (the cookie value); the store knows ``id`` only."""

    id: str
    user: User
    csrf_token: str
    expires_at: str
    token: str | None = None


# -- passwords --------------------------------------------------------------------------------------------------
_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile (t=3, m=64 MiB, p=4)
_dummy_hash: str | None = None


def configure_hashing(**params: Any) -> None:
    """Change the argon2 parameters (tests use cheap ones; existing hashes are upgraded at their next login)."""
    global _hasher, _dummy_hash
    _hasher = PasswordHasher(**params)
    _dummy_hash = None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _verify(stored: str | None, password: str) -> bool:
    global _dummy_hash
    if stored is None:  # unknown email: same work as a real check, always false
        _dummy_hash = _dummy_hash or _hasher.hash(secrets.token_urlsafe(16))
        stored, password = _dummy_hash, password + "\0never"
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_password(password: str, email: str = "") -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"The password must be at least {MIN_PASSWORD} characters long.")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"The password must be at most {MAX_PASSWORD} characters long.")
    if email and password.strip().lower() == email:
        raise AccountError("The password must not be the email address.")


def normalize_email(email: str) -> str:
    """The stored spelling of an address (see :mod:`openpapers.accounts.emails`), or :class:`AccountError`."""
    try:
        return _normalize(email)
    except InvalidEmail as exc:
        raise AccountError(str(exc)) from None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def later(**delta: float) -> str:
    return now_iso(datetime.now(UTC) + timedelta(**delta))


# -- users ------------------------------------------------------------------------------------------------------
def clean_name(display_name: str, email: str) -> str:
    """The display name as stored: whitespace collapsed, at most 100 characters, else the email's local part."""
    return " ".join((display_name or "").split())[:100] or email.split("@", 1)[0]


def sign_up(bind: Bind, email: str, password: str, display_name: str = "", *, is_admin: bool = False) -> User:
    """Create a confirmed account now (the shell's ``user create``); the web's sign-up mails a link first."""
    email = normalize_email(email)
    check_password(password, email)
    uid = db.create_user(bind, email=email, display_name=clean_name(display_name, email),
                         password_hash=hash_password(password), is_admin=is_admin)
    if uid is None:
        raise AccountError("An account with this email already exists. Log in, or reset its password.")
    return get_user(bind, uid)  # type: ignore[return-value]


def get_user(bind: Bind, user_id: int) -> User | None:
    row = db.get_user(bind, user_id)
    return User.from_row(row) if row else None


def find_user(bind: Bind, email: str) -> User | None:
    try:
        row = db.get_user_by_email(bind, normalize_email(email))
    except AccountError:
        return None
    return User.from_row(row) if row else None


def set_admin(bind: Bind, user_id: int, is_admin: bool = True) -> None:
    db.update_user(bind, user_id, is_admin=is_admin)


def set_disabled(bind: Bind, user_id: int, disabled: bool = True) -> None:
    """Disable an account (its sessions end at once; logins, sessions and API tokens are refused) or enable it.
    Nothing of the account is deleted, so enabling it gives everything back."""
    db.update_user(bind, user_id, disabled_at=now_iso() if disabled else None)
    if disabled:
        db.delete_user_sessions(bind, user_id)


def update_settings(bind: Bind, user_id: int, *, display_name: str | None = None,
                    digest_frequency: str | None = None, digest_sections: list[str] | None = None) -> User:
    values: dict[str, Any] = {}
    if display_name is not None:
        name = " ".join(display_name.split())
        if not 1 <= len(name) <= 100:
            raise AccountError("The display name must be 1 to 100 characters.")
        values["display_name"] = name
    if digest_frequency is not None:
        if digest_frequency not in FREQUENCIES:
            raise AccountError(f"Digest frequency must be one of: {', '.join(FREQUENCIES)}.")
        values["digest_frequency"] = digest_frequency
    if digest_sections is not None:
        unknown = [s for s in digest_sections if s not in SECTIONS]
        if unknown:
            raise AccountError(f"Unknown digest section {unknown[0]!r}; choose from {', '.join(SECTIONS)}.")
        values["digest_sections"] = ",".join(s for s in SECTIONS if s in digest_sections)
    if values:
        db.update_user(bind, user_id, **values)
    return get_user(bind, user_id)  # type: ignore[return-value]


# -- login, rate limiting, sessions -----------------------------------------------------------------------------
_check_limit = throttle.check_limit


def login(bind: Bind, email: str, password: str, *, ip: str = "unknown") -> Session:
    """Check the password and open a new session; raise :class:`InvalidCredentials` or :class:`RateLimited`."""
    try:
        email = normalize_email(email)
    except AccountError:
        email = (email or "").strip().lower()[:254]
    throttle.check_login(bind, email, ip)
    row = db.get_user_by_email(bind, email)
    if not _verify(row["password_hash"] if row else None, password) or row is None:
        throttle.record_login_failure(bind, email, ip)
        raise InvalidCredentials()
    if row.get("disabled_at"):  # told only to whoever knows the password
        raise AccountError("This account is disabled. Ask an administrator of this site.")
    if _hasher.check_needs_rehash(row["password_hash"]):
        db.update_user(bind, row["id"], password_hash=hash_password(password))
    throttle.clear_login(bind, email, ip)
    if secrets.randbelow(HOUSEKEEPING_EVERY) == 0:
        housekeeping(bind)
    return open_session(bind, User.from_row(row))


def housekeeping(bind: Bind) -> None:
    """Delete expired sessions and reset links and attempt records older than a day (run now and then by
    logins; expired rows are ignored anyway, this only keeps the tables small)."""
    now = datetime.now(UTC)
    db.purge_expired(bind, now_iso(now))
    db.purge_signups(bind, now_iso(now))
    db.purge_attempts(bind, now_iso(now - timedelta(days=1)))


def open_session(bind: Bind, user: User) -> Session:
    token = secrets.token_urlsafe(32)
    sid, csrf, expires = token_hash(token), secrets.token_urlsafe(32), later(days=SESSION_DAYS)
    db.add_session(bind, session_id=sid, user_id=user.id, csrf_token=csrf, expires_at=expires)
    return Session(id=sid, user=user, csrf_token=csrf, expires_at=expires, token=token)


def session_for(bind: Bind, token: str) -> Session | None:
    """The live session of a cookie token, or None (unknown or expired: an expired row is deleted)."""
    if not token or len(token) > 200:
        return None
    sid = token_hash(token)
    row = db.get_session(bind, sid)
    if row is None:
        return None
    if row["expires_at"] <= now_iso():
        db.delete_session(bind, sid)
        return None
    user = get_user(bind, row["user_id"])
    if user is None or user.disabled:
        return None
    return Session(id=sid, user=user, csrf_token=row["csrf_token"], expires_at=row["expires_at"])


def logout(bind: Bind, session_id: str) -> None:
    db.delete_session(bind, session_id)


def change_password(bind: Bind, user: User, current: str, new: str, *, keep_session: str | None) -> None:
    """Change a password (the current one is required) and end every other session of the user."""
    row = db.get_user(bind, user.id)
    if row is None or not _verify(row["password_hash"], current):
        raise AccountError("The current password is wrong.")
    check_password(new, user.email)
    db.update_user(bind, user.id, password_hash=hash_password(new))
    db.delete_user_sessions(bind, user.id, keep=keep_session)


# -- password reset ---------------------------------------------------------------------------------------------
def start_reset(bind: Bind, email: str, *, ip: str = "unknown") -> tuple[User, str] | None:
    """A reset token for ``email``'s account, or None (no such account, or too many requests for it).

    The caller answers the same either way and sends the mail after the response, so neither the words nor the
    timing say whether the email has an account. Only the per-address limit is told (it reveals nothing).
    """
    _check_limit(bind, f"reset-ip:{ip}", MAX_RESETS_PER_IP, RESET_WINDOW,
                 "Too many password-reset requests from this address. Try again later.")
    db.record_attempt(bind, [f"reset-ip:{ip}"], now_iso())
    user = find_user(bind, email)
    if user is None:
        return None
    try:
        _check_limit(bind, f"reset:{user.email}", MAX_RESETS_PER_EMAIL, RESET_WINDOW, "")
    except RateLimited:
        return None  # silently: a mailbox is not flooded, and the answer stays the same
    db.record_attempt(bind, [f"reset:{user.email}"], now_iso())
    token = secrets.token_urlsafe(32)
    db.add_reset(bind, token_hash=token_hash(token), user_id=user.id, expires_at=later(minutes=RESET_MINUTES))
    return user, token


def reset_is_live(bind: Bind, token: str) -> bool:
    return bool(token) and len(token) <= 200 and db.peek_reset(bind, token_hash(token), now_iso()) is not None


def finish_reset(bind: Bind, token: str, new_password: str) -> User:
    """Set a new password with a reset token (single use), end every session of the account and revoke its API
    tokens: a reset is what someone does when their password may be known, and a token taken with it would
    otherwise keep working after the password no longer does."""
    user_id = db.peek_reset(bind, token_hash(token), now_iso()) if token and len(token) <= 200 else None
    user = get_user(bind, user_id) if user_id is not None else None
    if user is None:
        raise AccountError("This reset link is invalid, expired or already used. Ask for a new one.")
    check_password(new_password, user.email)
    if db.use_reset(bind, token_hash(token), now_iso()) != user.id:
        raise AccountError("This reset link is invalid, expired or already used. Ask for a new one.")
    db.update_user(bind, user.id, password_hash=hash_password(new_password))
    db.delete_user_sessions(bind, user.id)
    db.delete_user_api_tokens(bind, user.id)
    throttle.clear_login(bind, user.email)
    return user


# -- API tokens -------------------------------------------------------------------------------------------------
def create_api_token(bind: Bind, user: User, name: str) -> tuple[int, str]:
    """A new token for scripts: (id, the token itself). The token is shown once; only its hash is kept."""
    name = " ".join((name or "").split())
    if not 1 <= len(name) <= 100:
        raise AccountError("Give the token a name of 1 to 100 characters (what will use it?).")
    token = "op_" + secrets.token_urlsafe(32)
    return db.add_api_token(bind, user_id=user.id, name=name, token_hash=token_hash(token)), token


def user_for_api_token(bind: Bind, token: str) -> User | None:
    if not token.startswith("op_") or len(token) > 200:
        return None
    row = db.get_api_token(bind, token_hash(token))
    if row is None:
        return None
    now = datetime.now(UTC)
    last = row["last_used_at"]
    if last is None or datetime.fromisoformat(last) < now - timedelta(minutes=5):  # one write per 5 min at most
        db.touch_api_token(bind, row["id"], now_iso(now))
    user = get_user(bind, row["user_id"])
    return None if user is None or user.disabled else user


# -- deletion ---------------------------------------------------------------------------------------------------
def delete_account(bind: Bind, user: User, password: str) -> None:
    """Delete the account and everything it did (votes, library, follows, sessions, tokens, digests)."""
    row = db.get_user(bind, user.id)
    if row is None or not _verify(row["password_hash"], password):
        raise AccountError("The password is wrong; the account was not deleted.")
    db.delete_user(bind, user.id, user.email)
