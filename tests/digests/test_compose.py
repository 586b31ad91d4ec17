"""Received digests, parsed back with the email package: headers, both parts, links, escaping, and the
one-click unsubscribe round trip through the real web app."""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from itsdangerous.timed import TimestampSigner

from helpers.notifydata import DAY, HOSTILE, SmtpServer, make_users
from openpapers.accounts.repository import get_user
from openpapers.core.settings import resolve_settings
from openpapers.digests.send import mail_context, periods_for, run
from openpapers.digests.smtp import SmtpSettings, base_url
from openpapers.digests.unsubscribe import BadToken, make_token, read_token, store_secret
from openpapers.papers.store import open_store
from openpapers.web.app import create_app

BASE = "https://papers.example.org"


def _send(data_dir: Path, n: int = 12) -> None:
    store = open_store(resolve_settings(data_dir))
    try:
        make_users(store.engine, n)
        smtp = SmtpSettings.from_env()
        run(store, smtp, mail_context(store, smtp, base_url()), periods_for(DAY, "daily"))
    finally:
        store.close()


def _links(text: str) -> list[str]:
    return re.findall(r"""https?://[^\s"'<>]+""", text)


def test_headers_parts_and_links(data_dir: Path, smtp: SmtpServer) -> None:
    _send(data_dir)
    by_rcpt = {m.rcpt_tos[0]: m for m in smtp.messages}
    received = by_rcpt["user0@example.org"]
    msg = received.message
    assert received.mail_from == "digest@papers.example.org"
    assert msg["From"] == "openpapers <digest@papers.example.org>"
    assert msg["To"].addresses[0].addr_spec == "user0@example.org"
    assert msg["To"].addresses[0].display_name == "User 0"
    assert re.fullmatch(r"openpapers daily — \d+ new papers? for you, 20 Nov", msg["Subject"]), msg["Subject"]
    assert parsedate_to_datetime(msg["Date"]).tzinfo is not None
    assert re.fullmatch(r"<digest\.1\.daily-2026-11-20\.[0-9a-f]{16}@papers\.example\.org>", msg["Message-ID"])
    unsub = msg["List-Unsubscribe"]
    assert re.fullmatch(rf"<{re.escape(BASE)}/unsubscribe\?token=[A-Za-z0-9_.\-]+>", unsub), unsub
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    html = msg.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    for part in (text, html):
        links = _links(part)
        assert links and all(link.startswith(BASE + "/") for link in links), links
        assert f"{BASE}/settings" in links
        assert any(link.startswith(f"{BASE}/paper/") for link in links)
        assert unsub[1:-1] in part.replace("&amp;", "&")
    assert f"{BASE}/author/ada-writer0" in _links(html)  # authors are links in the HTML part
    assert "because you follow Ada Writer0" in text and "because you follow Ada Writer0" in html
    assert "<style" not in html and "<script" not in html  # inline CSS only, never a script


def test_untrusted_text_is_escaped_in_html_and_verbatim_in_text(data_dir: Path, smtp: SmtpServer) -> None:
    _send(data_dir)
    # The hostile paper (index 26) is by Ada Writer4 and Ada Writer5: user4 follows the first.
    msg = next(m.message for m in smtp.messages if m.rcpt_tos == ["user4@example.org"])
    html = msg.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    text = msg.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert HOSTILE in text
    assert "Ümlaut Ñame" in html and "Ümlaut Ñame" in text


def test_one_click_unsubscribe_through_the_web_app(data_dir: Path, smtp: SmtpServer) -> None:
    _send(data_dir, 3)
    msg = next(m.message for m in smtp.messages if m.rcpt_tos == ["user1@example.org"])
    url = msg["List-Unsubscribe"][1:-1]
    path = url.removeprefix(BASE)
    with TestClient(create_app(resolve_settings(data_dir)), follow_redirects=False) as client:
        engine = client.app.state.web.store.engine
        page = client.get(path)
        assert page.status_code == 200 and 'method="post"' in page.text and "Unsubscribe" in page.text
        assert page.headers["cache-control"] == "private, no-store"
        assert get_user(engine, 2)["digest_frequency"] == "daily"  # type: ignore[index]  # GET changes nothing
        # What mail providers send (RFC 8058): a POST with that body, no cookie, no CSRF token.
        for _ in range(2):  # idempotent
            done = client.post(path, content=b"List-Unsubscribe=One-Click",
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
            assert done.status_code == 200 and "Unsubscribed" in done.text
            assert get_user(engine, 2)["digest_frequency"] == "off"  # type: ignore[index]
        assert get_user(engine, 1)["digest_frequency"] == "daily"  # type: ignore[index]  # nobody else
        again = client.get(path)
        assert again.status_code == 200 and "Already unsubscribed" in again.text
        token = path.split("token=")[1]
        tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
        for method in (client.get, client.post):
            bad = method(f"/unsubscribe?token={tampered}")
            assert bad.status_code == 400 and "not valid" in bad.text
        assert client.post("/unsubscribe").status_code == 400
        # A token naming another user cannot be made without the secret.
        forged = make_token("not-the-secret", 1, "daily")
        assert client.post(f"/unsubscribe?token={forged}").status_code == 400
        assert get_user(engine, 1)["digest_frequency"] == "daily"  # type: ignore[index]
        # A daily token does not touch a user who has moved to weekly since.
        secret = store_secret(engine)
        from openpapers.accounts.repository import update_user

        update_user(engine, 3, digest_frequency="weekly")
        assert client.post(f"/unsubscribe?token={make_token(secret, 3, 'daily')}").status_code == 200
        assert get_user(engine, 3)["digest_frequency"] == "weekly"  # type: ignore[index]


def test_expired_token(monkeypatch: pytest.MonkeyPatch) -> None:
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) - 400 * 86400)
    token = make_token("s3cret", 7, "weekly")
    monkeypatch.setattr(TimestampSigner, "get_timestamp", real)
    with pytest.raises(BadToken, match="expired"):
        read_token("s3cret", token)
    assert read_token("s3cret", token, max_age_days=500).user_id == 7
    assert read_token("s3cret", make_token("s3cret", 7, "weekly")).list == "weekly"


def test_unicode_names_and_addresses_survive(data_dir: Path) -> None:
    from email import message_from_bytes, message_from_string, policy

    from openpapers.digests.compose import MailContext, compose
    from openpapers.digests.content import PeriodDigests, Recipient
    from openpapers.digests.periods import daily

    store = open_store(resolve_settings(data_dir))
    try:
        digests = PeriodDigests(store, daily(DAY), recommender=None)
        follows = [{"kind": "author", "target": "ada-writer0", "label": "Ada Writer0"}]
        ctx = MailContext(BASE, "Ópen Papers <digest@papers.example.org>", "s3cret")
        for email, name in (("zoe@example.org", 'Zoë "Z" <Ünïcode>, Jr.'), ("zoë@exämple.org", "Zoë")):
            d = digests.build(Recipient(1, email, name, "daily", ("follows",)), follows, set())
            data = compose(d, ctx).data
            # (SMTPUTF8 headers are raw UTF-8, which the email package reads back only from text)
            msg = (message_from_bytes(data, policy=policy.default) if email.isascii()
                   else message_from_string(data.decode(), policy=policy.default))
            assert msg["To"].addresses[0].display_name == name
            assert msg["To"].addresses[0].addr_spec == email
            assert msg["From"].addresses[0].display_name == "Ópen Papers"
            assert msg["Subject"].startswith("openpapers daily — ")
            assert "Ümlaut Ñame" in msg.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    finally:
        store.close()
