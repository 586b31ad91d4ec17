"""Identities in the store: (re)cluster blocks, keep ids stable, look people up.

Stable ids: after a block is clustered, each new person takes the old id that holds most of its mentions
(largest overlaps first, one id per person), so a merge keeps the larger side's id and a split leaves the id with
the larger part; an old id nobody took redirects to the person that took most of its mentions. New people get
``<name slug>--<n>``. Imports call :func:`update_for_names` for the names they touched (only those blocks are
redone); ``openpapers authors rebuild`` redoes every block the same way, so ids survive it too. Corrections
(:mod:`openpapers.authors.admin`) are constraints the clusterer keeps.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Connection

from openpapers.authors import repository as repo
from openpapers.authors.cluster import Constraints, Person, cluster_block
from openpapers.authors.evidence import Mention
from openpapers.authors.mentions import block_keys, blocks_of
from openpapers.core.records import author_id
from openpapers.papers.store import Store


@dataclass(slots=True)
class UpdateReport:
    blocks: int = 0
    mentions: int = 0
    identities: int = 0
    created: list[str] = field(default_factory=list)
    retired: dict[str, str | None] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {"blocks": self.blocks, "mentions": self.mentions, "identities": self.identities,
                "created": len(self.created), "retired": self.retired}


def rebuild(store: Store) -> UpdateReport:
    """Re-cluster every block (ids kept by overlap, see the module docstring)."""
    papers = [p for p in store.iter_papers() if p.authors]
    report = _update(store, [p.id for p in papers], None, papers)
    with store.db.tx() as conn:
        repo.prune(conn)
    return report


def update_for_names(store: Store, names: Iterable[str]) -> UpdateReport:
    """Re-cluster the blocks that ``names`` fall into (what an import calls for the authors it touched)."""
    blocks = block_keys(names)
    if not blocks:
        return UpdateReport()
    with store.db.tx() as conn:
        name_ids: set[str] = set()
        for last in {b.split("|")[0] for b in blocks}:
            name_ids.update(repo.name_ids_for_last(conn, last))
        pids = repo.paper_ids_for_names(conn, sorted(name_ids))
    return _update(store, pids, blocks, None)


def update_for_papers(store: Store, paper_ids: Iterable[str]) -> UpdateReport:
    """Re-cluster the blocks of every author of ``paper_ids``."""
    names = [a for p in store.get_papers(list(dict.fromkeys(paper_ids))) for a in p.authors]
    return update_for_names(store, names)


def _update(store: Store, pids: list[str], blocks: set[str] | None, papers: list | None) -> UpdateReport:
    report = UpdateReport()
    if papers is None:
        papers = [p for p in store.get_papers(pids) if p.authors]
    with store.db.tx() as conn:
        vectors = repo.vectors(conn, pids)
        by_block = blocks_of(papers, vectors, only=blocks)
        old = repo.old_assignment(conn, pids)
        corrections = repo.constraints(conn, pids)
        for block, mentions in sorted(by_block.items()):
            _assign(conn, block, mentions, old, corrections, report)
    return report


def _constraints(mentions: list[Mention], rows: list[tuple[str, str, str, str]]) -> Constraints:
    index = {(m.paper_id, m.name_id): i for i, m in enumerate(mentions)}
    out = Constraints()
    for pid, nid, iid, kind in rows:
        i = index.get((pid, nid))
        if i is None:
            continue
        if kind == "must":
            out.pins[i] = iid
        else:
            out.bans.setdefault(i, set()).add(iid)
    return out


def _assign(conn: Connection, block: str, mentions: list[Mention], old: dict[tuple[str, str], str],
            corrections: list[tuple[str, str, str, str]], report: UpdateReport) -> None:
    people = cluster_block(mentions, _constraints(mentions, corrections))
    keys = [(m.paper_id, m.name_id) for m in mentions]
    overlap: list[tuple[int, int, str]] = []  # (-count, person, old id)
    for n, person in enumerate(people):
        counts = Counter(old[keys[i]] for i in person.members if keys[i] in old)
        overlap += [(-c, n, iid) for iid, c in counts.items()]
    ids: dict[int, str] = {}
    for n, person in enumerate(people):
        if person.pin:
            ids[n] = person.pin
    taken = set(ids.values())
    for _neg, n, iid in sorted(overlap):
        if n not in ids and iid not in taken:
            ids[n] = iid
            taken.add(iid)
    for n, person in enumerate(people):
        if n not in ids:
            name = _display(mentions, person)
            ids[n] = new_id(conn, author_id(name), taken)
            taken.add(ids[n])
            report.created.append(ids[n])
    rows = [(keys[i][0], keys[i][1], ids[n], round(p.confidence[i], 4))
            for n, p in enumerate(people) for i in p.members]
    repo.replace_mentions(conn, keys, rows)
    for n, person in enumerate(people):
        name = _display(mentions, person)
        conf = sum(person.confidence.values()) / len(person.members)
        repo.upsert_identity(conn, ids[n], name_id=author_id(name), name=name, block=block,
                             size=len(person.members), confidence=round(conf, 4),
                             near=ids[person.near] if person.near is not None else None)
    # Ids that lost every mention: redirect to the person that took most of them.
    previous = {old[k] for k in keys if k in old} | set(repo.block_identities(conn, block))
    for iid in sorted(previous - set(ids.values())):
        moved = Counter(ids[n] for n, p in enumerate(people) for i in p.members if old.get(keys[i]) == iid)
        target = moved.most_common(1)[0][0] if moved else None
        repo.retire(conn, iid, target)
        report.retired[iid] = target
    report.blocks += 1
    report.mentions += len(mentions)
    report.identities += len(people)


def _display(mentions: list[Mention], person: Person) -> str:
    """The name a person is shown by: the most frequent spelling, the longest on a tie ("Qi Meng" over "Q. Meng")."""
    counts = Counter(mentions[i].name for i in person.members)
    return max(counts, key=lambda n: (counts[n], len(n), n))


def new_id(conn: Connection, name_id: str, taken: set[str] | None = None) -> str:
    """A fresh ``<name slug>--<n>`` (never reused: retired ids keep their rows)."""
    used = set(repo.ids_with_prefix(conn, name_id)) | (taken or set())
    n = 1
    while f"{name_id}--{n}" in used:
        n += 1
    return f"{name_id}--{n}"
