"""The personal feed: new papers ranked for one user, each with the reasons it was picked.

For every candidate (a paper of the window, see :mod:`openpapers.signals.candidates`) not yet saved, voted or
dismissed by the user::

    score = Σ follow matches (author 1.0, organisation 0.6, saved search 0.8, topic 0.5, category 0.3)
          + similarity
          + 0.05 · log2(1 + n)      n = the user's positive papers in the candidate's primary category (n ≥ 2)
          + 0.02 · log2(1 + source upvotes)                                                   (a tie-breaker)

    similarity = 0.5 · max_i cos(c, p_i) + 0.5 · cos(c, centroid(p)) − 0.25 · max_j cos(c, d_j)

on *centered* embeddings (each unit vector minus the corpus mean, re-normalised: :func:`candidates.center`),
where ``p_i`` are the user's newest :data:`MAX_NEIGHBOURS` positive papers, the centroid is over the newest
:data:`MAX_POSITIVES` (library saves weigh 1.0, upvotes 0.8), and ``d_j`` are the dismissed papers. The max term
keeps several interests apart (a centroid of "PDE solvers" and "speech" is about neither) and names the library
paper in the reason; the centroid term rewards papers close to the bulk of the library; the dismissal term is
Rocchio's negative feedback, weaker than the positive side. bench/recommend_quality.py compares centroid, max,
this mix and a per-user logistic regression, raw and centered, on the demo corpus: centering is worth more than
any other choice, and the centered mix is the best for users with two interests (docs/people.md). A candidate
or user without vectors is scored by TF-IDF cosine over title and abstract instead, scaled by
:data:`KEYWORD_SCALE` to the embeddings' range.

Only candidates with at least one reason are returned: a follow match, a similar paper (similarity at least
:data:`SIMILAR_MIN`), or a category the user keeps saving. Reasons read "because you follow Qi Meng",
"similar to “X” in your library", "you upvoted 3 papers in cs.NA".
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

from openpapers.core.records import Paper
from openpapers.papers.store import Store
from openpapers.search.query import parse_query, quoted
from openpapers.search.types import Filters, QueryError
from openpapers.signals import candidates as cand
from openpapers.signals import ranking_queries as q
from openpapers.topics import repository as topics

FOLLOW_WEIGHTS = {"author": 1.0, "org": 0.6, "search": 0.8, "topic": 0.5, "category": 0.3}
POSITIVE_WEIGHTS = {"saved": 1.0, "voted": 0.8}
MAX_WEIGHT, CENTROID_WEIGHT, NEGATIVE_WEIGHT = 0.5, 0.5, 0.25
CATEGORY_WEIGHT, POPULARITY_WEIGHT = 0.05, 0.02
KEYWORD_SCALE = 5.0  # demo, PDE library: TF-IDF top neighbours ~0.15, p90 0.04; centered MiniLM ~0.55, p90 0.21
SIMILAR_MIN = 0.3  # below, a neighbour is no reason (demo, PDE library: median similarity 0.0, p90 0.21)
MAX_POSITIVES = 64  # newest positives in the centroid
MAX_NEIGHBOURS = 16  # newest positives in the max term (one matrix column each)
DEFAULT_DAYS = 7
ALL_TIME = date.min  # ``since=ALL_TIME``: every paper, undated ones included (newest cand.CAP)


@dataclass(slots=True)
class Recommendation:
    paper: Paper
    score: float
    reasons: list[str]


def default_since(store: Store) -> date:
    """The last :data:`DEFAULT_DAYS` days of the corpus (ending on its latest day with papers)."""
    latest = cand.latest_day(store) or date.today()
    return latest - timedelta(days=DEFAULT_DAYS - 1)


def _unit(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=-1, keepdims=True)
    return np.divide(m, norms, out=np.zeros_like(m), where=norms > 0)


class _Scorer:
    """One user's scoring over one window; arrays are indexed by window row."""

    def __init__(self, store: Store, win: cand.Window, sig: q.UserSignals) -> None:
        self.store, self.win, self.sig = store, win, sig
        self.db = store.db
        n = len(win)
        self.score = np.zeros(n, dtype=np.float32)
        self.followed = np.zeros(n, dtype=bool)
        self.matches: list[tuple[np.ndarray, str]] = []  # (rows, reason) per follow that matched
        positives = [(pid, at, "saved") for pid, at in sig.saved.items()]
        positives += [(pid, at, "voted") for pid, at in sig.voted.items() if pid not in sig.saved]
        positives.sort(key=lambda x: x[1], reverse=True)
        self.positives = positives[:MAX_POSITIVES]
        self.info = q.titles(self.db, [p[0] for p in self.positives])
        self.positives = [p for p in self.positives if p[0] in self.info]  # papers deleted since

    # -- follows ---------------------------------------------------------------------------------------------
    def follows(self, search: Any, since: date | None) -> None:
        for kind, target, label in self.sig.follows:
            rows = self._follow_rows(kind, target, search, since)
            if len(rows) == 0:
                continue
            self.score[rows] += FOLLOW_WEIGHTS.get(kind, 0.0)
            self.followed[rows] = True
            text = (f"matches your saved search {quoted(label)}" if kind == "search" else
                    f"in your topic: {label}" if kind == "topic" else f"because you follow {label}")
            self.matches.append((rows, text))

    def _follow_rows(self, kind: str, target: str, search: Any, since: date | None) -> np.ndarray:
        empty = np.empty(0, dtype=np.int64)
        if kind == "author":
            return self.win.by_author.get(target, empty)
        if kind == "org":
            return self.win.by_org.get(target, empty)
        if kind == "category":
            return self.win.category_rows(target)
        if kind == "search":
            return self._search_rows(target, search, since)
        if kind == "topic" and target.isdigit():
            members = topics.papers_in(self.store.engine, int(target))
            rows = [self.win.row[pid] for pid in members if pid in self.win.row]
            return np.asarray(sorted(rows), dtype=np.int64)
        return empty

    def _search_rows(self, target: str, search: Any, since: date | None) -> np.ndarray:
        try:
            spec = json.loads(target)
        except ValueError:
            spec = {"q": target}
        text = str(spec.get("q") or "")
        filters = Filters(
            date_from=since if since not in (None, ALL_TIME) else None,
            categories=list(spec.get("category") or spec.get("categories") or []),
            authors=list(spec.get("author") or spec.get("authors") or []),
            orgs=list(spec.get("org") or spec.get("orgs") or []),
            has_code=spec.get("has_code"),
        )
        rows: list[int] = []
        try:
            if search is not None:
                found = search.search(text, mode="keyword", filters=filters, limit=200)
                rows = [self.win.row[h.paper_id] for h in found.hits if h.paper_id in self.win.row]
            else:  # no search service (a digest run): every positive word of the query in title or abstract
                words = [w for c in parse_query(text).positive for t in c.alternatives[:1]
                         for w in cand.tokens(t.text)]
                hit = self.win.keywords().containing_all(words) if words else np.empty(0, dtype=np.int64)
                keep = np.ones(len(hit), dtype=bool)
                for cat in filters.categories:
                    keep &= np.isin(hit, self.win.category_rows(cat))
                rows = hit[keep].tolist()
        except QueryError:
            return np.empty(0, dtype=np.int64)
        return np.asarray(sorted(set(rows)), dtype=np.int64)

    # -- similarity ------------------------------------------------------------------------------------------
    def _vectors(self, ids: list[str]) -> dict[str, np.ndarray]:
        out = {pid: self.win.matrix[self.win.row[pid]] for pid in ids
               if pid in self.win.row and self.win.has_vector[self.win.row[pid]]}
        missing = [pid for pid in ids if pid not in out]
        if missing and self.win.model:
            dim = self.win.matrix.shape[1]
            found = [(pid, cand.decode(blob)) for pid, model, blob in q.vectors(self.db, missing)
                     if model == self.win.model]
            found = [(pid, vec) for pid, vec in found if len(vec) == dim]
            if found:
                centered = cand.center(np.stack([vec for _, vec in found]), self.win.mean)
                out.update((pid, centered[i]) for i, (pid, _) in enumerate(found))
        return out

    def similarity(self) -> tuple[np.ndarray, np.ndarray]:
        """(similarity per row, index of the most similar positive per row; -1 when none)."""
        n = len(self.win)
        sim = np.full(n, np.nan, dtype=np.float32)
        best = np.full(n, -1, dtype=np.int64)
        if not self.positives:
            return np.zeros(n, dtype=np.float32), best
        pos_ids = [p[0] for p in self.positives]
        vecs = self._vectors(pos_ids + sorted(self.sig.dismissed)[:MAX_POSITIVES])
        with_vec = [i for i, pid in enumerate(pos_ids) if pid in vecs]
        if with_vec and self.win.has_vector.any():
            pv = np.stack([vecs[pos_ids[i]] for i in with_vec]).astype(np.float32)
            weights = np.asarray([POSITIVE_WEIGHTS[self.positives[i][2]] for i in with_vec], dtype=np.float32)
            centroid = _unit((weights[:, None] * pv).sum(axis=0))
            near = with_vec[:MAX_NEIGHBOURS]  # newest first: the max term's cost grows with each one
            neg = [vecs[pid] for pid in self.sig.dismissed if pid in vecs]
            # One product over the matrix for every query vector: the pass over memory is the cost.
            queries = np.vstack([pv[: len(near)], centroid[None, :], *([np.stack(neg)] if neg else [])])
            products = self.win.matrix @ queries.T
            each = products[:, : len(near)]
            arg = each.argmax(axis=1)
            value = MAX_WEIGHT * each.max(axis=1) + CENTROID_WEIGHT * products[:, len(near)]
            if neg:
                value -= NEGATIVE_WEIGHT * np.clip(products[:, len(near) + 1 :].max(axis=1), 0, None)
            has = self.win.has_vector
            sim[has] = value[has]
            best[has] = np.asarray(near, dtype=np.int64)[arg[has]]
        todo = np.flatnonzero(np.isnan(sim))
        if len(todo):
            self._keyword_similarity(todo, sim, best)
        return np.nan_to_num(sim, nan=0.0), best

    def _keyword_similarity(self, rows: np.ndarray, sim: np.ndarray, best: np.ndarray) -> None:
        cols = self.win.keyword_columns([p[0] for p in self.positives])
        order = [i for i, p in enumerate(self.positives) if p[0] in cols]
        if not order:
            return
        scores = np.stack([cols[self.positives[i][0]] for i in order], axis=1)[rows]
        neg = list(self.win.keyword_columns(sorted(self.sig.dismissed)[:16]).values())
        arg = scores.argmax(axis=1)
        value = MAX_WEIGHT * scores[np.arange(len(rows)), arg] + CENTROID_WEIGHT * scores.mean(axis=1)
        if neg:
            value -= NEGATIVE_WEIGHT * np.stack(neg, axis=1)[rows].max(axis=1)
        sim[rows] = KEYWORD_SCALE * value
        best[rows] = np.asarray(order, dtype=np.int64)[arg]

    # -- categories ------------------------------------------------------------------------------------------
    def category_affinity(self) -> dict[str, tuple[int, str]]:
        """Primary categories of at least two positives: ``{code: (count, "upvoted"|"saved"|"saved or upvoted")}``."""
        kinds: dict[str, set[str]] = {}
        counts: Counter[str] = Counter()
        for pid, _at, kind in self.positives:
            code = self.info[pid][1]
            if code:
                counts[code] += 1
                kinds.setdefault(code, set()).add(kind)
        verbs = {frozenset({"saved"}): "saved", frozenset({"voted"}): "upvoted"}
        return {c: (k, verbs.get(frozenset(kinds[c]), "saved or upvoted")) for c, k in counts.items() if k >= 2}


