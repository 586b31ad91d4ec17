"""The kill campaign of the first wave's loss, small: SIGKILL the process group of the real
``openpapers digest send --jobs N`` 8 times (2 while planning, 6 while sending, 0–80 ms after a row turns
``sent``), run it to completion and once more, and check what a real SMTP server received (tests/helpers/
crashkit.py counts it): every user due a digest got exactly one, no row failed (the server refused nothing), at
most one byte-identical resend per kill, of a message that was in flight at that kill, and the last run sent
nothing. ``bench/crash_digests.py`` runs the same campaign at the issue's size (300 users, 20 kills).

Kill moments are random; the seed is printed (``-s``) and in the failure, and ``OPENPAPERS_KILL_SEED`` replays
one. The DB is read with plain SQL (tests/helpers/plainsql.py) after every kill, independently of the code under
test. Runs on both backends (tests/digests/conftest.py): the child processes find the test's PostgreSQL database
through ``OPENPAPERS_DATABASE_URL``.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers.crashkit import fresh_reader, run_campaign
from helpers.notifydata import make_users
from openpapers.core.settings import Settings, resolve_settings
from openpapers.papers.store import open_store

USERS = 80
KILLS = 8


@pytest.fixture
def query(data_settings: Settings) -> Iterator[Any]:
    with fresh_reader(data_settings.database_url) as run:
        yield run


@pytest.mark.slow
@pytest.mark.timeout(420)
@pytest.mark.parametrize("jobs", [1, 2])
def test_kill_9_campaign_delivers_every_digest_exactly_once(data_dir: Path, query: Any, jobs: int) -> None:
    seed = int(os.environ.get("OPENPAPERS_KILL_SEED") or random.randrange(1 << 30))
    print(f"\nkill seed {seed} (OPENPAPERS_KILL_SEED={seed} replays it)")
    store = open_store(resolve_settings(data_dir))
    make_users(store.engine, USERS)
    store.close()
    result = run_campaign(data_dir, query, users=USERS, kills=KILLS, jobs=jobs, seed=seed, plan_kills=2)
    print(result.line())
    assert result.send_kills >= 3, f"too few kills landed while sending: {result.line()}"
    assert result.due == USERS - USERS // 10, result.line()  # every 10th user follows nobody with papers
    assert result.problems() == [], result.line()
    assert result.statuses == {"sent": result.due, "empty": USERS // 10}, result.statuses
