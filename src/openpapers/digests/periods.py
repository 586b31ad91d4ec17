"""Digest periods: ``daily:YYYY-MM-DD`` (papers announced that day) and ``weekly:YYYY-Www`` (an ISO week).

The period key is what the outbox's unique (user, period) constraint is on, so it must be a pure function of
the calendar: a re-run, another worker process or a catch-up run computes the same key for the same digest.

A run is given a *reference day* (``--date``, default yesterday: the last complete day). The daily digest covers
that day; the weekly digest covers the last complete ISO week ending on or before it (the reference day's own
week when it is a Sunday, otherwise the week before), so a weekly digest never goes out for half a week and no
day falls between two weekly digests, whatever weekday the worker sends them on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

FREQUENCIES = ("daily", "weekly")
_KEY = re.compile(r"^(daily):(\d{4}-\d{2}-\d{2})$|^(weekly):(\d{4})-W(\d{2})$")


class DigestPeriodError(ValueError):
    """A period key or frequency that cannot be read."""


@dataclass(frozen=True, slots=True)
class DigestPeriod:
    frequency: str  # daily | weekly
    start: date
    end: date  # inclusive

    @property
    def key(self) -> str:
        if self.frequency == "daily":
            return f"daily:{self.start.isoformat()}"
        year, week, _ = self.start.isocalendar()
        return f"weekly:{year}-W{week:02d}"

    @property
    def label(self) -> str:
        """Short, for subjects: ``22 Nov`` or ``week of 16 Nov``."""
        if self.frequency == "daily":
            return f"{self.start.day} {self.start:%b}"
        return f"week of {self.start.day} {self.start:%b}"

    @property
    def long_label(self) -> str:
        if self.frequency == "daily":
            return f"{self.start:%A}, {self.start.day} {self.start:%B} {self.start.year}"
        year, week, _ = self.start.isocalendar()
        return f"week {week} of {year} ({self.start.day} {self.start:%b} – {self.end.day} {self.end:%b})"

    @property
    def site_path(self) -> str:
        """The site's page listing the same papers (papers/feed_periods.py keys)."""
        if self.frequency == "daily":
            return f"/day/{self.start.isoformat()}"
        year, week, _ = self.start.isocalendar()
        return f"/week/{year}-W{week:02d}"

    def previous(self) -> DigestPeriod:
        return period_for(self.frequency, self.start - timedelta(days=1), complete=False)


def daily(day: date) -> DigestPeriod:
    return DigestPeriod("daily", day, day)


def iso_week(day: date) -> DigestPeriod:
    """The ISO week (Monday to Sunday) containing ``day``."""
    monday = day - timedelta(days=day.weekday())
    return DigestPeriod("weekly", monday, monday + timedelta(days=6))


def period_for(frequency: str, reference: date, *, complete: bool = True) -> DigestPeriod:
    """The period a run with reference day ``reference`` sends (see the module docstring)."""
    if frequency == "daily":
        return daily(reference)
    if frequency == "weekly":
        if complete and reference.weekday() != 6:  # not a Sunday: its week is not over yet
            reference = reference - timedelta(days=reference.weekday() + 1)
        return iso_week(reference)
    raise DigestPeriodError(f"frequency must be one of {', '.join(FREQUENCIES)}, not {frequency!r}")


def parse(key: str) -> DigestPeriod:
    m = _KEY.match(key)
    if not m:
        raise DigestPeriodError(f"{key!r} is not a digest period (daily:YYYY-MM-DD or weekly:YYYY-Www)")
    try:
        if m.group(1):
            return daily(date.fromisoformat(m.group(2)))
        return iso_week(date.fromisocalendar(int(m.group(4)), int(m.group(5)), 1))
    except ValueError as exc:
        raise DigestPeriodError(f"{key!r}: {exc}") from None


def catch_up(frequency: str, reference: date, last_done: str | None, max_back: int) -> list[DigestPeriod]:
    """Periods to run, oldest first: the current one and those missed since ``last_done`` (the key of the last
    period a run completed), at most ``max_back`` periods before the current one. With no ``last_done`` (a
    first run) only the current period: a new installation does not mail out old digests."""
    current = period_for(frequency, reference)
    todo = [current]
    if last_done is None:
        return todo
    done = parse(last_done)
    p = current
    for _ in range(max(0, max_back)):
        p = p.previous()
        if p.start <= done.start:
            break
        todo.append(p)
    return list(reversed(todo))
