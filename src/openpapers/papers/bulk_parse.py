"""The bulk loader's parsing processes: reads the source, checks and plans every page, hands pages over in order.

Why processes and not threads: parsing, merging and row building are pure Python and hold the GIL, so a thread
cannot overlap them with the writer's own Python work; a process can, and on two cores it roughly halves the
import's wall time. What crosses the pipe is plain data (row tuples, error dicts, the page state), pickled.

Several such processes can share a file: each parses every n-th page (``shard``) and the writer takes their
pages round-robin, so order, page boundaries and checkpoints are those of one reader.

A process stops by itself when its parent dies (a killed import leaves no orphan reading the file): every
hand-over waits at most a fraction of a second before checking that the parent is still there.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import queue
import signal
import sys
import traceback
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from typing import Any

from openpapers.core.errors import SourceError
from openpapers.papers.fresh import FreshPlan, plan_fresh
from openpapers.papers.ingest import check_page
from openpapers.sources.base import Source

HANDOVER_WAIT_S = 0.25
PR_SET_PDEATHSIG = 1  # linux/prctl.h


@dataclass(slots=True)
class PreparedPage:
    """One page as the writer needs it: its state, its error and warning entries, how many claims it kept
    after the checks (``records``, duplicates included, as the normal path counts them), and the plan."""

    state: dict[str, Any]
    records: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    plan: FreshPlan = field(default_factory=FreshPlan)


@dataclass(slots=True)
class Failed:
    """The source stopped with an error: a SourceError's fields, or another exception's traceback."""

    source_error: dict[str, Any] | None
    text: str


def to_error(entry: dict[str, Any]) -> SourceError:
    return SourceError(str(entry["message"]), file=entry.get("file"), line=entry.get("line"),
                       field=entry.get("field"))


def produce(source: Source, resume: dict[str, Any] | None, shard: tuple[int, int], out: Queue[Any],
            stop: Event) -> None:
    """Child-process entry: put a PreparedPage per page of ``shard`` (k, n), then ``None``, or a :class:`Failed`."""
    _die_with_parent()
    try:
        pages = source.pages(resume, shard=shard) if shard[1] > 1 else source.pages(resume)  # type: ignore[call-arg]
        for page in pages:
            check_page(page, source.name)
            prepared = PreparedPage(state=page.state, records=len(page.records),
                                    errors=[e.to_json() for e in page.errors],
                                    warnings=[w.to_json() for w in page.warnings],
                                    plan=plan_fresh(page.records))
            if not _hand_over(out, stop, prepared):
                out.cancel_join_thread()  # the writer is gone or done: exit without flushing what is queued
                return
        _hand_over(out, stop, None)
    except SourceError as exc:
        _hand_over(out, stop, Failed(exc.to_json(), str(exc)))
    except BaseException:  # any other failure is reported by the parent with this traceback
        _hand_over(out, stop, Failed(None, traceback.format_exc()))


def _die_with_parent() -> None:
    """Linux: the kernel kills this process when its parent dies (a SIGKILLed import); elsewhere the hand-over
    loop notices within HANDOVER_WAIT_S."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    parent = multiprocessing.parent_process()
    if parent is not None and not parent.is_alive():  # died before the prctl took effect
        os._exit(1)


def _hand_over(out: Queue[Any], stop: Event, item: Any) -> bool:
    parent = multiprocessing.parent_process()
    while not stop.is_set():
        if parent is not None and not parent.is_alive():
            return False
        try:
            out.put(item, timeout=HANDOVER_WAIT_S)
            return True
        except queue.Full:
            continue
    return False
