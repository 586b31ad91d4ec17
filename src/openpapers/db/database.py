"""The handle every repository holds: one engine, its dialect, and the one way to get a transaction.

Repositories are plain functions whose first argument is a :data:`Bind`: a :class:`Database` (each call is its
own transaction) or a ``Connection`` (the call joins the caller's transaction, so several repository calls
commit together). :func:`tx` turns either into a connection in a transaction; it is the only place that
decides this, so no repository opens connections its own way. A bare ``Engine`` is accepted too, for scripts
and tests that build one themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine


class Database:
    """One database: the engine (pooled connections), what dialect it speaks, and transactions on it."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    @contextmanager
    def tx(self) -> Iterator[Connection]:
        """A new connection in a transaction, committed when the block ends (rolled back on an exception)."""
        with self.engine.begin() as conn:
            yield conn

    def close(self) -> None:
        self.engine.dispose()


Bind = Database | Engine | Connection


@contextmanager
def tx(bind: Bind) -> Iterator[Connection]:
    """A connection in a transaction: a new one committed at the end for a Database or Engine, else the
    caller's own connection as it is (the caller owns that transaction)."""
    if isinstance(bind, Connection):
        yield bind
        return
    with (bind.tx() if isinstance(bind, Database) else bind.begin()) as conn:
        yield conn


def engine_of(bind: Bind) -> Engine:
    """The engine behind ``bind`` (for the few statements that need a connection of their own, like
    SQLite's ``BEGIN IMMEDIATE``)."""
    if isinstance(bind, Database):
        return bind.engine
    if isinstance(bind, Connection):
        return bind.engine
    return bind
