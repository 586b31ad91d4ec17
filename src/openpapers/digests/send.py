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

**One sender.** ``--jobs N`` parallelises planning only: sending stays in one process, so a kill of the whole
run interrupts at most one message, and "at most one resend per interruption" holds for any N. (Several
senders on several hosts remain safe, each claim being one sender's; each adds one possible resend per kill.)

**Failures.** A takeover is not an attempt: ``attempts`` grows only when the row's message was handed to a
server. A temporary refusal (4xx) marks the row ``failed`` with a retry time (backoff :func:`retry_delay`:
5 min, 20 min, 80 min, … capped at 6 h); a later run, or the worker's retry job, tries it again; after
:data:`MAX_ATTEMPTS` refusals it stays failed for good. A recipient refused on RCPT delays only that row; a
refusal of the whole session (sender or data refused, 421) ends the run, leaving the rest pending. A permanent
refusal (5xx) is final at once. A connection that breaks mid-message leaves that row ``pending`` (it may have
arrived), with the same backoff, never ``failed``: a failed row is one the server refused, so never delivered.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.parser import BytesHeaderParser
from typing import Any

from openpapers.accounts import repository as accounts_db
from openpapers.db.database import Database
from openpapers.digests import outbox
from openpapers.digests import periods as P
from openpapers.digests.claimers import claimer_dead, claimer_id
from openpapers.digests.compose import MailContext, compose
from openpapers.digests.content import PeriodDigests, Recipient
from openpapers.digests.smtp import SmtpSettings, connect
from openpapers.papers.store import Store

log = logging.getLogger("openpapers.digest")

LEASE_S = 300.0  # a claim older than this is presumed dead (a live sender renews well before)
CLAIM_BATCH = 20  # rows per claim: small, so a dead sender strands little until its lease ends
PLAN_BATCH = 200  # digests per planning transaction
MAX_ATTEMPTS = 5  # temporary refusals of one row before it fails for good
RETRY_BASE_S = 300.0  # first wait after a temporary refusal; each further one is 4x longer
RETRY_MAX_S = 6 * 3600.0


def retry_delay(attempts: int, base_s: float = RETRY_BASE_S) -> float:
    """Seconds to wait before the next try of a row refused ``attempts`` times (1, 2, …): base·4^(n-1), capped."""
    return float(min(base_s * 4 ** max(attempts - 1, 0), RETRY_MAX_S))


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
    deferred: int = 0  # temporarily refused, or cut off mid-message: retried by a later run after a backoff
    resumed: int = 0  # taken over from a sender that stopped (a dead or stalled one)
    lost: int = 0  # claims taken over by another sender (lease expired) before we sent them
    seconds: float = 0.0


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
            follows = sig.digest_follows()  # without those the reader left out of the digest
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


@dataclass(slots=True)
class _Run:
    """What one claim's sending needs besides the rows: the store, the server, and how to retry."""

    database: Database
    smtp: SmtpSettings
    me: str
    report: SendReport
    lease_s: float
    max_attempts: int
    retry_base_s: float
    client_box: list[smtplib.SMTP] = field(default_factory=list)  # the run's one connection, opened lazily

    def retry_at(self, attempts: int) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=retry_delay(attempts, self.retry_base_s))


def send_pending(
    store: Store,
    smtp: SmtpSettings,
    *,
    periods: Sequence[str] | None = None,
    lease_s: float = LEASE_S,
    batch: int = CLAIM_BATCH,
    max_attempts: int = MAX_ATTEMPTS,
    retry_base_s: float = RETRY_BASE_S,
    retry_now: bool = False,
    claimer: str | None = None,
) -> SendReport:
    """Send every pending (or abandoned, or due for a retry) outbox row, ``periods`` only when given; see the
    module docstring. ``retry_now`` first makes every row that waits for a retry due."""
    database = store.db
    me = claimer or claimer_id()
    run = _Run(database, smtp, me, SendReport(), lease_s, max_attempts, retry_base_s)
    started = time.perf_counter()
    if retry_now:
        outbox.make_due(database, periods)
    try:
        while True:
            dead = [c for c in outbox.claimers_in_flight(database) if c != me and claimer_dead(c)]
            rows = outbox.claim(database, me, limit=batch, lease_s=lease_s, dead=dead, periods=periods)
            if not rows:
                break
            run.report.resumed += sum(1 for r in rows if r.takeovers > 0 and r.attempts == 0)
            held = {r.id for r in rows}
            try:
                stop = _send_claimed(run, rows, held)
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
        for client in run.client_box:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()
    report = run.report
    report.seconds = time.perf_counter() - started
    log.info("digest send: %d sent, %d failed, %d deferred, %d resumed from an earlier claim",
             report.sent, report.failed, report.deferred, report.resumed)
    return report


