"""``openpapers digest send|preview|status``: email digests through the exactly-once outbox (digests/send.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

import typer

from openpapers.cli.common import Quiet, app, cli_search, err, fail, open_cli_store, out, parse_date, state
from openpapers.core.errors import OpenPapersError

digest_app = typer.Typer(help="Email digests (daily or weekly, per user).", no_args_is_help=True)
app.add_typer(digest_app, name="digest")

DateOpt = Annotated[
    str | None,
    typer.Option("--date", help="Reference day YYYY-MM-DD: the daily digest covers it, the weekly one the last "
                                "complete ISO week ending on or before it [default: yesterday, UTC]."),
]
FrequencyOpt = Annotated[str, typer.Option("--frequency", help="daily | weekly | all")]


def default_reference(today: date | None = None) -> date:
    """Yesterday (UTC): the last complete day."""
    return (today or datetime.now(UTC).date()) - timedelta(days=1)


def _frequency(value: str) -> str:
    if value not in ("daily", "weekly", "all"):
        raise typer.BadParameter("must be daily, weekly or all", param_hint="--frequency")
    return value


@digest_app.command("send")
def send(
    when: DateOpt = None,
    frequency: FrequencyOpt = "all",
    plan_only: Annotated[bool, typer.Option("--plan-only", help="Record the digests, send nothing yet.")] = False,
    lease: Annotated[float, typer.Option(min=1.0, help="Seconds after which another sender may take over "
                                                        "messages claimed by a sender that stopped")] = 300.0,
    plan_batch: Annotated[int, typer.Option(min=1, max=10_000, help="Digests per planning transaction")] = 200,
    jobs: Annotated[int, typer.Option(min=1, max=64, help="Processes for planning (one process sends, so a "
                                                          "kill costs at most one resend)")] = 1,
    retry_now: Annotated[bool, typer.Option("--retry-now", help="Try temporarily refused digests now instead "
                                                                "of after their backoff")] = False,
    quiet: Quiet = False,
) -> None:
    """Plan every user's digest for the period (once, ever) and send what is pending. Safe to re-run and to run
    in several processes: each digest is sent once (see docs/people.md)."""
    from openpapers.digests.send import SendError, mail_context, periods_for, run
    from openpapers.digests.smtp import SmtpSettings

    freq = _frequency(frequency)
    reference = parse_date(when, "--date") or default_reference()
    try:
        smtp = SmtpSettings.from_settings(state.settings.mail)
        with open_cli_store() as store:
            ctx = mail_context(store, smtp, state.settings.public_url)
            if jobs == 1:
                report = run(store, smtp, ctx, periods_for(reference, freq),
                             search=cli_search(store), lease_s=lease, send=not plan_only,
                             plan_batch=plan_batch, retry_now=retry_now)
        if jobs > 1:
            from openpapers.digests.parallel import run_parallel

            report = run_parallel(state.settings, smtp, ctx, periods_for(reference, freq), jobs=jobs, lease_s=lease,
                                  send=not plan_only, plan_batch=plan_batch, retry_now=retry_now)
    except SendError as exc:
        err.print(f"error: {exc}; unsent digests stay pending: run the command again", markup=False)
        raise typer.Exit(1) from None
    except OpenPapersError as exc:
        fail(exc)
        return
    if quiet:
        return
    for p in report.plans:
        err.print(f"{p.period}: {p.users} users, {p.planned} digests planned, {p.empty} with nothing new, "
                  f"{p.existing} already planned", markup=False)
    s = report.send
    err.print(f"sent {s.sent}, failed {s.failed}, deferred {s.deferred} (retried later)"
              + (f", {s.resumed} resumed from an interrupted run" if s.resumed else ""), markup=False)


@digest_app.command("preview")
def preview(
    email: Annotated[str, typer.Option("--user", help="The user's email address.")],
    when: DateOpt = None,
    frequency: Annotated[str | None, typer.Option("--frequency", help="daily | weekly [default: the user's]")] = None,
    html: Annotated[bool, typer.Option("--html", help="Print the HTML part instead of the text part.")] = False,
) -> None:
    """Print the digest a user would get (nothing is recorded or sent)."""
    from openpapers.accounts.repository import get_user_by_email
    from openpapers.digests.compose import compose
    from openpapers.digests.content import PeriodDigests, Recipient
    from openpapers.digests.periods import period_for
    from openpapers.digests.send import mail_context
    from openpapers.digests.smtp import SmtpSettings
    from openpapers.signals.repository import list_follows

    reference = parse_date(when, "--date") or default_reference()
    with open_cli_store() as store:
        row = get_user_by_email(store.db, email.strip().lower())
        if row is None:
            fail(OpenPapersError(f"no user with email {email}"))
            return
        freq = frequency or (row["digest_frequency"] if row["digest_frequency"] != "off" else "daily")
        period = period_for(_frequency(freq), reference)
        user = Recipient(int(row["id"]), row["email"], row["display_name"], freq,
                         tuple(s for s in str(row["digest_sections"]).split(",") if s))
        digest = PeriodDigests(store, period, search=cli_search(store)).build(
            user, [f for f in list_follows(store.db, user.id) if f["in_digest"]])
        if digest.is_empty:
            err.print(f"{period.key}: nothing new for {email}: no email would be sent", markup=False)
            return
        smtp = SmtpSettings.from_settings(state.settings.mail)
        composed = compose(digest, mail_context(store, smtp, state.settings.public_url))
    import email as email_pkg
    from email import policy

    msg = email_pkg.message_from_bytes(composed.data, policy=policy.default)
    part = msg.get_body(preferencelist=("html",) if html else ("plain",))
    typer.echo(f"Subject: {composed.subject}")  # plain echo: a console would fold the long links
    typer.echo(part.get_content() if part else "")  # type: ignore[union-attr]


@digest_app.command("status")
def status(limit: Annotated[int, typer.Option(min=1, help="Periods to show")] = 10) -> None:
    """Outbox rows per period and status (newest periods first)."""
    from openpapers.digests import outbox

    with open_cli_store() as store:
        newest = sorted(outbox.periods(store.db), key=lambda k: k.split(":")[1], reverse=True)[:limit]
        table = {period: outbox.status_counts(store.db, [period]) for period in newest}
        waiting = {period: outbox.retries_waiting(store.db, [period]) for period in newest}
    for period in newest:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(table[period].items()) if v)
        retry = f" ({waiting[period]} to be retried)" if waiting[period] else ""
        out.print(f"{period}: {counts}{retry}", markup=False, highlight=False)
