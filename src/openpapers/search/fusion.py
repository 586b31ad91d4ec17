"""Fusing the keyword and semantic lists: a z-score weighted sum, and which papers may join at all.

Each list's scores are standardised over its own candidates (z = (s - mean) / sd), so BM25 sums and cosine
similarities, on unrelated scales, become comparable; a paper one list did not return gets that list's lowest
z. ``fused = (1 - w)·z_keyword + w·z_semantic`` with ``w`` = :data:`SEMANTIC_WEIGHT`. On the judged set's dev
split this beat reciprocal-rank fusion (which throws the score gaps away) on both query kinds; see
docs/search.md, "Ranking".

Precision: a paper is a result because it matches. Keyword matches are results; a semantic neighbour joins
only when its similarity reaches :data:`SEMANTIC_FLOOR` (calibrated on the dev split: from 0.15 to 0.40 about
one neighbour in ten was judged relevant at all, the corpus's base rate, rising to a third at 0.45-0.50; 0.35
kept most of the described queries' targets, see docs/search.md), and never for a query whose phrase or field
term (``"..."``, ``ti:``, ``abs:``) it might contradict: there the semantic side only reorders the keyword
matches.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass

SEMANTIC_WEIGHT = 0.6
LONG_SEMANTIC_WEIGHT = 0.8  # for queries of more than 5 free words (descriptions), see service.Ranking
SEMANTIC_FLOOR = 0.35  # cosine, all-MiniLM-L6-v2 (the shipped model); see docs/search.md, "Precision"
# Semantic mode alone: below this nothing is like the query at all (off-topic and nonsense queries peak at
# 0.26 on the demo corpus, a one-word on-topic query reaches 0.35-0.45).
RELATED_FLOOR = 0.30


@dataclass(slots=True)
class Scored:
    """One candidate with what each side said about it (``None``: that side did not return it)."""

    paper_id: str
    keyword_rank: int | None = None
    keyword_score: float | None = None
    semantic_rank: int | None = None
    similarity: float | None = None
    fused: float = 0.0

    @property
    def ranks(self) -> dict[str, int]:
        """Where each side placed the paper (1-based), as :class:`~openpapers.search.types.Hit` carries it."""
        ranks = {"keyword": self.keyword_rank, "semantic": self.semantic_rank}
        return {side: rank for side, rank in ranks.items() if rank is not None}

    def explain(self) -> dict[str, float | int | None]:
        return {"keyword_rank": self.keyword_rank, "keyword_score": _round(self.keyword_score),
                "semantic_rank": self.semantic_rank, "similarity": _round(self.similarity),
                "fused": _round(self.fused)}


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 6)


def zscores(scores: Mapping[str, float]) -> dict[str, float]:
    if not scores:
        return {}
    values = list(scores.values())
    mean = statistics.fmean(values)
    sd = statistics.pstdev(values) or 1.0
    return {pid: (s - mean) / sd for pid, s in scores.items()}


def fuse(keyword: Mapping[str, float], semantic: Mapping[str, float], *, semantic_weight: float = SEMANTIC_WEIGHT,
         floor: float = SEMANTIC_FLOOR, semantic_joins: bool = True) -> list[Scored]:
    """``keyword`` and ``semantic`` map paper id -> score, each in its own rank order (best first). Returns the
    fused candidates best first: every keyword candidate, plus semantic ones at or above ``floor`` when
    ``semantic_joins``."""
    kz, sz = zscores(keyword), zscores(semantic)
    k_missing, s_missing = min(kz.values(), default=0.0), min(sz.values(), default=0.0)
    out: dict[str, Scored] = {}
    for rank, (pid, score) in enumerate(keyword.items(), start=1):
        out[pid] = Scored(pid, keyword_rank=rank, keyword_score=score)
    for rank, (pid, sim) in enumerate(semantic.items(), start=1):
        if pid in out:
            into = out[pid]
        elif semantic_joins and sim >= floor:
            into = out[pid] = Scored(pid)
        else:
            continue
        into.semantic_rank, into.similarity = rank, sim
    for s in out.values():
        s.fused = ((1 - semantic_weight) * kz.get(s.paper_id, k_missing)
                   + semantic_weight * (sz.get(s.paper_id, s_missing) if semantic else 0.0))
    return sorted(out.values(), key=lambda s: (-s.fused, s.paper_id))
