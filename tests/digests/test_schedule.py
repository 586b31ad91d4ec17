"""digests/schedule.py: the latest fire time of the worker's cron triggers, at and around fire times, across a
daylight-saving change, and in the schedule's zone whatever zone ``now`` is given in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

import pytest

from openpapers.digests.schedule import cron, due_reference, previous_fire

PARIS = ZoneInfo("Europe/Paris")


def test_previous_fire_is_at_or_before_now() -> None:
    daily = cron(dtime(7, 30), PARIS)
    at = datetime(2026, 11, 20, 7, 30, tzinfo=PARIS)
    assert previous_fire(daily, at) == at  # at the fire time: that run
    assert previous_fire(daily, at - timedelta(microseconds=1)) == at - timedelta(days=1)
    assert previous_fire(daily, at + timedelta(hours=23)) == at
    weekly = cron(dtime(7, 30), PARIS, "mon")
    assert previous_fire(weekly, at) == datetime(2026, 11, 16, 7, 30, tzinfo=PARIS)
    assert previous_fire(weekly, datetime(2026, 11, 16, 7, 30, tzinfo=PARIS)) == datetime(2026, 11, 16, 7, 30,
                                                                                          tzinfo=PARIS)
    with pytest.raises(ValueError, match="weekday"):
        cron(dtime(7, 30), PARIS, "monday")


def test_daylight_saving_and_zones() -> None:
    daily = cron(dtime(7, 30), PARIS)
    # Paris leaves summer time on Sunday 25 Oct 2026: the fire times stay 07:30 local on both sides.
    after = datetime(2026, 10, 26, 7, 0, tzinfo=PARIS)
    assert previous_fire(daily, after) == datetime(2026, 10, 25, 7, 30, tzinfo=PARIS)
    assert previous_fire(daily, after).utcoffset() == timedelta(hours=1)
    assert previous_fire(daily, datetime(2026, 10, 25, 7, 0, tzinfo=PARIS)).utcoffset() == timedelta(hours=2)
    # 06:45 UTC on 20 Nov is 07:45 in Paris: that morning's run is due, whatever zone now is written in.
    now = datetime(2026, 11, 20, 6, 45, tzinfo=UTC)
    assert due_reference(daily, now) == date(2026, 11, 19)
    assert due_reference(cron(dtime(7, 30), UTC), now) == date(2026, 11, 18)
