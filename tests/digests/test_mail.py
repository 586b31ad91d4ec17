"""SMTP delivery against a real aiosmtpd server on 127.0.0.1: settings, one connection per batch, refusals."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from helpers.accountkit import Mailbox, free_port
from openpapers.digests import smtp as mail


class CountingMailbox(Mailbox):
    """Also counts connections, and refuses mail to anyone at refused.example."""

    def __init__(self) -> None:
        super().__init__()
        self.connections = 0

    async def handle_EHLO(self, server: SMTP, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server: SMTP, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address.endswith("@refused.example"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture()
def server() -> Iterator[tuple[CountingMailbox, mail.SmtpSettings]]:
    box, port = CountingMailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, mail.SmtpSettings.from_env({"OPENPAPERS_SMTP_HOST": "127.0.0.1",
                                               "OPENPAPERS_SMTP_PORT": str(port),
                                               "OPENPAPERS_MAIL_FROM": "Papers <papers@example.org>"})
    finally:
        controller.stop()


def test_settings_from_the_environment() -> None:
    s = mail.SmtpSettings.from_env({"OPENPAPERS_SMTP_HOST": "smtp.example.org", "OPENPAPERS_SMTP_TLS": "STARTTLS",
                                    "OPENPAPERS_SMTP_USER": "me", "OPENPAPERS_SMTP_PASSWORD": " secret "})
    assert (s.host, s.port, s.tls, s.user, s.password) == ("smtp.example.org", 587, "starttls", "me", " secret ")
    assert mail.SmtpSettings.from_env({"OPENPAPERS_SMTP_TLS": "ssl"}).port == 465
    assert mail.SmtpSettings.from_env({}).port == 25
    for bad in ({"OPENPAPERS_SMTP_TLS": "tls1.3"}, {"OPENPAPERS_SMTP_PORT": "twenty"},
                {"OPENPAPERS_SMTP_PORT": "70000"}, {"OPENPAPERS_MAIL_FROM": "nobody"}):
        with pytest.raises(mail.MailConfigError):
            mail.SmtpSettings.from_env(bad)


def test_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENPAPERS_BASE_URL", raising=False)
    assert mail.base_url() == "http://127.0.0.1:8000"
    monkeypatch.setenv("OPENPAPERS_BASE_URL", "https://papers.example.org/")
    assert mail.base_url() == "https://papers.example.org"


def test_a_batch_uses_one_connection_and_reports_each_message(
        server: tuple[CountingMailbox, mail.SmtpSettings]) -> None:
    box, smtp = server
    to = ["a@example.org", "b@refused.example", "c@example.org"]
    messages = [mail.new_message(smtp, addr, f"Hello {i}", f"text {i}", f"<p>html {i}</p>") for i, addr in
                enumerate(to)]
    results = list(mail.send_messages(smtp, iter(messages)))
    assert [r.ok for r in results] == [True, False, True]
    assert results[1].permanent and "550" in (results[1].error or "")
    assert [r.message_id for r in results] == [m["Message-ID"] for m in messages]
    assert box.connections == 1
    got = {m["To"]: m for m in box.messages}
    assert set(got) == {"a@example.org", "c@example.org"}
    first = got["a@example.org"]
    assert first.get_body(("plain",)).get_content().strip() == "text 0"  # type: ignore[union-attr]
    assert first.get_body(("html",)).get_content().strip() == "<p>html 0</p>"  # type: ignore[union-attr]
    assert box.envelopes[0][0] == "papers@example.org"


def test_progress_is_yielded_message_by_message(server: tuple[CountingMailbox, mail.SmtpSettings]) -> None:
    box, smtp = server
    sent = mail.send_messages(smtp, (mail.new_message(smtp, f"u{i}@example.org", "s", "t") for i in range(3)))
    next(sent)
    assert len(box.messages) == 1  # the first one is delivered before the second is even composed
    sent.close()
    assert len(box.messages) == 1


def test_nothing_to_send_opens_no_connection(server: tuple[CountingMailbox, mail.SmtpSettings]) -> None:
    box, smtp = server
    assert list(mail.send_messages(smtp, [])) == []
    assert box.connections == 0


def test_an_unreachable_server_raises() -> None:
    smtp = mail.SmtpSettings(host="127.0.0.1", port=free_port(), timeout=2)
    with pytest.raises(OSError):
        mail.send_message(smtp, mail.new_message(smtp, "a@example.org", "s", "t"))
