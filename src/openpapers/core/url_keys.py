"""The exact shapes of the keys the JSON API takes in its URLs, as regular expressions for the OpenAPI spec.

Why exact: the spec is a promise. A pattern as loose as ``\\d{4}-\\d{2}-\\d{2}`` promised that ``0000-00-00`` was a
day, and the server then refused it; a client (or a fuzzer such as schemathesis) that trusts the spec had no way
to know. These patterns accept only what the server can answer: real calendar days (leap years included) in the
years the feed pages serve (:data:`openpapers.papers.feed_periods.MIN_YEAR` … ``MAX_YEAR``, 1900–2999), months,
ISO weeks 1–53, and database row ids that fit a 32-bit integer column (larger ids made PostgreSQL fail with a
500 instead of answering 404). Only what a regular expression cannot say is left to the server: a week 53 in a
year that has 52.

The patterns are written without look-around so that every JSON Schema tool (and the fuzzers' generators) can
use them; the property tests check them against :mod:`datetime`.
"""

from __future__ import annotations

_YEAR = r"(?:19\d\d|2\d\d\d)"
# Years 1900–2999 divisible by 4, except the centuries that are not divisible by 400 (1900, 2100, 2200, ...).
_LEAP_YEAR = r"(?:19(?:0[48]|[2468][048]|[13579][26])|2\d(?:0[48]|[2468][048]|[13579][26])|2[048]00)"
_MONTH_DAY = (r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])"  # 31-day months
              r"|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)"  # 30-day months
              r"|02-(?:0[1-9]|1\d|2[0-8]))")  # February; the 29th only in a leap year (below)
_DAY = rf"(?:{_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"

DAY_KEY = rf"^{_DAY}$"
"""A real day, YYYY-MM-DD."""
DAY_OR_EMPTY = rf"^(?:{_DAY})?$"
"""A real day or nothing (an HTML form sends ``from=`` for an empty field)."""
MONTH_KEY = rf"^{_YEAR}-(?:0[1-9]|1[0-2])$"
"""YYYY-MM."""
WEEK_KEY = rf"^{_YEAR}-[Ww](?:0?[1-9]|[1-4]\d|5[0-3])$"
"""YYYY-Www, weeks 1–53 (``2025-W5`` and ``2025-w05`` too)."""
NOT_BLANK = r"\S"
"""Some character that is not white space (names and ids are stored trimmed: blank ones are refused)."""
MAX_ROW_ID = 2**31 - 1
"""The largest id a row can have: ids are 32-bit integer columns on PostgreSQL."""
