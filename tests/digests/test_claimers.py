"""Claimer ids: a send run's identity in ``claimed_by``, and the check that its process is gone."""

from __future__ import annotations

import subprocess
import sys

from openpapers.digests.claimers import claimer_dead, claimer_id, proc_start


def test_claimer_liveness() -> None:
    me = claimer_id()
    assert not claimer_dead(me)  # this very process
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        mine = me.split(":")
        alive = f"{mine[0]}:{child.pid}:{(proc_start(child.pid) or '?')[1:]}:abcd"
        assert not claimer_dead(alive)
        assert claimer_dead(f"{mine[0]}:{child.pid}:1:abcd")  # same pid, another start time: pid reused
    finally:
        child.kill()
        child.wait()
    assert claimer_dead(alive)
    assert not claimer_dead(f"another-host:{child.pid}:1:abcd")  # unknowable: wait for the lease
