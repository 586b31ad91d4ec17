"""The one clock for every timestamp the database stores, so all ``*_at`` columns share one text format.

Timestamps are text (portable between SQLite and PostgreSQL, and comparable as strings because the format has a
fixed width and a fixed zone). :func:`now` is the schema's format: ISO-8601 UTC to the second
(``2026-11-20T07:00:00+00:00``), what users, sessions, signals, imports and checkpoints have always been written
with. :func:`stamp` is the finer, fixed-width format the digest outbox and lock leases compare (microseconds,
``Z``): a lease of a few seconds needs sub-second order, and existing rows already hold it, so it stays as it is.
"""

from __future__ import annotations

from datetime import UTC, datetime


def now(moment: datetime | None = None) -> str:
    """``moment`` (default: now) in the schema's time format: ISO-8601 UTC to the second."""
    return (moment or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")


def stamp(moment: datetime | None = None) -> str:
    """``moment`` (default: now) as a fixed-width UTC timestamp with microseconds, comparable as a string."""
    return (moment or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
