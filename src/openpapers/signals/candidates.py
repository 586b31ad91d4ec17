"""The papers a personal feed may recommend, arranged once per process for vectorised scoring.

A :class:`Window` holds the newest papers of a time window (at most :data:`CAP`): their embedding vectors as one
float32 matrix (zero rows for papers not embedded yet), and inverted lists from author, organisation and category
to row numbers. Scoring a user is then a few matrix products and array lookups, with no per-paper Python and no
SQL beyond the user's own signals. Windows are cached per (store, window start) and rebuilt only when the store's
:func:`~openpapers.signals.ranking_queries.change_marker` moves (papers imported, merged or embedded), which one
tiny query
checks on every use; every worker process keeps its own read-only copy.

:class:`KeywordFeatures` (TF-IDF over title and abstract, fitted by scikit-learn) is built lazily, only when some
paper lacks a vector (a store indexed for keyword search only, or papers still waiting to be embedded) or a saved
search must be matched without the search service.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter, OrderedDict, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
from threadpoolctl import threadpool_limits

from openpapers.core.records import Paper, fold
from openpapers.papers.store import Store
from openpapers.signals import ranking_queries as q

if TYPE_CHECKING:  # imported where used: scikit-learn and scipy take seconds to import, most processes never do
    from scipy import sparse

CAP = 20_000  # newest papers of a window considered: bounds memory (30 MB of vectors) and scoring time
CACHED_WINDOWS = 8
KEYWORDS_PER_PAPER = 30
KEYWORD_CACHE_BYTES = 64 << 20  # per window: TF-IDF similarity columns of recently seen library papers
_TOKEN = re.compile(r"[a-z][a-z0-9]{2,}")
_STOP = frozenset({
    "the", "and", "for", "with", "from", "that", "this", "are", "was", "were", "which", "their", "these", "those",
    "our", "its", "into", "using", "based", "via", "than", "can", "has", "have", "been", "also", "not", "but", "all",
    "such", "more", "over", "under", "between", "each", "both", "when", "where", "while", "how", "what", "who",
    "new", "two", "one", "show", "shows", "propose", "proposed", "approach", "method", "methods", "paper", "results",
    "result", "study", "model", "models", "task", "tasks", "however", "thus", "here", "use", "used", "work"
})


def tokens(text: str) -> list[str]:
    return [w for w in _TOKEN.findall(fold(text)) if w not in _STOP]


def paper_words(paper: Paper) -> list[str]:
    return tokens(f"{paper.title} {paper.title} {paper.abstract or ''}")  # the title counts twice


def _given(words: list[str]) -> list[str]:
    """The analyzer of :class:`KeywordFeatures`' vectorizer: texts arrive already tokenised by :func:`tokens`."""
    return words


