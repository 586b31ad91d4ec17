"""The spec's key patterns against :mod:`datetime`: a pattern that lets one impossible day through is a promise
the server breaks (schemathesis found ``0000-00-00``), one that refuses a real day hides a page."""

from __future__ import annotations

import re
from datetime import date, timedelta

from openpapers.core.url_keys import DAY_KEY, DAY_OR_EMPTY, MAX_ROW_ID, MONTH_KEY, NOT_BLANK, WEEK_KEY
from openpapers.papers.feed_periods import MAX_YEAR, MIN_YEAR, parse_period

YEARS = [0, 1, 1899, 1900, 1904, 1996, 2000, 2024, 2025, 2026, 2100, 2400, 2999, 3000, 9999]


def real_day(y: int, m: int, d: int) -> bool:
    try:
        date(y, m, d)
    except ValueError:
        return False
    return MIN_YEAR <= y <= MAX_YEAR


def test_day_key_matches_exactly_the_real_days_of_the_range() -> None:
    day_re = re.compile(DAY_KEY)
    for y in YEARS:
        for m in range(0, 14):
            for d in range(0, 33):
                key = f"{y:04d}-{m:02d}-{d:02d}"
                assert bool(day_re.match(key)) == real_day(y, m, d), key
    day, last, every = date(MIN_YEAR, 1, 1), date(MAX_YEAR, 12, 31), 0
    while day <= last:  # every real day of the range, each leap day included
        assert day_re.match(day.isoformat()), day
        day += timedelta(days=1)
        every += 1
    assert every == (last - date(MIN_YEAR, 1, 1)).days + 1
    assert re.match(DAY_OR_EMPTY, "") and re.match(DAY_OR_EMPTY, "2024-02-29")
    assert not re.match(DAY_OR_EMPTY, "2025-02-29") and not re.match(DAY_KEY, "2025-12-11 ")


def test_month_and_week_keys() -> None:
    for y in YEARS:
        for m in range(0, 14):
            assert bool(re.match(MONTH_KEY, f"{y:04d}-{m:02d}")) == (MIN_YEAR <= y <= MAX_YEAR and 1 <= m <= 12)
        for w in range(0, 56):
            ok = MIN_YEAR <= y <= MAX_YEAR and 1 <= w <= 53
            assert bool(re.match(WEEK_KEY, f"{y:04d}-W{w:02d}")) == ok
            assert bool(re.match(WEEK_KEY, f"{y:04d}-w{w}")) == ok
            if ok and w <= 52:  # what the pattern lets through, the server reads (53: only in 53-week years)
                assert parse_period("week", f"{y:04d}-W{w:02d}").start.isocalendar()[1] == w


def test_names_and_ids() -> None:
    assert not re.search(NOT_BLANK, " \t ") and re.search(NOT_BLANK, "  x ")
    assert MAX_ROW_ID == 2_147_483_647
