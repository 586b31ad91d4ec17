"""Sign-up confirmed by email (issue 12), through the real app and a real SMTP server (aiosmtpd on 127.0.0.1):
the answer is the same for every address, the mailbox learns the rest, the account works only after its link,
and sign-ups are rate-limited like logins. Also: a password reset revokes API tokens; anonymous API writes get
401 with ``WWW-Authenticate: Bearer``; a wrong password on ``DELETE /api/me`` is a declared 403."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from helpers.accountkit import (
    PASSWORD,
    Mailbox,
    build_store,
    client_for,
    confirm,
    confirm_path,
    csrf_from,
    log_in,
    logged_account_mail,
    page_token,
    request_sign_up,
    sign_up,
    smtp_server,
    use_cheap_hashing,
)
from openpapers.accounts import repository as db
from openpapers.accounts import service as accounts
from openpapers.accounts import signup
from openpapers.core.settings import Settings, load_mail_settings
from openpapers.db import schema as t

pytestmark = pytest.mark.usefixtures("backend_db")
cheap = pytest.fixture(autouse=True, scope="module")(use_cheap_hashing)
CSRF_FIELD = re.compile(r'name="csrf_token" value="[^"]+"')


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, backend: Any) -> Settings:
    return build_store(tmp_path_factory.mktemp("signup"), backend)


@pytest.fixture()
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    for box, port in smtp_server():
        monkeypatch.setenv("OPENPAPERS_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("OPENPAPERS_SMTP_PORT", str(port))
        monkeypatch.setenv("OPENPAPERS_MAIL_FROM", "openpapers <papers@example.org>")
        yield box


@pytest.fixture()
def mailed(settings: Settings, smtp: Mailbox) -> Settings:
    """Settings whose account mails go to the test's SMTP server."""
    return settings.model_copy(update={"mail": load_mail_settings()})


def post_signup(client: TestClient, email: str, password: str = PASSWORD) -> Any:
    token = csrf_from(client.get("/signup").text)
    return client.post("/signup", data={"email": email, "password": password, "csrf_token": token})


def test_the_answer_is_the_same_and_only_the_mailbox_learns_more(mailed: Settings, smtp: Mailbox) -> None:
    engine = client_for(mailed).app.state.web.store.engine  # type: ignore[attr-defined]
    accounts.sign_up(engine, "known@example.org", PASSWORD, "Known")
    answers = []
    for email in ("known@example.org", "fresh@example.org"):
        with client_for(mailed, account_mail="smtp") as c:
            r = post_signup(c, email)
            assert r.status_code == 200 and "Check your inbox" in r.text and "op_session" not in c.cookies
            answers.append(CSRF_FIELD.sub("", r.text).replace(email, "EMAIL"))
    assert answers[0] == answers[1]  # before: 400 "An account with this email already exists" for the first
    assert "already exists" not in answers[0]
    to = {m["To"]: m for m in smtp.messages}
    assert sorted(to) == ["fresh@example.org", "known@example.org"]
    known = to["known@example.org"]
    assert known["Subject"] == "You already have an openpapers account"
    assert "http://127.0.0.1:8000/login" in known.get_content() and "/reset" in known.get_content()
    assert "/signup/confirm/" not in known.get_content()
    fresh = to["fresh@example.org"]
    assert fresh["Subject"] == "Confirm your openpapers account"
    path = confirm_path(fresh.get_content())
    with client_for(mailed, account_mail="smtp") as c:
        assert log_in(c, "fresh@example.org").status_code == 400  # no account before the link is used
        assert db.get_user_by_email(engine, "fresh@example.org") is None
        assert c.get(path).status_code == 200  # opening the link (a mail scanner does) creates nothing
        assert db.get_user_by_email(engine, "fresh@example.org") is None
        r = confirm(c, path)
        assert r.status_code == 303 and c.get("/api/me").json()["email"] == "fresh@example.org"
        again = c.post(path, data={"csrf_token": page_token(c)})
        assert again.status_code == 400 and "already used" in again.text  # once only
    with client_for(mailed) as c:
        assert log_in(c, "fresh@example.org").status_code == 303  # the password chosen at sign-up works


def test_sign_ups_are_rate_limited_per_client_like_logins(settings: Settings) -> None:
    """The issue's repro: 25 sign-ups from one client were all answered (each an argon2 hash)."""
    statuses = []
    with client_for(settings) as c:
        for i in range(25):
            r, _ = request_sign_up(c, f"flood{i}@example.org")
            statuses.append(r.status_code)
            if r.status_code == 429:
                assert 0 < int(r.headers["retry-after"]) <= 3601 and "Too many sign-ups" in r.text
    assert statuses == [200] * signup.MAX_SIGNUPS_PER_IP + [429] * (25 - signup.MAX_SIGNUPS_PER_IP)
    with client_for(settings) as other:  # another client is not affected
        assert request_sign_up(other, "elsewhere@example.org")[0].status_code == 200


