"""Run a source into the store: page by page, each page and its resume state committed together.

Why this shape: a page is the unit of atomicity. A kill -9 at any moment leaves the store at a page
boundary, with the checkpoint naming that boundary, so re-running the same import continues after it; and
because claims are keyed by (source, source_key), re-doing a page that was in flight writes nothing twice.

Bad entries: without ``skip_bad`` the first bad entry stops the import *before* its page is written (so the
store holds exactly the pages before it, and the error names file, line and field); with ``skip_bad`` the good
entries of every page are written and the bad ones are reported and kept in the import log.

Checks on every claim (:mod:`openpapers.core.record_checks`), whatever its source: a count no store can keep is
a bad entry like any other (named by the claim's file:line); control characters are removed from its text and
reported as a warning. Warnings (those, and a source's own: a listing page that looks cut off) are printed and
logged; with ``strict`` the first one stops the import before its page is written, as a bad entry does.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from openpapers.authors import service as identities
from openpapers.core.errors import SourceError
from openpapers.core.record_checks import record_problem, scrub_record
from openpapers.core.records import PaperRecord
from openpapers.papers.store import Store
from openpapers.sources.base import Page, Source

MAX_LOGGED_ERRORS = 1000
IDENTITY_UPDATE_LIMIT = 20_000
"""An import touching more author names than this skips the incremental identity update (rebuild instead)."""


@dataclass(slots=True)
class ImportReport:
    source: str
    records: int = 0
    created: int = 0
    updated: int = 0
    merged: int = 0
    skipped: list[SourceError] = field(default_factory=list)
    warnings: list[SourceError] = field(default_factory=list)
    resumed_from: dict[str, Any] | None = None
    paper_ids: list[str] = field(default_factory=list)
    author_names: set[str] = field(default_factory=set)  # what the identity update re-clusters (capped)
    bulk: bool = False  # loaded by the empty-store fast path (papers/bulk_load.py): identities need a rebuild

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "records": self.records,
            "created": self.created,
            "updated": self.updated,
            "merged": self.merged,
            "skipped": len(self.skipped),
            "errors": [e.to_json() for e in self.skipped[:MAX_LOGGED_ERRORS]],
            "warnings": [e.to_json() for e in self.warnings[:MAX_LOGGED_ERRORS]],
            "resumed_from": self.resumed_from,
        }


class BadInput(SourceError):
    """The import stopped at a bad entry (``skip_bad`` off). Carries the entry's file/line/field."""

    def __init__(self, first: SourceError, imported: int) -> None:
        self.first = first
        self.imported = imported
        super().__init__(first.message, file=first.file, line=first.line, field=first.field)


class StrictWarning(BadInput):
    """The import stopped at a warning because ``strict`` is on; nothing of that page was written."""


def location_of(record: PaperRecord, source: str) -> tuple[str, int | None]:
    """(file, line) of a claim from its ``location`` (``file:line``, or a URL), for messages about it."""
    where = record.location or source
    head, _, tail = where.rpartition(":")
    if head and tail.isdigit():
        return head, int(tail)
    return where, None


def check_page(page: Page, source: str) -> None:
    """Run the per-claim checks over ``page`` in place: refused claims move to ``errors`` (in line order with
    the source's own), scrubbed fields are added to ``warnings``."""
    kept: list[PaperRecord] = []
    refused: list[SourceError] = []
    for record in page.records:
        cleaned = scrub_record(record)
        fname, line = location_of(record, source)
        problem = record_problem(record)
        if problem is None and "title" in cleaned and record.title is None:
            problem_field, message = "title", "holds nothing but control characters"
        elif problem is not None:
            problem_field, message = problem.field, problem.message
        else:
            kept.append(record)
            if cleaned:
                page.warnings.append(SourceError(
                    f"control characters (NUL, DEL, ...) removed from {', '.join(cleaned)}",
                    file=fname, line=line, field=",".join(cleaned)))
            continue
        refused.append(SourceError(f"{problem_field} {message}", file=fname, line=line, field=problem_field))
    if refused:
        page.records = kept
        page.errors = sorted([*page.errors, *refused], key=lambda e: e.line or 0)


