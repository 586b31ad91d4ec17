"""A digest run over several processes (``openpapers digest send --jobs N``).

Planning is split by user id (``id mod N``), each process building its own per-period state: that is where the
time goes (ranking every user's papers, rendering the message). Sending stays in one process, this one: it waits
on the SMTP server, not on the CPU, and one sender means one message in flight, so killing the whole run costs at
most one resend, whatever N is (N senders would have up to N messages in flight at a kill). The outbox claim
would keep N senders exactly-once too; it is the resend bound that one sender keeps.

Processes are spawned, not forked: each opens its own store connection rather than inheriting a copy of the
parent's.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

from openpapers.core.settings import Settings
from openpapers.digests import periods as P
from openpapers.digests.compose import MailContext
from openpapers.digests.send import PlanReport, RunReport, SendReport
from openpapers.digests.smtp import SmtpSettings


def _plan_part(settings: Settings, ctx: MailContext, keys: list[str], part: int, parts: int, batch: int
               ) -> list[PlanReport]:
    from openpapers.digests.send import plan_period
    from openpapers.papers.store import open_store
    from openpapers.search.service import SearchService

    store = open_store(settings)
    try:
        search = SearchService(store, settings.data_dir, settings=settings.search)
        return [plan_period(store, P.parse(k), ctx, search=search, batch=batch, shard=(part, parts)) for k in keys]
    finally:
        store.close()


def _merge_plans(parts: list[list[PlanReport]]) -> list[PlanReport]:
    merged = []
    for reports in zip(*parts, strict=True):
        total = PlanReport(reports[0].period)
        for r in reports:
            total.users += r.users
            total.planned += r.planned
            total.empty += r.empty
            total.existing += r.existing
            for k, v in r.seconds.items():  # the processes run side by side: the slowest is the wall time
                total.seconds[k] = max(total.seconds.get(k, 0.0), v)
        merged.append(total)
    return merged


def run_parallel(settings: Settings, smtp: SmtpSettings, ctx: MailContext, periods: list[P.DigestPeriod], *,
                 jobs: int, lease_s: float, send: bool = True, plan_batch: int = 200,
                 retry_now: bool = False) -> RunReport:
    """:func:`openpapers.digests.send.run` with ``jobs`` processes for planning, then one sender."""
    from openpapers.digests.send import send_pending
    from openpapers.papers.store import open_store

    keys = [p.key for p in periods]
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
        futures: list[Any] = [pool.submit(_plan_part, settings, ctx, keys, i, jobs, plan_batch) for i in range(jobs)]
        plans = _merge_plans([f.result() for f in futures])
    sent = SendReport()
    if send:
        store = open_store(settings)
        try:
            sent = send_pending(store, smtp, lease_s=lease_s, retry_now=retry_now)
        finally:
            store.close()
    return RunReport(plans, sent)