@dataclass(slots=True)
class KeywordFeatures:
    """TF-IDF (sublinear tf, smoothed idf, L2-normalised) of the window's papers, fitted by scikit-learn's
    ``TfidfVectorizer``, kept as a sparse (papers × words) matrix in CSC form, so that a word's column is its
    postings (the rows holding it, with their weights)."""

    size: int
    vocabulary: dict[str, int]  # word -> column
    idf: np.ndarray  # per column: ln((1 + n) / (1 + df)) + 1
    matrix: sparse.csc_matrix  # (size, len(vocabulary)) float32, rows L2-normalised, row indices sorted

    @classmethod
    def build(cls, texts: list[list[str]]) -> KeywordFeatures:
        from scipy import sparse
        from sklearn.feature_extraction.text import TfidfVectorizer

        if not any(texts):  # the vectorizer refuses an empty vocabulary
            empty = sparse.csc_matrix((len(texts), 0), dtype=np.float32)
            return cls(len(texts), {}, np.empty(0, dtype=np.float64), empty)
        vectorizer = TfidfVectorizer(analyzer=_given, lowercase=False, sublinear_tf=True, smooth_idf=True,
                                     norm="l2", dtype=np.float64)
        matrix = sparse.csc_matrix(vectorizer.fit_transform(texts), dtype=np.float32)
        matrix.sort_indices()
        vocabulary = {str(w): int(i) for w, i in vectorizer.vocabulary_.items()}
        return cls(len(texts), vocabulary, np.asarray(vectorizer.idf_, dtype=np.float64), matrix)

    def profile(self, words: list[str], top: int = KEYWORDS_PER_PAPER) -> dict[str, float]:
        """The TF-IDF vector of a text in this window's vocabulary, cut to its ``top`` heaviest words.

        Not ``vectorizer.transform``: that drops words the window lacks, while here they weigh in the norm (with
        the idf of a word no paper holds), so that a text mostly about something else scores lower."""
        unseen = math.log(self.size + 1) + 1.0
        vec: dict[str, float] = {}
        for w, k in Counter(words).items():
            col = self.vocabulary.get(w)
            vec[w] = (1.0 + math.log(k)) * (float(self.idf[col]) if col is not None else unseen)
        best = sorted(vec.items(), key=lambda kv: -kv[1])[:top]
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {w: v / norm for w, v in best}

    def scores(self, profiles: list[dict[str, float]]) -> np.ndarray:
        """Cosine of every paper with every profile: ``(size, len(profiles))``."""
        from scipy import sparse

        cols: list[int] = []
        which: list[int] = []
        weights: list[float] = []
        for i, prof in enumerate(profiles):
            for w, v in prof.items():
                col = self.vocabulary.get(w)
                if col is not None:
                    cols.append(col)
                    which.append(i)
                    weights.append(v)
        wanted = sparse.csc_matrix((np.asarray(weights, dtype=np.float32), (cols, which)),
                                   shape=(len(self.vocabulary), len(profiles)))
        return np.asarray((self.matrix @ wanted).toarray(), dtype=np.float32)

    def rows_of(self, word: str) -> np.ndarray:
        """The rows whose text holds ``word``, ascending."""
        col = self.vocabulary.get(word)
        if col is None:
            return np.empty(0, dtype=np.int64)
        return self.matrix.indices[self.matrix.indptr[col] : self.matrix.indptr[col + 1]].astype(np.int64)

    def containing_all(self, words: list[str]) -> np.ndarray:
        """Rows whose text holds every word (a saved search matched without the search service)."""
        found: np.ndarray | None = None
        for w in words:
            rows = self.rows_of(w)
            found = rows if found is None else np.intersect1d(found, rows, assume_unique=True)
        return found if found is not None else np.empty(0, dtype=np.int64)


