"""Author mentions from papers: what :mod:`openpapers.authors.cluster` compares, grouped into blocks.

Kept apart from the store so that the bench and the tests can build blocks from any papers (a labelled page,
a synthetic mix) exactly as a rebuild does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

import numpy as np

from openpapers.authors.evidence import Mention
from openpapers.authors.names import choose_parses
from openpapers.core.records import Paper, author_id, name_key


def blocks_of(papers: Iterable[Paper], vectors: Mapping[str, np.ndarray] | None = None,
              only: set[str] | None = None) -> dict[str, list[Mention]]:
    """Every author mention of ``papers`` by block key (only the blocks in ``only``, when given).

    A name twice on one paper is one mention (the key is ``(paper_id, name_id)``)."""
    papers = list(papers)
    vectors = vectors or {}
    parsed = choose_parses(a for p in papers for a in p.authors)
    out: dict[str, list[Mention]] = defaultdict(list)
    for p in papers:
        keys = [name_key(a) for a in p.authors]
        seen: set[str] = set()
        for name, key in zip(p.authors, keys, strict=True):
            nid = author_id(name)
            reading = parsed[name]
            if nid in seen or not key or (only is not None and reading.block not in only):
                continue
            seen.add(nid)
            out[reading.block].append(Mention(
                paper_id=p.id, name_id=nid, name=name, parsed=reading,
                coauthors=frozenset(k for k in keys if k and k != key),
                orgs=frozenset(p.org_ids), categories=tuple(p.categories),
                year=p.published.year if p.published else None, vector=vectors.get(p.id),
                text=f"{p.title}. {p.abstract or ''}",
            ))
    return dict(out)


def block_keys(names: Iterable[str]) -> set[str]:
    """The blocks a set of author names falls into (both readings of a two-word name: an import may tip it)."""
    from openpapers.authors.names import parses

    return {r.block for n in names for r in parses(n)}
