"""Bench: which similarity should the personal feed use? Offline comparison on the embedded demo corpus.

    python bench/recommend_quality.py [--trials 200]

Papers get a topic from words in their title and abstract (PDE solvers, speech, diffusion/image generation,
language models, graphs, reinforcement learning). A simulated user saves 3 random papers of one topic (or 3 of
each of two topics: someone with two interests); every other paper is ranked by each variant, and we count:

* precision@10: the share of the top 10 that are of the user's topic(s);
* both@10 (two-interest users): how often both topics appear in the top 10.

Variants: ``centroid`` (cosine to the mean of the library), ``max`` (best cosine to any library paper), ``mix``
(0.5 max + 0.5 centroid: what signals/recommend.py uses), ``logreg`` (a per-user logistic regression on the
embeddings, library papers against 50 random corpus papers as negatives, L2-regularised), and the first three
again on *centered* vectors (the corpus mean subtracted, re-normalised).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np

from openpapers.core.settings import resolve_settings
from openpapers.papers.store import open_store

HERE = Path(__file__).resolve().parent
CENTERED = np.empty(0)
sys.path.insert(0, str(HERE))
from personal_feed import demo_dir  # noqa: E402  (bench/ is not a package)

TOPICS = {
    "pde": r"\bpdes?\b|partial differential|neural operator|navier|deeponet",
    "speech": r"speech|audio|speaker|voice",
    "diffusion": r"diffusion model|image generation|text-to-image|denoising diffusion",
    "llm": r"large language model|\bllms?\b",
    "graph": r"graph neural|\bgnns?\b|graph representation",
    "rl": r"reinforcement learning|\bpolicy optimi",
}


def logreg(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 300, lr: float = 0.5) -> np.ndarray:
    """Plain gradient descent on the logistic loss (the data are tiny: tens of rows)."""
    w = np.zeros(x.shape[1] + 1)
    xb = np.hstack([x, np.ones((len(x), 1))])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(xb @ w)))
        grad = xb.T @ (p - y) / len(y) + l2 * np.r_[w[:-1], 0] / len(y)
        w -= lr * grad
    return w


def center(matrix: np.ndarray) -> np.ndarray:
    """Vectors minus the corpus mean, re-normalised: removes the direction every abstract shares."""
    out = matrix - matrix.mean(axis=0)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def scores(kind: str, matrix: np.ndarray, lib: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if kind.startswith("centered "):
        return scores(kind.removeprefix("centered "), CENTERED, lib, rng)
    pv = matrix[lib]
    centroid = pv.mean(axis=0)
    centroid /= np.linalg.norm(centroid)
    if kind == "centroid":
        return matrix @ centroid
    if kind == "max":
        return (matrix @ pv.T).max(axis=1)
    if kind == "mix":
        return 0.5 * (matrix @ pv.T).max(axis=1) + 0.5 * (matrix @ centroid)
    negatives = rng.choice(len(matrix), size=50, replace=False)
    x = np.vstack([pv, matrix[negatives]])
    y = np.r_[np.ones(len(pv)), np.zeros(50)]
    w = logreg(x, y)
    return matrix @ w[:-1] + w[-1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    store = open_store(resolve_settings(demo_dir()))
    rows = list(store.iter_embeddings())
    ids = [r[1] for r in rows]
    matrix = np.stack([np.frombuffer(r[4], dtype="<f4") for r in rows]).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    global CENTERED
    CENTERED = center(matrix)
    papers = {p.id: p for p in store.get_papers(ids)}
    store.close()
    texts = [f"{papers[i].title} {papers[i].abstract or ''}".lower() for i in ids]
    labels = {t: np.array([bool(re.search(rx, s)) for s in texts]) for t, rx in TOPICS.items()}
    usable = [t for t, m in labels.items() if m.sum() >= 8]
    print("topic sizes:", {t: int(labels[t].sum()) for t in usable}, f"of {len(ids)} papers")
    rng = np.random.default_rng(args.seed)
    kinds = ("centroid", "max", "mix", "logreg", "centered centroid", "centered max", "centered mix")
    one = {k: [] for k in kinds}
    two = {k: [] for k in kinds}
    both = {k: [] for k in kinds}
    for _ in range(args.trials):
        a, b = rng.choice(usable, size=2, replace=False)
        for topics, out in (((a,), one), ((a, b), two)):
            lib = np.concatenate([rng.choice(np.flatnonzero(labels[t]), size=3, replace=False) for t in topics])
            relevant = np.any([labels[t] for t in topics], axis=0)
            for k in kinds:
                s = scores(k, matrix, lib, rng)
                s[lib] = -np.inf
                top = np.argsort(-s)[:10]
                out[k].append(relevant[top].mean())
                if len(topics) == 2:
                    both[k].append(all(labels[t][top].any() for t in topics))
    print(f"\n{args.trials} trials per row; library of 3 papers per interest")
    print("| variant | precision@10, one interest | precision@10, two interests | both interests in top 10 |")
    print("| --- | ---: | ---: | ---: |")
    for k in kinds:
        print(f"| {k} | {np.mean(one[k]):.3f} | {np.mean(two[k]):.3f} | {np.mean(both[k]):.3f} |")


if __name__ == "__main__":
    sys.exit(main())
