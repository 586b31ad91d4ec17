"""Helpers for the account tests: a writable app of their own, form tokens, sign-up, and a real SMTP server.

The shared web fixtures are read-only (built once per session); account tests write users, votes and sessions,
so each test module gets its own store (the demo corpus plus the crafted papers, no search index needed).
"""

from __future__ import annotations

import itertools
import logging
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from helpers.webdata import CRAFTED
from openpapers.accounts import service as accounts
from openpapers.core.settings import Settings
from openpapers.papers.demo import load_demo
from openpapers.papers.store import open_store
from openpapers.web.app import create_app

PASSWORD = "correct horse battery"
CHEAP_HASHING = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


def build_store(data_dir: Path, backend: Any) -> Settings:
    """The demo corpus plus the crafted papers, on the test's backend (a database of its own on PostgreSQL)."""
    settings: Settings = backend.settings(data_dir)
    store = open_store(settings)
    try:
        load_demo(store)
        store.apply(CRAFTED)
    finally:
        store.close()
    return settings


def client_for(settings: Settings, *, account_mail: str = "log", **kwargs: Any) -> TestClient:
    """A client of a new app on ``settings``; account mails are logged (``log``, where :func:`sign_up` reads the
    confirmation link) unless ``account_mail="smtp"``."""
    web = settings.web.model_copy(update={"account_mail": account_mail})
    kwargs.setdefault("client", (next_client_address(), 50000))
    return TestClient(create_app(settings.model_copy(update={"web": web})), follow_redirects=False, **kwargs)


_clients = itertools.count(1)


def next_client_address() -> str:
    """A client address of its own for each test client (TEST-NET-2, 198.51.100.0/24 then on): the per-address
    sign-up and login limits count each client apart, as they would count different people."""
    n = next(_clients)
    return f"198.51.{100 + n // 250}.{n % 250 + 1}"


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(record.getMessage())


@contextmanager
def logged_account_mail() -> Iterator[list[str]]:
    """The account mails an app in log mode writes while the block runs (TestClient runs background tasks
    before it returns the response)."""
    handler = _Collect()
    logger = logging.getLogger("openpapers.accounts.mail")
    logger.addHandler(handler)
    try:
        yield handler.texts
    finally:
        logger.removeHandler(handler)


CONFIRM_LINK = re.compile(r"https?://\S+(/signup/confirm/[A-Za-z0-9_-]+)")


def confirm_path(text: str) -> str:
    """The path of the (last) confirmation link in a mail's text or a server log."""
    found = CONFIRM_LINK.findall(text)
    assert found, f"no confirmation link in {text[-2000:]!r}"
    return str(found[-1])


def request_sign_up(client: TestClient, email: str, password: str = PASSWORD, name: str = "",
                    next_url: str = "/") -> tuple[Any, list[str]]:
    """Post the sign-up form: (the response, the account mails it logged)."""
    token = csrf_from(client.get("/signup").text)
    with logged_account_mail() as mails:
        r = client.post("/signup", data={"email": email, "password": password, "display_name": name,
                                         "next": next_url, "csrf_token": token})
    return r, mails


def confirm(client: TestClient, path: str) -> Any:
    """Open a confirmation link and press its button (the POST that creates the account)."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    return client.post(path, data={"csrf_token": csrf_from(page.text)})


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def sign_up(client: TestClient, email: str, password: str = PASSWORD, name: str = "") -> None:
    """Sign up through the forms and the mailed link (the app must log account mails: :func:`client_for`);
    the client is then logged in."""
    r, mails = request_sign_up(client, email, password, name)
    assert r.status_code == 200 and "Check your inbox" in r.text, r.text
    assert len(mails) == 1 and "Confirm it to create your account" in mails[0], mails
    r = confirm(client, confirm_path(mails[0]))
    assert r.status_code == 303, r.text
    assert "op_session" in client.cookies


def log_in(client: TestClient, email: str, password: str = PASSWORD) -> Any:
    """Post the login form (from a signed-in client too: then the session's token is the one to send)."""
    form = client.get("/login")
    token = csrf_from(form.text) if form.status_code == 200 else page_token(client)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def page_token(client: TestClient, path: str = "/settings") -> str:
    """The session's CSRF token, as a page shows it."""
    r = client.get(path)
    assert r.status_code == 200, r.status_code
    return csrf_from(r.text)


@dataclass
class Mailbox:
    """Messages received by the local aiosmtpd server, parsed."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd), for as long as the generator is suspended."""
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


def use_cheap_hashing() -> Iterator[None]:
    accounts.configure_hashing(**CHEAP_HASHING)
    yield
    accounts.configure_hashing()
