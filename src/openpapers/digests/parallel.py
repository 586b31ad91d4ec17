"""A digest run over several processes (``openpapers digest send --jobs N``).

Planning is split by user id (``id mod N``), each process building its own per-period state; sending needs no
split at all: N senders claim rows from the same outbox, and the claim makes every row one sender's. Nothing in
the exactly-once argument changes (each sender still has at most one message in flight), which is the point of
the outbox design: more processes, or more hosts, are just more claimers.

Processes are spawned, not forked: each opens its own store connection rather than inheriting a copy of the
parent's.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import fields
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


def _send_part(settings: Settings, smtp: SmtpSettings, lease_s: float) -> SendReport:
    from openpapers.digests.send import send_pending
    from openpapers.papers.store import open_store

    store = open_store(settings)
    try:
        return send_pending(store, smtp, lease_s=lease_s)
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


def _merge_sends(reports: list[SendReport]) -> SendReport:
    total = SendReport()
    for r in reports:
        for f in fields(SendReport):
            if f.name == "seconds":
                total.seconds = max(total.seconds, r.seconds)
            else:
                setattr(total, f.name, getattr(total, f.name) + getattr(r, f.name))
    return total


def run_parallel(settings: Settings, smtp: SmtpSettings, ctx: MailContext, periods: list[P.DigestPeriod], *,
                 jobs: int, lease_s: float, send: bool = True, plan_batch: int = 200) -> RunReport:
    """:func:`openpapers.digests.send.run` with ``jobs`` processes for each phase."""
    keys = [p.key for p in periods]
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
        futures: list[Any] = [pool.submit(_plan_part, settings, ctx, keys, i, jobs, plan_batch) for i in range(jobs)]
        plans = _merge_plans([f.result() for f in futures])
        sent = SendReport()
        if send:
            futures = [pool.submit(_send_part, settings, smtp, lease_s) for _ in range(jobs)]
            sent = _merge_sends([f.result() for f in futures])
    return RunReport(plans, sent)
