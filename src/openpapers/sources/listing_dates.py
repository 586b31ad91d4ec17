"""Dates as listing pages print them (``Feb 10, 2023``, ``May 28``), and how a year-less one gets its year.

Pages drop the year for dates in the year they were captured, so a printed date is only complete together
with the capture date; :func:`resolve_date` is the one place that rule lives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

MONTHS: dict[str, int] = {}
for _i, _name in enumerate(("january", "february", "march", "april", "may", "june", "july", "august",
                            "september", "october", "november", "december"), start=1):
    MONTHS[_name] = _i
    MONTHS[_name[:3]] = _i
MONTHS["sept"] = 9

DATE_PATTERN = r"(?P<mon>[A-Z][a-z]{2,8})\.?\s+(?P<day>\d{1,2})(?:,\s*(?P<year>\d{4}))?"
"""``Mon D`` or ``Mon D, YYYY`` (a year needs its comma: ``Mar 22 2`` is a date and 2 upvotes)."""


@dataclass(slots=True)
class PageDate:
    """A date as printed: year None when the page left it out (it is then the capture year)."""

    month: int
    day: int
    year: int | None


def parse_date_text(mon: str, day: str, year: str | None) -> PageDate | None:
    """Regex groups → PageDate; None for a month name that is not one (``Febr``, ``Foo``)."""
    month = MONTHS.get(mon.lower())
    if month is None:
        return None
    return PageDate(month, int(day), int(year) if year else None)


def resolve_date(value: PageDate, captured: date) -> date:
    """The full date of a printed date, given the day the page was captured.

    A year-less date is in the capture year, or the year before when it would otherwise lie after the capture
    date (a page cannot show a future date); Feb 29 goes back to the latest leap year. Raises ValueError for
    impossible dates (``Feb 30``).
    """
    if value.year is not None:
        return date(value.year, value.month, value.day)
    for year in range(captured.year, captured.year - 8, -1):
        try:
            found = date(year, value.month, value.day)
        except ValueError:
            continue
        if found <= captured:
            return found
    raise ValueError(f"no such day: month {value.month} day {value.day}")
