"""Who is sending: a claimer id per send run, and whether the process behind an id is gone.

A sender writes its id into every row it claims (``claimed_by``). When a run starts and finds rows in
``sending``, it asks :func:`claimer_dead` about their claimers: a process that is sure to be gone (same host, no
such process, or its pid reused) hands its rows over at once instead of after the lease.
"""

from __future__ import annotations

import os
import secrets
import socket
from pathlib import Path


def proc_start(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    return f"{fields[0]}{fields[19]}"  # state + start time (clock ticks since boot): tells a reused pid apart


def claimer_id() -> str:
    """``host:pid:start:nonce``: unique per send run, and enough to tell later whether its process still lives."""
    pid = os.getpid()
    start = (proc_start(pid) or "?")[1:]
    return f"{socket.gethostname()}:{pid}:{start}:{secrets.token_hex(4)}"


def claimer_dead(claimer: str) -> bool:
    """True only when sure: same host, and the process is gone, a zombie, or its pid now belongs to another
    process. Anything else (another host, unreadable) waits for the lease to expire."""
    parts = claimer.split(":")
    if len(parts) != 4 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return False
    now = proc_start(pid)
    if now is None:
        if Path("/proc/self/stat").exists():
            return True  # Linux, and no such process
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    return now[0] == "Z" or (parts[2] != "?" and now[1:] != parts[2])
