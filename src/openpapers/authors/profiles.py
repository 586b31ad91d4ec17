"""What a person looks like to readers and scripts: the identity's papers, co-authors, organisations,
categories and years, with its confidence and the person it may be ("possibly the same person as").

One builder for the CLI (``openpapers authors --name``), the JSON API and the pages, so the three never
disagree about a person.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from openpapers.authors import repository as repo
from openpapers.core.records import author_id
from openpapers.papers.store import Store

MAX_HOPS = 8


def resolve(store: Store, iid: str) -> str | None:
    """The live id ``iid`` stands for (following redirects), or None when no such identity exists."""
    seen: set[str] = set()
    while iid not in seen and len(seen) < MAX_HOPS:
        seen.add(iid)
        row = repo.identity_rows(store.db, [iid]).get(iid)
        if row is None:
            return None
        if not row["redirect_to"]:
            return iid if row["size"] > 0 else None
        iid = row["redirect_to"]
    return None


def profile(store: Store, iid: str, *, max_papers: int = 500) -> dict[str, Any] | None:
    row = repo.identity_rows(store.db, [iid]).get(iid)
    if row is None or row["size"] == 0:
        return None
    mentions = repo.mentions_of(store.db, iid)
    papers = store.get_papers([pid for pid, _nid, _c in mentions[:max_papers]])
    own = {pid: nid for pid, nid, _c in mentions}
    co: Counter[str] = Counter()
    names: dict[str, str] = {}
    orgs: Counter[str] = Counter()
    org_names: dict[str, str] = {}
    cats: Counter[str] = Counter()
    years: list[int] = []
    for p in papers:
        for a in dict.fromkeys(p.authors):
            nid = author_id(a)
            if nid != own.get(p.id):
                co[nid] += 1
                names.setdefault(nid, a)
        for oid, oname in zip(p.org_ids, p.orgs, strict=True):
            orgs[oid] += 1
            org_names.setdefault(oid, oname)
        cats.update(p.categories[:1])
        if p.published:
            years.append(p.published.year)
    co_ids = repo.identities_of_papers(store.db, [p.id for p in papers])
    person_of = {nid: iid2 for (_pid, nid), iid2 in co_ids.items()}
    near = row["near"]
    near_row = repo.identity_rows(store.db, [near]).get(near) if near else None
    return {
        "id": iid,
        "name": row["name"],
        "name_id": row["name_id"],
        "url": f"/author/{iid}",
        "papers": [{"id": p.id, "title": p.title, "published": p.published.isoformat() if p.published else None}
                   for p in papers],
        "paper_count": len(mentions),
        "orgs": [{"id": o, "name": org_names[o], "papers": n} for o, n in orgs.most_common(12)],
        "coauthors": [{"name": names[n], "name_id": n, "id": person_of.get(n), "papers": c}
                      for n, c in co.most_common(20)],
        "categories": [{"code": c, "papers": n} for c, n in cats.most_common(8)],
        "years": [min(years), max(years)] if years else [],
        "topics": topics([p.title for p in papers]),
        "confidence": float(row["confidence"]),
        "possibly_same_as": ({"id": near, "name": near_row["name"]} if near_row else None),
    }


_WORD = re.compile(r"[A-Za-z][A-Za-z-]{3,}")
_GENERIC = {"learning", "neural", "networks", "network", "based", "model", "models", "deep", "using", "analysis",
            "towards", "approach", "method", "methods", "via", "with", "from", "large", "language"}


def topics(titles: list[str], limit: int = 8) -> list[str]:
    """The words that recur in a person's titles (stop words and words every ML title has left out)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    counts: Counter[str] = Counter()
    for title in titles:
        counts.update({w.lower() for w in _WORD.findall(title)} - ENGLISH_STOP_WORDS - _GENERIC)
    return [w for w, n in counts.most_common(limit) if n > 1 or len(titles) == 1]


def by_name(store: Store, name: str) -> list[dict[str, Any]]:
    """Every person who published under ``name`` (its slug: case, accents and punctuation ignored), largest
    first; an empty list when nobody did."""
    out = []
    for iid in repo.identities_named(store.db, author_id(name)):
        found = profile(store, iid)
        if found is not None:
            out.append(found)
    return out
