"""Crafted papers, users and a recording SMTP server for the digest tests (kept out of conftest.py so that
tests and the bench can import them by a unique module name)."""

from __future__ import annotations

import asyncio
import socket
import threading
from dataclasses import dataclass, field
from datetime import date, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from openpapers.accounts.repository import create_user, update_user
from openpapers.core.records import PaperRecord
from openpapers.digests import outbox
from openpapers.signals.repository import add_follow

# The crafted week: ISO 2026-W47 (Mon 16 – Sun 22 Nov 2026). Each day has papers by these authors.
WEEK_START = date(2026, 11, 16)
DAY = date(2026, 11, 20)  # a Friday
AUTHORS = [f"Ada Writer{i}" for i in range(12)]
CATS = ["cs.LG", "math.NA", "cs.CV", "stat.ML"]
ORGS = ["Example Lab", "Sample University"]
HOSTILE = "<script>alert(1)</script> & <b>bold</b>"
HOSTILE_INDEX = 26  # published on DAY


def crafted_papers() -> list[PaperRecord]:
    """6 papers a day for the 7 days of the week (every crafted author on one of them each day), one of them
    with hostile text (escaping checks)."""
    out = []
    for d in range(7):
        day = WEEK_START + timedelta(days=d)
        for k in range(6):
            i = d * 6 + k
            out.append(PaperRecord(
                source="test", source_key=f"digest-{i}", arxiv_id=f"2611.{90000 + i:05d}",
                title=(f"Operator learning result {i} {HOSTILE}" if i == HOSTILE_INDEX
                       else f"Neural operator study number {i}"),
                abstract=f"We study operators, part {i}. " + "Long sentence about solvers. " * 20,
                authors=[AUTHORS[2 * k], AUTHORS[2 * k + 1], "Ümlaut Ñame"],
                authors_complete=True, author_count=3, categories=[CATS[i % len(CATS)]], published=day,
                orgs=[ORGS[i % 2]],
            ))
    return out


def make_users(engine: Any, n: int, *, frequency: str = "daily", start: int = 0,
               sections: str = "follows,recommendations,trending") -> list[int]:
    """``n`` users (no password login: a placeholder hash), each following one crafted author; every 10th
    follows an author with no papers at all, so that their digests are empty."""
    ids = []
    for i in range(start, start + n):
        uid = create_user(engine, email=f"user{i}@example.org", display_name=f"User {i}", password_hash="x")
        assert uid is not None
        update_user(engine, uid, digest_frequency=frequency, digest_sections=sections)
        if i % 10 == 9:
            add_follow(engine, uid, "author", "nobody-at-all", "Nobody At All")
        else:
            name = AUTHORS[i % len(AUTHORS)]
            add_follow(engine, uid, "author", name.lower().replace(" ", "-"), name)
        ids.append(uid)
    return ids


def planned_count(engine: Any) -> dict[str, int]:
    return outbox.status_counts(engine)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]


@dataclass
class Recorder:
    """An aiosmtpd handler that keeps each message before answering 250 (so 'received' means 'accepted')."""

    delay: float = 0.0
    messages: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # recipient -> SMTP reply
    refuse_data: str = ""  # an SMTP reply to every DATA (e.g. "451 slow down"), "" to accept
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.refuse_data:
            return self.refuse_data
        with self.lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content
                                                                                          or envelope.content)))
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, delay: float = 0.0) -> None:
        self.recorder = Recorder(delay=delay)
        self.port = free_port()
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    @property
    def messages(self) -> list[Received]:
        with self.recorder.lock:
            return list(self.recorder.messages)

    def env(self, base_url: str = "https://papers.example.org") -> dict[str, str]:
        return {"OPENPAPERS_SMTP_HOST": "127.0.0.1", "OPENPAPERS_SMTP_PORT": str(self.port),
                "OPENPAPERS_SMTP_TLS": "none", "OPENPAPERS_MAIL_FROM": "openpapers <digest@papers.example.org>",
                "OPENPAPERS_BASE_URL": base_url}
