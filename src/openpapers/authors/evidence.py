"""What the clusterer knows about one author mention, and how two groups of mentions are scored.

Why a transparent score instead of a trained model: the evidence on listing pages is thin (three names shown,
rarely an organisation) and the labelled sets are small; a log-odds sum with named weights measures as well on
them (bench/author_identities.py) and every decision can be explained on the person page. The shape follows
S2AND: features over names, co-authors, organisations, categories, years and text embeddings, scored per pair,
then agglomerated (:mod:`openpapers.authors.cluster`). Scores are computed between *groups* (pooled co-authors,
organisations, categories, years, the nearest texts), which lets a person's papers chain through co-authors.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from openpapers.authors.names import ParsedName, name_agreement


@dataclass(slots=True)
class Mention:
    """One name on one paper, with the paper's evidence (co-authors are folded name keys, the name itself left
    out; a listing page's owner is among them, since the importer adds it to every paper of the page)."""

    paper_id: str
    name_id: str
    name: str
    parsed: ParsedName
    coauthors: frozenset[str]
    orgs: frozenset[str]
    categories: tuple[str, ...]
    year: int | None
    vector: np.ndarray | None = None
    text: str = ""


@dataclass(slots=True)
class Group:
    """A set of mentions believed to be one person, with its pooled evidence."""

    members: list[int]
    coauthors: Counter[str] = field(default_factory=Counter)
    orgs: Counter[str] = field(default_factory=Counter)
    categories: Counter[str] = field(default_factory=Counter)
    years: list[int] = field(default_factory=list)
    names: set[ParsedName] = field(default_factory=set)
    joined: dict[int, float] = field(default_factory=dict)  # member -> confidence it belongs here

    def add(self, i: int, m: Mention, confidence: float) -> None:
        self.members.append(i)
        self.coauthors.update(m.coauthors)
        self.orgs.update(m.orgs)
        if m.categories:
            self.categories[m.categories[0]] += 1
        if m.year:
            self.years.append(m.year)
        self.names.add(m.parsed)
        self.joined[i] = confidence

    def absorb(self, other: Group, confidence: float) -> None:
        self.members += other.members
        self.coauthors += other.coauthors
        self.orgs += other.orgs
        self.categories += other.categories
        self.years += other.years
        self.names |= other.names
        for i, c in other.joined.items():
            self.joined[i] = min(c, confidence)


@dataclass(frozen=True, slots=True)
class Weights:
    """The score's weights (log-odds). ``bias`` is the prior against two groups being one person."""

    bias: float = -2.5
    coauthor: float = 4.0  # per shared co-author (two at most)
    org: float = 2.0  # per shared organisation (two at most)
    org_conflict: float = -1.0  # both have organisations, none shared
    topic: float = 12.0  # times (nearest-text similarity - topic_mid)
    topic_mid: float = 0.45
    category: float = 3.0  # times the share of the larger group's papers in the smaller one's categories
    category_unseen: float = -1.5  # none of the smaller group's categories occurs in the larger one
    year_gap: float = -0.4  # per year outside the other's active span (beyond two)
    full_name: float = 0.5  # both spell the same given names out


WEIGHTS = Weights()


def topic_matrix(mentions: list[Mention]) -> np.ndarray:
    """Cosine similarity of every two mentions' papers: stored embeddings when every paper has one, else TF-IDF
    over title and abstract, rescaled so that both land on the embedding scale the weights expect."""
    n = len(mentions)
    if n and all(m.vector is not None for m in mentions):
        mat = np.vstack([m.vector for m in mentions]).astype(np.float32)  # type: ignore[misc]
        mat /= np.linalg.norm(mat, axis=1, keepdims=True) + 1e-9
        return mat @ mat.T
    texts = [m.text or m.name for m in mentions]
    if n < 2:
        return np.ones((n, n), dtype=np.float32)
    from sklearn.feature_extraction.text import TfidfVectorizer

    try:
        tf = TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=1).fit_transform(texts)
    except ValueError:  # nothing but stop words
        return np.eye(n, dtype=np.float32)
    sim = (tf @ tf.T).toarray().astype(np.float32)
    return np.asarray(0.3 + 0.7 * sim, dtype=np.float32)  # TF-IDF cosines run lower than embedding cosines


def names_compatible(a: Group, b: Group) -> tuple[bool, bool]:
    """(compatible at all, every pair spells out the same given names)."""
    full = True
    for x in a.names:
        for y in b.names:
            agree = name_agreement(x, y)
            if agree is None:
                return False, False
            full = full and agree == 1.0
    return True, full


def score(a: Group, b: Group, sim: np.ndarray, w: Weights = WEIGHTS) -> float:
    """Log-odds that groups ``a`` and ``b`` are one person (``-inf`` when their names cannot be)."""
    ok, full = names_compatible(a, b)
    if not ok:
        return -math.inf
    small, large = (a, b) if len(a.members) <= len(b.members) else (b, a)
    s = w.bias
    s += w.coauthor * min(2, len(a.coauthors.keys() & b.coauthors.keys()))
    shared_orgs = len(a.orgs.keys() & b.orgs.keys())
    s += w.org * min(2, shared_orgs)
    if a.orgs and b.orgs and not shared_orgs:
        s += w.org_conflict
    block = sim[np.ix_(small.members, large.members)]
    nearest = np.sort(block, axis=1)[:, -min(3, block.shape[1]):].mean(axis=1)
    s += w.topic * (float(nearest.mean()) - w.topic_mid)
    if small.categories and large.categories:
        total = sum(large.categories.values())
        fit = sum(large.categories.get(c, 0) / total * k for c, k in small.categories.items())
        fit /= sum(small.categories.values())
        s += w.category * fit
        if fit == 0:
            s += w.category_unseen
    if small.years and large.years:
        gap = max(0, min(small.years) - max(large.years), min(large.years) - max(small.years))
        s += w.year_gap * max(0, gap - 2)
    if full:
        s += w.full_name
    return s


def probability(log_odds: float) -> float:
    if log_odds == -math.inf:
        return 0.0
    return 1.0 / (1.0 + math.exp(-log_odds))
