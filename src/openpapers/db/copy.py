"""Copy a whole store to another database (``openpapers db copy``): SQLite to PostgreSQL, batched, resumable,
verified.

Why table by table and generic: the tables are discovered from the source's schema (reflection), not listed
here, so tables other parts add later (people, digests) are copied without this module knowing them. Both
ends are first migrated to the same head, so they have the same tables; columns only the target has (the
PostgreSQL search columns of migration 0004) stay empty and are rebuilt from the copied rows afterwards.

Each table is read in primary-key order in batches; every batch is inserted in one target transaction
together with the checkpoint (table, last key) in the target's ``checkpoints`` table, so a killed copy
continues after the last committed batch. A target that already holds data is refused unless it holds this
copy's checkpoint. At the end every table is verified: equal row counts and an order-independent checksum
(the sum of per-row hashes of canonicalised values), so a row changed in transit or added to the source
meanwhile is reported by table.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, Integer, MetaData, Table, func, insert, select, tuple_
from sqlalchemy.exc import SAWarning

from openpapers.core.errors import StoreError
from openpapers.db import clock
from openpapers.db.dialect import is_postgres
from openpapers.db.engine import display_url
from openpapers.papers.store import Store

CHECKPOINT = "db-copy"
# Checkpoint rows that describe derived state (the PostgreSQL keyword index's sync point): rebuilt on the
# target, never copied or compared.
DERIVED_PREFIX = "search:"
SKIP_TABLES = frozenset({"alembic_version"})
Progress = Callable[[str, int], None]


@dataclass(slots=True)
class TableReport:
    name: str
    rows: int
    source_checksum: str = ""
    target_checksum: str = ""
    target_rows: int = 0

    @property
    def ok(self) -> bool:
        return self.rows == self.target_rows and self.source_checksum == self.target_checksum


@dataclass(slots=True)
class CopyReport:
    tables: list[TableReport] = field(default_factory=list)
    resumed: bool = False
    already: bool = False

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tables)


def _fingerprint(url: str) -> str:
    return hashlib.sha256(display_url(url).encode()).hexdigest()[:16]


def _canon(value: Any) -> Any:
    """One spelling per value on every backend (SQLite hands out 0/1 and bytes, PostgreSQL bool/memoryview)."""
    if isinstance(value, memoryview):
        return bytes(value).hex()
    if isinstance(value, bytes | bytearray):
        return bytes(value).hex()
    if isinstance(value, bool):
        return int(value)
    return value


def table_checksum(conn: Connection, table: Table, columns: list[str]) -> tuple[int, str]:
    """(rows, checksum): the sum mod 2^64 of a 64-bit hash of each row's canonical values (order-free).
    The copy's own checkpoint row is left out of ``checkpoints``."""
    total = 0
    rows = 0
    stmt = select(*(table.c[c] for c in columns))
    if table.name == "checkpoints":
        stmt = stmt.where(*_own_rows(table))
    result = conn.execution_options(stream_results=True, yield_per=5000).execute(stmt)
    for row in result:
        digest = hashlib.blake2b(orjson.dumps([_canon(v) for v in row], default=str), digest_size=8).digest()
        total = (total + int.from_bytes(digest, "little")) % (1 << 64)
        rows += 1
    return rows, f"{total:016x}"


def _own_rows(checkpoints: Table) -> list[Any]:
    """Conditions leaving the copy's own checkpoint and derived-state rows out of ``checkpoints``."""
    return [checkpoints.c.key != CHECKPOINT, ~checkpoints.c.key.startswith(DERIVED_PREFIX, autoescape=True)]


def _tables(source: Store, target: Store) -> list[tuple[Table, Table, list[str]]]:
    src_meta, dst_meta = MetaData(), MetaData()
    with warnings.catch_warnings():  # pgvector's type is unknown to SQLAlchemy; that column is never copied
        warnings.simplefilter("ignore", SAWarning)
        src_meta.reflect(source.engine)
        dst_meta.reflect(target.engine)
    out = []
    for name in sorted(src_meta.tables):
        if name in SKIP_TABLES:
            continue
        if name not in dst_meta.tables:
            raise StoreError(f"table {name} exists in the source but not in the target: migrate both first")
        src, dst = src_meta.tables[name], dst_meta.tables[name]
        columns = [c.name for c in src.columns if c.name in dst.c]
        if not list(src.primary_key.columns):
            raise StoreError(f"table {name} has no primary key: cannot copy it in resumable batches")
        out.append((src, dst, columns))
    return out


def _is_empty(conn: Connection, tables: list[tuple[Table, Table, list[str]]]) -> bool:
    for _, dst, _ in tables:
        stmt = select(func.count()).select_from(dst)
        if dst.name == "checkpoints":
            stmt = stmt.where(*_own_rows(dst))
        if conn.execute(stmt).scalar_one():
            return False
    return True


def _save(conn: Connection, checkpoints: Table, state: dict[str, Any]) -> None:
    conn.execute(checkpoints.delete().where(checkpoints.c.key == CHECKPOINT))
    conn.execute(insert(checkpoints).values(key=CHECKPOINT, state=orjson.dumps(state).decode(),
                                            updated_at=clock.now()))


