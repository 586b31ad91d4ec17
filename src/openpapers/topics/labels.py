"""Topic labels: class-based TF-IDF (c-TF-IDF, as BERTopic defines it) over titles and abstracts, phrases first.

All papers of a topic form one document; a term's weight in a topic is its frequency there (per word of the topic)
times ``log(1 + A / f)``, with ``A`` the average number of words per topic and ``f`` the term's frequency over
all topics: frequent in this topic, rare elsewhere. Terms are words and phrases of two or three words (hyphenated
words such as "physics-informed" stay one word); a phrase's weight is raised (×1.6 for two words, ×2 for three)
because "neural operator" says more than "neural" and "operator", and a word already inside a chosen phrase is
not chosen again. A term must occur in at least 3 papers of the topic (2 in a tiny one): one paper's pet word is no
label. Only the papers nearest each centroid are read (at most ``per_topic``), which keeps a 100k-paper build
cheap and labels the topic by its core.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from openpapers.search.stopwords import stop_words

TOKEN = r"(?u)\b[^\W\d_][\w]*(?:-[^\W_][\w]*)*\b"  # words, hyphenated words; no bare numbers
PHRASE_BOOST = {1: 1.0, 2: 1.6, 3: 2.0}
LABEL_TERMS = 3
KEEP_TERMS = 10
# Words that say nothing about a topic in an abstract (on top of the English stop words).
_FILLER = frozenset({
    "able", "achieve", "achieves", "across", "also", "approach", "approaches", "available", "based",
    "challenge", "challenges", "code", "com", "demonstrate", "demonstrates", "different", "effective",
    "efficient", "efficiently", "existing", "experimental", "experiments", "extensive", "first", "framework",
    "frameworks", "furthermore", "github", "however", "http", "https", "improve", "improved", "improvement",
    "improves", "introduce", "introduces", "key", "large", "method", "methods", "model", "models", "moreover",
    "new", "novel", "paper", "performance", "present", "presents", "problem", "problems", "propose", "proposed",
    "proposes", "recent", "recently", "result", "results", "show", "shown", "shows", "significant",
    "significantly", "simple", "sota", "state-of-the-art", "strong", "studies", "study", "task", "tasks", "use",
    "used", "using", "various", "well", "work", "works", "www",
})


def _stop() -> list[str]:
    return sorted(stop_words() | _FILLER | {fold(w) for w in _FILLER})


_WORD = re.compile(TOKEN)


def fold(word: str) -> str:
    """One key for a word's singular and plural (``PDEs`` / ``PDE``, ``operators`` / ``operator``): lower case,
    a final plain ``s`` dropped (not from ``-ss``, ``-us``, ``-is`` or short words)."""
    low = word.lower()
    if len(low) > 3 and low.endswith("s") and not low.endswith(("ss", "us", "is", "ics")):
        return low[:-1]
    return low


def _analyzer(stop: frozenset[str], surfaces: dict[str, Counter[str]]) -> Callable[[str], list[str]]:
    """Words (folded), then every run of 2 and 3 words without a stop word inside; records how each folded word is
    spelt (to show "PDE" rather than "pde")."""

    def analyze(text: str) -> list[str]:
        out: list[str] = []
        run: list[str] = []
        for match in _WORD.finditer(text):
            word = match.group(0)
            key = fold(word)
            if word.lower() in stop or key in stop or len(key) < 2:
                run = []
                continue
            surfaces.setdefault(key, Counter())[word if not word[1:].islower() else word.lower()] += 1
            run.append(key)
            out.append(key)
            if len(run) >= 2:
                out.append(" ".join(run[-2:]))
            if len(run) >= 3:
                out.append(" ".join(run[-3:]))
        return out

    return analyze


def label_topics(texts: Sequence[str], topics: Sequence[int], k: int) -> list[list[str]]:
    """The distinctive terms of each of ``k`` topics (best first), from paper ``texts`` with their topic numbers
    (0..k-1). A topic with no text gets an empty list."""
    from scipy import sparse
    from sklearn.feature_extraction.text import CountVectorizer

    if not texts:
        return [[] for _ in range(k)]
    surfaces: dict[str, Counter[str]] = {}
    vec = CountVectorizer(analyzer=_analyzer(frozenset(_stop()), surfaces), min_df=2, dtype=np.float32)
    try:
        docs = vec.fit_transform(texts)  # papers x terms
    except ValueError:  # nothing but stop words
        return [[] for _ in range(k)]
    terms = vec.get_feature_names_out()
    member = sparse.csr_matrix((np.ones(len(topics), dtype=np.float32), (np.asarray(topics), np.arange(len(topics)))),
                               shape=(k, len(texts)))
    tf = (member @ docs).toarray()  # topics x terms
    df = (member @ (docs > 0).astype(np.float32)).toarray()  # papers of the topic holding the term
    words = tf.sum(axis=1)
    avg = max(float(words.mean()), 1.0)
    freq = tf.sum(axis=0)
    ctfidf = (tf / np.maximum(words[:, None], 1.0)) * np.log1p(avg / np.maximum(freq, 1.0)) ** 2
    boost = np.array([PHRASE_BOOST.get(len(t.split()), 2.0) for t in terms], dtype=np.float32)
    sizes = np.asarray(member.sum(axis=1)).ravel()
    out: list[list[str]] = []
    for topic in range(k):
        need = 3 if sizes[topic] >= 12 else 2
        score = ctfidf[topic] * boost * (df[topic] >= need)
        out.append([_spelt(t, surfaces) for t in _pick(terms, score)])
    return out


def _spelt(term: str, surfaces: dict[str, Counter[str]]) -> str:
    return " ".join(surfaces[w].most_common(1)[0][0] if w in surfaces else w for w in term.split())


def _pick(terms: np.ndarray, score: np.ndarray) -> list[str]:
    chosen: list[str] = []
    for j in np.argsort(-score, kind="stable")[:200]:
        if score[j] <= 0 or len(chosen) >= KEEP_TERMS:
            break
        term = str(terms[j])
        words = set(term.split())
        # skip a term overlapping one already chosen (a word of a chosen phrase, or a phrase around a chosen word)
        if any(words & set(c.split()) for c in chosen):
            continue
        chosen.append(term)
    return chosen


def label_of(terms: Sequence[str]) -> str:
    """What a topic is called: its first three terms."""
    return ", ".join(terms[:LABEL_TERMS]) or "unlabelled"
