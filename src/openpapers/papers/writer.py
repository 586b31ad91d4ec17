"""The write path: claims in, deduplicated and merged papers out, inside one transaction.

Dedup keys are the arXiv id and the normalised title. A batch's records and the papers they match are grouped
with a union-find that refuses to join two different arXiv ids (two papers may share a title), then each group
is merged from *all* its claims (stored ones plus new ones). Rows for touched papers are replaced wholesale,
which keeps the code simple and every write idempotent: applying the same batch twice changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, delete, insert, select, update

from openpapers.core.records import Paper, PaperRecord, normalize_arxiv_id, paper_id_for, title_key
from openpapers.db import schema as t
from openpapers.db.dialect import bulk_insert, insert_ignore, select_in
from openpapers.papers.merge import merge_records
from openpapers.papers.rows import PAPER_COLUMNS, PaperRows, claim_row, paper_rows
from openpapers.papers.types import ApplyResult

# Titles shorter than this (after normalisation) are too generic ("Introduction", "Neural ODEs") to identify a
# paper without an arXiv id; such papers only merge by id.
MIN_TITLE_KEY = 15
_CHUNK = 500


def chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class _Groups:
    """Union-find over record/paper nodes that tracks the arXiv ids in each group and never mixes two."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.arxiv: dict[str, str | None] = {}

    def add(self, node: str, arxiv_id: str | None) -> None:
        if node not in self.parent:
            self.parent[node] = node
            self.arxiv[node] = arxiv_id

    def find(self, node: str) -> str:
        root = node
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[node] != root:
            self.parent[node], node = root, self.parent[node]
        return root

    def union(self, a: str, b: str) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        xa, xb = self.arxiv[ra], self.arxiv[rb]
        if xa and xb and xa != xb:
            return False
        self.parent[rb] = ra
        self.arxiv[ra] = xa or xb
        return True


def record_keys(rec: PaperRecord) -> tuple[str | None, str | None]:
    tk = title_key(rec.title) if rec.title else ""
    return rec.arxiv_id, (tk if len(tk) >= MIN_TITLE_KEY else None)


def next_seq(conn: Connection) -> int:
    """The change number of the batch being written (``papers.seq``), one more than the last one."""
    row = conn.execute(select(t.counters.c.value).where(t.counters.c.name == "seq")).first()
    if row is None:
        conn.execute(insert(t.counters).values(name="seq", value=1))
        return 1
    value = row[0] + 1
    conn.execute(update(t.counters).where(t.counters.c.name == "seq").values(value=value))
    return value


def lookup_keys(conn: Connection, kind: str, values: set[str]) -> dict[str, list[str]]:
    """Papers matching each key: the paper's own indexed column plus the alternate-key table."""
    column = "arxiv_id" if kind == "arxiv" else "title_key"
    found: dict[str, list[str]] = defaultdict(list)
    if not values:
        return found
    wanted = sorted(values)
    for value, pid in select_in(conn, f"SELECT {column}, id FROM papers WHERE {column} IN :values", wanted):
        found[value].append(pid)
    sql = f"SELECT value, paper_id FROM paper_keys WHERE kind = '{kind}' AND value IN :values"
    for value, pid in select_in(conn, sql, wanted):
        if pid not in found[value]:
            found[value].append(pid)
    return found


def existing_claims(conn: Connection, records: Sequence[PaperRecord]) -> dict[tuple[str, str], str]:
    """(source, source_key) → paper id for claims in the batch that are already stored (re-imports)."""
    by_source: dict[str, set[str]] = defaultdict(set)
    for rec in records:
        by_source[rec.source].add(rec.source_key)
    out: dict[tuple[str, str], str] = {}
    for source, keys in by_source.items():
        sql = "SELECT source_key, paper_id FROM claims WHERE source = '%s' AND source_key IN :values"
        for key, pid in select_in(conn, sql % source.replace("'", "''"), sorted(keys)):
            out[(source, key)] = pid
    return out


def _load_claims(conn: Connection, paper_ids: set[str]) -> dict[str, list[PaperRecord]]:
    out: dict[str, list[PaperRecord]] = defaultdict(list)
    for part in chunks(sorted(paper_ids)):
        rows = conn.execute(
            select(t.claims.c.paper_id, t.claims.c.data).where(t.claims.c.paper_id.in_(part)).order_by(t.claims.c.id)
        )
        for pid, data in rows:
            out[pid].append(PaperRecord.from_json(orjson.loads(data)))
    return out


