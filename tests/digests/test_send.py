"""The digest run against a real SMTP server: who gets mail, what periods mean, and that re-runs send nothing."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

from helpers.notifydata import DAY, SmtpServer, make_users
from openpapers.accounts.repository import update_user
from openpapers.core.settings import resolve_settings
from openpapers.digests import outbox
from openpapers.digests.periods import period_for
from openpapers.digests.send import (
    _proc_start,
    claimer_dead,
    claimer_id,
    mail_context,
    periods_for,
    plan_period,
    run,
    send_pending,
)
from openpapers.digests.smtp import SmtpSettings, base_url
from openpapers.papers.store import open_store
from openpapers.search.service import SearchService


def _run(data_dir: Path, reference: date, frequency: str = "all"):  # type: ignore[no-untyped-def]
    store = open_store(resolve_settings(data_dir))
    try:
        smtp = SmtpSettings.from_env()
        ctx = mail_context(store, smtp, base_url())
        return run(store, smtp, ctx, periods_for(reference, frequency), search=SearchService(store, data_dir))
    finally:
        store.close()


def test_daily_run_sends_one_digest_per_user_and_none_when_nothing_is_new(data_dir: Path, smtp: SmtpServer) -> None:
    store = open_store(resolve_settings(data_dir))
    make_users(store.engine, 20)
    store.close()
    report = _run(data_dir, DAY, "daily")
    (plan,) = report.plans
    assert plan.period == "daily:2026-11-20"
    assert (plan.users, plan.planned, plan.empty) == (20, 18, 2)  # users 9 and 19 follow nobody with papers
    assert report.send.sent == 18
    rcpts = sorted(m.rcpt_tos[0] for m in smtp.messages)
    assert len(rcpts) == 18 and "user9@example.org" not in rcpts and "user19@example.org" not in rcpts
    # Re-run: nothing planned again, nothing sent again.
    again = _run(data_dir, DAY, "daily")
    assert again.plans[0].existing == 20 and again.plans[0].planned == 0 and again.send.sent == 0
    assert len(smtp.messages) == 18


def test_weekly_covers_the_last_complete_iso_week(data_dir: Path, smtp: SmtpServer) -> None:
    store = open_store(resolve_settings(data_dir))
    make_users(store.engine, 5, frequency="weekly")
    make_users(store.engine, 3, frequency="daily", start=100)
    store.close()
    report = _run(data_dir, date(2026, 11, 22))  # a Sunday: its own week is complete
    keys = {p.period: p for p in report.plans}
    assert set(keys) == {"daily:2026-11-22", "weekly:2026-W47"}
    assert keys["weekly:2026-W47"].users == 5 and keys["daily:2026-11-22"].users == 3
    weekly = [m.message for m in smtp.messages if "weekly" in m.message["Subject"]]
    assert len(weekly) == 5
    assert "week of 16 Nov" in weekly[0]["Subject"]
    # A Wednesday's run sends the week before, not the unfinished one: W47 again, so nothing new goes out.
    assert period_for("weekly", date(2026, 11, 25)).key == "weekly:2026-W47"
    count = len(smtp.messages)
    report = _run(data_dir, date(2026, 11, 25), "weekly")
    assert report.plans[0].existing == 5 and report.send.sent == 0 and len(smtp.messages) == count


def test_only_the_chosen_sections_and_unsubscribed_users_get_nothing(data_dir: Path, smtp: SmtpServer) -> None:
    store = open_store(resolve_settings(data_dir))
    ids = make_users(store.engine, 3, sections="trending")  # no votes anywhere: trending is empty
    update_user(store.engine, ids[0], digest_frequency="off")
    store.close()
    report = _run(data_dir, DAY, "daily")
    assert report.plans[0].users == 2 and report.plans[0].empty == 2
    assert smtp.messages == []


def test_refused_recipient_is_failed_and_others_still_go_out(data_dir: Path, smtp: SmtpServer) -> None:
    smtp.recorder.refuse["user1@example.org"] = "550 no such mailbox"
    smtp.recorder.refuse["user2@example.org"] = "451 try again later"
    store = open_store(resolve_settings(data_dir))
    try:
        make_users(store.engine, 4)
        ctx = mail_context(store, SmtpSettings.from_env(), base_url())
        plan_period(store, period_for("daily", DAY), ctx)
        report = send_pending(store, SmtpSettings.from_env())
        assert report.failed == 1 and report.deferred == 1
        counts = outbox.status_counts(store.engine)
        assert counts["failed"] == 1 and counts["pending"] + counts["sent"] == 3
        # The temporary refusal is retried by the next run (here the server has recovered).
        del smtp.recorder.refuse["user2@example.org"]
        send_pending(store, SmtpSettings.from_env())
        counts = outbox.status_counts(store.engine)
        assert counts == {"pending": 0, "sending": 0, "sent": 3, "empty": 0, "failed": 1}
        row = outbox.get(store.engine, 2, "daily:2026-11-20")
        assert row is not None and "550" in str(row["error"])
    finally:
        store.close()
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == ["user0@example.org", "user2@example.org",
                                                            "user3@example.org"]


def test_claimer_liveness() -> None:
    me = claimer_id()
    assert not claimer_dead(me)  # this very process
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        mine = me.split(":")
        alive = f"{mine[0]}:{child.pid}:{(_proc_start(child.pid) or '?')[1:]}:abcd"
        assert not claimer_dead(alive)
        assert claimer_dead(f"{mine[0]}:{child.pid}:1:abcd")  # same pid, another start time: pid reused
    finally:
        child.kill()
        child.wait()
    assert claimer_dead(alive)
    assert not claimer_dead(f"another-host:{child.pid}:1:abcd")  # unknowable: wait for the lease


def test_two_processes_plan_and_send_each_digest_once(data_dir: Path, smtp: SmtpServer) -> None:
    from openpapers.digests.parallel import run_parallel

    settings = resolve_settings(data_dir)
    store = open_store(settings)
    try:
        make_users(store.engine, 30)
        ctx = mail_context(store, SmtpSettings.from_env(), base_url())
    finally:
        store.close()
    report = run_parallel(settings, SmtpSettings.from_env(), ctx, periods_for(DAY, "daily"), jobs=2, lease_s=300)
    assert (report.plans[0].users, report.plans[0].planned, report.plans[0].empty) == (30, 27, 3)
    assert report.send.sent == 27
    ids = [m.message["Message-ID"] for m in smtp.messages]
    assert len(ids) == len(set(ids)) == 27


def test_cli_preview_and_status(data_dir: Path, smtp: SmtpServer) -> None:
    from typer.testing import CliRunner

    from openpapers.cli import app

    store = open_store(resolve_settings(data_dir))
    make_users(store.engine, 2)
    store.close()
    runner = CliRunner()
    shown = runner.invoke(app, ["--data-dir", str(data_dir), "digest", "preview", "--user", "user0@example.org",
                                "--date", DAY.isoformat()])
    assert shown.exit_code == 0, shown.output
    assert "Subject: openpapers daily — " in shown.output and "because you follow Ada Writer0" in shown.output
    assert smtp.messages == []  # a preview sends and records nothing
    sent = runner.invoke(app, ["--data-dir", str(data_dir), "digest", "send", "--date", DAY.isoformat()])
    assert sent.exit_code == 0, sent.output
    status = runner.invoke(app, ["--data-dir", str(data_dir), "digest", "status"])
    assert "daily:2026-11-20: sent 2" in status.output


def test_unreachable_server_leaves_everything_pending(data_dir: Path, smtp: SmtpServer) -> None:
    import pytest

    from helpers.notifydata import free_port
    from openpapers.digests.send import SendError

    store = open_store(resolve_settings(data_dir))
    try:
        make_users(store.engine, 5)
        ctx = mail_context(store, SmtpSettings.from_env(), base_url())
        plan_period(store, period_for("daily", DAY), ctx)
        down = SmtpSettings(host="127.0.0.1", port=free_port(), timeout=5)
        with pytest.raises(SendError, match="cannot connect"):
            send_pending(store, down)
        assert outbox.status_counts(store.engine)["pending"] == 5  # all given back, claimable at once
        assert send_pending(store, SmtpSettings.from_env()).sent == 5
    finally:
        store.close()
