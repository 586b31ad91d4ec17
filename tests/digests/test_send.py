"""The digest run against a real SMTP server: who gets mail, what periods mean, and that re-runs send nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from helpers.notifydata import DAY, SmtpServer, make_users
from openpapers.accounts.repository import update_user
from openpapers.core.settings import resolve_settings
from openpapers.digests import outbox
from openpapers.digests.periods import period_for
from openpapers.digests.send import (
    MAX_ATTEMPTS,
    RETRY_MAX_S,
    mail_context,
    periods_for,
    plan_period,
    retry_delay,
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
        # A refused recipient delays only its own row: the others of the run still go out.
        assert (report.sent, report.failed, report.deferred) == (2, 1, 1)
        assert outbox.status_counts(store.engine) == {"pending": 0, "sending": 0, "sent": 2, "empty": 0, "failed": 2}
        waiting = outbox.get(store.engine, 3, "daily:2026-11-20")
        assert waiting is not None and waiting["attempts"] == 1 and waiting["next_attempt_at"] is not None
        assert "451" in str(waiting["error"])
        assert outbox.retries_waiting(store.engine) == 1
        # Its backoff has not passed: a run now leaves it alone, even though the server has recovered.
        del smtp.recorder.refuse["user2@example.org"]
        assert send_pending(store, SmtpSettings.from_env()).sent == 0
        # --retry-now (or the backoff passing) sends it.
        assert send_pending(store, SmtpSettings.from_env(), retry_now=True).sent == 1
        counts = outbox.status_counts(store.engine)
        assert counts == {"pending": 0, "sending": 0, "sent": 3, "empty": 0, "failed": 1}
        done = outbox.get(store.engine, 3, "daily:2026-11-20")
        assert done is not None and done["attempts"] == 2 and done["next_attempt_at"] is None
        row = outbox.get(store.engine, 2, "daily:2026-11-20")
        assert row is not None and "550" in str(row["error"]) and row["next_attempt_at"] is None  # final
        assert outbox.retries_waiting(store.engine) == 0
    finally:
        store.close()
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == ["user0@example.org", "user2@example.org",
                                                            "user3@example.org"]


def test_temporary_refusals_fail_a_row_for_good_only_at_the_attempt_limit(data_dir: Path, smtp: SmtpServer) -> None:
    smtp.recorder.refuse["user0@example.org"] = "452 mailbox full"
    store = open_store(resolve_settings(data_dir))
    try:
        make_users(store.engine, 1)
        plan_period(store, period_for("daily", DAY), mail_context(store, SmtpSettings.from_env(), base_url()))
        for n in range(1, MAX_ATTEMPTS + 1):
            report = send_pending(store, SmtpSettings.from_env(), retry_now=True)
            row = outbox.get(store.engine, 1, "daily:2026-11-20")
            assert row is not None and row["status"] == "failed" and row["attempts"] == n
            if n < MAX_ATTEMPTS:
                assert report.deferred == 1 and row["next_attempt_at"] is not None
            else:
                assert report.failed == 1 and row["next_attempt_at"] is None
                assert str(row["error"]).startswith(f"gave up after {MAX_ATTEMPTS} attempts: 452")
        assert send_pending(store, SmtpSettings.from_env(), retry_now=True).sent == 0  # final: not retried
        assert smtp.messages == []  # failed rows were refused, never delivered
    finally:
        store.close()


def test_a_refused_sender_ends_the_run_and_leaves_the_rest_pending(data_dir: Path, smtp: SmtpServer) -> None:
    """A refusal of the whole session (here: DATA refused with 451, as a throttling server does) must not burn
    the attempts of every other row: the refused one waits, the rest stay pending untouched."""
    store = open_store(resolve_settings(data_dir))
    try:
        make_users(store.engine, 4)
        plan_period(store, period_for("daily", DAY), mail_context(store, SmtpSettings.from_env(), base_url()))
        smtp.recorder.refuse_data = "451 4.7.1 slow down"
        report = send_pending(store, SmtpSettings.from_env())
        assert (report.sent, report.deferred) == (0, 1)
        counts = outbox.status_counts(store.engine)
        assert counts["failed"] == 1 and counts["pending"] == 3
        with store.engine.connect() as conn:
            attempts = sorted(r[0] for r in conn.exec_driver_sql("SELECT attempts FROM digest_outbox"))
        assert attempts == [0, 0, 0, 1]
        smtp.recorder.refuse_data = ""
        assert send_pending(store, SmtpSettings.from_env()).sent == 3  # the waiting one keeps its backoff
    finally:
        store.close()


def test_retry_delays_grow_and_are_capped() -> None:
    delays = [retry_delay(n) for n in range(1, 8)]
    assert delays[:3] == [300.0, 1200.0, 4800.0]
    assert delays[3] > delays[2] and delays == sorted(delays)
    assert max(delays) == RETRY_MAX_S


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
