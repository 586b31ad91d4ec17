"""How failed logins slow further tries down, and the generic "n attempts per window" limit.

The old rule (5 failures per email in 15 minutes lock the email out) let anyone lock anyone out: five wrong
passwords for a victim's address, sent from anywhere, and the victim's right password got 429 too. Now:

* **Per (email, client address) pair, progressive delays.** The first :data:`FREE_FAILURES` failures cost
  nothing (typos happen); after that each further try must wait :data:`FIRST_DELAY` after the last failure,
  doubling with every failure, capped at :data:`MAX_DELAY`. Failures are remembered for :data:`PAIR_MEMORY`.
  A guesser on one address gets a handful of tries an hour; the owner, on their own address, is not affected
  by anyone else's failures, and their own success clears their pair.
* **Per client address, a cap over all emails** (:data:`MAX_FAILS_PER_IP` in :data:`LOGIN_WINDOW`), so one
  address cannot spray one password over many accounts.

A guesser with many addresses still pays the delays per address; the per-address cap bounds each. The client
address is the connection's, or the proxy's ``X-Forwarded-For`` only when ``OPENPAPERS_FORWARDED_ALLOW_IPS``
names that proxy (uvicorn applies it), so a client cannot pick the address it is counted under.

Every count lives in the ``auth_attempts`` table, shared by all worker processes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from openpapers.accounts import repository as db
from openpapers.accounts.errors import RateLimited
from openpapers.db.clock import now as now_iso
from openpapers.db.database import Bind

FREE_FAILURES = 5
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(minutes=15)
PAIR_MEMORY = timedelta(hours=1)
LOGIN_WINDOW = timedelta(minutes=15)
MAX_FAILS_PER_IP = 20

__all__ = ["RateLimited", "check_limit", "check_login", "clear_login", "delay_after", "record_login_failure"]


def check_limit(bind: Bind, key: str, limit: int, window: timedelta, message: str) -> None:
    """Raise :class:`RateLimited` when ``key`` already has ``limit`` attempts within ``window``."""
    now = datetime.now(UTC)
    count, oldest = db.count_attempts(bind, key, now_iso(now - window))
    if count >= limit:
        first = datetime.fromisoformat(oldest) if oldest else now
        raise RateLimited(message, int((first + window - now).total_seconds()) + 1)


def delay_after(failures: int) -> timedelta:
    """How long a pair with ``failures`` recent failures waits after the last one (zero while they are free)."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(FIRST_DELAY * 2 ** (failures - FREE_FAILURES), MAX_DELAY)


def _pair(email: str, ip: str) -> str:
    return f"login:{email}|{ip}"


def _minutes(delta: timedelta) -> str:
    seconds = max(1, int(delta.total_seconds()) + 1)
    return f"{seconds} seconds" if seconds < 90 else f"{round(seconds / 60)} minutes"


def check_login(bind: Bind, email: str, ip: str) -> None:
    """Raise :class:`RateLimited` if a login for ``email`` from ``ip`` must wait (before any password check)."""
    check_limit(bind, f"login-ip:{ip}", MAX_FAILS_PER_IP, LOGIN_WINDOW,
                "Too many failed logins from this address. Wait a few minutes before trying again.")
    now = datetime.now(UTC)
    failures, _oldest, newest = db.attempt_stats(bind, _pair(email, ip), now_iso(now - PAIR_MEMORY))
    wait = delay_after(failures)
    if newest is None or not wait:
        return
    left = datetime.fromisoformat(newest) + wait - now
    if left > timedelta(0):
        raise RateLimited(f"Too many failed logins for this email. Wait {_minutes(left)} before trying again, "
                          "or reset your password.", int(left.total_seconds()) + 1)


def record_login_failure(bind: Bind, email: str, ip: str) -> None:
    db.record_attempt(bind, [_pair(email, ip), f"login-ip:{ip}"], now_iso())


def clear_login(bind: Bind, email: str, ip: str | None = None) -> None:
    """Forget the failures of ``email`` from ``ip`` (a successful login), or from every address (a reset)."""
    if ip is not None:
        db.clear_attempts(bind, _pair(email, ip))
    else:
        db.clear_attempts_prefix(bind, f"login:{email}|")
