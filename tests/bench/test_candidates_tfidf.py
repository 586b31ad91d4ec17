"""bench/candidates_tfidf.py at a tiny size: the scikit-learn TF-IDF of the personal feed's fallback gives the
hand-written build's scores (within float32 rounding) and saved-search matches, and the script keeps running."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import candidates_tfidf as bench
from openpapers.signals.candidates import KeywordFeatures


def test_scikit_learn_matches_the_hand_written_build() -> None:
    texts = bench.synthetic_texts(300, vocabulary=2000, length=60, seed=3)
    texts[5] = []  # a paper without words
    old, new = bench.HandWritten(texts), KeywordFeatures.build(texts)
    library = [texts[0], texts[7] + ["neverseen", "neverseen"], [], ["neverseen"]]
    for words in library:
        a, b = old.profile(words), new.profile(words)
        assert a.keys() == b.keys() and all(abs(a[w] - b[w]) < 1e-9 for w in a)
    profs = [old.profile(words) for words in library]
    assert np.allclose(old.scores(profs), new.scores(profs), atol=1e-6)
    for words in ([texts[0][0], texts[0][1]], [texts[9][-1]], ["neverseen"], []):
        assert np.array_equal(old.containing_all(words), new.containing_all(words))
    empty = KeywordFeatures.build([[], []])
    assert empty.scores([{"word": 1.0}]).shape == (2, 1) and not empty.scores([{"word": 1.0}]).any()
    assert empty.containing_all(["word"]).size == 0


def test_bench_runs_small() -> None:
    result = bench.measure(papers=200, profiles=4, repeat=1)
    assert result["max_abs_diff"] < 1e-5
    assert all(result[f"{side}_{phase}"] > 0 for side in ("old", "new") for phase in ("build", "scores", "match"))