def _paper_arxiv(conn: Connection, paper_ids: set[str]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for part in chunks(sorted(paper_ids)):
        out.update(
            {
                r[0]: r[1]
                for r in conn.execute(select(t.papers.c.id, t.papers.c.arxiv_id).where(t.papers.c.id.in_(part)))
            }
        )
    return out


def latest_claims(records: Sequence[PaperRecord]) -> dict[tuple[str, str], PaperRecord]:
    """Normalise and drop in-batch duplicates of the same claim (the last one wins, as a re-import would)."""
    latest: dict[tuple[str, str], PaperRecord] = {}
    for rec in records:
        rec.arxiv_id = normalize_arxiv_id(rec.arxiv_id)
        latest[(rec.source, rec.source_key)] = rec
    return latest


def apply_batch(conn: Connection, records: Sequence[PaperRecord]) -> ApplyResult:
    """Store ``records`` on ``conn`` (inside the caller's transaction) and re-merge what they touch."""
    result = ApplyResult()
    if not records:
        return result
    latest = latest_claims(records)
    batch = list(latest.values())
    keys = [record_keys(r) for r in batch]

    arxiv_hits = lookup_keys(conn, "arxiv", {a for a, _ in keys if a})
    title_hits = lookup_keys(conn, "title", {k for _, k in keys if k})
    previous = existing_claims(conn, batch)
    touched = {pid for pids in arxiv_hits.values() for pid in pids}
    touched |= {pid for pids in title_hits.values() for pid in pids}
    touched |= set(previous.values())
    paper_arxiv = _paper_arxiv(conn, touched)
    touched &= set(paper_arxiv)  # keys of papers that no longer exist are ignored

    members = group_records(batch, keys, touched, paper_arxiv, arxiv_hits, title_hits, previous)

    stored_claims = _load_claims(conn, touched)
    seq = next_seq(conn)
    new_papers: list[Paper] = []
    claim_rows: list[tuple[Any, ...]] = []
    single: set[str] = set()
    removed: set[str] = set()
    aliases: list[tuple[str, str]] = []
    all_keys: list[tuple[str, str, str]] = []
    replaced = set(latest)
    merged: list[tuple[Paper, list[PaperRecord], list[PaperRecord], list[str], bool]] = []
    for nodes in members:
        pids = sorted(n[1:] for n in nodes if n[0] == "p")
        recs = [batch[int(n[1:])] for n in nodes if n[0] == "r"]
        claims = [
            c for pid in pids for c in stored_claims.get(pid, []) if (c.source, c.source_key) not in replaced
        ] + recs
        removed.update(pids)
        if not claims:  # its only claim moved to another paper
            continue
        survivor = _survivor(pids, paper_arxiv)
        paper = merge_records(claims, paper_id=survivor)
        merged.append((paper, claims, recs, pids, survivor is None))
    _assign_new_ids(conn, [m[0] for m in merged if m[4]], {m[0].id for m in merged if not m[4]})
    for paper, claims, recs, pids, is_new in merged:
        if is_new:
            result.created += 1
        else:
            result.updated += 1
        for pid in pids:
            if pid != paper.id:
                aliases.append((pid, paper.id))
                result.merged += 1
        new_papers.append(paper)
        if len(claims) == 1:
            single.add(paper.id)
        result.paper_ids.append(paper.id)
        for rec in recs:
            claim_rows.append(claim_row(rec, paper.id))
        all_keys.extend(alternate_keys(paper, claims))
    result.claims = len(claim_rows)

    _delete_papers(conn, removed)
    if previous:
        for source, key in previous:
            conn.execute(delete(t.claims).where(t.claims.c.source == source, t.claims.c.source_key == key))
    for old, new in aliases:
        conn.execute(update(t.claims).where(t.claims.c.paper_id == old).values(paper_id=new))
        conn.execute(update(t.paper_aliases).where(t.paper_aliases.c.paper_id == old).values(paper_id=new))
        conn.execute(insert_ignore(conn, t.paper_aliases), [{"alias": old, "paper_id": new}])
    bulk_insert(conn, t.claims, ("source", "source_key", "paper_id", "observed", "data"), claim_rows)
    _insert_papers(conn, new_papers, single, seq)
    bulk_insert(conn, t.paper_keys, ("kind", "value", "paper_id"), all_keys, ignore=True)
    return result


def _assign_new_ids(conn: Connection, papers: list[Paper], kept: set[str]) -> None:
    """Give new papers their natural id unless a stored paper, an alias or this batch already uses it.

    Short generic titles can hash alike; such a paper gets ``<id>-2``, ``<id>-3`` ... instead.
    """
    wanted = [paper_id_for(p.arxiv_id, p.title) for p in papers]
    used = set(kept)
    for part in chunks(sorted(set(wanted))):
        used.update(r[0] for r in conn.execute(select(t.papers.c.id).where(t.papers.c.id.in_(part))))
        used.update(
            r[0] for r in conn.execute(select(t.paper_aliases.c.alias).where(t.paper_aliases.c.alias.in_(part)))
        )
    pick_ids(papers, wanted, used)


def pick_ids(papers: Sequence[Paper], wanted: Sequence[str], used: set[str]) -> None:
    """Each paper gets its wanted id, or ``<id>-2``, ``<id>-3`` ... when ``used`` (which grows) holds it."""
    for paper, want in zip(papers, wanted, strict=True):
        candidate, n = want, 1
        while candidate in used:
            n += 1
            candidate = f"{want}-{n}"
        paper.id = candidate
        used.add(candidate)


def group_records(
    batch: Sequence[PaperRecord],
    keys: Sequence[tuple[str | None, str | None]],
    touched: set[str],
    paper_arxiv: dict[str, str | None],
    arxiv_hits: dict[str, list[str]],
    title_hits: dict[str, list[str]],
    previous: dict[tuple[str, str], str],
) -> list[list[str]]:
    """Partition records ("r<i>") and stored papers ("p<id>") into one group per resulting paper."""
    if not touched:
        arxiv_seen = [ak for ak, _ in keys if ak]
        title_seen = [tk for _, tk in keys if tk]
        if len(set(arxiv_seen)) == len(arxiv_seen) and len(set(title_seen)) == len(title_seen):
            return [[f"r{i}"] for i in range(len(batch))]  # bulk import of new papers: nothing to join
    groups = _Groups()
    for pid in touched:
        groups.add("p" + pid, paper_arxiv[pid])
    for i, (ak, _) in enumerate(keys):
        groups.add(f"r{i}", ak)
    # Strong links first (arXiv id, same claim re-imported), then weak title links that must not mix ids.
    first_by_arxiv: dict[str, str] = {}
    for i, (ak, _) in enumerate(keys):
        node = f"r{i}"
        prev = previous.get((batch[i].source, batch[i].source_key))
        if ak:
            for pid in arxiv_hits.get(ak, []):
                if pid in touched:
                    groups.union("p" + pid, node)
            groups.union(first_by_arxiv.setdefault(ak, node), node)
        if prev in touched:
            groups.union("p" + prev, node)  # refused when the claim now names another arXiv id: it moves
    first_by_title: dict[str, str] = {}
    for i, (_, tk) in enumerate(keys):
        if not tk:
            continue
        node = f"r{i}"
        for pid in sorted(title_hits.get(tk, [])):
            if pid in touched and groups.union("p" + pid, node):
                break
        groups.union(first_by_title.setdefault(tk, node), node)

    members: dict[str, list[str]] = defaultdict(list)
    for node in groups.parent:
        members[groups.find(node)].append(node)
    return list(members.values())


def _survivor(pids: list[str], paper_arxiv: dict[str, str | None]) -> str | None:
    """Which existing id a merged group keeps: one with an arXiv id if any, else the smallest (stable) id."""
    if not pids:
        return None
    with_arxiv = [p for p in pids if paper_arxiv.get(p)]
    return (with_arxiv or pids)[0]


def alternate_keys(paper: Paper, claims: Sequence[PaperRecord]) -> list[tuple[str, str, str]]:
    """Alternate keys: claims' arXiv ids and titles that differ from the paper's own (already indexed) ones."""
    own_title = title_key(paper.title)
    keys: set[tuple[str, str]] = set()
    for rec in claims:
        ak, tk = record_keys(rec)
        if ak and ak != paper.arxiv_id:
            keys.add(("arxiv", ak))
        if tk and tk != own_title:
            keys.add(("title", tk))
    return [(k, v, paper.id) for k, v in sorted(keys)]


def _delete_papers(conn: Connection, ids: set[str]) -> None:
    if not ids:
        return
    for part in chunks(sorted(ids)):
        for table in (t.papers, t.paper_authors, t.paper_orgs, t.paper_categories, t.paper_keys):
            col = table.c.id if table is t.papers else table.c.paper_id
            conn.execute(delete(table).where(col.in_(part)))


def _insert_papers(conn: Connection, papers: Sequence[Paper], single: set[str], seq: int) -> None:
    """Insert merged papers and their link rows; papers in ``single`` have one claim and store no JSON."""
    insert_paper_rows(conn, paper_rows(papers, single), seq)


def insert_paper_rows(conn: Connection, rows: PaperRows, seq: int) -> None:
    """Write :func:`~openpapers.papers.rows.paper_rows` output, every paper row stamped with change ``seq``."""
    bulk_insert(conn, t.papers, PAPER_COLUMNS, [(*r, seq) for r in rows.papers])
    bulk_insert(conn, t.authors, ("id", "name"), list(rows.authors.items()), ignore=True)
    bulk_insert(conn, t.paper_authors, ("paper_id", "position", "author_id"), rows.paper_authors)
    bulk_insert(conn, t.orgs, ("id", "name"), list(rows.orgs.items()), ignore=True)
    bulk_insert(conn, t.paper_orgs, ("paper_id", "org_id"), rows.paper_orgs)
    bulk_insert(conn, t.paper_categories, ("paper_id", "category", "position"), rows.paper_categories)
