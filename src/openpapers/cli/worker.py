"""``openpapers worker``: a long-running scheduler (APScheduler) for harvests and digests.

Schedule (flags, or the environment for containers: ``Settings.schedule``; a flag wins over its variable):

* digests: daily at ``--digest-time`` / ``OPENPAPERS_DIGEST_TIME`` (``HH:MM``, default 07:00), weekly on
  ``--weekly-day`` / ``OPENPAPERS_DIGEST_WEEKDAY`` (mon … sun, default mon) at the same time, in
  ``--timezone`` / ``OPENPAPERS_TIMEZONE`` (default UTC). A run at day D sends the digests of reference day D − 1
  (digests/periods.py says which periods that means; digests/schedule.py computes the due runs from the same
  cron triggers the scheduler fires).
* harvests: ``openpapers harvest arxiv --via oai --set S`` for each ``--harvest-set`` /
  ``OPENPAPERS_HARVEST_SETS`` (comma-separated, e.g. ``cs,math``) at each ``--harvest-time`` /
  ``OPENPAPERS_HARVEST_TIME`` (comma-separated ``HH:MM``, default 05:00), in a child process.
* topics: ``openpapers topics rebuild`` daily at ``--topics-time`` / ``OPENPAPERS_TOPICS_TIME`` (default 04:00;
  ``off`` disables it), under a lock row so one worker rebuilds (imports place new papers in between).

Several workers may run at once (e.g. one per host): digests are exactly-once through the outbox, and a harvest
runs under a lease lock row (db/locks.py), so only one process harvests a set at a time.

Retries: every ``RETRY_EVERY_MIN`` minutes a ``digest-retry`` job sends what waits in the outbox and is due (a
temporarily refused digest once its backoff has passed, or one a stopped sender left): without it such a digest
would wait for the next day's run.

Catch-up: each digest job sends, besides the current period, the periods missed since the last one it
completed (recorded in ``checkpoints``), at most ``--catch-up`` / ``OPENPAPERS_DIGEST_CATCHUP`` (default 3)
periods back; a worker runs that job once at start, so a digest due while it was down goes out when it comes
back rather than being skipped silently. A first start ever sends only the current period.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as dtime
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from openpapers.cli.common import app, state
from openpapers.core.settings import Settings
from openpapers.digests.schedule import WEEKDAYS, cron, due_reference

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger

log = logging.getLogger("openpapers.worker")
HARVEST_LOCK_TTL_S = 6 * 3600.0


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    digest_time: dtime = dtime(7, 0)
    weekly_day: str = "mon"
    timezone: str = "UTC"
    catch_up: int = 3
    harvest_sets: tuple[str, ...] = ()
    harvest_times: tuple[dtime, ...] = (dtime(5, 0),)
    digests: bool = True
    extra_env: dict[str, str] = field(default_factory=dict)
    topics_time: dtime | None = dtime(4, 0)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def parse_hhmm(value: str, what: str) -> dtime:
    try:
        hours, minutes = value.strip().split(":")
        return dtime(int(hours), int(minutes))
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a HH:MM time", param_hint=what) from None


def make_config(digest_time: str, weekly_day: str, timezone: str, catch_up: int, harvest_sets: Sequence[str],
                harvest_times: str, digests: bool = True, topics_time: str = "04:00") -> WorkerConfig:
    day = weekly_day.strip().lower()[:3]
    if day not in WEEKDAYS:
        raise typer.BadParameter(f"must be one of {', '.join(WEEKDAYS)}", param_hint="--weekly-day")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise typer.BadParameter(f"unknown time zone {timezone!r}", param_hint="--timezone") from None
    sets = tuple(s.strip() for item in harvest_sets for s in item.split(",") if s.strip())
    times = tuple(parse_hhmm(t, "--harvest-time") for t in harvest_times.split(",") if t.strip())
    topics = None if topics_time.strip().lower() == "off" else parse_hhmm(topics_time, "--topics-time")
    return WorkerConfig(parse_hhmm(digest_time, "--digest-time"), day, timezone, catch_up, sets, times, digests,
                        topics_time=topics)


# -- when (the arithmetic is digests/schedule.py) -----------------------------------------------------------------
def digest_trigger(config: WorkerConfig, frequency: str) -> CronTrigger:
    """The cron trigger of the ``frequency`` digest (daily | weekly)."""
    return cron(config.digest_time, config.tz, config.weekly_day if frequency == "weekly" else None)


def digest_reference(frequency: str, now: datetime, config: WorkerConfig) -> date:
    """The reference day of the latest digest run due at ``now``: the day before its scheduled run."""
    return due_reference(digest_trigger(config, frequency), now)


def triggers(config: WorkerConfig) -> dict[str, CronTrigger]:
    """The cron triggers of every job, by job id."""
    out: dict[str, CronTrigger] = {}
    if config.digests:
        out["digest-daily"] = digest_trigger(config, "daily")
        out["digest-weekly"] = digest_trigger(config, "weekly")
    for s in config.harvest_sets:
        for at in config.harvest_times:
            out[f"harvest-{s}-{at:%H%M}"] = cron(at, config.tz)
    if config.topics_time is not None:
        out["topics-rebuild"] = cron(config.topics_time, config.tz)
    return out


# -- jobs ----------------------------------------------------------------------------------------------------------
def digest_job(settings: Settings, config: WorkerConfig, frequency: str, now: datetime | None = None) -> list[str]:
    """Send the due digest of ``frequency`` plus those missed since the last completed one; returns the period keys
    it ran. Idempotent: a period already done costs two queries."""
    from openpapers.digests.periods import catch_up, parse
    from openpapers.digests.send import mail_context, run
    from openpapers.digests.smtp import SmtpSettings
    from openpapers.papers.store import open_store
    from openpapers.search.service import SearchService

    started = time.perf_counter()
    now = now or datetime.now(config.tz)
    reference = digest_reference(frequency, now, config)
    key = f"digest:last:{frequency}"
    store = open_store(settings)
    try:
        last = (store.get_checkpoint(key) or {}).get("period")
        periods = catch_up(frequency, reference, last, config.catch_up)
        smtp = SmtpSettings.from_settings(settings.mail)
        ctx = mail_context(store, smtp, settings.public_url)
        search = SearchService(store, settings.data_dir, settings=settings.search)
        for period in periods:
            report = run(store, smtp, ctx, [period], search=search)
            p = report.plans[0]
            log.info("digest %s: %d users, %d planned, %d empty, %d already planned; sent %d, failed %d, "
                     "deferred %d", period.key, p.users, p.planned, p.empty, p.existing, report.send.sent,
                     report.send.failed, report.send.deferred)
            if last is None or parse(last).start <= period.start:
                store.set_checkpoint(key, {"period": period.key})
                last = period.key
    finally:
        store.close()
    log.info("digest job %s done in %.1f s (%d periods)", frequency, time.perf_counter() - started, len(periods))
    return [p.key for p in periods]


RETRY_EVERY_MIN = 5


def retry_job(settings: Settings) -> int:
    """Send the outbox rows that are due (retries after a backoff, leftovers of a stopped sender); no planning.
    Returns how many were sent."""
    from openpapers.digests.send import send_pending
    from openpapers.digests.smtp import SmtpSettings
    from openpapers.papers.store import open_store

    store = open_store(settings)
    try:
        report = send_pending(store, SmtpSettings.from_settings(settings.mail))
    finally:
        store.close()
    if report.sent or report.failed or report.deferred:
        log.info("digest retry: sent %d, failed %d, deferred %d", report.sent, report.failed, report.deferred)
    return report.sent


Runner = Callable[[list[str], dict[str, str]], int]


def _run_child(argv: list[str], env: dict[str, str]) -> int:
    return subprocess.run(argv, env=env, check=False).returncode


def harvest_job(settings: Settings, config: WorkerConfig, set_spec: str, runner: Runner = _run_child) -> int | None:
    """``openpapers harvest arxiv --via oai --set SET`` in a child process, under the set's lock; returns its exit
    status, or None when another process holds the lock."""
    from openpapers.db.locks import acquire, release
    from openpapers.papers.store import open_store

    holder = f"{socket.gethostname()}:{os.getpid()}"
    store = open_store(settings)
    try:
        if not acquire(store.db, f"harvest:{set_spec}", holder, HARVEST_LOCK_TTL_S):
            log.info("harvest %s skipped: another worker is running it", set_spec)
            return None
        try:
            started = time.perf_counter()
            argv = [sys.executable, "-c", "from openpapers.cli import main; main()", "--data-dir",
                    str(settings.data_dir), "harvest", "arxiv", "--via", "oai", "--set", set_spec, "--quiet"]
            env = {**os.environ, "OPENPAPERS_DATABASE_URL": settings.database_url, **config.extra_env}
            rc = runner(argv, env)
            log.info("harvest %s finished with status %d in %.1f s", set_spec, rc, time.perf_counter() - started)
            return rc
        finally:
            release(store.db, f"harvest:{set_spec}", holder)
    finally:
        store.close()


def topics_job(settings: Settings) -> int | None:
    """``openpapers topics rebuild`` under the ``topics`` lock; the number of topics, or None when skipped."""
    from openpapers.db.locks import acquire, release
    from openpapers.papers.store import open_store
    from openpapers.topics.service import rebuild

    holder = f"{socket.gethostname()}:{os.getpid()}"
    store = open_store(settings)
    try:
        if not acquire(store.db, "topics", holder, HARVEST_LOCK_TTL_S):
            log.info("topics rebuild skipped: another worker is running it")
            return None
        try:
            report = rebuild(store)
        finally:
            release(store.db, "topics", holder)
    finally:
        store.close()
    if report is None:
        log.info("topics rebuild: too few embedded papers")
        return None
    log.info("topics rebuilt: %d topics over %d papers, %d ids kept, %.1f s", report.topics, report.papers,
             report.kept_ids, report.seconds)
    return report.topics


def _safely(fn: Callable[..., Any], *args: Any) -> None:
    try:
        fn(*args)
    except Exception:  # a failed run is logged and retried at its next time; the worker keeps going
        log.exception("job %s%r failed", getattr(fn, "__name__", fn), args[2:])


def build_scheduler(settings: Settings, config: WorkerConfig, scheduler_cls: Any = None) -> Any:
    """A scheduler with every job, plus the start-up catch-up of both digests (run at once)."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    cls = scheduler_cls or BlockingScheduler
    # One run of a job at a time; runs missed while the process was busy are merged into one.
    sched = cls(timezone=config.tz, job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600})
    for job_id, trigger in triggers(config).items():
        if job_id.startswith("digest-"):
            freq = job_id.removeprefix("digest-")
            sched.add_job(_safely, trigger, args=(digest_job, settings, config, freq), id=job_id, name=job_id)
        elif job_id == "topics-rebuild":
            sched.add_job(_safely, trigger, args=(topics_job, settings), id=job_id, name=job_id)
        else:
            set_spec = job_id.removeprefix("harvest-").rsplit("-", 1)[0]
            sched.add_job(_safely, trigger, args=(harvest_job, settings, config, set_spec), id=job_id, name=job_id)
    if config.digests:
        sched.add_job(_safely, "interval", minutes=RETRY_EVERY_MIN, args=(retry_job, settings),
                      id="digest-retry", name="digest-retry")
        for freq in ("daily", "weekly"):
            sched.add_job(_safely, "date", run_date=datetime.now(config.tz), args=(digest_job, settings, config, freq),
                          id=f"catch-up-{freq}", name=f"catch-up-{freq}")
    return sched


