"""Account policy on a real SQLite store: emails, argon2id, rate limits, sessions, resets, tokens, deletion."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, func, inspect, select, update

from openpapers.accounts import repository as db
from openpapers.accounts import service as accounts
from openpapers.accounts import throttle
from openpapers.accounts.service import AccountError, InvalidCredentials, RateLimited
from openpapers.collections import repository as collections
from openpapers.core.settings import resolve_settings
from openpapers.db import schema as t
from openpapers.db import schema_identities as ti
from openpapers.db.clock import now as now_iso
from openpapers.discussion import repository as comments
from openpapers.papers.store import open_store
from openpapers.signals import repository as signals
from openpapers.signals import submissions

PASSWORD = "correct horse battery"
CHEAP = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


pytestmark = pytest.mark.usefixtures("backend_db")  # SQLite and PostgreSQL (tests/conftest.py)

@pytest.fixture(autouse=True)
def cheap_hashing() -> Iterator[None]:
    accounts.configure_hashing(**CHEAP)
    yield
    accounts.configure_hashing()


@pytest.fixture()
def engine(tmp_path: Path) -> Iterator[Engine]:
    store = open_store(resolve_settings(tmp_path))
    yield store.engine
    store.close()


def test_emails_are_normalised_and_unique_case_insensitively(engine: Engine) -> None:
    user = accounts.sign_up(engine, "  Ada.Lovelace@Example.ORG ", PASSWORD, "Ada")
    assert user.email == "ada.lovelace@example.org"
    with pytest.raises(AccountError, match="already exists"):
        accounts.sign_up(engine, "ADA.LOVELACE@example.org", PASSWORD)
    assert accounts.find_user(engine, "ada.LOVELACE@EXAMPLE.org") == user
    session = accounts.login(engine, "ADA.Lovelace@example.org", PASSWORD)
    assert session.user.id == user.id


@pytest.mark.parametrize("email", ["", "no-at-sign", "a@b", "two@@x.org", "sp ace@x.org", "x" * 250 + "@x.org"])
def test_bad_emails_are_refused_with_a_message(engine: Engine, email: str) -> None:
    with pytest.raises(AccountError, match="email address"):
        accounts.sign_up(engine, email, PASSWORD)


def test_password_rules(engine: Engine) -> None:
    with pytest.raises(AccountError, match="at least 10"):
        accounts.sign_up(engine, "a@x.org", "short")
    with pytest.raises(AccountError, match="not be the email"):
        accounts.sign_up(engine, "longer.address@x.org", "Longer.Address@x.org")


def test_passwords_are_argon2id_and_rehashed_when_parameters_change(engine: Engine) -> None:
    user = accounts.sign_up(engine, "a@x.org", PASSWORD)
    old = db.get_user(engine, user.id)["password_hash"]  # type: ignore[index]
    assert old.startswith("$argon2id$") and PASSWORD not in old
    accounts.login(engine, "a@x.org", PASSWORD)
    assert db.get_user(engine, user.id)["password_hash"] == old  # type: ignore[index]  # same parameters: kept
    accounts.configure_hashing(time_cost=2, memory_cost=2048, parallelism=1)
    accounts.login(engine, "a@x.org", PASSWORD)
    new = db.get_user(engine, user.id)["password_hash"]  # type: ignore[index]
    assert new != old and "m=2048,t=2" in new
    accounts.login(engine, "a@x.org", PASSWORD)  # the upgraded hash still verifies


def test_unknown_email_costs_a_hash_check_too(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    accounts.sign_up(engine, "a@x.org", PASSWORD)
    calls: list[str] = []

    class Counting(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            calls.append(str(hash))
            return super().verify(hash, password)

    monkeypatch.setattr(accounts, "_hasher", Counting(**CHEAP))
    with pytest.raises(InvalidCredentials):
        accounts.login(engine, "nobody@x.org", PASSWORD)
    with pytest.raises(InvalidCredentials):
        accounts.login(engine, "a@x.org", "wrong password!")
    assert len(calls) == 2 and all(c.startswith("$argon2id$") for c in calls)
    # and the wrong-email answer is the very same as the wrong-password one
    assert str(InvalidCredentials()) == "Wrong email or password."


def test_failures_slow_down_that_email_and_address_only(engine: Engine) -> None:
    """The issue's repro: 5 failures used to lock the email everywhere (the owner's right password got 429).
    Now the guessing (email, address) pair waits, doubling; the owner on another address logs straight in."""
    accounts.sign_up(engine, "a@x.org", PASSWORD)
    accounts.sign_up(engine, "b@x.org", PASSWORD)
    for _ in range(throttle.FREE_FAILURES):
        with pytest.raises(InvalidCredentials):
            accounts.login(engine, "A@x.org", "wrong password!", ip="10.0.0.1")
    with pytest.raises(RateLimited) as limited:
        accounts.login(engine, "a@x.org", PASSWORD, ip="10.0.0.1")  # the guesser's pair waits, even if right
    assert 25 < limited.value.retry_after <= 31
    accounts.login(engine, "a@x.org", PASSWORD, ip="10.0.0.2")  # the owner, elsewhere: not locked out
    accounts.login(engine, "b@x.org", PASSWORD, ip="10.0.0.1")  # another account from the guesser's address too
    # once the wait is over, one more failure doubles it
    back = now_iso(datetime.now(UTC) - timedelta(seconds=31))
    with engine.begin() as conn:
        conn.execute(update(t.auth_attempts).values(at=back))
    with pytest.raises(InvalidCredentials):
        accounts.login(engine, "a@x.org", "wrong password!", ip="10.0.0.1")
    with pytest.raises(RateLimited) as limited:
        accounts.login(engine, "a@x.org", "wrong password!", ip="10.0.0.1")
    assert 55 < limited.value.retry_after <= 61


def test_waits_double_up_to_the_cap() -> None:
    assert [throttle.delay_after(n).total_seconds() for n in range(4, 12)] == \
        [0, 30, 60, 120, 240, 480, 900, 900]


def test_twenty_failures_per_address_lock_the_address(engine: Engine) -> None:
    accounts.sign_up(engine, "a@x.org", PASSWORD)
    for i in range(throttle.MAX_FAILS_PER_IP):
        with pytest.raises(InvalidCredentials):
            accounts.login(engine, f"guess{i}@x.org", "wrong password!", ip="10.9.9.9")
    with pytest.raises(RateLimited):
        accounts.login(engine, "a@x.org", PASSWORD, ip="10.9.9.9")
    accounts.login(engine, "a@x.org", PASSWORD, ip="10.9.9.8")


def test_a_success_clears_the_email_failures(engine: Engine) -> None:
    accounts.sign_up(engine, "a@x.org", PASSWORD)
    for _ in range(throttle.FREE_FAILURES - 1):
        with pytest.raises(InvalidCredentials):
            accounts.login(engine, "a@x.org", "wrong password!")
    accounts.login(engine, "a@x.org", PASSWORD)
    with pytest.raises(InvalidCredentials):
        accounts.login(engine, "a@x.org", "wrong password!")  # counted from zero again: no lock yet


def test_sessions_are_hashed_rotated_and_expire(engine: Engine) -> None:
    accounts.sign_up(engine, "a@x.org", PASSWORD)
    one = accounts.login(engine, "a@x.org", PASSWORD)
    two = accounts.login(engine, "a@x.org", PASSWORD)
    assert one.token and two.token and one.token != two.token and one.csrf_token != two.csrf_token
    with engine.connect() as conn:
        stored = {r[0] for r in conn.execute(select(t.sessions.c.id))}
    assert one.token not in stored and one.id in stored  # only the hash is kept
    assert accounts.session_for(engine, one.token).user.email == "a@x.org"  # type: ignore[union-attr]
    expires = datetime.fromisoformat(one.expires_at) - datetime.now(UTC)
    assert timedelta(days=29) < expires <= timedelta(days=30)
    with engine.begin() as conn:
        conn.execute(update(t.sessions).where(t.sessions.c.id == one.id).values(expires_at=now_iso()))
    assert accounts.session_for(engine, one.token) is None
    assert db.get_session(engine, one.id) is None  # the expired row is gone
    accounts.logout(engine, two.id)
    assert accounts.session_for(engine, two.token) is None
    assert accounts.session_for(engine, "garbage") is None


def test_password_change_ends_every_other_session(engine: Engine) -> None:
    user = accounts.sign_up(engine, "a@x.org", PASSWORD)
    here = accounts.login(engine, "a@x.org", PASSWORD)
    there = accounts.login(engine, "a@x.org", PASSWORD)
    with pytest.raises(AccountError, match="current password is wrong"):
        accounts.change_password(engine, user, "not it at all", "a brand new password", keep_session=here.id)
    accounts.change_password(engine, user, PASSWORD, "a brand new password", keep_session=here.id)
    assert accounts.session_for(engine, here.token or "") is not None
    assert accounts.session_for(engine, there.token or "") is None
    with pytest.raises(InvalidCredentials):
        accounts.login(engine, "a@x.org", PASSWORD)
    accounts.login(engine, "a@x.org", "a brand new password")


def test_reset_tokens_are_single_use_expiring_and_end_sessions(engine: Engine) -> None:
    accounts.sign_up(engine, "a@x.org", PASSWORD)
    live = accounts.login(engine, "a@x.org", PASSWORD)
    assert accounts.start_reset(engine, "nobody@x.org") is None
    _, token = accounts.start_reset(engine, "A@X.org")  # type: ignore[misc]
    assert accounts.reset_is_live(engine, token)
    with pytest.raises(AccountError, match="at least 10"):
        accounts.finish_reset(engine, token, "short")
    assert accounts.reset_is_live(engine, token)  # a refused password does not burn the link
    accounts.finish_reset(engine, token, "the new password")
    assert accounts.session_for(engine, live.token or "") is None
    with pytest.raises(AccountError, match="invalid, expired or already used"):
        accounts.finish_reset(engine, token, "another new password")
    accounts.login(engine, "a@x.org", "the new password")
    # an expired link does not work
    _, old = accounts.start_reset(engine, "a@x.org")  # type: ignore[misc]
    with engine.begin() as conn:
        conn.execute(update(t.password_resets).where(t.password_resets.c.used_at.is_(None))
                     .values(expires_at=now_iso(datetime.now(UTC) - timedelta(seconds=1))))
    assert not accounts.reset_is_live(engine, old)
    with pytest.raises(AccountError):
        accounts.finish_reset(engine, old, "yet another password")


def test_reset_requests_are_limited_silently_per_email(engine: Engine) -> None:
    accounts.sign_up(engine, "a@x.org", PASSWORD)
    started = [accounts.start_reset(engine, "a@x.org", ip=f"10.0.0.{i}") for i in range(5)]
    assert [s is not None for s in started] == [True] * accounts.MAX_RESETS_PER_EMAIL + [False] * 2


def test_api_tokens_are_stored_hashed_and_revocable(engine: Engine) -> None:
    user = accounts.sign_up(engine, "a@x.org", PASSWORD)
    token_id, token = accounts.create_api_token(engine, user, "my script")
    assert token.startswith("op_") and len(token) > 40
    with engine.connect() as conn:
        assert token not in {r[0] for r in conn.execute(select(t.api_tokens.c.token_hash))}
    assert accounts.user_for_api_token(engine, token) == user
    assert db.list_api_tokens(engine, user.id)[0]["last_used_at"] is not None
    assert accounts.user_for_api_token(engine, token + "x") is None
    assert db.delete_api_token(engine, user.id, token_id)
    assert accounts.user_for_api_token(engine, token) is None


def test_settings_validation(engine: Engine) -> None:
    user = accounts.sign_up(engine, "a@x.org", PASSWORD)
    assert user.digest_frequency == "off" and user.digest_sections == ("follows", "recommendations", "trending")
    updated = accounts.update_settings(engine, user.id, digest_frequency="weekly", digest_sections=["trending"])
    assert updated.digest_frequency == "weekly" and updated.digest_sections == ("trending",)
    with pytest.raises(AccountError):
        accounts.update_settings(engine, user.id, digest_frequency="hourly")
    with pytest.raises(AccountError):
        accounts.update_settings(engine, user.id, digest_sections=["gossip"])


def test_user_tables_cover_every_table_with_a_user_id() -> None:
    with_user = {name for name, table in t.metadata.tables.items() if "user_id" in table.c}
    assert with_user == {table.name for table in db.USER_TABLES}


def test_deleting_an_account_removes_every_row_with_its_id(engine: Engine) -> None:
    user = accounts.sign_up(engine, "a@x.org", PASSWORD, is_admin=True)
    other = accounts.sign_up(engine, "b@x.org", PASSWORD)
    for u in (user, other):
        accounts.login(engine, u.email, PASSWORD)
        accounts.create_api_token(engine, u, "t")
        accounts.start_reset(engine, u.email)
        signals.add_vote(engine, u.id, "p1")
        signals.save_to_library(engine, u.id, "p1", tags=["x"], note="n")
        signals.dismiss(engine, u.id, "p2")
        signals.add_follow(engine, u.id, "category", "cs.LG", "cs.LG")
        signals.feature(engine, "2025-12-11", f"p{u.id}", u.id)
        submissions.add(engine, date(2025, 12, 11), f"p{u.id}", u.id)
        shelf = collections.create(engine, u.id, "reading", "", True)
        collections.put_item(engine, shelf, u.id, "p1", "note")
        comments.add(engine, "p1", u.id, "a comment")
        with engine.begin() as conn:
            conn.execute(t.digest_outbox.insert().values(user_id=u.id, period="daily:2025-12-11", status="sent",
                                                         created_at=now_iso()))
            conn.execute(ti.identity_claims.insert().values(user_id=u.id, identity_id="qi-meng--1", status="pending",
                                                            created_at=now_iso()))
    with pytest.raises(AccountError, match="password is wrong"):
        accounts.delete_account(engine, user, "not the password")
    accounts.delete_account(engine, user, PASSWORD)
    with engine.connect() as conn:
        for table in (*db.USER_TABLES, t.users):
            column = table.c.id if table is t.users else table.c.user_id
            assert conn.execute(select(func.count()).select_from(table).where(column == user.id)).scalar() == 0
            assert conn.execute(select(func.count()).select_from(table).where(column == other.id)).scalar() == 1, \
                table.name
        keys = {r[0] for r in conn.execute(select(t.auth_attempts.c.key))}
    assert not any("a@x.org" in k for k in keys)


def test_get_secret_is_created_once_and_shared(engine: Engine) -> None:
    seen: list[str] = []
    threads = [threading.Thread(target=lambda: seen.append(db.get_secret(engine, "signing"))) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(set(seen)) == 1 and len(seen[0]) >= 40
    assert db.get_secret(engine, "other") != seen[0]
    assert "app_secrets" in inspect(engine).get_table_names()


def test_housekeeping_drops_only_dead_rows(engine: Engine) -> None:
    accounts.sign_up(engine, "a@x.org", PASSWORD)
    live = accounts.login(engine, "a@x.org", PASSWORD)
    dead = accounts.login(engine, "a@x.org", PASSWORD)
    with engine.begin() as conn:
        conn.execute(update(t.sessions).where(t.sessions.c.id == dead.id).values(expires_at=now_iso()))
    db.record_attempt(engine, ["login:old@x.org"], now_iso(datetime.now(UTC) - timedelta(days=2)))
    db.record_attempt(engine, ["login:new@x.org"], now_iso())
    accounts.housekeeping(engine)
    assert db.get_session(engine, live.id) and db.get_session(engine, dead.id) is None
    with engine.connect() as conn:
        assert [r[0] for r in conn.execute(select(t.auth_attempts.c.key))] == ["login:new@x.org"]
