"""Helpers for the account tests: a writable app of their own, form tokens, sign-up, and a real SMTP server.

The shared web fixtures are read-only (built once per session); account tests write users, votes and sessions,
so each test module gets its own store (the demo corpus plus the crafted papers, no search index needed).
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
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


def client_for(settings: Settings, **kwargs: Any) -> TestClient:
    return TestClient(create_app(settings), follow_redirects=False, **kwargs)


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def sign_up(client: TestClient, email: str, password: str = PASSWORD, name: str = "") -> None:
    token = csrf_from(client.get("/signup").text)
    r = client.post("/signup", data={"email": email, "password": password, "display_name": name,
                                     "csrf_token": token})
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
