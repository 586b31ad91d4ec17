"""A page's writes planned without the database: what :func:`~openpapers.papers.writer.apply_batch` writes for
claims none of whose keys, claim keys or ids the store holds yet (the common case of a bulk load).

Why: merging, id assignment and row building are most of an import's Python time, and for such claims none of it
depends on the store. The bulk loader plans each page in its parsing process (:func:`plan_fresh`); the writing
process asks the store one question (:func:`plan_holds`: is any key, claim or id of the page already there?) and,
when nothing is, writes the planned rows (:func:`write_plan`); otherwise it runs ``apply_batch`` on the page as
the normal path does. The plan is built from the same functions ``apply_batch`` uses (grouping, merge, id choice,
row builders), in the same order, so both write the same rows; tests/papers/test_bulk_load.py compares exports.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection

from openpapers.core.records import Paper, PaperRecord, paper_id_for
from openpapers.db import schema as t
from openpapers.db.dialect import bulk_insert, is_postgres
from openpapers.papers.merge import merge_records
from openpapers.papers.rows import PaperRows, claim_row, paper_rows
from openpapers.papers.types import ApplyResult
from openpapers.papers.writer import (
    alternate_keys,
    group_records,
    insert_paper_rows,
    latest_claims,
    pick_ids,
    record_keys,
)


@dataclass(slots=True)
class FreshPlan:
    """The rows of one page for a store that holds none of ``arxiv_keys``, ``title_keys``, ``claim_keys`` and
    ``wanted_ids``; ``claims`` rows are in the order ``apply_batch`` inserts them (claim ids follow it)."""

    arxiv_keys: list[str] = field(default_factory=list)
    title_keys: list[str] = field(default_factory=list)
    claim_keys: dict[str, list[str]] = field(default_factory=dict)
    wanted_ids: list[str] = field(default_factory=list)
    claims: list[tuple[Any, ...]] = field(default_factory=list)
    rows: PaperRows = field(default_factory=PaperRows)
    alternate_keys: list[tuple[str, str, str]] = field(default_factory=list)
    paper_ids: list[str] = field(default_factory=list)

    @property
    def created(self) -> int:
        return len(self.paper_ids)


def plan_fresh(records: Sequence[PaperRecord]) -> FreshPlan:
    """Plan ``apply_batch(records)`` for a store holding nothing the records name (mutates them as it does)."""
    plan = FreshPlan()
    if not records:
        return plan
    batch = list(latest_claims(records).values())
    keys = [record_keys(r) for r in batch]
    plan.arxiv_keys = sorted({a for a, _ in keys if a})
    plan.title_keys = sorted({k for _, k in keys if k})
    by_source: dict[str, set[str]] = defaultdict(set)
    for rec in batch:
        by_source[rec.source].add(rec.source_key)
    plan.claim_keys = {source: sorted(k) for source, k in by_source.items()}
    merged: list[tuple[Paper, list[PaperRecord]]] = []
    for nodes in group_records(batch, keys, set(), {}, {}, {}, {}):
        recs = [batch[int(n[1:])] for n in nodes if n[0] == "r"]
        merged.append((merge_records(recs, paper_id=None), recs))
    papers = [m[0] for m in merged]
    wanted = [paper_id_for(p.arxiv_id, p.title) for p in papers]
    plan.wanted_ids = sorted(set(wanted))
    pick_ids(papers, wanted, set())
    single: set[str] = set()
    for paper, recs in merged:
        if len(recs) == 1:
            single.add(paper.id)
        plan.paper_ids.append(paper.id)
        plan.claims.extend(claim_row(rec, paper.id) for rec in recs)
        plan.alternate_keys.extend(alternate_keys(paper, recs))
    plan.rows = paper_rows(papers, single)
    return plan


def _any(conn: Connection, sql: str, values: Sequence[str]) -> bool:
    """Whether ``sql`` (a ``SELECT 1 ... IN :values``) finds a row, as one statement (see dialect.select_in)."""
    if not values:
        return False
    if is_postgres(conn):
        return conn.exec_driver_sql(sql.replace("IN :values", "= ANY(%s)") + " LIMIT 1",
                                    (list(values),)).first() is not None
    text = sql.replace(":values", "(SELECT value FROM json_each(?))") + " LIMIT 1"
    return conn.exec_driver_sql(text, (orjson.dumps(list(values)).decode(),)).first() is not None


def plan_holds(conn: Connection, plan: FreshPlan) -> bool:
    """Whether ``plan`` is what ``apply_batch`` would write now: no paper, alternate key, claim or alias of the
    store matches the page (any match is a paper the page touches, or an id it cannot have)."""
    checks: list[tuple[str, Sequence[str]]] = [
        ("SELECT 1 FROM papers WHERE arxiv_id IN :values", plan.arxiv_keys),
        ("SELECT 1 FROM paper_keys WHERE kind = 'arxiv' AND value IN :values", plan.arxiv_keys),
        ("SELECT 1 FROM papers WHERE title_key IN :values", plan.title_keys),
        ("SELECT 1 FROM paper_keys WHERE kind = 'title' AND value IN :values", plan.title_keys),
        ("SELECT 1 FROM papers WHERE id IN :values", plan.wanted_ids),
        ("SELECT 1 FROM paper_aliases WHERE alias IN :values", plan.wanted_ids),
    ]
    for source, keys in plan.claim_keys.items():
        quoted = source.replace("'", "''")
        checks.append((f"SELECT 1 FROM claims WHERE source = '{quoted}' AND source_key IN :values", keys))
    return not any(_any(conn, sql, values) for sql, values in checks)


def write_plan(conn: Connection, plan: FreshPlan, seq: int) -> ApplyResult:
    """Insert the planned rows as ``apply_batch`` would (claims, papers and links, alternate keys)."""
    bulk_insert(conn, t.claims, ("source", "source_key", "paper_id", "observed", "data"), plan.claims)
    insert_paper_rows(conn, plan.rows, seq)
    bulk_insert(conn, t.paper_keys, ("kind", "value", "paper_id"), plan.alternate_keys, ignore=True)
    return ApplyResult(created=plan.created, paper_ids=list(plan.paper_ids), claims=len(plan.claims))
