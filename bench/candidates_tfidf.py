"""Bench: the personal feed's TF-IDF fallback, scikit-learn's ``TfidfVectorizer`` against the hand-written build
it replaced, on the same synthetic window.

    python bench/candidates_tfidf.py                       # a full window (candidates.CAP papers), 64 profiles
    python bench/candidates_tfidf.py --papers 2000 --repeat 1

The window's texts are drawn from a Zipf-like vocabulary (a few words in most papers, a long tail in few, as in
real titles and abstracts), ~150 tokens each. Both sides build the features from the same token lists, then score
the same profiles (the heaviest :data:`~openpapers.signals.candidates.KEYWORDS_PER_PAPER` words of ``--profiles``
window papers) and match ``--profiles`` two-word saved searches. The baseline is the hand-written build kept
below; it is the old ``KeywordFeatures`` verbatim, so that the figure stays reproducible after its removal.
The first build in the process (importing scikit-learn and scipy, which ``candidates`` defers to it) is timed
apart and left out of the phases. Prints the best of ``--repeat`` runs per phase, the ratios new / old (below
1: scikit-learn is faster), the largest score difference, the CPU count and the load average.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from openpapers.signals.candidates import CAP, KEYWORDS_PER_PAPER, KeywordFeatures


class HandWritten:
    """The TF-IDF postings as built by hand before scikit-learn (word -> (rows, weights))."""

    def __init__(self, texts: list[list[str]]) -> None:
        df: Counter[str] = Counter()
        counts = [Counter(words) for words in texts]
        for c in counts:
            df.update(c.keys())
        n = len(texts)
        self.size = n
        self.idf = {w: math.log((n + 1) / (d + 1)) + 1.0 for w, d in df.items()}
        rows: dict[str, list[int]] = defaultdict(list)
        weights: dict[str, list[float]] = defaultdict(list)
        for row, c in enumerate(counts):
            vec = {w: (1.0 + math.log(k)) * self.idf[w] for w, k in c.items()}
            norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
            for w, v in vec.items():
                rows[w].append(row)
                weights[w].append(v / norm)
        self.postings = {w: (np.asarray(rows[w], dtype=np.int64), np.asarray(weights[w], dtype=np.float32))
                         for w in rows}

    def profile(self, words: list[str], top: int = KEYWORDS_PER_PAPER) -> dict[str, float]:
        unseen = math.log(self.size + 1) + 1.0
        vec = {w: (1.0 + math.log(k)) * self.idf.get(w, unseen) for w, k in Counter(words).items()}
        best = sorted(vec.items(), key=lambda kv: -kv[1])[:top]
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {w: v / norm for w, v in best}

    def scores(self, profiles: list[dict[str, float]]) -> np.ndarray:
        out = np.zeros((self.size, len(profiles)), dtype=np.float32)
        for col, prof in enumerate(profiles):
            for w, v in prof.items():
                hit = self.postings.get(w)
                if hit is not None:
                    out[hit[0], col] += v * hit[1]
        return out

    def containing_all(self, words: list[str]) -> np.ndarray:
        found: np.ndarray | None = None
        for w in words:
            rows = self.postings.get(w, (np.empty(0, dtype=np.int64), None))[0]
            found = rows if found is None else np.intersect1d(found, rows, assume_unique=True)
        return found if found is not None else np.empty(0, dtype=np.int64)


def synthetic_texts(papers: int, vocabulary: int, length: int, seed: int) -> list[list[str]]:
    """``papers`` token lists of about ``length`` words, word ranks drawn with Zipf weights 1 / rank."""
    rng = random.Random(seed)
    words = [f"w{i:05d}x" for i in range(vocabulary)]
    weights = [1.0 / (rank + 1) for rank in range(vocabulary)]
    return [rng.choices(words, weights, k=rng.randint(length // 2, length * 3 // 2)) for _ in range(papers)]


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return min(times), result


def match_all(features: HandWritten | KeywordFeatures, searches: list[list[str]]) -> list[np.ndarray]:
    return [features.containing_all(words) for words in searches]


def measure(papers: int, profiles: int, repeat: int, seed: int = 7) -> dict[str, float]:
    """Seconds per phase for both builds, and the largest score difference between them."""
    texts = synthetic_texts(papers, vocabulary=max(2000, papers), length=150, seed=seed)
    rng = random.Random(seed + 1)
    library = [texts[rng.randrange(papers)] for _ in range(profiles)]
    searches = [[text[0], text[-1]] for text in library]
    out: dict[str, float] = {}
    out["import"], _ = best_of(1, partial(KeywordFeatures.build, [["warm"]]))  # imports scikit-learn and scipy
    results: dict[str, np.ndarray] = {}
    builds: dict[str, Callable[[list[list[str]]], HandWritten | KeywordFeatures]] = {
        "old": HandWritten, "new": KeywordFeatures.build}
    for name, build in builds.items():
        out[f"{name}_build"], features = best_of(repeat, partial(build, texts))
        profs = [features.profile(words) for words in library]
        out[f"{name}_scores"], results[name] = best_of(repeat, partial(features.scores, profs))
        out[f"{name}_match"], _ = best_of(repeat, partial(match_all, features, searches))
    out["max_abs_diff"] = float(np.abs(results["old"] - results["new"]).max()) if results["old"].size else 0.0
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=CAP)
    parser.add_argument("--profiles", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"cpus {os.cpu_count()}, load {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"{args.papers} papers, {args.profiles} profiles, best of {args.repeat}")
    r = measure(args.papers, args.profiles, args.repeat)
    for phase in ("build", "scores", "match"):
        old, new = r[f"old_{phase}"], r[f"new_{phase}"]
        print(f"{phase:7s} hand-written {old * 1000:9.1f} ms   scikit-learn {new * 1000:9.1f} ms   "
              f"new/old {new / old:5.2f}")
    total_old = sum(r[f"old_{p}"] for p in ("build", "scores", "match"))
    total_new = sum(r[f"new_{p}"] for p in ("build", "scores", "match"))
    print(f"total   hand-written {total_old * 1000:9.1f} ms   scikit-learn {total_new * 1000:9.1f} ms   "
          f"new/old {total_new / total_old:5.2f}")
    print(f"largest score difference {r['max_abs_diff']:.2e}; the first build in a process also imports "
          f"scikit-learn and scipy: {r['import'] * 1000:.0f} ms here, not in the figures above")


if __name__ == "__main__":
    main()
