"""English stop words, for the any-word fallback and feedback expansion (scikit-learn's list: already a
dependency, so the list is a well-kept one rather than ours; loaded on first use)."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)
