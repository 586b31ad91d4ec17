"""A store's database read with plain SQL, independently of the store's own code: the SQLite file or the
PostgreSQL database that a URL names (checks that a bug in the store's readers cannot hide)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, create_engine, make_url
from sqlalchemy.pool import NullPool

from openpapers.db.dialect import engine_url


@contextmanager
def plain_sql(url: str, *, readonly: bool = False) -> Iterator[Connection]:
    """A connection to the database at ``url`` (``readonly``: a SQLite file is opened read-only, so a missing
    one is not created). Statements go through ``exec_driver_sql``; the same SQL must run on both backends."""
    u = make_url(engine_url(url))
    connect_args = {}
    if u.get_backend_name() == "sqlite":
        connect_args["timeout"] = 30
        if readonly:
            u = u.set(database=f"file:{u.database}", query={"mode": "ro", "uri": "true"})
    engine = create_engine(u, poolclass=NullPool, connect_args=connect_args)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()
