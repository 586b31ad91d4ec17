"""Opening a database: the SQLAlchemy engine for a user's URL, SQLite's pragmas, and URLs safe to show.

SQLite runs in WAL mode with ``synchronous=NORMAL``: a killed process never corrupts the file and loses at most
the transaction in flight, which the import checkpoint then redoes. PostgreSQL goes through psycopg 3 with
pre-ping, because a worker's pooled connection may have been cut by a restart or failover.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url

from openpapers.core.errors import StoreError
from openpapers.db.dialect import engine_url


def display_url(url: str) -> str:
    """The URL with any password masked: for messages, logs and ``openpapers stats``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL at all: nothing secret to hide in it
        return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA page_size=16384")  # only takes effect on a new file: fewer overflow pages for abstracts
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA cache_size=-262144")  # 256 MiB page cache (bounded): index inserts of big imports stay in RAM
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


def open_engine(url: str) -> Engine:
    """The engine for ``url`` (a user's database URL); :class:`StoreError` for a bad URL or a missing driver."""
    try:
        # preserve_rowcount: psycopg forgets an INSERT's rowcount when SQLAlchemy closes the cursor, so
        # "did INSERT … ON CONFLICT DO NOTHING insert?" would read -1 (sqlite3 keeps it; keep both alike).
        extra: dict[str, Any] = {"pool_pre_ping": True, "execution_options": {"preserve_rowcount": True}} \
            if engine_url(url).startswith("postgresql") else {}
        engine = create_engine(engine_url(url), future=True, **extra)
    except Exception as exc:  # bad URL or missing driver
        raise StoreError(f"cannot open store {display_url(url)!r}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def ensure_parent(url: str) -> None:
    """Create the directory of a SQLite file so that a fresh data dir just works."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
