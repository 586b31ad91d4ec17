"""Accounts through the real app: sign-up, login, sessions, CSRF, rate limits, password reset by real email
(aiosmtpd on 127.0.0.1), settings, API tokens, export and deletion."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from helpers.accountkit import (
    PASSWORD,
    Mailbox,
    build_store,
    client_for,
    confirm,
    confirm_path,
    csrf_from,
    log_in,
    page_token,
    request_sign_up,
    sign_up,
    smtp_server,
    use_cheap_hashing,
)
from openpapers.accounts import repository as db
from openpapers.accounts import service as accounts
from openpapers.accounts import throttle
from openpapers.core.settings import Settings, load_mail_settings, resolve_settings
from openpapers.papers.store import open_store

# Every test here runs on SQLite and on PostgreSQL (see tests/conftest.py).
pytestmark = pytest.mark.usefixtures("backend_db")

cheap = pytest.fixture(autouse=True, scope="module")(use_cheap_hashing)


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, backend: Any) -> Settings:
    return build_store(tmp_path_factory.mktemp("accounts"), backend)


@pytest.fixture()
def client(settings: Settings) -> Iterator[TestClient]:
    with client_for(settings) as c:
        yield c


@pytest.fixture()
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    for box, port in smtp_server():
        monkeypatch.setenv("OPENPAPERS_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("OPENPAPERS_SMTP_PORT", str(port))
        monkeypatch.setenv("OPENPAPERS_SMTP_TLS", "none")
        monkeypatch.setenv("OPENPAPERS_MAIL_FROM", "openpapers <papers@example.org>")
        yield box


@pytest.fixture()
def mail_client(settings: Settings, smtp: Mailbox) -> Iterator[TestClient]:
    """A client of an app built after ``smtp`` pointed the mail settings at the test's SMTP server (the app
    reads its settings once, when it is built); account mails go there too."""
    with client_for(settings.model_copy(update={"mail": load_mail_settings()}), account_mail="smtp") as c:
        yield c


def cookie_line(response: object, name: str) -> str:
    lines = [v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith(name + "=")]  # type: ignore[attr-defined]
    assert lines, f"no {name} cookie set"
    return lines[-1]


def test_sign_up_sets_a_hardened_session_cookie(client: TestClient) -> None:
    r = client.get("/signup?next=/settings")
    assert r.status_code == 200 and r.headers["cache-control"] == "private, no-store"
    anon = cookie_line(r, "op_csrf")
    assert "HttpOnly" in anon and "SameSite=Lax" in anon
    r, mails = request_sign_up(client, "New.User@Example.org", name="New <User>", next_url="/settings")
    assert r.status_code == 200 and "op_session" not in client.cookies  # no account before the link is used
    r = confirm(client, confirm_path(mails[0]))
    assert r.status_code == 303 and r.headers["location"] == "/settings"
    line = cookie_line(r, "op_session")
    for flag in ("HttpOnly", "SameSite=Lax", "Path=/", f"Max-Age={30 * 86400}"):
        assert flag in line
    assert "Secure" not in line  # plain http test server, no https base URL
    page = client.get("/settings")
    assert "new.user@example.org" in page.text and "New &lt;User&gt;" in page.text
    r = client.get("/api/me")
    assert r.json()["email"] == "new.user@example.org" and r.headers["cache-control"] == "private, no-store"


def test_cookies_are_secure_behind_an_https_base_url(settings: Settings) -> None:
    https = resolve_settings(settings.data_dir, settings.database_url, base_url="https://papers.example.org")
    with client_for(https, base_url="https://papers.example.org") as c:
        assert "Secure" in cookie_line(c.get("/login"), "op_csrf")
        _, mails = request_sign_up(c, "secure@example.org")
        assert "Secure" in cookie_line(confirm(c, confirm_path(mails[0])), "op_session")


def test_sign_up_errors_are_shown_in_the_form(client: TestClient) -> None:
    sign_up(client, "taken@example.org")
    with client_for(client.app.state.web.settings) as other:  # type: ignore[attr-defined]
        token = csrf_from(other.get("/signup").text)
        for data, message in (({"email": "not-an-email", "password": PASSWORD}, "valid email"),
                              ({"email": "ok@example.org", "password": "short"}, "at least 10")):
            r = other.post("/signup", data={**data, "csrf_token": token})
            assert r.status_code == 400 and message in r.text


def test_anonymous_forms_need_the_signed_double_submit_cookie(client: TestClient) -> None:
    sign_up(client, "csrf@example.org")
    with client_for(client.app.state.web.settings) as anon:  # type: ignore[attr-defined]
        token = csrf_from(anon.get("/login").text)
        data = {"email": "csrf@example.org", "password": PASSWORD}
        assert anon.post("/login", data=data).status_code == 403  # no token
        assert anon.post("/login", data={**data, "csrf_token": "x" * 32}).status_code == 403  # wrong token
        good = anon.cookies["op_csrf"]
        anon.cookies.clear()
        head, sig = good.strip('"').rsplit(".", 1)  # tamper with the signature's first character: always
        tampered = f"{head}.{'A' if sig[0] != 'A' else 'B'}{sig[1:]}"  # significant (the last one may carry
        anon.cookies.set("op_csrf", tampered)  # only padding bits, so changing it sometimes changed nothing)
        assert anon.post("/login", data={**data, "csrf_token": token}).status_code == 403
        anon.cookies.clear()
        anon.cookies.set("op_csrf", good)
        assert anon.post("/login", data={**data, "csrf_token": token}).status_code == 303


def test_cross_site_origin_is_refused_even_with_a_token(client: TestClient) -> None:
    sign_up(client, "origin@example.org")
    token = page_token(client)
    r = client.post("/settings", data={"display_name": "Evil", "csrf_token": token},
                    headers={"Origin": "https://evil.example"})
    assert r.status_code == 403 and "cross-site" in r.text
    r = client.post("/settings", data={"display_name": "Mine", "csrf_token": token},
                    headers={"Origin": "http://testserver"})
    assert r.status_code == 303
    r = client.post("/settings", data={"display_name": "Ref", "csrf_token": token},
                    headers={"Referer": "https://evil.example/page"})
    assert r.status_code == 403


def test_login_rotates_the_session_and_logout_ends_it(client: TestClient) -> None:
    sign_up(client, "rotate@example.org")
    first = client.cookies["op_session"]
    r = log_in(client, "rotate@example.org")
    assert r.status_code == 303
    second = client.cookies["op_session"]
    assert second != first
    engine = client.app.state.web.store.engine
    assert accounts.session_for(engine, first) is None  # the session the login came with is gone
    assert client.get("/api/me").status_code == 200
    assert client.post("/logout", data={"csrf_token": page_token(client)}).status_code == 303
    assert accounts.session_for(engine, second) is None  # deleted on the server, not just the cookie
    with client_for(client.app.state.web.settings) as replay:  # type: ignore[attr-defined]
        replay.cookies.set("op_session", second)
        r = replay.get("/api/me")
        assert r.status_code == 401
        r = replay.get("/")
        assert "op_session=" in r.headers.get("set-cookie", "") and "Max-Age=0" in r.headers["set-cookie"]


def test_login_failures_are_rate_limited_with_retry_after(client: TestClient) -> None:
    sign_up(client, "limited@example.org")
    with client_for(client.app.state.web.settings) as anon:  # type: ignore[attr-defined]
        for _ in range(throttle.FREE_FAILURES):
            r = log_in(anon, "limited@example.org", "wrong password!")
            assert r.status_code == 400 and "Wrong email or password" in r.text
        r = log_in(anon, "LIMITED@example.org", PASSWORD)  # the same address and email: it waits
        assert r.status_code == 429
        assert 0 < int(r.headers["retry-after"]) <= throttle.FIRST_DELAY.total_seconds() + 1
        assert "Too many failed logins" in r.text
    with client_for(client.app.state.web.settings) as owner:  # type: ignore[attr-defined]
        assert log_in(owner, "limited@example.org").status_code == 303  # another address is not locked out


def test_next_parameter_cannot_redirect_off_site(client: TestClient) -> None:
    sign_up(client, "next@example.org")
    for evil in ("//evil.example/x", "https://evil.example", "/\\evil.example"):
        with client_for(client.app.state.web.settings) as anon:  # type: ignore[attr-defined]
            token = csrf_from(anon.get("/login").text)
            r = anon.post("/login", data={"email": "next@example.org", "password": PASSWORD, "next": evil,
                                          "csrf_token": token})
            assert r.status_code == 303 and r.headers["location"] == "/"


def test_pages_for_signed_in_readers_are_private_and_anonymous_ones_carry_no_tokens(client: TestClient) -> None:
    with client_for(client.app.state.web.settings) as anon:  # type: ignore[attr-defined]
        r = anon.get("/")
        assert r.status_code == 200 and "csrf_token" not in r.text and "set-cookie" not in r.headers
        assert "private" not in r.headers.get("cache-control", "")
        assert 'href="/login"' in r.text and 'href="/signup"' in r.text
    sign_up(client, "private@example.org")
    for path in ("/", "/library", "/settings", "/api/me", "/api/latest"):
        assert client.get(path).headers["cache-control"] == "private, no-store", path
    assert client.get("/settings").status_code == 200


def test_signed_out_readers_are_sent_to_log_in(settings: Settings) -> None:
    with client_for(settings) as anon:
        r = anon.get("/settings?x=1")
        assert r.status_code == 303 and r.headers["location"] == "/login?next=/settings%3Fx%3D1"
        r = anon.get("/api/me")
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert r.json()["status"] == 401
        r = anon.get("/api/me", headers={"Authorization": "Bearer op_nonsense"})
        assert r.status_code == 401 and "invalid" in r.json()["error"]


def test_password_reset_by_email_end_to_end(mail_client: TestClient, smtp: Mailbox) -> None:
    client = mail_client
    accounts.sign_up(client.app.state.web.store.engine, "reset@example.org", PASSWORD, "Reset Me")
    assert log_in(client, "reset@example.org").status_code == 303
    old_cookie = client.cookies["op_session"]
    settings = client.app.state.web.settings  # type: ignore[attr-defined]
    with client_for(settings, account_mail="smtp") as anon:
        token = csrf_from(anon.get("/reset").text)
        known = anon.post("/reset", data={"email": "Reset@Example.org", "csrf_token": token})
        unknown = anon.post("/reset", data={"email": "nobody@example.org", "csrf_token": token})
        assert known.status_code == unknown.status_code == 200
        strip = re.compile(r'name="csrf_token" value="[^"]+"')
        assert strip.sub("", known.text) == strip.sub("", unknown.text)  # the answer never tells
        assert len(smtp.messages) == 1
        msg = smtp.messages[0]
        assert msg["To"] == "reset@example.org" and smtp.envelopes[0][1] == ["reset@example.org"]
        assert msg["From"] == "openpapers <papers@example.org>" and msg["Message-ID"] and msg["Date"]
        assert msg["Subject"] == "Reset your openpapers password"
        body = msg.get_content()
        assert "Reset Me" in body and "once, for an hour" in body
        link = re.search(r"(https?://\S+/reset/(\S+))", body)
        assert link and link.group(1).startswith("http://127.0.0.1:8000/reset/")  # OPENPAPERS_BASE_URL default
        path = "/reset/" + link.group(2)
        form = anon.get(path)
        assert form.status_code == 200 and "Set a new password" in form.text
        r = anon.post(path, data={"password": "a fresh password", "csrf_token": csrf_from(form.text)})
        assert r.status_code == 303 and "op_session" in anon.cookies
        assert anon.get("/api/me").json()["email"] == "reset@example.org"
        # single use
        again = anon.get(path)
        assert again.status_code == 400 and "already used" in again.text
    # every earlier session is dead, the old password too
    assert client.get("/api/me").status_code == 401
    engine = client.app.state.web.store.engine
    assert accounts.session_for(engine, old_cookie) is None
    with client_for(settings, account_mail="smtp") as fresh:
        assert log_in(fresh, "reset@example.org").status_code == 400
        assert log_in(fresh, "reset@example.org", "a fresh password").status_code == 303


def test_settings_digest_and_password_change(client: TestClient) -> None:
    sign_up(client, "prefs@example.org")
    token = page_token(client)
    r = client.post("/settings", data={"display_name": "Prefs", "digest_frequency": "weekly",
                                       "digest_sections": ["follows", "trending"], "csrf_token": token})
    assert r.status_code == 303
    me = client.get("/api/me").json()
    assert me["digest_frequency"] == "weekly" and me["digest_sections"] == ["follows", "trending"]
    r = client.post("/settings", data={"display_name": "P", "digest_frequency": "hourly", "csrf_token": token})
    assert r.status_code == 400 and "Digest frequency" in r.text
    r = client.put("/api/me/settings", json={"digest_frequency": "daily"}, headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and r.json()["digest_frequency"] == "daily"
    assert client.put("/api/me/settings", json={"digest_frequency": "daily"}).status_code == 403  # no CSRF header
    # change the password: another session of the same account ends, this one stays
    settings = client.app.state.web.settings  # type: ignore[attr-defined]
    with client_for(settings) as other:
        assert log_in(other, "prefs@example.org").status_code == 303
        r = client.post("/settings/password", data={"current": PASSWORD, "password": "changed password!",
                                                    "csrf_token": token})
        assert r.status_code == 303
        assert other.get("/api/me").status_code == 401
    assert client.get("/api/me").status_code == 200


def test_api_tokens_are_shown_once_and_need_no_csrf(client: TestClient) -> None:
    sign_up(client, "tokens@example.org")
    token = page_token(client)
    r = client.post("/settings/tokens", data={"name": "my <script>", "csrf_token": token})
    api = re.search(r'<code class="token">([^<]+)</code>', r.text).group(1)  # type: ignore[union-attr]
    assert api.startswith("op_") and "my &lt;script&gt;" in r.text
    assert api not in client.get("/settings").text  # shown once
    engine = client.app.state.web.store.engine
    assert all(api not in str(row) for row in db.list_api_tokens(engine, 1_000_000))
    with client_for(client.app.state.web.settings) as script:  # type: ignore[attr-defined]
        auth = {"Authorization": f"Bearer {api}"}
        assert script.get("/api/me", headers=auth).json()["email"] == "tokens@example.org"
        r = script.put("/api/me/settings", json={"display_name": "Script"}, headers=auth)  # no CSRF token
        assert r.status_code == 200
        r = script.post("/api/me/tokens", json={"name": "second"}, headers=auth)
        assert r.status_code == 201 and r.json()["token"].startswith("op_")
        listed = script.get("/api/me/tokens", headers=auth).json()
        assert [t["name"] for t in listed] == ["my <script>", "second"] and "token" not in listed[0]
        first_id = listed[0]["id"]
        assert script.delete(f"/api/me/tokens/{first_id}", headers=auth).status_code == 200
        assert script.get("/api/me", headers=auth).status_code == 401  # revoked: it was this very token


def test_export_and_account_deletion(client: TestClient) -> None:
    sign_up(client, "leaving@example.org")
    token = page_token(client)
    client.post("/api/me/votes/2512.00001", headers={"X-CSRF-Token": token})
    client.put("/api/me/library/hep-th/9901001", json={"tags": ["strings"], "note": "classic"},
               headers={"X-CSRF-Token": token})
    client.post("/api/me/follows", json={"kind": "category", "target": "cs.LG"}, headers={"X-CSRF-Token": token})
    r = client.get("/settings/export?format=json")
    assert r.headers["content-disposition"].startswith("attachment") and r.headers["cache-control"] == \
        "private, no-store"
    data = orjson.loads(r.content)
    assert data["user"]["email"] == "leaving@example.org"
    assert [i["paper_id"] for i in data["library"]] == ["hep-th/9901001"] and data["library"][0]["tags"] == \
        ["strings"]
    assert data["votes"][0]["arxiv_id"] == "2512.00001" and data["follows"][0]["target"] == "cs.LG"
    bib = client.get("/api/me/export?format=bibtex")
    assert bib.headers["content-type"].startswith("application/x-bibtex") and bib.text.lstrip().startswith("@")
    assert client.get("/api/me/export?format=xml").status_code == 422
    r = client.request("DELETE", "/api/me", json={"password": "wrong password"}, headers={"X-CSRF-Token": token})
    assert r.status_code == 403 and "not deleted" in r.json()["error"]  # declared in the spec (test_api_errors)
    r = client.post("/settings/delete", data={"password": PASSWORD, "csrf_token": token})
    assert r.status_code == 200 and "Account deleted" in r.text and "Max-Age=0" in r.headers["set-cookie"]
    engine = client.app.state.web.store.engine
    assert db.get_user_by_email(engine, "leaving@example.org") is None
    with client_for(client.app.state.web.settings) as fresh:  # type: ignore[attr-defined]
        assert log_in(fresh, "leaving@example.org").status_code == 400


def test_openapi_documents_the_account_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    expected = {
        "/api/me": {"get": "me", "delete": "account"},
        "/api/me/settings": {"get": "account", "put": "account"},
        "/api/me/votes/{paper_id}": {"post": "me", "delete": "me"},
        "/api/me/library": {"get": "me"},
        "/api/me/library/{paper_id}": {"get": "me", "put": "me", "delete": "me"},
        "/api/me/dismissals/{paper_id}": {"post": "me", "delete": "me"},
        "/api/me/follows": {"get": "me", "post": "me", "delete": "me"},
        "/api/me/export": {"get": "account"},
        "/api/me/tokens": {"get": "account", "post": "account"},
    }
    for path, methods in expected.items():
        for method, tag in methods.items():
            op = spec["paths"][path][method]
            assert op["tags"] == [tag], (path, method)
            assert "401" in op["responses"], (path, method)
    assert not any(p.startswith(("/login", "/signup", "/settings", "/me/")) for p in spec["paths"])


def test_reset_link_with_a_bad_token_is_a_clear_400(client: TestClient) -> None:
    r = client.get("/reset/" + "A" * 43)
    assert r.status_code == 400 and "invalid, expired or already used" in r.text
    assert client.get("/reset/" + "A" * 300).status_code == 400


def test_users_can_be_made_admins_from_the_cli(settings: Settings, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from openpapers.cli import app as cli

    runner = CliRunner()
    base = ["--data-dir", str(settings.data_dir)]
    r = runner.invoke(cli, [*base, "user", "create", "boss@example.org", "--admin", "--password-stdin"],
                      input=PASSWORD + "\n")
    assert r.exit_code == 0, r.output
    store = open_store(resolve_settings(settings.data_dir))  # the store the command used (same variables)
    try:  # confirmed at once: no confirmation mail for accounts made from the shell
        assert accounts.login(store.db, "boss@example.org", PASSWORD, ip="cli-test").user.is_admin
    finally:
        store.close()
    r = runner.invoke(cli, [*base, "user", "create", "staff@example.org", "--password-stdin"], input=PASSWORD + "\n")
    assert r.exit_code == 0
    r = runner.invoke(cli, [*base, "user", "promote", "STAFF@example.org"])
    assert r.exit_code == 0 and "now an administrator" in r.output
    r = runner.invoke(cli, [*base, "user", "list"])
    assert re.search(r"boss@example\.org\s+admin", r.output) and re.search(r"staff@example\.org\s+admin", r.output)
    r = runner.invoke(cli, [*base, "user", "promote", "ghost@example.org"])
    assert r.exit_code == 2
    r = runner.invoke(cli, [*base, "user", "create", "Boss@Example.org", "--password-stdin"], input="x\n")
    assert r.exit_code != 0 and "already exists" in r.output and "too short" not in r.output
    long_name = "a-rather-long-mailbox-name-for-the-list@some-department.example.org"
    r = runner.invoke(cli, [*base, "user", "create", long_name, "--password-stdin"], input=PASSWORD + "\n")
    assert r.exit_code == 0
    r = runner.invoke(cli, [*base, "user", "list"], terminal_width=80, env={"COLUMNS": "80"})
    line = next(x for x in r.output.splitlines() if long_name in x)  # one line per account, however wide
    fields = line.split()
    assert len(line) > 80 and len(fields) == 6 and fields[3] == "active" and fields[5].startswith("20")