@dataclass(slots=True)
class Window:
    since: date | None
    marker: tuple[int, int]
    ids: list[str]
    row: dict[str, int]
    primary_idx: np.ndarray  # per row, the number of its primary category (-1: none)
    primary_number: dict[str, int]  # primary category code -> number
    upvotes: np.ndarray
    by_author: dict[str, np.ndarray]
    by_org: dict[str, np.ndarray]
    by_category: dict[str, np.ndarray]
    model: str | None
    matrix: np.ndarray  # (n, dim) float32, centered unit rows (see center()); zero rows where has_vector is False
    has_vector: np.ndarray
    mean: np.ndarray  # what center() subtracts
    _store: Store
    _keywords: KeywordFeatures | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _kw_columns: OrderedDict[str, np.ndarray | None] = field(default_factory=OrderedDict)

    def __len__(self) -> int:
        return len(self.ids)

    def keywords(self) -> KeywordFeatures:
        with self._lock:
            if self._keywords is None:
                texts: list[list[str]] = []
                for start in range(0, len(self.ids), 1000):
                    part = self.ids[start : start + 1000]
                    found = {p.id: p for p in self._store.get_papers(part)}
                    texts.extend(paper_words(found[i]) if i in found else [] for i in part)
                self._keywords = KeywordFeatures.build(texts)
        return self._keywords

    def keyword_columns(self, paper_ids: list[str]) -> dict[str, np.ndarray]:
        """TF-IDF cosine of every window paper with each of ``paper_ids`` (one column per paper found).

        Cached per window (LRU, bounded by :data:`KEYWORD_CACHE_BYTES`): the same library papers recur across
        users, and a digest run scores thousands of users on one window, so each column is computed once
        instead of re-reading, re-tokenising and re-scoring the paper for every user who saved it.
        """
        kw = self.keywords()
        out: dict[str, np.ndarray] = {}
        missing: list[str] = []
        with self._lock:
            for pid in paper_ids:
                if pid in self._kw_columns:
                    self._kw_columns.move_to_end(pid)
                    col = self._kw_columns[pid]
                    if col is not None:
                        out[pid] = col
                else:
                    missing.append(pid)
        if missing:
            found = {p.id: p for p in self._store.get_papers(missing)}
            todo = [pid for pid in missing if pid in found]
            cols: dict[str, np.ndarray] = {}
            if todo:
                m = kw.scores([kw.profile(paper_words(found[pid])) for pid in todo])
                cols = {pid: np.ascontiguousarray(m[:, i]) for i, pid in enumerate(todo)}
            with self._lock:
                for pid in missing:
                    self._kw_columns[pid] = cols.get(pid)
                limit = max(64, KEYWORD_CACHE_BYTES // max(1, 4 * len(self.ids)))
                while len(self._kw_columns) > limit:
                    self._kw_columns.popitem(last=False)
            out.update(cols)
        return out

    def category_rows(self, code: str) -> np.ndarray:
        """Rows in a category; an archive (``cs``) takes every code in it."""
        if "." in code:
            return self.by_category.get(code, np.empty(0, dtype=np.int64))
        parts = [rows for c, rows in self.by_category.items() if c == code or c.startswith(code + ".")]
        return np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)


