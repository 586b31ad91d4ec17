"""When the digest and harvest jobs fire, and which digest a run at a given moment owes.

APScheduler's ``CronTrigger`` is the one definition of the schedule: the worker's scheduler fires it, and the
catch-up asks the same trigger for its latest fire time at or before now (:func:`previous_fire`), so the
moment a digest is sent and the reference day it is sent for cannot disagree, across time zones and daylight
saving changes included. The catch-up itself (which missed periods to send) is :func:`periods.catch_up`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from datetime import time as dtime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when a trigger is made: it costs every CLI command ~0.15 s otherwise
    from apscheduler.triggers.cron import CronTrigger

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LOOKBACK = timedelta(days=8)  # longer than any schedule's period (a week), daylight saving shifts included


def cron(at: dtime, tz: tzinfo, weekday: str | None = None) -> CronTrigger:
    """Daily at ``at`` in ``tz``, or weekly on ``weekday`` (mon … sun) at ``at``."""
    from apscheduler.triggers.cron import CronTrigger

    if weekday is None:
        return CronTrigger(hour=at.hour, minute=at.minute, timezone=tz)
    if weekday not in WEEKDAYS:
        raise ValueError(f"weekday must be one of {', '.join(WEEKDAYS)}, not {weekday!r}")
    return CronTrigger(day_of_week=weekday, hour=at.hour, minute=at.minute, timezone=tz)


def previous_fire(trigger: CronTrigger, now: datetime) -> datetime:
    """The latest fire time of ``trigger`` at or before ``now`` (aware), in the trigger's zone.

    A trigger only answers "next fire at or after", so this starts :data:`LOOKBACK` before ``now`` and steps
    forward through the fire times (one or two steps for a weekly trigger, eight for a daily one)."""
    last: datetime | None = None
    fire = trigger.get_next_fire_time(None, now - LOOKBACK)
    while fire is not None and fire <= now:
        last = fire
        fire = trigger.get_next_fire_time(fire, now)
    if last is None:
        raise ValueError(f"{trigger} does not fire in the {LOOKBACK} before {now.isoformat()}")
    return last


def due_reference(trigger: CronTrigger, now: datetime) -> date:
    """The reference day of the latest digest run due at ``now``: the day before that run (in the schedule's
    zone), as :mod:`openpapers.digests.periods` expects."""
    return previous_fire(trigger, now).date() - timedelta(days=1)


__all__ = ["LOOKBACK", "WEEKDAYS", "cron", "due_reference", "previous_fire"]
