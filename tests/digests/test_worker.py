"""The worker's schedule without waiting for real hours: trigger config, due-run arithmetic, the catch-up of
missed digests, the harvest lock, and one short run of the real scheduler loop."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from helpers.notifydata import DAY, SmtpServer, make_users
from openpapers.cli import worker as w
from openpapers.core.settings import resolve_settings
from openpapers.db.locks import acquire, release
from openpapers.digests import outbox
from openpapers.digests.periods import catch_up, period_for
from openpapers.papers.store import open_store

CONFIG = w.WorkerConfig(digest_time=dtime(7, 30), weekly_day="mon", timezone="Europe/Paris", catch_up=3,
                        harvest_sets=("cs",), harvest_times=(dtime(5, 0), dtime(17, 0)))


def test_triggers_follow_the_configuration() -> None:
    trig = w.triggers(CONFIG)
    assert set(trig) == {"digest-daily", "digest-weekly", "harvest-cs-0500", "harvest-cs-1700", "topics-rebuild"}
    paris = ZoneInfo("Europe/Paris")
    now = datetime(2026, 11, 20, 8, 0, tzinfo=paris)  # a Friday, after the digest time
    assert trig["digest-daily"].get_next_fire_time(None, now) == datetime(2026, 11, 21, 7, 30, tzinfo=paris)
    assert trig["digest-weekly"].get_next_fire_time(None, now) == datetime(2026, 11, 23, 7, 30, tzinfo=paris)
    assert trig["harvest-cs-1700"].get_next_fire_time(None, now) == datetime(2026, 11, 20, 17, 0, tzinfo=paris)
    config = w.make_config("06:15", "Friday", "UTC", 2, ["cs,math", "physics"], "01:00,13:00", digests=False)
    assert config.weekly_day == "fri" and config.harvest_sets == ("cs", "math", "physics")
    assert set(w.triggers(config)) == {f"harvest-{s}-{t}" for s in ("cs", "math", "physics")
                                       for t in ("0100", "1300")} | {"topics-rebuild"}
    assert trig["topics-rebuild"].get_next_fire_time(None, now) == datetime(2026, 11, 21, 4, 0, tzinfo=paris)
    off = w.make_config("06:15", "mon", "UTC", 2, [], "01:00", topics_time="off")
    assert off.topics_time is None and "topics-rebuild" not in w.triggers(off)
    with pytest.raises(Exception, match="HH:MM"):
        w.make_config("7am", "mon", "UTC", 3, [], "05:00")


def test_due_reference_days() -> None:
    paris = ZoneInfo("Europe/Paris")
    before = datetime(2026, 11, 20, 7, 0, tzinfo=paris)  # Friday before 07:30: Thursday's run is the latest due
    after = datetime(2026, 11, 20, 7, 45, tzinfo=paris)
    assert w.digest_reference("daily", before, CONFIG) == date(2026, 11, 18)
    assert w.digest_reference("daily", after, CONFIG) == date(2026, 11, 19)
    # Weekly on Mondays: the latest due run was Monday 16 Nov, reference Sunday 15 Nov: week 46.
    assert w.digest_reference("weekly", after, CONFIG) == date(2026, 11, 15)
    assert period_for("weekly", date(2026, 11, 15)).key == "weekly:2026-W46"
    monday = datetime(2026, 11, 23, 7, 30, tzinfo=paris)
    assert period_for("weekly", w.digest_reference("weekly", monday, CONFIG)).key == "weekly:2026-W47"


def test_catch_up_is_bounded_and_starts_after_the_last_done_period() -> None:
    assert [p.key for p in catch_up("daily", date(2026, 11, 20), None, 3)] == ["daily:2026-11-20"]
    assert [p.key for p in catch_up("daily", date(2026, 11, 20), "daily:2026-11-18", 3)] == [
        "daily:2026-11-19", "daily:2026-11-20"]
    assert [p.key for p in catch_up("daily", date(2026, 11, 20), "daily:2026-10-01", 3)] == [
        "daily:2026-11-17", "daily:2026-11-18", "daily:2026-11-19", "daily:2026-11-20"]
    assert [p.key for p in catch_up("weekly", date(2026, 11, 22), "weekly:2026-W45", 3)] == [
        "weekly:2026-W46", "weekly:2026-W47"]
    assert [p.key for p in catch_up("daily", date(2026, 11, 20), "daily:2026-11-20", 3)] == ["daily:2026-11-20"]


def test_digest_job_sends_missed_days_once(data_dir: Path, smtp: SmtpServer) -> None:
    settings = resolve_settings(data_dir)
    store = open_store(settings)
    make_users(store.engine, 4)
    store.set_checkpoint("digest:last:daily", {"period": "daily:2026-11-17"})  # the worker was down since
    store.close()
    config = w.WorkerConfig(digest_time=dtime(7, 0), catch_up=5)
    now = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    assert w.digest_job(settings, config, "daily", now) == ["daily:2026-11-18", "daily:2026-11-19", "daily:2026-11-20"]
    assert len(smtp.messages) == 3 * 4  # 3 days x 4 users
    assert w.digest_job(settings, config, "daily", now) == ["daily:2026-11-20"]  # done: nothing again
    assert len(smtp.messages) == 12
    store = open_store(settings)
    assert store.get_checkpoint("digest:last:daily") == {"period": "daily:2026-11-20"}
    assert outbox.status_counts(store.engine)["sent"] == 12
    store.close()


def test_harvest_lock_lets_one_worker_run_a_set(data_dir: Path) -> None:
    settings = resolve_settings(data_dir)
    store = open_store(settings)
    engine = store.engine
    assert acquire(engine, "harvest:cs", "a", 60)
    assert not acquire(engine, "harvest:cs", "b", 60)
    assert acquire(engine, "harvest:cs", "a", 60)  # re-entrant for its holder
    assert not release(engine, "harvest:cs", "b") and release(engine, "harvest:cs", "a")
    assert acquire(engine, "harvest:cs", "b", -1)  # taken with an already expired lease…
    assert acquire(engine, "harvest:cs", "c", 60)  # …so anyone may take it over
    calls: list[list[str]] = []

    def runner(argv: list[str], env: dict[str, str]) -> int:
        calls.append(argv)
        return 0

    assert w.harvest_job(settings, CONFIG, "cs", runner) is None  # "c" holds it
    release(engine, "harvest:cs", "c")
    assert w.harvest_job(settings, CONFIG, "cs", runner) == 0
    assert calls[0][-6:] == ["arxiv", "--via", "oai", "--set", "cs", "--quiet"]
    assert acquire(engine, "harvest:cs", "d", 60)  # released after the run
    store.close()


def test_scheduler_loop_runs_the_start_up_catch_up(data_dir: Path, smtp: SmtpServer) -> None:
    settings = resolve_settings(data_dir)
    store = open_store(settings)
    make_users(store.engine, 2)
    store.close()
    sched = w.build_scheduler(settings, w.WorkerConfig(), scheduler_cls=BackgroundScheduler)
    assert {j.id for j in sched.get_jobs()} == {"digest-daily", "digest-weekly", "digest-retry", "catch-up-daily",
                                             "catch-up-weekly", "topics-rebuild"}
    sched.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(j.id.startswith("catch-up") for j in sched.get_jobs()):
            time.sleep(0.05)
        time.sleep(0.5)
    finally:
        sched.shutdown(wait=True)
    store = open_store(settings)
    assert store.get_checkpoint("digest:last:daily") is not None  # the job ran (nothing to send on real dates)
    assert store.get_checkpoint("digest:last:weekly") is not None
    store.close()


def test_retry_job_sends_what_is_due_and_leaves_waiting_rows_alone(data_dir: Path, smtp: SmtpServer) -> None:
    from openpapers.digests.send import mail_context, plan_period, send_pending
    from openpapers.digests.smtp import SmtpSettings, base_url

    settings = resolve_settings(data_dir)
    store = open_store(settings)
    try:
        make_users(store.engine, 2)
        plan_period(store, period_for("daily", DAY), mail_context(store, SmtpSettings.from_env(), base_url()))
        smtp.recorder.refuse["user0@example.org"] = "451 greylisted"
        assert send_pending(store, SmtpSettings.from_env()).sent == 1
        del smtp.recorder.refuse["user0@example.org"]
        assert w.retry_job(settings) == 0  # its backoff has not passed
        assert outbox.make_due(store.engine) == 1
        assert w.retry_job(settings) == 1
        assert outbox.status_counts(store.engine)["sent"] == 2
    finally:
        store.close()
