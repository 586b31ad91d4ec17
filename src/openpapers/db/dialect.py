"""The few statements whose SQL differs between SQLite and PostgreSQL, chosen by the connection's dialect."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Connection, Engine, Row, Table, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.dml import Insert


def insert_ignore(conn: Connection, table: Table) -> Insert:
    """INSERT that silently skips rows whose primary/unique key already exists; its result's ``rowcount`` says
    whether the row went in (1) or was skipped (0) on both backends (``preserve_rowcount``: psycopg would
    otherwise report -1 once the cursor is closed)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing().execution_options(preserve_rowcount=True)
    return sqlite.insert(table).on_conflict_do_nothing()


def bulk_insert(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]], *, ignore: bool = False
) -> None:
    """Insert many rows straight through the driver: executemany on SQLite, COPY on PostgreSQL.

    SQLAlchemy's per-row parameter processing costs more than SQLite's own insert on the bulk-import path, so
    the hot inserts skip it. ``ignore`` skips rows whose key exists.
    """
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        _copy_rows(conn, table.name, columns, rows, ignore=ignore)
        return
    marks = ", ".join(["?"] * len(columns))
    sql = f"INSERT {'OR IGNORE ' if ignore else ''}INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"
    conn.exec_driver_sql(sql, list(rows))


def _copy_rows(conn: Connection, name: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]], *,
               ignore: bool) -> None:
    """PostgreSQL's COPY, the fastest way in: executemany runs one INSERT per row (several times slower than
    SQLite's inserts), and a multi-row VALUES statement costs more to build and parse client-side than to run.
    COPY cannot skip conflicts, so ``ignore`` rows go through a temporary table (emptied at commit) and one
    ``INSERT … SELECT … ON CONFLICT DO NOTHING``. Runs on the connection's own transaction."""
    import psycopg

    cols = ", ".join(columns)
    cursor = conn.connection.cursor()
    statement = f"COPY {name} ({cols})"
    try:
        target = name
        if ignore:
            target = f"_bulk_{name}"
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {target} (LIKE {name}) ON COMMIT DELETE ROWS")
        with cursor.copy(f"COPY {target} ({cols}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row(row)
        if ignore:
            cursor.execute(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM {target} ON CONFLICT DO NOTHING")
            cursor.execute(f"TRUNCATE {target}")
    except psycopg.Error as exc:  # the same exception types as every other statement (IntegrityError, ...)
        raise DBAPIError.instance(statement, None, exc, psycopg.Error, dialect=conn.dialect) from exc
    finally:
        cursor.close()


def select_in(conn: Connection, sql: str, values: Sequence[str]) -> list[tuple[Any, ...]]:
    """Run ``sql`` whose ``:values`` placeholder stands for a list, as ONE statement with one parameter.

    ``sql`` is written like ``SELECT id FROM papers WHERE arxiv_id IN :values``. SQLite gets the list as a JSON
    array read by ``json_each`` and PostgreSQL as an array with ``= ANY``: no per-value bind parameters to
    compile, and no limit on how many values one query may carry.
    """
    if not values:
        return []
    if conn.dialect.name == "postgresql":
        return [tuple(r) for r in conn.exec_driver_sql(sql.replace("IN :values", "= ANY(%s)"), (list(values),))]
    text = sql.replace(":values", "(SELECT value FROM json_each(?))")
    return [tuple(r) for r in conn.exec_driver_sql(text, (orjson.dumps(list(values)).decode(),))]


# -- URLs, write serialisation and work claiming (PostgreSQL alongside SQLite) ----------------------------------
def engine_url(url: str) -> str:
    """The SQLAlchemy URL for a user's database URL: ``postgresql://`` (and ``postgres://``, as hosting
    providers spell it) mean psycopg 3, the one PostgreSQL driver openpapers ships; other URLs pass as given."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def is_postgres(bind: Connection | Any) -> bool:
    return bind.dialect.name == "postgresql"


# An arbitrary constant: the PostgreSQL advisory lock that serialises store writers (see write_lock).
WRITE_LOCK_KEY = 0x6F70_7772  # "opwr"


def write_lock(conn: Connection) -> None:
    """Serialise writers of the merged paper view for the rest of the transaction.

    SQLite has one writer at a time by construction. PostgreSQL would let two imports dedup the same paper
    concurrently, each unaware of the other's uncommitted row, and create it twice; a transaction-scoped
    advisory lock gives PostgreSQL SQLite's semantics for :meth:`Store.apply` while readers never wait.
    """
    if is_postgres(conn):
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")


@contextmanager
def immediate(engine: Engine) -> Iterator[Connection]:
    """A write transaction that holds the write lock from its first statement.

    SQLite: ``BEGIN IMMEDIATE``, so a read-then-update (a claim) can never fail half-way with a stale snapshot
    and two claimers queue on the busy timeout instead. PostgreSQL: an ordinary transaction (row locks in
    :func:`claim_rows` do the work there, so claimers run side by side).
    """
    with engine.connect() as conn:
        if is_postgres(conn):
            with conn.begin():
                yield conn
            return
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        conn.commit()


def claim_rows(
    conn: Connection,
    table: Table,
    where: ColumnElement[bool],
    values: dict[str, Any],
    *,
    limit: int,
    order_by: Sequence[Any] = (),
) -> list[Row[Any]]:
    """Claim up to ``limit`` rows of ``table`` matching ``where`` by setting ``values`` on them; returns the
    claimed rows (after the update). Run it inside :func:`immediate`.

    ``values`` must make ``where`` false (e.g. set ``claimed_by``/``claimed_at``), so that a row is claimed
    exactly once however many workers call this at the same time: PostgreSQL locks the chosen rows with
    ``FOR UPDATE SKIP LOCKED`` (another worker skips them instead of waiting, and takes the next ones); on
    SQLite the enclosing ``BEGIN IMMEDIATE`` makes the whole claim one writer's.
    """
    pk = list(table.primary_key.columns)
    if not pk:
        raise ValueError(f"claim_rows needs a primary key on {table.name}")
    chosen = select(*pk).where(where).order_by(*order_by).limit(limit)
    if is_postgres(conn):
        chosen = chosen.with_for_update(skip_locked=True)
    key = pk[0] if len(pk) == 1 else tuple_(*pk)
    stmt = update(table).where(key.in_(chosen.scalar_subquery() if len(pk) == 1 else chosen)).values(**values)
    return list(conn.execute(stmt.returning(*table.columns)).all())
