"""What the relevance benches share: the judged set, graded metrics and the plain-BM25 baseline.

The judged set lives in ``tests/search/judged/``: ``queries.jsonl`` (one query per line: ``qid``, ``query``,
``kind``, ``split``, ``target``) and ``judgments.jsonl`` (``qid``, ``id``, ``grade`` 0-3). Judgments were made
over pools (the top 30 of every mode and variant, :mod:`judge_pool`), so an unjudged paper counts as grade 0.

Plain BM25 is the yardstick the issue measures against: Okapi BM25 (rank-bm25, its default k1 and b) over
title + abstract, words lowercased, accents folded, English stop words dropped and Snowball-stemmed, query
syntax reduced to its words. It is deliberately not our engine, so it cannot inherit our mistakes.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson
import snowballstemmer
from rank_bm25 import BM25Okapi
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from openpapers.core.records import fold

ROOT = Path(__file__).resolve().parent.parent
JUDGED_DIR = ROOT / "tests" / "search" / "judged"
KINDS = ("described", "paraphrase", "keyword", "author", "phrase", "field", "typo")
# "described": names the paper in other words (at most a quarter of its content words occur in the target);
# "paraphrase": describes it too, but shares more words with it; the rest are keyword-style.
KEYWORD_STYLE = ("keyword", "author", "phrase", "field", "typo")


@dataclass(slots=True)
class Query:
    qid: str
    query: str
    kind: str
    split: str
    target: str | None


def load_queries(paths: Iterable[Path] | None = None) -> list[Query]:
    out = []
    for path in paths or [JUDGED_DIR / "queries.jsonl"]:
        for line in Path(path).read_bytes().splitlines():
            if line.strip():
                q = orjson.loads(line)
                out.append(Query(q["qid"], q["query"], q["kind"], q["split"], q.get("target")))
    return out


def load_judgments(paths: Iterable[Path] | None = None) -> dict[str, dict[str, int]]:
    """qid -> paper id -> grade (the last line wins, so a judge may correct an earlier grade by appending)."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for path in paths or [JUDGED_DIR / "judgments.jsonl"]:
        if not Path(path).exists():
            continue
        for line in Path(path).read_bytes().splitlines():
            if line.strip():
                j = orjson.loads(line)
                out[j["qid"]][j["id"]] = int(j["grade"])
    return dict(out)


def dcg(grades: Sequence[int]) -> float:
    return sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(grades))


def ndcg_at(ranked: Sequence[str], judged: dict[str, int], k: int = 10) -> float:
    ideal = dcg(sorted(judged.values(), reverse=True)[:k])
    return dcg([judged.get(pid, 0) for pid in ranked[:k]]) / ideal if ideal else 0.0


def recall_at(ranked: Sequence[str], judged: dict[str, int], k: int = 100, min_grade: int = 2) -> float:
    relevant = {pid for pid, g in judged.items() if g >= min_grade}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


_STEM = snowballstemmer.stemmer("english")
_WORD = re.compile(r"\w+")
_SYNTAX = re.compile(r"(?<!\S)-\S+|\b[A-Za-z]+:|\b(?:OR|AND|NOT)\b|[\"()|]")


def tokens(text: str) -> list[str]:
    words = [w for w in _WORD.findall(fold(text).lower()) if w not in ENGLISH_STOP_WORDS]
    return list(_STEM.stemWords(words))


def query_words(query: str) -> str:
    """A search-box query as plain words: prefixes, quotes, operators and -exclusions dropped."""
    return _SYNTAX.sub(" ", query)


class PlainBM25:
    """rank-bm25's Okapi BM25 over the corpus, every paper scored for every query."""

    def __init__(self, papers: dict[str, str]) -> None:
        self.ids = list(papers)
        self.bm25 = BM25Okapi([tokens(papers[pid]) or ["\u0000"] for pid in self.ids])

    def rank(self, query: str, depth: int = 100) -> list[str]:
        words = tokens(query_words(query))
        if not words:
            return []
        scores = self.bm25.get_scores(words)
        order = sorted(range(len(self.ids)), key=lambda i: (-scores[i], self.ids[i]))
        return [self.ids[i] for i in order[:depth] if scores[i] > 0]


def corpus_texts(store: object) -> dict[str, str]:
    """paper id -> "title. abstract" for every paper in a store (read through the Store API)."""
    from openpapers.papers.store import Store

    assert isinstance(store, Store)
    out = {}
    for paper in store.iter_papers():
        out[paper.id] = f"{paper.title}. {paper.abstract or ''}"
    return out
