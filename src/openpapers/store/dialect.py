"""The few statements whose SQL differs between SQLite and PostgreSQL, chosen by the connection's dialect."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert


def insert_ignore(conn: Connection, table: Table) -> Insert:
    """INSERT that silently skips rows whose primary/unique key already exists."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


def bulk_insert(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]], *, ignore: bool = False
) -> None:
    """executemany straight on the driver with positional tuples.

    SQLAlchemy's per-row parameter processing costs more than SQLite's own insert on the bulk-import path, so
    the hot inserts skip it. Only the placeholder style and the conflict clause differ per dialect.
    """
    if not rows:
        return
    cols = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        marks = ", ".join(["%s"] * len(columns))
        tail = " ON CONFLICT DO NOTHING" if ignore else ""
        sql = f"INSERT INTO {table.name} ({cols}) VALUES ({marks}){tail}"
    else:
        marks = ", ".join(["?"] * len(columns))
        sql = f"INSERT {'OR IGNORE ' if ignore else ''}INTO {table.name} ({cols}) VALUES ({marks})"
    conn.exec_driver_sql(sql, list(rows))


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