Progress = Callable[[int, dict[str, Any]], None]
_DONE = object()


def prefetch(pages: Iterator[Page], depth: int = 2) -> Iterator[Page]:
    """Read the next pages in a background thread while the current one is written.

    SQLite and the network release the GIL, so parsing page N+1 overlaps writing page N (about 1.6x on a
    bulk snapshot import). Order is kept, so checkpoints still advance strictly in sequence.
    """
    q: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for page in pages:
                while not stop.is_set():
                    try:
                        q.put(page, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(_DONE)
        except BaseException as exc:  # handed to the consumer, raised there
            q.put(exc)

    worker = threading.Thread(target=produce, name="openpapers-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = q.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join(timeout=5)


def run_import(
    store: Store,
    source: Source,
    *,
    skip_bad: bool = False,
    strict: bool = False,
    progress: Progress | None = None,
    detail: dict[str, Any] | None = None,
    keep_ids: bool = False,
    people: bool = True,
) -> ImportReport:
    """Import everything ``source`` yields, resuming from a saved checkpoint when one exists.

    ``progress(records_so_far, state)`` is called after every committed page (for progress bars).
    ``strict`` makes a warning stop the import like a bad entry (even with ``skip_bad``).
    ``keep_ids`` collects the ids of touched papers (for small imports that want to show them).
    ``people`` re-clusters the author identities of the touched names at the end; a caller that embeds the new
    papers first (the CLI) passes False and calls :func:`update_identities` itself, so topic similarity can use
    the new vectors.
    """
    key = source.checkpoint_key
    saved = store.get_checkpoint(key)
    resume = saved if saved and not saved.get("done") else None
    report = ImportReport(source=source.name, resumed_from=resume)
    import_id = store.start_import(source.name, key, {**(detail or {}), "resumed_from": resume})
    names = report.author_names
    try:
        for page in source.pages(resume):
            check_page(page, source.name)
            if page.errors and not skip_bad:
                raise BadInput(page.errors[0], report.records)
            if page.warnings and strict:
                raise StrictWarning(page.warnings[0], report.records)
            report.skipped.extend(page.errors)
            report.warnings.extend(page.warnings)
            if len(names) <= IDENTITY_UPDATE_LIMIT:
                names.update(a for r in page.records for a in r.authors)
            result = store.apply(page.records, checkpoint=(key, page.state))
            report.records += len(page.records)
            report.created += result.created
            report.updated += result.updated
            report.merged += result.merged
            if keep_ids:
                report.paper_ids.extend(result.paper_ids)
            if progress:
                progress(report.records, page.state)
    finally:
        store.finish_import(import_id, report.records, len(report.skipped), {**(detail or {}), **report.to_json()})
    if people:
        update_identities(store, names)
    return report


def identities_after(store: Store, report: ImportReport) -> bool:
    """Bring author identities up to date after an import (the touched names' blocks); False when that is left
    to ``openpapers authors rebuild``: after a bulk load into an empty store (all of arXiv's names, in one pass
    when the operator chooses), as after any import touching more than :data:`IDENTITY_UPDATE_LIMIT` names."""
    if report.bulk:
        return not report.records
    update_identities(store, report.author_names)
    return len(report.author_names) <= IDENTITY_UPDATE_LIMIT


def update_identities(store: Store, names: set[str]) -> None:
    """Re-cluster the author blocks an import touched (incremental); a bulk import touching more names than
    :data:`IDENTITY_UPDATE_LIMIT` leaves that to ``openpapers authors rebuild``, which does all blocks in one go."""
    if names and len(names) <= IDENTITY_UPDATE_LIMIT:
        identities.update_for_names(store, names)
