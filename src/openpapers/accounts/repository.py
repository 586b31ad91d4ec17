"""Data access for accounts: users, pending sign-ups, sessions, API tokens, password resets, auth attempts and
app secrets.

Plain functions over a :data:`~openpapers.db.database.Bind`: the store's ``Database`` (each call is its own
transaction) or a ``Connection`` (the caller's transaction), written in SQLAlchemy Core so they run on SQLite
and PostgreSQL alike. Policy (what a password must be, how many failures are allowed) lives in
:mod:`openpapers.accounts.service`; this module only stores.
Secrets (session tokens, API tokens, reset tokens) are stored as SHA-256 hex digests, never as given.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any, TypedDict

from sqlalchemy import delete, func, insert, select, update

from openpapers.db import schema as t
from openpapers.db import schema_identities as ti
from openpapers.db import schema_social as ts
from openpapers.db.clock import now as now_iso
from openpapers.db.database import Bind, tx
from openpapers.db.dialect import insert_ignore

# Every table that holds rows of a user, by the column naming the user. Account deletion walks this list, so a
# new per-user table must be added here (tests/accounts/test_accounts.py checks the list against the schema).
USER_TABLES = (
    t.sessions, t.api_tokens, t.password_resets, t.votes, t.library, t.dismissals, t.follows, t.featured,
    t.digest_outbox, ts.submissions, ts.collections, ts.collection_items, ts.comments,
    ti.identity_claims,  # a deleted account's claims go with it (its corrections stay: events)
)


# -- users ------------------------------------------------------------------------------------------------------
def create_user(bind: Bind, *, email: str, display_name: str, password_hash: str, is_admin: bool = False) -> int | None:
    """Insert a user; the new id, or None when the (already normalised) email is taken. Race-safe."""
    with tx(bind) as conn:
        done = conn.execute(insert_ignore(conn, t.users).values(
            email=email, display_name=display_name, password_hash=password_hash, is_admin=is_admin,
            created_at=now_iso(), digest_frequency="off", digest_sections="follows,recommendations,trending",
        ))
        if done.rowcount != 1:
            return None
        return conn.execute(select(t.users.c.id).where(t.users.c.email == email)).scalar_one()


def get_user(bind: Bind, user_id: int) -> Mapping[str, Any] | None:
    with tx(bind) as conn:
        row = conn.execute(select(t.users).where(t.users.c.id == user_id)).mappings().first()
    return dict(row) if row else None


def get_user_by_email(bind: Bind, email: str) -> Mapping[str, Any] | None:
    with tx(bind) as conn:
        row = conn.execute(select(t.users).where(t.users.c.email == email)).mappings().first()
    return dict(row) if row else None


def update_user(bind: Bind, user_id: int, **values: Any) -> bool:
    """Set columns of one user (display_name, password_hash, is_admin, digest_*); False when no such user."""
    with tx(bind) as conn:
        return conn.execute(update(t.users).where(t.users.c.id == user_id).values(**values)).rowcount == 1


def list_users(bind: Bind) -> list[Mapping[str, Any]]:
    with tx(bind) as conn:
        return [dict(r) for r in conn.execute(select(t.users).order_by(t.users.c.id)).mappings()]


def delete_user(bind: Bind, user_id: int, email: str) -> None:
    """Delete the user and every row holding their id (one transaction), plus their login-attempt records."""
    with tx(bind) as conn:
        for table in USER_TABLES:
            conn.execute(delete(table).where(table.c.user_id == user_id))
        a = t.auth_attempts
        conn.execute(delete(a).where(a.c.key.startswith(f"login:{email}|", autoescape=True)
                                     | a.c.key.in_([f"reset:{email}", f"signup-mail:{email}"])))
        conn.execute(delete(t.signups).where(t.signups.c.email == email))
        conn.execute(delete(t.users).where(t.users.c.id == user_id))


class RecipientRow(TypedDict):
    id: int
    email: str
    display_name: str
    digest_sections: str


def digest_recipients(bind: Bind, frequency: str) -> list[RecipientRow]:
    """Users whose digest frequency is ``frequency``, in id order: ``{id, email, display_name, digest_sections}``.

    The digest run's view of ``users``, kept here so that one module reads and writes that table.
    """
    u = t.users
    stmt = select(u.c.id, u.c.email, u.c.display_name, u.c.digest_sections).where(
        u.c.digest_frequency == frequency).order_by(u.c.id)
    with tx(bind) as conn:
        return [RecipientRow(id=r["id"], email=r["email"], display_name=r["display_name"],
                             digest_sections=r["digest_sections"]) for r in conn.execute(stmt).mappings()]


def unsubscribe_digest(bind: Bind, user_id: int, list_name: str) -> bool:
    """Turn the digest off if the user is still on ``list_name`` (daily | weekly). True when it changed;
    idempotent, and an old token of the other list leaves a later choice alone."""
    u = t.users
    with tx(bind) as conn:
        res = conn.execute(update(u).where(u.c.id == user_id, u.c.digest_frequency == list_name)
                           .values(digest_frequency="off"))
    return res.rowcount == 1


# -- sessions ---------------------------------------------------------------------------------------------------
def add_session(bind: Bind, *, session_id: str, user_id: int, csrf_token: str, expires_at: str) -> None:
    with tx(bind) as conn:
        conn.execute(insert(t.sessions).values(id=session_id, user_id=user_id, csrf_token=csrf_token,
                                               created_at=now_iso(), expires_at=expires_at))


def get_session(bind: Bind, session_id: str) -> Mapping[str, Any] | None:
    with tx(bind) as conn:
        row = conn.execute(select(t.sessions).where(t.sessions.c.id == session_id)).mappings().first()
    return dict(row) if row else None


def delete_session(bind: Bind, session_id: str) -> None:
    with tx(bind) as conn:
        conn.execute(delete(t.sessions).where(t.sessions.c.id == session_id))


def delete_user_sessions(bind: Bind, user_id: int, *, keep: str | None = None) -> int:
    """End every session of a user (but ``keep``): after a password change or reset."""
    with tx(bind) as conn:
        stmt = delete(t.sessions).where(t.sessions.c.user_id == user_id)
        if keep is not None:
            stmt = stmt.where(t.sessions.c.id != keep)
        return conn.execute(stmt).rowcount


def purge_expired(bind: Bind, now: str) -> None:
    """Drop expired sessions and reset tokens (called now and then; expired rows are ignored anyway)."""
    with tx(bind) as conn:
        conn.execute(delete(t.sessions).where(t.sessions.c.expires_at <= now))
        conn.execute(delete(t.password_resets).where(t.password_resets.c.expires_at <= now))


# -- API tokens -------------------------------------------------------------------------------------------------
def add_api_token(bind: Bind, *, user_id: int, name: str, token_hash: str) -> int:
    with tx(bind) as conn:
        conn.execute(insert(t.api_tokens).values(user_id=user_id, name=name, token_hash=token_hash,
                                                 created_at=now_iso()))
        return conn.execute(select(t.api_tokens.c.id).where(t.api_tokens.c.token_hash == token_hash)).scalar_one()


def list_api_tokens(bind: Bind, user_id: int) -> list[Mapping[str, Any]]:
    cols = (t.api_tokens.c.id, t.api_tokens.c.name, t.api_tokens.c.created_at, t.api_tokens.c.last_used_at)
    with tx(bind) as conn:
        rows = conn.execute(select(*cols).where(t.api_tokens.c.user_id == user_id).order_by(t.api_tokens.c.id))
        return [dict(r) for r in rows.mappings()]


def delete_api_token(bind: Bind, user_id: int, token_id: int) -> bool:
    with tx(bind) as conn:
        stmt = delete(t.api_tokens).where(t.api_tokens.c.id == token_id, t.api_tokens.c.user_id == user_id)
        return conn.execute(stmt).rowcount == 1


def get_api_token(bind: Bind, token_hash: str) -> Mapping[str, Any] | None:
    with tx(bind) as conn:
        row = conn.execute(select(t.api_tokens).where(t.api_tokens.c.token_hash == token_hash)).mappings().first()
    return dict(row) if row else None


def touch_api_token(bind: Bind, token_id: int, when: str) -> None:
    with tx(bind) as conn:
        conn.execute(update(t.api_tokens).where(t.api_tokens.c.id == token_id).values(last_used_at=when))


def delete_user_api_tokens(bind: Bind, user_id: int) -> int:
    """Revoke every API token of a user (a password reset): how many there were."""
    with tx(bind) as conn:
        return conn.execute(delete(t.api_tokens).where(t.api_tokens.c.user_id == user_id)).rowcount


# -- password resets --------------------------------------------------------------------------------------------
def add_reset(bind: Bind, *, token_hash: str, user_id: int, expires_at: str) -> None:
    with tx(bind) as conn:
        conn.execute(insert(t.password_resets).values(token_hash=token_hash, user_id=user_id, created_at=now_iso(),
                                                      expires_at=expires_at))


def peek_reset(bind: Bind, token_hash: str, now: str) -> int | None:
    """The user of a live (unused, unexpired) reset token, without using it."""
    r = t.password_resets
    with tx(bind) as conn:
        return conn.execute(select(r.c.user_id).where(
            r.c.token_hash == token_hash, r.c.used_at.is_(None), r.c.expires_at > now)).scalar()


def use_reset(bind: Bind, token_hash: str, now: str) -> int | None:
    """Mark a live reset token used and return its user; None if it is unknown, used or expired.

    One conditional UPDATE: of two requests racing with the same token, exactly one sees rowcount 1.
    """
    r = t.password_resets
    with tx(bind) as conn:
        done = conn.execute(update(r).where(r.c.token_hash == token_hash, r.c.used_at.is_(None),
                                            r.c.expires_at > now).values(used_at=now))
        if done.rowcount != 1:
            return None
        user_id = conn.execute(select(r.c.user_id).where(r.c.token_hash == token_hash)).scalar_one()
        # Every other outstanding link of this user dies with it.
        conn.execute(update(r).where(r.c.user_id == user_id, r.c.used_at.is_(None)).values(used_at=now))
        return int(user_id)


# -- auth attempts (rate limiting) ------------------------------------------------------------------------------
def record_attempt(bind: Bind, keys: list[str], at: str) -> None:
    with tx(bind) as conn:
        conn.execute(insert(t.auth_attempts), [{"key": k, "at": at} for k in keys])


def count_attempts(bind: Bind, key: str, since: str) -> tuple[int, str | None]:
    """How many attempts under ``key`` at or after ``since``, and the oldest of them (for Retry-After)."""
    count, oldest, _ = attempt_stats(bind, key, since)
    return count, oldest


def attempt_stats(bind: Bind, key: str, since: str) -> tuple[int, str | None, str | None]:
    """How many attempts under ``key`` at or after ``since``, the oldest and the newest of them."""
    a = t.auth_attempts
    with tx(bind) as conn:
        row = conn.execute(select(func.count(), func.min(a.c.at), func.max(a.c.at))
                           .where(a.c.key == key, a.c.at >= since)).one()
    return int(row[0]), row[1], row[2]


def clear_attempts(bind: Bind, key: str) -> None:
    with tx(bind) as conn:
        conn.execute(delete(t.auth_attempts).where(t.auth_attempts.c.key == key))


def clear_attempts_prefix(bind: Bind, prefix: str) -> None:
    """Delete the attempts of every key starting with ``prefix`` (``%`` and ``_`` in it are literal)."""
    with tx(bind) as conn:
        conn.execute(delete(t.auth_attempts).where(t.auth_attempts.c.key.startswith(prefix, autoescape=True)))


def purge_attempts(bind: Bind, before: str) -> None:
    with tx(bind) as conn:
        conn.execute(delete(t.auth_attempts).where(t.auth_attempts.c.at < before))


# -- pending sign-ups -------------------------------------------------------------------------------------------
def add_signup(bind: Bind, *, token_hash: str, email: str, display_name: str, password_hash: str, next_url: str,
               expires_at: str) -> None:
    with tx(bind) as conn:
        conn.execute(insert(t.signups).values(token_hash=token_hash, email=email, display_name=display_name,
                                              password_hash=password_hash, next_url=next_url,
                                              created_at=now_iso(), expires_at=expires_at))


def peek_signup(bind: Bind, token_hash: str, now: str) -> Mapping[str, Any] | None:
    """The live (unexpired) pending sign-up of a token, without using it."""
    s = t.signups
    with tx(bind) as conn:
        row = conn.execute(select(s).where(s.c.token_hash == token_hash, s.c.expires_at > now)).mappings().first()
    return dict(row) if row else None


def confirm_signup(bind: Bind, token_hash: str, now: str) -> tuple[Mapping[str, Any], int | None] | None:
    """Use a live pending sign-up: create its user and drop every pending row of that address, in one
    transaction. None when the token is unknown or expired; else (the row, the new user id, or None when the
    address got an account meanwhile). Of two requests racing with one token, one deletes the row, the other
    finds nothing."""
    s = t.signups
    with tx(bind) as conn:
        row = conn.execute(select(s).where(s.c.token_hash == token_hash, s.c.expires_at > now)).mappings().first()
        if row is None:
            return None
        if conn.execute(delete(s).where(s.c.token_hash == token_hash)).rowcount != 1:
            return None
        conn.execute(delete(s).where(s.c.email == row["email"]))
        uid = create_user(conn, email=row["email"], display_name=row["display_name"],
                          password_hash=row["password_hash"])
        return dict(row), uid


def purge_signups(bind: Bind, now: str) -> None:
    with tx(bind) as conn:
        conn.execute(delete(t.signups).where(t.signups.c.expires_at <= now))


# -- secrets ----------------------------------------------------------------------------------------------------
def get_secret(bind: Bind, name: str) -> str:
    """The app-wide secret ``name``, created at random on first use and shared by every worker process.

    Insert-or-ignore then read: of workers racing on first use, one insert wins and all read the same value.
    """
    with tx(bind) as conn:
        conn.execute(insert_ignore(conn, t.app_secrets).values(name=name, value=secrets.token_urlsafe(48)))
        return str(conn.execute(select(t.app_secrets.c.value).where(t.app_secrets.c.name == name)).scalar_one())
