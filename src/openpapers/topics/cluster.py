"""Clustering and layout, pure numpy/scikit-learn: vectors in, topics and 2-D positions out.

Why k-means on centered vectors (docs/topics.md has the measures): MiniLM vectors share a large common component,
so raw cosines between any two papers are high and clusters blur; subtracting the corpus mean and re-normalising
(as the recommender does) spreads them. Spherical k-means then gives every paper a topic (HDBSCAN left 30-50 % of
the demo papers as noise) and scales linearly (MiniBatchKMeans at 100k papers takes seconds). k is chosen by the
silhouette over a range that grows with the corpus, refusing any k whose largest topic holds over 35 % of papers.

Why this layout instead of UMAP: the map must place a newly imported paper at once, without refitting, and a
100k-paper rebuild must fit in two minutes on two cores. Topic centres are placed by metric MDS of the centroids'
cosine distances (similar topics sit near each other), then pushed apart until their discs (area ∝ size) do not
overlap; inside a disc a paper sits at its offset from the centroid projected on the topic's two principal axes.
A new paper gets the same projection from the stored centroid and axes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

MAX_SHARE = 0.35  # no topic may hold more of the corpus than this
CHOOSE_SAMPLE = 4000  # rows on which every candidate k is fitted and scored
DIMS = 64  # principal directions k-means works in
SMALL = 20_000  # up to this many rows KMeans; beyond, MiniBatchKMeans


@dataclass(slots=True)
class Clustering:
    """The outcome of :func:`cluster`: a topic number per row and what the choice of k measured."""

    labels: np.ndarray  # int, one per row, 0..k-1
    centroids: np.ndarray  # k x d, unit length
    k: int
    silhouette: float | None
    tried: dict[int, float] = field(default_factory=dict)  # k -> silhouette (NaN: refused, a topic too big)


@dataclass(slots=True)
class Layout:
    """2-D places: topic centres and radii, each topic's axes and scale, and every row's position."""

    centres: np.ndarray  # k x 2
    radii: np.ndarray  # k
    axes: np.ndarray  # k x 2 x d
    scales: np.ndarray  # k
    points: np.ndarray  # n x 2


def center(vectors: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Rows minus the corpus mean, re-normalised (zero rows stay zero)."""
    out = vectors.astype(np.float32, copy=True) - mean.astype(np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    np.divide(out, norms, out=out, where=norms > 0)
    return out


def k_candidates(n: int) -> list[int]:
    """The k tried for ``n`` papers: from 6 (a useful map has a handful of regions) up to about sqrt(n / 3),
    at most 48 (beyond that a label list stops being readable); about ten values, spaced evenly."""
    high = int(min(48, max(8, round(math.sqrt(n / 3)))))
    low = min(6, max(2, n // 10))
    if n < 12:
        return [max(1, min(n, 2))]
    step = max(1, (high - low) // 10)
    return sorted(set(range(low, high + 1, step)) | {high})


def _reduce(x: np.ndarray, seed: int) -> np.ndarray:
    """The rows in their top :data:`DIMS` principal directions (most of the cluster structure, a sixth of the
    arithmetic for k-means)."""
    if x.shape[1] <= DIMS or len(x) <= DIMS:
        return x
    from sklearn.decomposition import PCA

    return np.asarray(PCA(n_components=DIMS, svd_solver="randomized", random_state=seed).fit_transform(x),
                      dtype=np.float32)


def _kmeans(x: np.ndarray, k: int, seed: int, init: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.cluster import KMeans, MiniBatchKMeans

    if len(x) <= SMALL:
        model = KMeans(n_clusters=k, n_init=1 if init is not None else 2, random_state=seed,
                       init=init if init is not None else "k-means++").fit(x)
    else:
        model = MiniBatchKMeans(n_clusters=k, n_init=1 if init is not None else 3, random_state=seed,
                                init=init if init is not None else "k-means++", batch_size=4096,
                                max_no_improvement=20).fit(x)
    return np.asarray(model.labels_, dtype=np.int64), np.asarray(model.cluster_centers_, dtype=np.float32)


def _unit_means(x: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    sums = np.zeros((k, x.shape[1]), dtype=np.float64)
    np.add.at(sums, labels, x)
    sums /= np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
    return sums.astype(np.float32)


def cluster(x: np.ndarray, *, ks: list[int] | None = None, seed: int = 0) -> Clustering:
    """Cluster unit rows ``x`` (already centered): the k of ``ks`` (default :func:`k_candidates`) with the best
    silhouette (cosine) among those whose largest topic holds at most :data:`MAX_SHARE` of the papers.

    Every candidate k is fitted on the same sample of at most :data:`CHOOSE_SAMPLE` rows (in :data:`DIMS`
    principal directions), so choosing k costs the same at 400 papers or 400k; the chosen k is then fitted on all
    rows from the sample's centres, and the topics' centroids are the normalised means of their members in the
    full space, every row labelled with its nearest centroid (exactly what a newly imported paper gets)."""
    from sklearn.metrics import silhouette_score

    n = len(x)
    ks = [k for k in (ks or k_candidates(n)) if 1 <= k <= n]
    rng = np.random.default_rng(seed)
    reduced = _reduce(x, seed)
    sample = np.sort(rng.choice(n, size=min(n, CHOOSE_SAMPLE), replace=False))
    xs = reduced[sample]
    # cosine distances of the sample, once: each candidate's silhouette then only reads them
    dist = np.clip(1.0 - x[sample] @ x[sample].T, 0.0, 2.0)
    np.fill_diagonal(dist, 0.0)
    best: tuple[int, float | None, np.ndarray] | None = None
    fallback: tuple[int, float | None, np.ndarray] | None = None
    tried: dict[int, float] = {}
    for k in ks:
        labels, centres = _kmeans(xs, k, seed)
        share = np.bincount(labels, minlength=k).max() / len(sample)
        score = (float(silhouette_score(dist, labels, metric="precomputed"))
                 if 1 < k < len(sample) and len(set(labels.tolist())) > 1 else None)
        tried[k] = float("nan") if share > MAX_SHARE else (score if score is not None else 0.0)
        if fallback is None or k > fallback[0]:
            fallback = (k, score, centres)  # every k refused: the largest k is the least lopsided
        if share <= MAX_SHARE and (best is None or (score or 0.0) > (best[1] or 0.0)):
            best = (k, score, centres)
    chosen = best or fallback
    assert chosen is not None, "no k to try"
    k, score, centres = chosen
    labels = _kmeans(reduced, k, seed, init=centres)[0] if n > len(sample) else _kmeans(xs, k, seed, init=centres)[0]
    centroids = _unit_means(x, labels, k)
    labels, _sims = nearest(x, centroids)
    empty = np.bincount(labels, minlength=k) == 0
    if empty.any():  # a centroid nobody is nearest to: drop it, renumber
        keep = np.flatnonzero(~empty)
        centroids = centroids[keep]
        labels, _sims = nearest(x, centroids)
        k = len(keep)
    return Clustering(labels, centroids, k, score, tried)


def nearest(x: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The nearest centroid of each (centered, unit) row and the cosine to it."""
    sims = x @ centroids.T
    best = np.argmax(sims, axis=1)
    return best, sims[np.arange(len(x)), best]


def _centre_positions(centroids: np.ndarray, sizes: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    k = len(centroids)
    radii = np.sqrt(np.maximum(sizes, 1) / max(1, sizes.sum())) * 0.9
    if k == 1:
        return np.zeros((1, 2)), radii
    if k == 2:
        pos = np.array([[-1.0, 0.0], [1.0, 0.0]])
    else:
        from sklearn.manifold import MDS

        dist = np.clip(1.0 - centroids @ centroids.T, 0.0, 2.0)
        np.fill_diagonal(dist, 0.0)
        pos = MDS(n_components=2, metric="precomputed", init="classical_mds", random_state=seed,
                  normalized_stress="auto").fit_transform(dist)
    pos = pos - pos.mean(axis=0)
    pos /= max(float(np.abs(pos).max()), 1e-9)
    return _separate(pos, radii), radii


def _separate(pos: np.ndarray, radii: np.ndarray, gap: float = 0.03, rounds: int = 400) -> np.ndarray:
    """Push overlapping discs apart (and pull the whole map in a little each round, so it stays compact)."""
    pos = pos.copy()
    for _ in range(rounds):
        moved = False
        delta = pos[:, None, :] - pos[None, :, :]
        dist = np.linalg.norm(delta, axis=2)
        need = radii[:, None] + radii[None, :] + gap
        np.fill_diagonal(dist, np.inf)
        overlap = np.clip(need - dist, 0.0, None)
        if overlap.max() > 1e-4:
            moved = True
            direction = delta / np.maximum(dist, 1e-9)[:, :, None]
            pos += 0.5 * (direction * overlap[:, :, None]).sum(axis=1)
        pos *= 0.995
        if not moved:
            break
    return pos


def local_axes(members: np.ndarray, centroid: np.ndarray, sample: int = 2000) -> np.ndarray:
    """The two principal directions of a topic's members around its centroid (2 x d; zeros if too few): the top
    eigenvectors of the d x d covariance of at most ``sample`` members (evenly spaced), so a topic of 10,000
    papers costs what one of 2,000 does (a full SVD per topic was most of a 100k build)."""
    axes = np.zeros((2, members.shape[1]), dtype=np.float32)
    if len(members) < 3:
        return axes
    rows = members[np.linspace(0, len(members) - 1, num=min(sample, len(members))).astype(np.int64)]
    offsets = (rows - centroid).astype(np.float64)
    offsets -= offsets.mean(axis=0)
    _values, vectors = np.linalg.eigh(offsets.T @ offsets)
    axes[0], axes[1] = vectors[:, -1], vectors[:, -2]
    return axes


def project(x: np.ndarray, centroid: np.ndarray, axes: np.ndarray, scale: float, centre: np.ndarray,
            radius: float) -> np.ndarray:
    """Map positions of rows of one topic: their offset on the topic's axes, scaled, kept inside its disc."""
    local = (x - centroid) @ axes.T * scale
    norms = np.linalg.norm(local, axis=1, keepdims=True)
    local = np.where(norms > radius, local * (radius / np.maximum(norms, 1e-12)), local)
    return centre + local


def layout(x: np.ndarray, labels: np.ndarray, centroids: np.ndarray, seed: int = 0) -> Layout:
    """Place every row (see the module docstring): topic ``labels[i]`` of row ``i``, ``centroids`` k x d."""
    k, d = centroids.shape
    sizes = np.bincount(labels, minlength=k)
    centres, radii = _centre_positions(centroids, sizes, seed)
    axes = np.zeros((k, 2, d), dtype=np.float32)
    scales = np.zeros(k)
    points = np.zeros((len(x), 2))
    for topic in range(k):
        rows = np.flatnonzero(labels == topic)
        if len(rows) == 0:
            continue
        members = x[rows]
        axes[topic] = local_axes(members, centroids[topic])
        local = (members - centroids[topic]) @ axes[topic].T
        spread = float(np.percentile(np.linalg.norm(local, axis=1), 95)) if len(rows) > 1 else 0.0
        scales[topic] = radii[topic] / spread if spread > 0 else 0.0
        points[rows] = project(members, centroids[topic], axes[topic], scales[topic], centres[topic], radii[topic])
    return Layout(centres, radii, axes, scales, points)


def match_ids(old: dict[str, int], new_rows: list[str], labels: np.ndarray, k: int, *, keep: float = 0.5
              ) -> dict[int, int]:
    """Which new topic numbers keep an old topic id: pairs chosen to maximise total overlap (Hungarian method on
    the Jaccard index), kept when strictly more than ``keep`` of the old topic's papers and of the new topic's
    papers are shared ("membership mostly stays"). ``old`` maps paper id -> old topic id. Returns new number ->
    old id."""
    from scipy.optimize import linear_sum_assignment

    old_ids = sorted(set(old.values()))
    if not old_ids:
        return {}
    col = {tid: j for j, tid in enumerate(old_ids)}
    counts = np.zeros((k, len(old_ids)))
    for pid, topic in zip(new_rows, labels.tolist(), strict=True):
        if pid in old:
            counts[topic, col[old[pid]]] += 1
    old_sizes = np.bincount([col[t] for t in old.values()], minlength=len(old_ids)).astype(float)
    new_sizes = np.bincount(labels, minlength=k).astype(float)
    union = new_sizes[:, None] + old_sizes[None, :] - counts
    jaccard = np.divide(counts, union, out=np.zeros_like(counts), where=union > 0)
    rows, cols = linear_sum_assignment(-jaccard)
    kept: dict[int, int] = {}
    for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
        shared = counts[r, c]
        if shared > keep * old_sizes[c] and shared > keep * new_sizes[r]:
            kept[r] = old_ids[c]
    return kept