@app.command("worker")
def worker(
    digest_time: Annotated[str | None, typer.Option(
        help="Digest time, HH:MM [env OPENPAPERS_DIGEST_TIME; default: 07:00]")] = None,
    weekly_day: Annotated[str | None, typer.Option(
        help="Weekly digest day [env OPENPAPERS_DIGEST_WEEKDAY; default: mon]")] = None,
    timezone: Annotated[str | None, typer.Option(
        help="Time zone of the times [env OPENPAPERS_TIMEZONE; default: UTC]")] = None,
    catch_up: Annotated[int | None, typer.Option(
        min=0, max=60, help="Missed digest periods to send at most [env OPENPAPERS_DIGEST_CATCHUP; default: 3]")
    ] = None,
    harvest_set: Annotated[list[str] | None, typer.Option(
        "--harvest-set", help="OAI set to harvest (repeat, or comma-separate) [env OPENPAPERS_HARVEST_SETS]")
    ] = None,
    harvest_time: Annotated[str | None, typer.Option(
        help="Harvest times, HH:MM[,HH:MM…] [env OPENPAPERS_HARVEST_TIME; default: 05:00]")] = None,
    topics_time: Annotated[str | None, typer.Option(
        help="Daily topic rebuild, HH:MM or off [env OPENPAPERS_TOPICS_TIME; default: 04:00]")] = None,
    no_digests: Annotated[bool, typer.Option("--no-digests", help="Only harvest")] = False,
    once: Annotated[bool, typer.Option("--once", help="Run the due digests (with catch-up) once and exit")] = False,
) -> None:
    """Run harvests and digests on a schedule (see docs/people.md); logs one line per job run on stderr."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = state.settings
    env = settings.schedule  # a flag wins over its variable
    config = make_config(digest_time or env.digest_time, weekly_day or env.digest_weekday, timezone or env.timezone,
                         env.digest_catchup if catch_up is None else catch_up, harvest_set or env.harvest_sets.split(),
                         harvest_time or env.harvest_time, digests=not no_digests,
                         topics_time=topics_time or env.topics_time)
    if once:
        for freq in ("daily", "weekly"):
            digest_job(settings, config, freq)
        return
    sched = build_scheduler(settings, config)
    for job in sched.get_jobs():
        log.info("scheduled %s: %s", job.id, job.trigger)
    try:
        sched.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("worker stopped")
