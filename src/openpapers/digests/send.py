"""The exactly-once digest run: plan every (user, period) into the outbox, then send what is pending.

**Plan.** For each user with the period's frequency and no outbox row for it yet, build the digest, compose the
message once and insert the row (``pending`` with the bytes, or ``empty``: nothing new, no email). The insert
ignores an existing (user, period) row, so the unique constraint alone guarantees one digest per user and period
ever, whatever runs concurrently or again. Rows are committed per batch; a kill loses only the batch in flight,
whose users are simply planned again by the next run (nothing was sent for them).

**Send.** Claim a few rows atomically (digests/outbox.py: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, one
``UPDATE … RETURNING`` on SQLite), hand each message's stored bytes to the SMTP server on one connection, and
mark it ``sent`` in its own transaction right after the server's 250. A claim is a lease: rows left in
``sending`` by a sender that died are taken again once the lease is over, or at once when the claimer is known
dead (same host, its process gone: :func:`claimer_dead`).

**The irreducible window.** Between the server's 250 and the commit of ``sent``, a kill (or power loss, or a
lost connection) leaves a message delivered but recorded as ``sending``. Nothing can close that window without
the server's help (SMTP has no idempotent submission), so such a message is sent again on resume — at most one
per sender process per interruption (each sender has at most one message in flight), with the SAME bytes and
Message-ID, so mail clients that dedupe by Message-ID show it once. Every other message is delivered exactly
once: none before its row exists, none twice once ``sent`` is committed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import smtplib
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

from openpapers.accounts import repository as accounts_db
from openpapers.db.database import Database
from openpapers.digests import outbox
from openpapers.digests import periods as P
from openpapers.digests.compose import MailContext, compose
from openpapers.digests.content import PeriodDigests, Recipient
from openpapers.digests.smtp import SmtpSettings, connect
from openpapers.papers.store import Store

log = logging.getLogger("openpapers.digest")

LEASE_S = 300.0  # a claim older than this is presumed dead (a live sender renews well before)
CLAIM_BATCH = 20  # rows per claim: small, so a dead sender strands little until its lease ends
PLAN_BATCH = 200  # digests per planning transaction
MAX_ATTEMPTS = 5


class SendError(RuntimeError):
    """The SMTP connection failed mid-run; unsent rows were given back and a re-run resumes them."""


@dataclass(slots=True)
class PlanReport:
    period: str
    users: int = 0
    planned: int = 0  # rows inserted with a message
    empty: int = 0  # rows inserted without one (nothing new)
    existing: int = 0  # users that already had a row (an earlier or concurrent run)
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class SendReport:
    sent: int = 0
    failed: int = 0
    deferred: int = 0  # temporarily refused: left pending for a later run
    resumed: int = 0  # claimed again after an earlier claim (a dead or stalled sender)
    lost: int = 0  # claims taken over by another sender (lease expired) before we sent them
    seconds: float = 0.0


# -- who is sending ------------------------------------------------------------------------------------------------
def _proc_start(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    return f"{fields[0]}{fields[19]}"  # state + start time (clock ticks since boot): tells a reused pid apart


def claimer_id() -> str:
    """``host:pid:start:nonce``: unique per send run, and enough to tell later whether its process still lives."""
    pid = os.getpid()
    start = (_proc_start(pid) or "?")[1:]
    return f"{socket.gethostname()}:{pid}:{start}:{secrets.token_hex(4)}"


def claimer_dead(claimer: str) -> bool:
    """True only when sure: same host, and the process is gone, a zombie, or its pid now belongs to another
    process. Anything else (another host, unreadable) waits for the lease to expire."""
    parts = claimer.split(":")
    if len(parts) != 4 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return False
    now = _proc_start(pid)
    if now is None:
        if Path("/proc/self/stat").exists():
            return True  # Linux, and no such process
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    return now[0] == "Z" or (parts[2] != "?" and now[1:] != parts[2])


# -- plan ------------------------------------------------------------------------------------------------------------
def mail_context(store: Store, smtp: SmtpSettings, base_url: str) -> MailContext:
    from openpapers.digests.unsubscribe import store_secret

    return MailContext(base_url=base_url.rstrip("/"), mail_from=smtp.mail_from, secret=store_secret(store.db),
                       mailto=smtp.unsubscribe_mailto)


def plan_period(
    store: Store,
    period: P.DigestPeriod,
    ctx: MailContext,
    *,
    search: Any | None = None,
    batch: int = PLAN_BATCH,
    builder: Callable[[], PeriodDigests] | None = None,
    shard: tuple[int, int] | None = None,
) -> PlanReport:
    """Record a digest row for every user of the period's frequency who has none yet (with ``shard=(i, n)``,
    only users whose id is i modulo n: how digests/parallel.py splits the work)."""
    from openpapers.signals.ranking_queries import user_signals

    database = store.db
    report = PlanReport(period.key)
    started = time.perf_counter()
    users = [
        Recipient(int(r["id"]), str(r["email"]), str(r["display_name"]), period.frequency,
                  tuple(s.strip() for s in str(r["digest_sections"]).split(",") if s.strip()))
        for r in accounts_db.digest_recipients(database, period.frequency)
        if shard is None or int(r["id"]) % shard[1] == shard[0]
    ]
    done = outbox.planned_users(database, period.key)
    todo = [u for u in users if u.id not in done]
    report.users, report.existing = len(users), len(users) - len(todo)
    if not todo:
        return report
    t0 = time.perf_counter()
    digests = builder() if builder else PeriodDigests(store, period, search=search)
    report.seconds["period"] = time.perf_counter() - t0
    build_s = compose_s = write_s = 0.0
    views: dict[str, dict[str, object]] = {}  # each paper's part of the message, rendered once per run
    for i in range(0, len(todo), batch):
        rows = []
        for user in todo[i:i + batch]:
            t0 = time.perf_counter()
            sig = user_signals(database, user.id)  # follows, and what to leave out, in one go
            follows = [{"kind": k, "target": t, "label": label} for k, t, label in sig.follows]
            digest = digests.build(user, follows, set(sig.saved) | set(sig.voted) | set(sig.dismissed))
            t1 = time.perf_counter()
            if digest.is_empty:
                rows.append(outbox.Planned(user.id, period.key, None, None))
            else:
                c = compose(digest, ctx, views)
                rows.append(outbox.Planned(user.id, period.key, c.message_id, c.data))
            build_s += t1 - t0
            compose_s += time.perf_counter() - t1
        t0 = time.perf_counter()
        outbox.record_planned(database, rows)
        write_s += time.perf_counter() - t0
        report.planned += sum(1 for r in rows if r.message is not None)
        report.empty += sum(1 for r in rows if r.message is None)
    report.seconds.update(build=build_s, compose=compose_s, write=write_s, total=time.perf_counter() - started)
    log.info("digest plan %s: %d users, %d to send, %d with nothing new, %d already planned",
             period.key, report.users, report.planned, report.empty, report.existing)
    return report


# -- send ------------------------------------------------------------------------------------------------------------
_headers = BytesHeaderParser(policy=policy.default)


def _recipients_of(data: bytes) -> list[str]:
    end = data.find(b"\r\n\r\n")
    head = _headers.parsebytes(data[: end + 4] if end >= 0 else data)
    return [a.addr_spec for a in head["To"].addresses]


def send_pending(
    store: Store,
    smtp: SmtpSettings,
    *,
    periods: Sequence[str] | None = None,
    lease_s: float = LEASE_S,
    batch: int = CLAIM_BATCH,
    max_attempts: int = MAX_ATTEMPTS,
    claimer: str | None = None,
) -> SendReport:
    """Send every pending (or abandoned) outbox row, ``periods`` only when given; see the module docstring."""
    database = store.db
    me = claimer or claimer_id()
    report = SendReport()
    started = time.perf_counter()
    client_box: list[smtplib.SMTP] = []  # the one connection of the run, opened on the first message
    try:
        while True:
            dead = [c for c in outbox.claimers_in_flight(database) if c != me and claimer_dead(c)]
            rows = outbox.claim(database, me, limit=batch, lease_s=lease_s, dead=dead, periods=periods)
            if not rows:
                break
            report.resumed += sum(1 for r in rows if r.attempts > 1)
            held = {r.id for r in rows}
            try:
                stop = _send_claimed(database, smtp, me, rows, held, report, lease_s, max_attempts, client_box)
            except BaseException:
                # Give back what was not attempted (and, on a store error right after a 250, the row in flight:
                # it is resent with the same bytes, like after a kill). Best effort: the store may be what failed.
                with contextlib.suppress(Exception):
                    outbox.release(database, sorted(held), me, "sender stopped")
                raise
            if stop:
                outbox.release(database, sorted(held), me)
                break
    finally:
        for client in client_box:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()
    report.seconds = time.perf_counter() - started
    log.info("digest send: %d sent, %d failed, %d deferred, %d resumed from an earlier claim",
             report.sent, report.failed, report.deferred, report.resumed)
    return report


def _send_claimed(database: Database, smtp: SmtpSettings, me: str, rows: list[outbox.Claimed], held: set[int],
                  report: SendReport, lease_s: float, max_attempts: int, client_box: list[smtplib.SMTP]) -> bool:
    """Send one claim's rows in order, each marked sent right after its 250; ``held`` shrinks as rows are done.
    Returns True when the run should stop after this claim (a temporary refusal)."""
    renewed = time.monotonic()
    stop = False
    for row in rows:
        if time.monotonic() - renewed > lease_s / 3:  # keep the lease while a slow server drags on
            held.intersection_update(outbox.renew(database, sorted(held), me))
            renewed = time.monotonic()
        if row.id not in held:
            report.lost += 1
            continue
        if row.attempts > max_attempts:
            outbox.mark_failed(database, row.id, me, f"gave up after {max_attempts} attempts")
            report.failed += 1
            held.discard(row.id)
            continue
        if not client_box:
            try:
                client_box.append(connect(smtp))
            except (smtplib.SMTPException, OSError) as exc:
                outbox.release(database, sorted(held), me, f"{type(exc).__name__}: {exc}")
                held.clear()
                raise SendError(f"cannot connect to SMTP server {smtp.host}:{smtp.port}: {exc}") from exc
        client = client_box[0]
        rcpts = _recipients_of(row.message)
        options = [] if all(r.isascii() for r in rcpts) else ["SMTPUTF8"]
        if options and not client.has_extn("smtputf8"):
            outbox.mark_failed(database, row.id, me, "non-ASCII address, and the server lacks SMTPUTF8")
            report.failed += 1
            held.discard(row.id)
            continue
        try:
            client.sendmail(smtp.from_address, rcpts, row.message, mail_options=options)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            code, text = _refusal(exc)
            if code >= 500:
                outbox.mark_failed(database, row.id, me, text)
                report.failed += 1
            else:  # temporary: keep it pending for a later run, and end this one after the batch
                outbox.release(database, [row.id], me, text)
                report.deferred += 1
                stop = True
            held.discard(row.id)
            _rset(client)
            continue
        except (smtplib.SMTPException, OSError) as exc:
            # Whether this message got through is unknown: give it (same bytes) and the rest back.
            outbox.release(database, sorted(held), me, f"{type(exc).__name__}: {exc}")
            held.clear()
            raise SendError(f"SMTP connection to {smtp.host}:{smtp.port} failed: {exc}") from exc
        if outbox.mark_sent(database, row.id, me):
            report.sent += 1
        else:
            report.lost += 1
        held.discard(row.id)
    return stop


def _refusal(exc: smtplib.SMTPException) -> tuple[int, str]:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [c for c, _ in exc.recipients.values()]
        return (min(codes) if codes else 550), f"recipients refused: {exc.recipients}"
    code = int(getattr(exc, "smtp_code", 550))
    err = getattr(exc, "smtp_error", b"")
    return code, f"{code} {err.decode('utf-8', 'replace') if isinstance(err, bytes) else err}"


def _rset(client: smtplib.SMTP) -> None:
    try:
        client.rset()
    except smtplib.SMTPException:
        log.debug("RSET failed", exc_info=True)


# -- both ------------------------------------------------------------------------------------------------------------
@dataclass(slots=True)
class RunReport:
    plans: list[PlanReport]
    send: SendReport


def run(
    store: Store,
    smtp: SmtpSettings,
    ctx: MailContext,
    periods: Sequence[P.DigestPeriod],
    *,
    search: Any | None = None,
    lease_s: float = LEASE_S,
    send: bool = True,
    plan_batch: int = PLAN_BATCH,
) -> RunReport:
    """Plan the given periods, then send everything pending (of any period: leftovers of an earlier run too)."""
    plans = [plan_period(store, p, ctx, search=search, batch=plan_batch) for p in periods]
    report = send_pending(store, smtp, lease_s=lease_s) if send else SendReport()
    return RunReport(plans, report)


def periods_for(reference: date, frequency: str) -> list[P.DigestPeriod]:
    freqs = P.FREQUENCIES if frequency == "all" else (frequency,)
    return [P.period_for(f, reference) for f in freqs]
