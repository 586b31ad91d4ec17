"""``openpapers db``: schema migrations and moving a store to another database (SQLite -> PostgreSQL).

``db migrate`` exists for deployments where several app workers share PostgreSQL: run it once, before
starting (or restarting after an upgrade) the workers, instead of letting the first worker migrate while the
others wait. Opening a store migrates it anyway, so a single-process SQLite install never needs it.
"""

from __future__ import annotations

import time
from typing import Annotated

import typer

from openpapers.cli.common import app, err, fail, out, state
from openpapers.core.errors import OpenPapersError


def _say(text: str) -> None:
    """Plain text, one line per message (URLs and table rows are never folded or colourised)."""
    out.print(text, markup=False, highlight=False, soft_wrap=True)


def _say_err(text: str) -> None:
    err.print(text, markup=False, highlight=False, soft_wrap=True)


db = typer.Typer(help="Database schema and moving a store between databases.", no_args_is_help=True)
app.add_typer(db, name="db")


@db.command("migrate")
def migrate() -> None:
    """Bring the database (OPENPAPERS_DATABASE_URL or the data dir's SQLite file) to the newest schema."""
    from openpapers.db.engine import display_url
    from openpapers.papers.store import Store

    url = state.settings.database_url
    try:
        store = Store(url, migrate=False)
        before = store.schema_revision()
        store.migrate()
        after = store.schema_revision()
        store.close()
    except OpenPapersError as exc:
        fail(exc)
    change = "already current" if before == after else f"upgraded from {before or 'empty'}"
    _say(f"{display_url(url)}: schema {after} ({change})")


@db.command("copy")
def copy(
    to: Annotated[str, typer.Option("--to", help="Target database URL, e.g. postgresql://user@host/openpapers")],
    source: Annotated[str | None, typer.Option("--from", help="Source database URL (default: this data dir's "
                                                              "store, or OPENPAPERS_DATABASE_URL)")] = None,
    batch: Annotated[int, typer.Option(min=1, max=100_000, help="Rows per transaction")] = 5000,
    index: Annotated[bool, typer.Option("--index/--no-index", help="Build the target's keyword index and "
                                                                  "vector column afterwards")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress.")] = False,
) -> None:
    """Copy every table to an empty target database in batches, then verify row counts and checksums.

    Interrupted? Run the same command again: it continues after the last committed batch. Stop imports and
    harvests into the source while copying (a verification failure names the tables that changed).
    """
    from openpapers.db.copy import copy_store
    from openpapers.db.engine import display_url

    src = source or state.settings.database_url
    started = time.monotonic()
    last = [0.0]

    def progress(table: str, rows: int) -> None:
        if not quiet and time.monotonic() - last[0] > 2:
            last[0] = time.monotonic()
            _say_err(f"  {table}: {rows:,} rows")

    try:
        report = copy_store(src, to, batch=batch, progress=progress)
    except OpenPapersError as exc:
        fail(exc)
    for t in report.tables:
        mark = "ok" if t.ok else f"MISMATCH (target {t.target_rows:,} rows, {t.target_checksum})"
        _say(f"{t.name:<24} {t.rows:>10,} rows  {t.source_checksum}  {mark}")
    took = time.monotonic() - started
    if not report.ok:
        _say_err(f"error: the copy to {display_url(to)} does not match the source")
        raise typer.Exit(1)
    what = "verified (copied before)" if report.already else "copied and verified"
    _say(f"{what} {sum(t.rows for t in report.tables):,} rows in {took:.1f} s"
              f"{' (resumed)' if report.resumed and not report.already else ''}")
    if index and not report.already:
        _index_target(to, quiet)


def _index_target(url: str, quiet: bool) -> None:
    """Derived search structures are rebuilt, never copied: the keyword index, and on PostgreSQL the pgvector
    column from the copied vectors (papers without a vector are left to `openpapers index`)."""
    from openpapers.papers.store import Store
    from openpapers.search.backends.pgfts import PgKeywordIndex
    from openpapers.search.backends.pgvector import PgVectorIndex
    from openpapers.search.retrievers import in_database

    store = Store(url)
    try:
        if not in_database(store):  # a SQLite target: its index files belong to its own data dir
            _say("run `openpapers index` with the target's data dir to build its search indexes")
            return
        # The database's own structures only: this data dir's index files (if any) belong to the source, and a
        # host-local keyword index (OPENPAPERS_KEYWORD_INDEX=local) is built by each serving host itself.
        done = PgKeywordIndex(store).sync(store)
        filled = PgVectorIndex(store).backfill()
        if not quiet:
            _say(f"keyword index: {done:,} papers; vectors filled from the copy: {filled:,} "
                      "(run `openpapers index` to embed papers that have none)")
    finally:
        store.close()