def _similar_reason(title: str, kind: str) -> str:
    short = title if len(title) <= 90 else title[:87].rstrip() + "…"
    return f"similar to “{short}” in your library" if kind == "saved" else f"similar to “{short}”, which you upvoted"


def recommend(
    store: Store, user_id: int, *, since: date | None = None, limit: int = 50, search: Any = None,
) -> list[Recommendation]:
    """The user's personal feed: papers published or featured on/after ``since`` (default :func:`default_since`;
    :data:`ALL_TIME` for every paper) that they have not saved, voted on or dismissed, best first.

    ``search`` (an :class:`openpapers.search.service.SearchService`) runs saved-search follows exactly like the
    search page; without it they match papers holding every word of the query. Empty for a user with no
    signals: there is nothing to explain a pick with."""
    cand.single_threaded_blas()
    sig = q.user_signals(store.db, user_id)
    if not (sig.saved or sig.voted or sig.follows) or limit <= 0:
        return []
    since = default_since(store) if since is None else since
    win = cand.window(store, None if since == ALL_TIME else since)
    if len(win) == 0:
        return []
    s = _Scorer(store, win, sig)
    s.follows(search, since)
    sim, best = s.similarity()
    s.score += sim
    affinity = s.category_affinity()
    cat_texts: dict[int, str] = {}  # primary category number -> reason
    for code, (count, verb) in affinity.items():
        number = win.primary_number.get(code)
        if number is not None:
            cat_texts[number] = f"you {verb} {count} papers in {code}"
            s.score[win.primary_idx == number] += CATEGORY_WEIGHT * math.log2(1 + count)
    in_category = np.isin(win.primary_idx, list(cat_texts))
    s.score += POPULARITY_WEIGHT * np.log2(1 + win.upvotes)
    eligible = ((sim >= SIMILAR_MIN) & (best >= 0)) | s.followed | in_category
    for pid in sig.seen:
        r = win.row.get(pid)
        if r is not None:
            eligible[r] = False
    rows = np.flatnonzero(eligible)
    if len(rows) == 0:
        return []
    order = rows[np.lexsort((rows, -s.score[rows]))][:limit]
    follow_hits = [(np.isin(order, rows), text) for rows, text in s.matches]  # reasons for the shown rows only
    papers = {p.id: p for p in store.get_papers([win.ids[r] for r in order.tolist()])}
    out: list[Recommendation] = []
    for i, r in enumerate(order.tolist()):
        paper = papers.get(win.ids[r])
        if paper is None:
            continue
        reasons = [text for hit, text in follow_hits if hit[i]]
        if sim[r] >= SIMILAR_MIN and best[r] >= 0:
            pid, _at, kind = s.positives[int(best[r])]
            reasons.append(_similar_reason(s.info[pid][0], kind))
        if int(win.primary_idx[r]) in cat_texts:
            reasons.append(cat_texts[int(win.primary_idx[r])])
        out.append(Recommendation(paper, round(float(s.score[r]), 6), reasons))
    return out


__all__ = ["ALL_TIME", "FOLLOW_WEIGHTS", "Recommendation", "default_since", "recommend"]