def test_one_address_gets_at_most_three_mails_an_hour(settings: Settings) -> None:
    sent = 0
    for _ in range(signup.MAX_MAILS_PER_EMAIL + 2):
        with client_for(settings) as c:  # from different clients: the per-client limit is not what stops it
            r, mails = request_sign_up(c, "victim@example.org")
            assert r.status_code == 200 and "Check your inbox" in r.text  # the answer never changes
            sent += len(mails)
    assert sent == signup.MAX_MAILS_PER_EMAIL


def test_the_first_link_used_wins_and_expired_links_are_refused(settings: Settings) -> None:
    paths = []
    for _ in range(2):
        with client_for(settings) as c:
            _, mails = request_sign_up(c, "twice@example.org")
            paths.append(confirm_path(mails[0]))
    with client_for(settings) as c:
        assert confirm(c, paths[1]).status_code == 303
        r = c.get(paths[0])
        assert r.status_code == 400 and "invalid, expired or already used" in r.text
    with client_for(settings) as c:
        _, mails = request_sign_up(c, "late@example.org")
        engine = c.app.state.web.store.engine  # type: ignore[attr-defined]
        with engine.begin() as conn:
            conn.execute(update(t.signups).where(t.signups.c.email == "late@example.org")
                         .values(expires_at="2000-01-01T00:00:00+00:00"))
        assert c.get(confirm_path(mails[0])).status_code == 400
        assert c.get("/signup/confirm/" + "A" * 300).status_code == 400


def test_bad_input_is_told_and_nothing_is_mailed(settings: Settings) -> None:
    with client_for(settings) as c:
        for email, password, message in (("<script>@example.org", PASSWORD, "valid email"),
                                         ("ok@example.org", "short", "at least 10")):
            r, mails = request_sign_up(c, email, password)
            assert r.status_code == 400 and message in r.text and not mails


def test_a_password_reset_revokes_api_tokens(settings: Settings) -> None:
    """The issue's repro: a token created before a reset still worked after it."""
    with client_for(settings) as c:
        sign_up(c, "stolen@example.org")
        api = c.post("/api/me/tokens", json={"name": "laptop"}, headers={"X-CSRF-Token": page_token(c)})
        bearer = {"Authorization": f"Bearer {api.json()['token']}"}
        assert c.get("/api/me", headers=bearer).status_code == 200
    with client_for(settings) as anon:
        token = csrf_from(anon.get("/reset").text)
        with logged_account_mail() as mails:
            anon.post("/reset", data={"email": "stolen@example.org", "csrf_token": token})
        assert "revokes all its API tokens" in mails[0]
        path = re.search(r"https?://\S+(/reset/\S+)", mails[0]).group(1)  # type: ignore[union-attr]
        form = anon.get(path)
        r = anon.post(path, data={"password": "a brand new password", "csrf_token": csrf_from(form.text)})
        assert r.status_code == 303 and r.headers["location"] == "/settings?done=reset"
        page = anon.get(r.headers["location"]).text
        assert "every API token revoked" in page and "A password reset revokes every token" in page
        r = anon.get("/api/me", headers=bearer)
        assert r.status_code == 401  # before: 200


def test_anonymous_api_writes_get_401_with_www_authenticate(settings: Settings) -> None:
    """The issue's repro: these answered 403 "CSRF check failed"; docs/web.md promises 401."""
    with client_for(settings) as anon:
        for method, path, body in (("POST", "/api/me/votes/2512.00001", None),
                                   ("DELETE", "/api/me", {"password": PASSWORD}),
                                   ("PUT", "/api/me/settings", {"display_name": "x"}),
                                   ("POST", "/api/me/tokens", {"name": "x"})):
            r = anon.request(method, path, json=body)
            assert r.status_code == 401, (method, path, r.text)
            assert r.headers["www-authenticate"] == "Bearer" and r.json()["status"] == 401


def test_a_wrong_password_on_delete_is_a_declared_403(settings: Settings) -> None:
    with client_for(settings) as c:
        sign_up(c, "keeper@example.org")
        r = c.request("DELETE", "/api/me", json={"password": "not my password"},
                      headers={"X-CSRF-Token": page_token(c)})
        assert r.status_code == 403 and "not deleted" in r.json()["error"]
        assert c.get("/api/me").status_code == 200
        declared = c.get("/openapi.json").json()["paths"]["/api/me"]["delete"]["responses"]
        assert "403" in declared and "password is wrong" in declared["403"]["description"]
