"""Feed periods: a day (``2025-12-11``), an ISO week (``2025-W50``) or a month (``2025-12``).

Each period knows its first and last day, its URL key and a label, and how to find the period of the same kind
that contains another day (how prev/next links jump over empty weekends and holidays).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

MIN_YEAR, MAX_YEAR = 1900, 2999  # a clear 4xx outside, and no date arithmetic near date.min/date.max
KINDS = ("day", "week", "month")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-[Ww](\d{1,2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class FeedPeriodError(ValueError):
    """A period key that cannot be read; the message says what was expected."""


@dataclass(frozen=True, slots=True)
class Period:
    kind: str
    start: date
    end: date

    @property
    def key(self) -> str:
        if self.kind == "day":
            return self.start.isoformat()
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start:%Y-%m}"

    @property
    def label(self) -> str:
        if self.kind == "day":
            return f"{self.start:%A}, {self.start:%B} {self.start.day}, {self.start.year}"
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"Week {week}, {year} ({self.start:%b} {self.start.day} – {self.end:%b} {self.end.day})"
        return f"{self.start:%B %Y}"

    @property
    def path(self) -> str:
        return f"/{self.kind}/{self.key}"

    def containing(self, day: date) -> Period:
        """The period of this kind that contains ``day``."""
        return period_of(self.kind, day)


def period_of(kind: str, day: date) -> Period:
    if kind == "day":
        return Period("day", day, day)
    if kind == "week":
        start = day - timedelta(days=day.weekday())
        return Period("week", start, start + timedelta(days=6))
    start = day.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return Period("month", start, following - timedelta(days=1))


def _year(text: str) -> int:
    year = int(text)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise FeedPeriodError(f"the year must be between {MIN_YEAR} and {MAX_YEAR}")
    return year


def parse_period(kind: str, key: str) -> Period:
    """Read a URL key; raises :class:`FeedPeriodError` with a message for the reader."""
    try:
        if kind == "day":
            m = _DAY.match(key)
            if not m:
                raise FeedPeriodError(f"{key!r} is not a day: use YYYY-MM-DD, like 2025-12-11")
            return period_of("day", date(_year(m[1]), int(m[2]), int(m[3])))
        if kind == "week":
            m = _WEEK.match(key)
            if not m:
                raise FeedPeriodError(f"{key!r} is not an ISO week: use YYYY-Www, like 2025-W50")
            return period_of("week", date.fromisocalendar(_year(m[1]), int(m[2]), 1))
        if kind == "month":
            m = _MONTH.match(key)
            if not m:
                raise FeedPeriodError(f"{key!r} is not a month: use YYYY-MM, like 2025-12")
            return period_of("month", date(_year(m[1]), int(m[2]), 1))
    except FeedPeriodError:
        raise
    except ValueError as exc:  # month 13, Feb 30, week 54
        raise FeedPeriodError(f"{key!r} is not a valid {kind}: {exc}") from None
    raise FeedPeriodError(f"unknown period kind {kind!r}")
