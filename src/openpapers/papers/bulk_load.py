"""The fast path for loading a big file into an EMPTY store (the first arXiv snapshot import).

An incremental import (:func:`openpapers.papers.ingest.run_import`) spends most of its time on work an empty
store does not need done the slow way. Here, for the same pages, checkpoints and result:

* a second process reads and checks the file and *plans* each page (:mod:`openpapers.papers.bulk_parse`,
  :mod:`openpapers.papers.fresh`): merges, ids and row tuples are built there, in parallel with the writes;
* the writer asks the store whether the page names anything already stored, and if not inserts the planned rows
  with the driver's executemany (COPY on PostgreSQL), no ORM on the hot path; a page that does touch stored
  papers (a duplicate arXiv id, a title seen before) goes through ``apply_batch`` as on the normal path;
* the secondary indexes nothing looks up during the load (dates, seq, author/org/category links) are dropped
  first and built once at the end (:data:`DEFERRED_INDEXES`), sorted, instead of row by row;
* SQLite runs with a rollback journal and ``synchronous=OFF`` while loading: new pages at the end of the file
  are written once instead of twice (WAL, then checkpoint). A killed process loses nothing committed (the
  journal rolls an interrupted page back; only an OS crash or power cut could damage the file, and the store was
  empty before). The store returns to WAL when the load ends.

Each page is still one transaction together with its checkpoint, so kill-and-resume holds exactly as on the
normal path (the checkpoint says ``bulk`` and the resumed run continues on this path, building the indexes at
the end). Equivalence with the normal path is tested by comparing exports (tests/papers/test_bulk_load.py).
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import queue
import time
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, Index, func, select
from sqlalchemy.exc import OperationalError

from openpapers.core.records import PaperRecord
from openpapers.db import checkpoints
from openpapers.db import schema as t
from openpapers.db.dialect import is_postgres, write_lock
from openpapers.papers.bulk_parse import Failed, PreparedPage, produce, to_error
from openpapers.papers.fresh import plan_holds, write_plan
from openpapers.papers.ingest import BadInput, ImportReport, Progress, StrictWarning, run_import
from openpapers.papers.store import Store
from openpapers.papers.writer import apply_batch, next_seq
from openpapers.sources.base import Source

# Indexes the write path never reads (lookups use arxiv_id, title_key, the key tables and claims): built after.
DEFERRED_INDEXES = (
    "ix_papers_published",
    "ix_papers_seq",
    "ix_papers_featured_on",
    "ix_paper_authors_author_id",
    "ix_paper_orgs_org",
    "ix_paper_categories_category",
)
# Below this a file is imported the normal way: starting a process and rebuilding indexes would cost more.
MIN_BULK_BYTES = 4 * 2**20
QUEUE_PAGES = 4
JOURNAL_SWITCH_WAIT_S = 2.0


def parse_workers() -> int:
    """Parsing processes for a bulk load: one per core the process may use, at most 4 (the writer, one more
    process, is then the limit); ``OPENPAPERS_BULK_WORKERS`` overrides."""
    configured = os.environ.get("OPENPAPERS_BULK_WORKERS", "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return max(1, min(4, len(os.sched_getaffinity(0))))


def _deferred() -> list[Index]:
    tables = (t.papers, t.paper_authors, t.paper_orgs, t.paper_categories)
    found = {str(ix.name): ix for table in tables for ix in table.indexes}
    return [found[name] for name in DEFERRED_INDEXES]


def store_is_empty(store: Store) -> bool:
    with store.engine.connect() as conn:
        return not any(conn.execute(select(func.count()).select_from(table)).scalar_one()
                       for table in (t.papers, t.claims, t.paper_aliases))


def wants_bulk(store: Store, source: Source, bulk: bool | None = None) -> bool:
    """Whether :func:`import_source` takes the fast path: a source that can be read in another process
    (``bulk_capable``), and either a bulk load of this input to resume or an empty store and a file big enough
    (``bulk=True`` skips the size test, ``bulk=False`` never takes the fast path)."""
    if bulk is False or not getattr(source, "bulk_capable", False):
        return False
    saved = store.get_checkpoint(source.checkpoint_key)
    if saved and saved.get("bulk") and not saved.get("done"):
        return True
    if not store_is_empty(store):
        return False
    return bool(bulk) or int(getattr(source, "total_bytes", 0) or 0) >= MIN_BULK_BYTES


def import_source(
    store: Store,
    source: Source,
    *,
    skip_bad: bool = False,
    strict: bool = False,
    progress: Progress | None = None,
    detail: dict[str, Any] | None = None,
    bulk: bool | None = None,
    people: bool = True,
) -> ImportReport:
    """Import ``source``: the bulk path when :func:`wants_bulk` says so, else :func:`run_import` (``people``:
    see there). The bulk path sets ``report.bulk`` and leaves author identities to ``openpapers authors
    rebuild`` (:func:`~openpapers.papers.ingest.identities_after`): one pass over all names when the operator
    chooses, not a re-clustering per touched name inside the load."""
    if not wants_bulk(store, source, bulk):
        ensure_indexes(store)
        return run_import(store, source, skip_bad=skip_bad, strict=strict, progress=progress, detail=detail,
                          people=people)
    return bulk_import(store, source, skip_bad=skip_bad, strict=strict, progress=progress, detail=detail)


def bulk_import(
    store: Store,
    source: Source,
    *,
    skip_bad: bool = False,
    strict: bool = False,
    progress: Progress | None = None,
    detail: dict[str, Any] | None = None,
    workers: int | None = None,
) -> ImportReport:
    """The fast path (see the module docstring); same arguments, checks and report as ``run_import``.

    ``workers`` parsing processes read the file (default :func:`parse_workers`)."""
    key = source.checkpoint_key
    saved = store.get_checkpoint(key)
    resume = saved if saved and not saved.get("done") else None
    report = ImportReport(source=source.name, resumed_from=resume, bulk=True)
    info = {**(detail or {}), "bulk": True}
    import_id = store.start_import(source.name, key, {**info, "resumed_from": resume})
    store.engine.dispose()  # the load's one connection must be the only one to switch the journal mode
    # fork: the child needs nothing re-imported (spawn would re-run the caller's main module) and shares no
    # database handle (the engine was just disposed, the load's connection is opened after the fork).
    ctx: Any = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    n = workers or parse_workers()
    queues: list[Any] = [ctx.Queue(maxsize=QUEUE_PAGES) for _ in range(n)]
    stop = ctx.Event()
    procs = [ctx.Process(target=produce, args=(source, resume, (k, n), queues[k], stop),
                         name=f"openpapers-bulk-parse-{k}", daemon=True) for k in range(n)]
    for proc in procs:
        proc.start()
    try:
        with store.engine.connect() as conn:
            _begin_load(conn)
            try:
                last = _load(conn, key, queues, procs, report, skip_bad=skip_bad, strict=strict, progress=progress)
                _finish_load(conn)
            finally:
                _journal(conn, "WAL")
            with conn.begin():
                checkpoints.put(conn, key, {**last, "done": True})
    finally:
        stop.set()
        for proc in procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
                proc.join()
        store.finish_import(import_id, report.records, len(report.skipped), {**info, **report.to_json()})
    return report


def _load(conn: Connection, key: str, queues: list[Any], procs: list[Any], report: ImportReport, *,
          skip_bad: bool, strict: bool, progress: Progress | None) -> dict[str, Any]:
    """Write every page the parsing processes hand over, in file order; returns the last page's state."""
    last: dict[str, Any] = {}
    for index in itertools.count():
        item = _next(queues[index % len(queues)], procs[index % len(procs)])
        if item is None:
            return last
        if isinstance(item, Failed):
            if item.source_error is not None:
                raise to_error(item.source_error)
            raise RuntimeError(f"the bulk import's parsing process failed:\n{item.text}")
        page: PreparedPage = item
        errors = [to_error(e) for e in page.errors]
        warnings = [to_error(w) for w in page.warnings]
        if errors and not skip_bad:
            raise BadInput(errors[0], report.records)
        if warnings and strict:
            raise StrictWarning(warnings[0], report.records)
        report.skipped.extend(errors)
        report.warnings.extend(warnings)
        # The checkpoint names this path until the indexes are built: a resumed run must come back here.
        last = {k: v for k, v in page.state.items() if k != "done"}
        with conn.begin():
            write_lock(conn)
            if page.plan.claims:
                if plan_holds(conn, page.plan):
                    result = write_plan(conn, page.plan, next_seq(conn))
                else:
                    result = apply_batch(conn, _records(page.plan.claims))
                report.created += result.created
                report.updated += result.updated
                report.merged += result.merged
            checkpoints.put(conn, key, {**last, "bulk": True})
        report.records += page.records
        if progress:
            progress(report.records, page.state)
    return last  # not reached: the loop ends at the parsers' end mark