def decode(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f4")


def _index(pairs: list[tuple[str, str]], row: dict[str, int]) -> dict[str, np.ndarray]:
    grouped: dict[str, list[int]] = defaultdict(list)
    for pid, key in pairs:
        if pid in row:
            grouped[key].append(row[pid])
    return {k: np.unique(np.asarray(v, dtype=np.int64)) for k, v in grouped.items()}


MEAN_SAMPLE = 5_000


def center(vectors: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Unit vectors minus the corpus mean, re-normalised. Every abstract shares a large common direction in
    MiniLM space (the demo's median cosine between papers is 0.36); removing it lets the topic decide, which
    bench/recommend_quality.py measured to lift precision@10 from 0.48 to 0.60 for two-interest users."""
    if vectors.size == 0:
        return vectors.astype(np.float32)
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)
    out = unit - mean
    return (out / np.maximum(np.linalg.norm(out, axis=-1, keepdims=True), 1e-12)).astype(np.float32)


def corpus_mean(store: Store, window_vectors: np.ndarray, model: str | None, dim: int) -> np.ndarray:
    """Mean unit vector of the newest :data:`MEAN_SAMPLE` papers: the window's own when it is that big, else
    read for the purpose (a week's window on a small instance may hold one paper, whose mean is itself)."""
    if len(window_vectors) >= MEAN_SAMPLE or not model or not dim:
        sample = window_vectors
    else:
        ids = [p[0] for p in q.window_papers(store.db, None, MEAN_SAMPLE)]
        sample = np.stack([decode(v) for _, m, v in q.vectors(store.db, ids) if m == model and len(decode(v)) == dim]
                          or [np.zeros(dim, dtype=np.float32)])
    if len(sample) == 0:
        return np.zeros(dim, dtype=np.float32)
    unit = sample / np.maximum(np.linalg.norm(sample, axis=1, keepdims=True), 1e-12)
    return unit.mean(axis=0).astype(np.float32)


def build_window(store: Store, since: date | None, marker: tuple[int, int], cap: int = CAP) -> Window:
    database = store.db
    papers = q.window_papers(database, since, cap)
    ids = [p[0] for p in papers]
    row = {pid: i for i, pid in enumerate(ids)}
    linked = q.links(database, ids)
    model = q.current_model(database)
    stored = [(pid, vec) for pid, m, vec in q.vectors(database, ids) if m == model] if model else []
    dim = len(decode(stored[0][1])) if stored else 0
    matrix = np.zeros((len(ids), dim), dtype=np.float32)
    has_vector = np.zeros(len(ids), dtype=bool)
    for pid, vec in stored:
        values = decode(vec)
        if len(values) == dim:
            matrix[row[pid]] = values
            has_vector[row[pid]] = True
    numbers: dict[str, int] = {}
    primary_idx = np.asarray([numbers.setdefault(p[3], len(numbers)) if p[3] else -1 for p in papers],
                             dtype=np.int64)
    mean = corpus_mean(store, matrix[has_vector], model, dim)
    matrix[has_vector] = center(matrix[has_vector], mean)
    return Window(
        since=since, marker=marker, ids=ids, row=row, primary_idx=primary_idx, primary_number=numbers,
        upvotes=np.asarray([p[4] for p in papers], dtype=np.float32),
        by_author=_index(linked["author"], row), by_org=_index(linked["org"], row),
        by_category=_index(linked["category"], row), model=model, matrix=matrix, has_vector=has_vector, mean=mean,
        _store=store,
    )


_CACHE: OrderedDict[tuple[str, date | None], Window] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_BUILDING: dict[tuple[str, date | None], threading.Lock] = defaultdict(threading.Lock)


def window(store: Store, since: date | None) -> Window:
    """The cached window of papers published or featured on/after ``since`` (None: all papers), current with
    the store. Two requests that find it stale build it once (a lock per window)."""
    key = (store.url, since)
    marker = q.change_marker(store.db)
    with _CACHE_LOCK:
        found = _CACHE.get(key)
        building = _BUILDING[key]
    if found is not None and found.marker == marker:
        return found
    with building:
        with _CACHE_LOCK:
            found = _CACHE.get(key)
        if found is None or found.marker != marker:
            found = build_window(store, since, marker)
            with _CACHE_LOCK:
                _CACHE[key] = found
                _CACHE.move_to_end(key)
                while len(_CACHE) > CACHED_WINDOWS:
                    _CACHE.popitem(last=False)
    return found


_BLAS = {"limited": False}


def single_threaded_blas() -> None:
    """Limit BLAS to one thread in this process, once. A personal feed's matrix products are small and run in
    the server's request threads (or a digest run's loop); OpenBLAS's own thread pool only contends with them:
    the demo corpus's products took 7.4 ms with it and 0.5 ms without, on a loaded 2-core machine."""
    if not _BLAS["limited"]:
        threadpool_limits(1, user_api="blas")
        _BLAS["limited"] = True


_LATEST: dict[str, tuple[tuple[int, int], date | None]] = {}


def latest_day(store: Store) -> date | None:
    """``store.latest_day()``, remembered until the store changes: the windows' anchor, needed on every personal
    feed and trending view, and a scan of two date columns on a large store (50 ms at 100k papers)."""
    marker = q.change_marker(store.db)
    with _CACHE_LOCK:
        hit = _LATEST.get(store.url)
    if hit is not None and hit[0] == marker:
        return hit[1]
    day = store.latest_day()
    with _CACHE_LOCK:
        _LATEST[store.url] = (marker, day)
    return day


def clear_cache() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()
        _LATEST.clear()


__all__ = [
    "CAP", "KeywordFeatures", "Window", "clear_cache", "latest_day", "paper_words", "single_threaded_blas", "tokens",
    "window",
]