def _high_water(conn: Connection, table: str) -> int:
    """SQLite's AUTOINCREMENT high-water mark of ``table`` (0 elsewhere, or without one)."""
    if conn.dialect.name != "sqlite":
        return 0
    if not conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").first():
        return 0
    return int(conn.exec_driver_sql("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,)).scalar() or 0)


def _advance_sequences(conn: Connection, source: Store, dst: Table) -> None:
    """Generated ids continue after the copied ones, and after ids of deleted rows that SQLite's AUTOINCREMENT
    promised never to reuse (embedding labels): PostgreSQL's sequence or SQLite's sqlite_sequence is set."""
    pk = list(dst.primary_key.columns)
    if len(pk) != 1 or not isinstance(pk[0].type, Integer):
        return
    col = pk[0].name
    with source.engine.connect() as src:
        kept = _high_water(src, dst.name)
    high = max(int(conn.execute(select(func.max(dst.c[col]))).scalar() or 0), kept)
    if not high:
        return
    if is_postgres(conn):
        seq = conn.exec_driver_sql("SELECT pg_get_serial_sequence(%s, %s)", (dst.name, col)).scalar()
        if seq:
            conn.exec_driver_sql("SELECT setval(%s, %s)", (seq, high))
    elif _high_water(conn, dst.name) < high and conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_sequence WHERE name = ?", (dst.name,)).first():
        conn.exec_driver_sql("UPDATE sqlite_sequence SET seq = ? WHERE name = ?", (high, dst.name))


def copy_store(source_url: str, target_url: str, *, batch: int = 5000, progress: Progress | None = None
               ) -> CopyReport:
    """Copy every table of ``source_url`` into ``target_url`` (migrated, empty or this copy's own), verify."""
    if display_url(source_url) == display_url(target_url):
        raise StoreError("the source and the target are the same database")
    source, target = Store(source_url), Store(target_url)
    try:
        tables = _tables(source, target)
        checkpoints = next(dst for _, dst, _ in tables if dst.name == "checkpoints")
        report = CopyReport()
        with target.engine.begin() as conn:
            row = conn.execute(select(checkpoints.c.state).where(checkpoints.c.key == CHECKPOINT)).first()
            state = orjson.loads(row[0]) if row else None
            if state is not None and state.get("source") != _fingerprint(source_url):
                raise StoreError("the target holds a copy of another database: use an empty target")
            if state is None and not _is_empty(conn, tables):
                raise StoreError(f"the target {display_url(target_url)} already holds data: copy into an "
                                 "empty database (or rerun the interrupted copy that filled it)")
            report.resumed = state is not None
            if state is not None and state.get("verified"):
                report.already = True  # finished before: verify again, copy nothing
            state = state or {"source": _fingerprint(source_url), "done": [], "table": None, "after": None}
            _save(conn, checkpoints, state)
        for src, dst, columns in tables:
            if src.name in state["done"]:
                continue
            _copy_table(source, target, src, dst, columns, state, checkpoints, batch, progress)
        for src, dst, columns in tables:
            with source.engine.connect() as a, target.engine.connect() as b:
                rows, src_sum = table_checksum(a, src, columns)
                rows_b, dst_sum = table_checksum(b, dst, columns)
            report.tables.append(TableReport(src.name, rows, src_sum, dst_sum, rows_b))
        if report.ok:
            with target.engine.begin() as conn:
                _save(conn, checkpoints, {**state, "verified": True})
        return report
    finally:
        source.close()
        target.close()


def _copy_table(source: Store, target: Store, src: Table, dst: Table, columns: list[str],
                state: dict[str, Any], checkpoints: Table, batch: int, progress: Progress | None) -> None:
    pk = [c.name for c in src.primary_key.columns]
    key = tuple_(*(src.c[c] for c in pk)) if len(pk) > 1 else src.c[pk[0]]
    after = state["after"] if state.get("table") == src.name else None
    copied = 0
    while True:
        stmt = select(*(src.c[c] for c in columns)).order_by(*(src.c[c] for c in pk)).limit(batch)
        if after is not None:
            stmt = stmt.where(key > (tuple_(*after) if len(pk) > 1 else after[0]))
        if src.name == "checkpoints":
            stmt = stmt.where(*_own_rows(src))
        with source.engine.connect() as conn:
            rows = [dict(zip(columns, r, strict=True)) for r in conn.execute(stmt)]
        if not rows:
            break
        after = [rows[-1][c] for c in pk]
        with target.engine.begin() as conn:
            conn.execute(insert(dst), rows)
            state.update(table=src.name, after=after)
            _save(conn, checkpoints, state)
        copied += len(rows)
        if progress:
            progress(src.name, copied)
    with target.engine.begin() as conn:
        _advance_sequences(conn, source, dst)
        state["done"].append(src.name)
        state.update(table=None, after=None)
        _save(conn, checkpoints, state)


__all__ = ["CopyReport", "TableReport", "copy_store", "table_checksum"]