def _next(pages: Any, proc: Any) -> Any:
    """The next item from one parsing process; an error if it died without handing over its pages."""
    while True:
        try:
            return pages.get(timeout=1.0)
        except queue.Empty:
            if proc.is_alive():
                continue
        try:
            return pages.get(timeout=1.0)  # what it queued just before it ended
        except queue.Empty:
            raise RuntimeError(f"the bulk import's parsing process {proc.name} ended (exit code "
                               f"{proc.exitcode}) without handing over its pages") from None


def _records(claim_rows: Sequence[tuple[Any, ...]]) -> list[PaperRecord]:
    """The page's claims back from their stored form, for a page that has to be merged with stored papers."""
    return [PaperRecord.from_json(orjson.loads(row[4])) for row in claim_rows]


def _journal(conn: Connection, mode: str) -> None:
    """Switch SQLite's journal mode (and the matching ``synchronous``). Leaving WAL needs the database to
    itself: while a reader holds it open the switch is retried for a moment, then the load goes on in WAL (only
    slower). Returning to WAL always succeeds (the writer holds the only write lock)."""
    if is_postgres(conn):
        return
    deadline = time.monotonic() + JOURNAL_SWITCH_WAIT_S
    while True:
        try:
            got = str(conn.exec_driver_sql(f"PRAGMA journal_mode={mode}").scalar_one()).lower()
        except OperationalError:  # "database is locked": a reader in WAL mode
            conn.rollback()
            got = ""
        if got == mode.lower() or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    conn.exec_driver_sql(f"PRAGMA synchronous={'NORMAL' if got == 'wal' else 'OFF'}")
    conn.commit()


def _begin_load(conn: Connection) -> None:
    """Leave WAL for the load (SQLite) and drop the indexes built at the end (idempotent: a resumed load)."""
    _journal(conn, "TRUNCATE")
    with conn.begin():
        for name in DEFERRED_INDEXES:
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")


def _finish_load(conn: Connection) -> None:
    """Build the deferred indexes, each in one sorted pass over its table."""
    with conn.begin():
        for index in _deferred():
            index.create(conn, checkfirst=True)


def ensure_indexes(store: Store) -> None:
    """Build the deferred indexes if a bulk load was left unfinished (its store is then used another way)."""
    with store.engine.begin() as conn:
        for index in _deferred():
            index.create(conn, checkfirst=True)