def _send_claimed(run: _Run, rows: list[outbox.Claimed], held: set[int]) -> bool:
    """Send one claim's rows in order, each marked sent right after its 250; ``held`` shrinks as rows are done.
    Returns True when the run should stop after this claim (the server refused the session for now)."""
    database, me, report = run.database, run.me, run.report
    renewed = time.monotonic()
    for row in rows:
        if time.monotonic() - renewed > run.lease_s / 3:  # keep the lease while a slow server drags on
            held.intersection_update(outbox.renew(database, sorted(held), me))
            renewed = time.monotonic()
        if row.id not in held:
            report.lost += 1
            continue
        if not run.client_box:
            try:
                run.client_box.append(connect(run.smtp))
            except (smtplib.SMTPException, OSError) as exc:
                outbox.release(database, sorted(held), me, f"{type(exc).__name__}: {exc}")
                held.clear()
                raise SendError(f"cannot connect to SMTP server {run.smtp.host}:{run.smtp.port}: {exc}") from exc
        client = run.client_box[0]
        rcpts = _recipients_of(row.message)
        options = [] if all(r.isascii() for r in rcpts) else ["SMTPUTF8"]
        if options and not client.has_extn("smtputf8"):
            outbox.mark_failed(database, row.id, me, "non-ASCII address, and the server lacks SMTPUTF8",
                               attempted=False)
            report.failed += 1
            held.discard(row.id)
            continue
        try:
            client.sendmail(run.smtp.from_address, rcpts, row.message, mail_options=options)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            held.discard(row.id)
            if _refused(run, row, exc):
                return True
            _rset(client)
            continue
        except (smtplib.SMTPException, OSError) as exc:
            # Whether this message got through is unknown: it goes back to pending (never failed: it may have
            # arrived) with a backoff, like a refusal; the rest of the claim goes back untouched.
            reason = f"{type(exc).__name__}: {exc}"
            outbox.release(database, [row.id], me, reason, retry_at=run.retry_at(row.attempts + 1), attempted=True)
            held.discard(row.id)
            outbox.release(database, sorted(held), me, reason)
            held.clear()
            raise SendError(f"SMTP connection to {run.smtp.host}:{run.smtp.port} failed: {exc}") from exc
        if outbox.mark_sent(database, row.id, me):
            report.sent += 1
        else:
            report.lost += 1
        held.discard(row.id)
    return False


def _refused(run: _Run, row: outbox.Claimed, exc: smtplib.SMTPException) -> bool:
    """Record a refusal of ``row``; True when the whole session was refused for now (stop the run)."""
    code, text = _refusal(exc)
    attempts = row.attempts + 1
    if code >= 500:
        outbox.mark_failed(run.database, row.id, run.me, text)
        run.report.failed += 1
        return False
    if attempts >= run.max_attempts:
        outbox.mark_failed(run.database, row.id, run.me, f"gave up after {attempts} attempts: {text}")
        run.report.failed += 1
    else:
        outbox.mark_failed(run.database, row.id, run.me, text, retry_at=run.retry_at(attempts))
        run.report.deferred += 1
    # A refused recipient is that row's problem; a refused sender or message (or 421) is the server's for now.
    return not isinstance(exc, smtplib.SMTPRecipientsRefused)


def _refusal(exc: smtplib.SMTPException) -> tuple[int, str]:
    """The reply code and a one-line reason, e.g. ``452 mailbox full (to user@example.org)``."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = sorted(exc.recipients.items(), key=lambda kv: kv[1][0])
        if not replies:
            return 550, "550 recipients refused"
        addr, (code, err) = replies[0]
        return code, f"{code} {_text(err)} (to {addr})"
    code = int(getattr(exc, "smtp_code", 550))
    return code, f"{code} {_text(getattr(exc, 'smtp_error', b''))}"


def _text(err: object) -> str:
    return err.decode("utf-8", "replace") if isinstance(err, bytes) else str(err)


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
    retry_now: bool = False,
) -> RunReport:
    """Plan the given periods, then send everything pending (of any period: leftovers of an earlier run too)."""
    plans = [plan_period(store, p, ctx, search=search, batch=plan_batch) for p in periods]
    report = send_pending(store, smtp, lease_s=lease_s, retry_now=retry_now) if send else SendReport()
    return RunReport(plans, report)


def periods_for(reference: date, frequency: str) -> list[P.DigestPeriod]:
    freqs = P.FREQUENCIES if frequency == "all" else (frequency,)
    return [P.period_for(f, reference) for f in freqs]
