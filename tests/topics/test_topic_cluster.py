"""The clustering, layout and id matching of topics/cluster.py on synthetic vectors whose true groups are known."""

from __future__ import annotations

import numpy as np

from openpapers.topics import cluster as cl


def blobs(groups: int, per: int, dim: int = 48, noise: float = 0.25, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors around ``groups`` random directions plus a shared component (as sentence embeddings have)."""
    rng = np.random.default_rng(seed)
    common = rng.normal(size=dim)
    centres = rng.normal(size=(groups, dim))
    truth = np.repeat(np.arange(groups), per)
    x = centres[truth] + noise * rng.normal(size=(len(truth), dim)) * np.sqrt(dim) / 4 + 2.0 * common
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32), truth


def agreement(labels: np.ndarray, truth: np.ndarray) -> float:
    """Share of rows whose cluster's majority true group is their own (purity)."""
    hit = 0
    for c in set(labels.tolist()):
        hit += np.bincount(truth[labels == c]).max()
    return hit / len(truth)


def test_recovers_known_groups_and_chooses_their_number() -> None:
    x, truth = blobs(8, 40)
    xc = cl.center(x, x.mean(axis=0))
    found = cl.cluster(xc, ks=[4, 6, 8, 10, 12])
    assert found.k == 8
    assert agreement(found.labels, truth) > 0.95
    assert found.silhouette is not None and found.silhouette > 0.2
    assert set(found.tried) == {4, 6, 8, 10, 12}


def test_no_topic_over_the_largest_share() -> None:
    # one huge group and small ones: a k that lumps over 35 % of papers together is refused when another exists
    x, _ = blobs(6, 30)
    big, _ = blobs(1, 200, seed=9)
    xs = np.vstack([x, big])
    xc = cl.center(xs, xs.mean(axis=0))
    found = cl.cluster(xc, ks=[3, 7, 12])
    assert np.bincount(found.labels).max() / len(xs) <= cl.MAX_SHARE
    assert np.isnan(found.tried[3])


def test_k_candidates_grow_with_the_corpus_and_stay_readable() -> None:
    assert cl.k_candidates(400)[0] == 6 and max(cl.k_candidates(400)) <= 12
    assert max(cl.k_candidates(100_000)) == 48
    assert cl.k_candidates(5) == [2]


def test_layout_puts_each_topic_in_its_own_disc() -> None:
    x, _ = blobs(6, 30)
    xc = cl.center(x, x.mean(axis=0))
    found = cl.cluster(xc, ks=[6])
    place = cl.layout(xc, found.labels, found.centroids)
    for a in range(6):
        for b in range(a + 1, 6):  # discs do not overlap
            gap = np.linalg.norm(place.centres[a] - place.centres[b]) - place.radii[a] - place.radii[b]
            assert gap > -1e-3
        rows = found.labels == a  # every paper inside its topic's disc
        dist = np.linalg.norm(place.points[rows] - place.centres[a], axis=1)
        assert dist.max() <= place.radii[a] + 1e-6
    # a new vector projected with the stored axes lands where the layout put the same vector
    row = int(np.flatnonzero(found.labels == 2)[0])
    again = cl.project(xc[row:row + 1], found.centroids[2], place.axes[2], place.scales[2], place.centres[2],
                       place.radii[2])
    assert np.allclose(again[0], place.points[row], atol=1e-5)


def test_similar_topics_sit_nearer_each_other() -> None:
    rng = np.random.default_rng(4)
    base = rng.normal(size=(2, 32))
    # two pairs of close topics: (0, 1) near base 0, (2, 3) near base 1
    centres = np.vstack([base[0] + 0.3 * rng.normal(size=32), base[0] + 0.3 * rng.normal(size=32),
                         base[1] + 0.3 * rng.normal(size=32), base[1] + 0.3 * rng.normal(size=32)])
    truth = np.repeat(np.arange(4), 25)
    x = centres[truth] + 0.05 * rng.normal(size=(100, 32))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    cents = np.stack([x[truth == i].mean(axis=0) for i in range(4)])
    cents /= np.linalg.norm(cents, axis=1, keepdims=True)
    place = cl.layout(x.astype(np.float32), truth, cents.astype(np.float32))
    d = lambda a, b: np.linalg.norm(place.centres[a] - place.centres[b])  # noqa: E731
    assert d(0, 1) < d(0, 2) and d(2, 3) < d(1, 3)


def test_ids_are_kept_where_membership_mostly_stays() -> None:
    papers = [f"p{i}" for i in range(100)]
    old = {p: (10 if i < 50 else 11 if i < 80 else 12) for i, p in enumerate(papers)}
    # new numbering swapped; topic 12's papers split in half into two new topics; 11 keeps 25 of its 30
    labels = np.array([1 if i < 50 else 0 if i < 75 else 2 if i < 90 else 3 for i in range(100)])
    kept = cl.match_ids(old, papers, labels, 4)
    assert kept == {1: 10, 0: 11}
    assert cl.match_ids({}, papers, labels, 4) == {}
