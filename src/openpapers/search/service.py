"""The search service: one entry point for keyword, semantic and hybrid search, similar papers and indexing.

The CLI, the web pages and the JSON API all call this, so every surface ranks the same way.

Hybrid (the default) runs both retrievers with the same filters *inside* each (never by cutting a ranked list
afterwards), reorders the keyword side's first matches with RM3 feedback (:mod:`.feedback`) and fuses the two
lists by z-scores (:mod:`.fusion`); a semantic neighbour joins the keyword matches only above a calibrated
similarity floor. Every ranked list is computed the same way whatever page is asked for, so pages partition it
and ``total`` is the same on each. Weights and floors were chosen on the dev split of tests/search/judged/
(docs/search.md, "Ranking").

Field prefixes only the keyword side understands are translated for the semantic side: ``au:``/``cat:``/``org:``
become filters, ``ti:``/``abs:`` words become query text, and excluded words drop semantic candidates that
contain them.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from openpapers.core.records import Paper, fold
from openpapers.core.settings import SearchSettings
from openpapers.papers.store import Store
from openpapers.search import feedback as fb
from openpapers.search import fusion, topic_terms
from openpapers.search import highlight as hl
from openpapers.search.fusion import Scored
from openpapers.search.protocols import KeywordRetriever, QueryEmbeds, VectorRetriever
from openpapers.search.query import ParsedQuery, parse_query
from openpapers.search.retrievers import keyword_retriever, vector_retriever
from openpapers.search.spelling import Speller, spelled_search
from openpapers.search.types import Filters, Hit, QueryError

log = logging.getLogger(__name__)
MODES = ("hybrid", "keyword", "semantic")
DEPTH = 100  # candidates each retriever contributes to a fused list
MAX_RESULTS = 1000
RERANK = 100  # keyword matches that feedback reorders and fusion sees; later ones keep their keyword order
NO_MATCH = "No paper matches this search: check the spelling, use fewer or more general words, or remove a filter."
_EMBED_POOL = ThreadPoolExecutor(2, thread_name_prefix="query-embed")  # see SearchService._embed_early


@dataclass(slots=True)
class SearchResult:
    query: str
    mode: str
    hits: list[Hit]
    total: int
    took_ms: float
    notes: list[str] = field(default_factory=list)
    papers: dict[str, Paper] = field(default_factory=dict)
    suggestion: str | None = None  # the query with its misspellings corrected (see search/spelling.py)
    corrected: bool = False  # True: these are the suggestion's results (the query as typed found nothing)

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "mode": self.mode,
            "total": self.total,
            "took_ms": round(self.took_ms, 2),
            "notes": self.notes,
            "suggestion": self.suggestion,
            "corrected": self.corrected,
            "results": [
                {
                    "id": h.paper_id,
                    "title": self.papers[h.paper_id].title if h.paper_id in self.papers else None,
                    "score": round(h.score, 6),
                    "ranks": h.ranks,
                    "title_html": h.title_html,
                    "snippet_html": h.snippet_html,
                    "paper": self.papers[h.paper_id].to_export() if h.paper_id in self.papers else None,
                }
                for h in self.hits
            ],
        }


@dataclass(frozen=True, slots=True)
class Ranking:
    """How lists are ranked and fused (the defaults are what the judged set's dev split chose; the relevance
    bench passes variants)."""

    feedback: bool = True
    feedback_keep: float = fb.KEEP
    semantic_weight: float = fusion.SEMANTIC_WEIGHT
    semantic_floor: float = fusion.SEMANTIC_FLOOR  # a neighbour joins keyword matches from here
    related_floor: float = fusion.RELATED_FLOOR  # semantic mode lists neighbours from here
    # A query with more free words than this is a description, not keywords: BM25's best papers for it match a
    # few ordinary words, so the semantic side gets more say (dev split: described 0.756 -> 0.800, paraphrase
    # 0.902 -> 0.892, keyword-style unchanged; 4-6 words and 0.7-0.9 within 0.03 of that).
    long_query_words: int = 5
    long_semantic_weight: float = fusion.LONG_SEMANTIC_WEIGHT

    def weight_for(self, parsed: ParsedQuery) -> float:
        words = sum(1 for c in parsed.positive for t in c.alternatives if t.field is None and not t.phrase)
        return self.long_semantic_weight if words > self.long_query_words else self.semantic_weight


def semantic_view(parsed: ParsedQuery, filters: Filters) -> tuple[str, Filters, list[str]]:
    """What the semantic retriever can use of a parsed query: text to embed, filters, words to exclude."""
    words: list[str] = []
    extra = replace(filters, categories=list(filters.categories), authors=list(filters.authors),
                    orgs=list(filters.orgs))
    for clause in parsed.positive:
        for term in clause.alternatives:
            if term.field in (None, "title", "abstract"):
                words.append(term.text)
            elif term.field == "author":
                extra.authors.append(term.text)
            elif term.field == "category":
                extra.categories.append(term.text)
            elif term.field == "org":
                extra.orgs.append(term.text)
    excluded = [t.text for c in parsed.negative for t in c.alternatives]
    return " ".join(words), extra, excluded


def _contains_any(paper: Paper, words: list[str]) -> bool:
    text = fold(f"{paper.title} {paper.abstract or ''}")
    return any(re.search(r"\b" + re.escape(fold(w)) + r"\b", text) for w in words)


class SearchService:
    """Opens the indexes of a data dir lazily: keyword search must not wait for the embedding model to load."""

    def __init__(self, store: Store, data_dir: str | Path, *, settings: SearchSettings | None = None,
                 ranking: Ranking | None = None) -> None:
        self.store = store
        self.ranking = ranking or Ranking()
        self.data_dir = Path(data_dir)
        self.settings = settings  # None: read from the environment when the keyword index is first opened
        self._keyword: KeywordRetriever | None = None
        self._vectors: VectorRetriever | None = None
        self._embedder: QueryEmbeds | None = None
        # The web app searches from a thread pool: two first searches must not load the model twice. One lock per
        # component: keyword searches must not wait while another thread loads the embedding model.
        self._locks = {name: threading.Lock() for name in ("keyword", "vectors", "embedder")}
        self._version: tuple[Any, ...] | None = None
        self._reload = False  # the indexes moved since this process last looked: reload before the next search
        self._expansions: dict[tuple[str, tuple[str, ...]], fb.Expansion] = {}  # RM3 expansions by query, top ids
        self.speller = Speller(store, lambda: self.keyword.last_seq)  # the corpus's words, as of the index

    # -- components --------------------------------------------------------------------------------------------
    @property
    def keyword(self) -> KeywordRetriever:
        with self._locks["keyword"]:
            if self._keyword is None:
                # tantivy files under the data dir on SQLite, full-text search on PostgreSQL (same interface)
                self._keyword = keyword_retriever(self.store, self.data_dir, self.settings)
        return self._keyword

    @property
    def vectors(self) -> VectorRetriever:
        with self._locks["vectors"]:
            if self._vectors is None:
                self._vectors = vector_retriever(self.store, self.data_dir)  # faiss files, or pgvector
        return self._vectors

    @property
    def embedder(self) -> QueryEmbeds:
        with self._locks["embedder"]:
            if self._embedder is None:
                from openpapers.search.embed import Embedder

                self._embedder = Embedder.load()
        return self._embedder

    def warm_up(self) -> dict[str, bool]:
        """Open the indexes and load the query model now, before a reader's first search needs them: a web
        worker spends those seconds as it starts (``openpapers serve`` calls this on a background thread)
        instead of on somebody's first hybrid search. The model is loaded only when there are vectors to
        compare with. Failures are left to the searches themselves to report."""
        done = {"keyword": False, "embedder": False}
        try:
            self.keyword.count()
            done["keyword"] = True
            self.speller.prepare()
            if self.vectors.count():
                self.embedder.embed(["warm up"])
                done["embedder"] = True
        except Exception:  # a search will raise (and report) the same problem, with its context
            log.warning("search warm-up failed", exc_info=True)
        return done

    # -- indexing ----------------------------------------------------------------------------------------------
    def sync(self, *, embed_limit: int | None = None, semantic: bool = True,
             progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
        """Bring the indexes up to date with the store: keyword fully, vectors up to ``embed_limit`` papers
        (newest first; keyword search covers whatever is not embedded yet)."""
        done = {"keyword": self.keyword.sync(self.store, progress=(lambda n: progress("keyword", n)) if progress
                                             else None)}
        if semantic:
            done["embedded"] = self.vectors.sync(
                self.store, self.embedder, limit=embed_limit,
                progress=(lambda n: progress("embed", n)) if progress else None)
            done["pending_embeddings"] = self.vectors.pending(self.store, self.embedder)
        return done

    def data_version(self) -> tuple[Any, ...]:
        """What search results depend on besides the store's seq: the store seq the keyword index is complete up
        to and the vector index's generation. The web's response cache keys entries by it, so that a page
        rendered between an import's commit and its index commit is not kept as if it showed the import. When it
        moves, the next search reloads both readers first (instead of within their own polling intervals), so a
        page of the new version is rendered from the new indexes. Cheap: a state file or one indexed row each."""
        keyword = self.keyword
        keyword.catch_up()  # host-local files of a shared database: sync them if it moved on (else a no-op)
        version = (keyword.last_seq, self.vectors.generation())
        if version != self._version:
            self._version, self._reload = version, self._version is not None
        return version

    # -- searching ---------------------------------------------------------------------------------------------
    def search(self, query: str, *, mode: str = "hybrid", filters: Filters | None = None, limit: int = 20,
               offset: int = 0) -> SearchResult:
        """Search; raises only :class:`QueryError` (with a message for the person who typed the query). A
        misspelt query gets a ``suggestion``, and the suggestion's results when it finds nothing as typed.
        ``topic:ID`` terms become a topic filter (:mod:`.topic_terms`)."""
        query, filters = topic_terms.extract(query or "", filters)
        filters = topic_terms.resolve(self.store.engine, filters)
        return spelled_search(
            self.speller, query, lambda q: self._search(q, mode, filters, limit, offset),
            lambda q: self.keyword.search(q, filters, limit=1, highlight=False)[1])

    def _search(self, query: str, mode: str, filters: Filters | None, limit: int, offset: int) -> SearchResult:
        started = time.perf_counter()
        if mode not in MODES:
            raise QueryError(f"mode must be one of {', '.join(MODES)}")
        if not 1 <= limit <= 200 or offset < 0 or offset + limit > MAX_RESULTS:
            raise QueryError(f"limit must be 1–200 and results end at number {MAX_RESULTS}")
        filters = filters or Filters()
        parsed = parse_query(query or "", allow_empty=not filters.is_empty())
        if self._reload:
            self._reload = False
            self.keyword.refresh()
            self.vectors.refresh()
        notes: list[str] = []
        if parsed.truncated:
            notes.append("the query was long; only its first terms were used")
        if mode == "keyword" or (mode == "hybrid" and not parsed.is_ranked()):
            ranked, total = self._keyword_ranked(query, parsed, filters, offset + limit)
            used = "keyword"
        elif mode == "semantic":
            ranked, total = self._semantic_ranked(parsed, filters)
            used = "semantic"
        else:
            ranked, total = self._hybrid_ranked(query, parsed, filters, offset + limit)
            used = "hybrid"
        page = ranked[offset:offset + limit]
        papers = {p.id: p for p in self.store.get_papers([s.paper_id for s in page])}
        hits = [Hit(s.paper_id, s.fused, ranks=s.ranks, explain=s.explain()) for s in page
                if s.paper_id in papers]  # a paper merged away since indexing
        self._highlight(hits, parsed, papers)
        if total == 0:
            notes.append(NO_MATCH)
        took = (time.perf_counter() - started) * 1000
        return SearchResult(query, used, hits, total, took, notes, papers)

    # -- the ranked lists: the same whatever page is asked for, so pages partition them --------------------------
    def _keyword_ranked(self, query: str, parsed: ParsedQuery, filters: Filters, need: int
                        ) -> tuple[list[Scored], int]:
        """Keyword matches, the first :data:`RERANK` reordered by RM3 feedback (:mod:`.feedback`); the rest
        in BM25 order. Filter-only queries list newest first, without feedback."""
        fetch = min(max(RERANK, need), MAX_RESULTS)
        hits, total = self.keyword.search(query, filters, limit=fetch, offset=0, highlight=False)
        raw = {h.paper_id: h.score for h in hits}
        scores = raw
        if parsed.is_ranked() and self.ranking.feedback and hits:
            head = self._feedback(parsed, filters, dict(list(raw.items())[:RERANK]))
            top = max(raw.values()) or 1.0  # the tail on the head's scale, as if its expansion score were 0
            scores = dict(sorted(head.items(), key=lambda kv: (-kv[1], kv[0])))
            scores.update((pid, self.ranking.feedback_keep * s / top) for pid, s in raw.items() if pid not in head)
        ranked = [Scored(pid, keyword_rank=i, keyword_score=raw[pid], fused=s)
                  for i, (pid, s) in enumerate(scores.items(), start=1)]
        return ranked, total

    def _feedback(self, parsed: ParsedQuery, filters: Filters, head: dict[str, float]) -> dict[str, float]:
        """RM3: the best :data:`feedback.DOCS` papers' words as a second keyword query, interpolated."""
        top = tuple(list(head)[:fb.DOCS])
        key = (str(parsed), top)
        expansion = self._expansions.get(key)
        if expansion is None:  # texts as the keyword side stored them (tantivy: its own stored fields, no store read)
            only = replace(filters, paper_ids=frozenset(top))
            texts = self.keyword.find(str(parsed), only, fb.DOCS, 0, texts=True).texts
            docs = [(f"{texts[pid][0]} {texts[pid][1] or ''}", head[pid]) for pid in top if pid in texts]
            expansion = fb.expand([t.text for t in parsed.highlight_terms()], docs)
            if len(self._expansions) >= 1024:  # the same query again (another page, a feed): no re-count
                self._expansions.clear()
            self._expansions[key] = expansion
        if not expansion.terms:
            return head
        negative = " ".join(str(c) for c in parsed.negative)
        try:
            extra, _ = self.keyword.search(expansion.query(negative), filters, limit=RERANK, offset=0,
                                           highlight=False)
        except QueryError:
            return head
        return fb.interpolate(head, {h.paper_id: h.score for h in extra}, self.ranking.feedback_keep)

    def _semantic_ranked(self, parsed: ParsedQuery, filters: Filters, early: Future[Any] | None = None,
                         depth: int = MAX_RESULTS) -> tuple[list[Scored], int]:
        """Semantic neighbours at or above the related floor (all of them, up to ``depth``)."""
        found = self._neighbours(parsed, filters, depth, early)
        floor = self.ranking.related_floor
        ranked = [Scored(pid, semantic_rank=i, similarity=sim, fused=sim)
                  for i, (pid, sim) in enumerate(found, start=1) if sim >= floor]
        return ranked, len(ranked)

    def _neighbours(self, parsed: ParsedQuery, filters: Filters, depth: int,
                    early: Future[Any] | None = None) -> list[tuple[str, float]]:
        text, sem_filters, excluded = semantic_view(parsed, filters)
        if not text.strip():
            return []
        # The query is embedded only once the retriever knows it has vectors to compare with (model load: seconds),
        # unless the hybrid path already started embedding it alongside the keyword search (``early``).
        vector = early.result if early is not None else (lambda: self._embed_query(text))
        found = self.vectors.search_within(self.store, vector, depth + (20 if excluded else 0), sem_filters)
        if excluded and found:
            papers = {p.id: p for p in self.store.get_papers([pid for pid, _ in found])}
            found = [(pid, s) for pid, s in found if pid in papers and not _contains_any(papers[pid], excluded)]
        return [(pid, float(s)) for pid, s in found[:depth]]

    def _hybrid_ranked(self, query: str, parsed: ParsedQuery, filters: Filters, need: int
                       ) -> tuple[list[Scored], int]:
        """The first :data:`RERANK` keyword matches and the semantic neighbours fused (:mod:`.fusion`); after
        them the remaining keyword matches in keyword order. ``total`` counts each paper once."""
        early = self._embed_early(parsed, filters)
        # Deep enough for the page even when every semantic neighbour lands before it (they are at most DEPTH)
        keyword, kw_total = self._keyword_ranked(query, parsed, filters, min(max(RERANK, need + DEPTH),
                                                                               MAX_RESULTS))
        try:
            semantic = self._neighbours(parsed, filters, DEPTH, early)
        except FileNotFoundError:
            semantic = []  # no vectors yet: keyword alone
        head = {s.paper_id: float(s.fused) for s in keyword[:RERANK]}
        fused = fusion.fuse(head, dict(semantic), semantic_weight=self.ranking.weight_for(parsed),
                            floor=self.ranking.semantic_floor, semantic_joins=not parsed.pins_text())
        by_id = {s.paper_id: s for s in keyword}
        joiners = []  # semantic neighbours not among the keyword matches fetched
        for s in fused:  # the keyword side's BM25 score (not the feedback-interpolated one), and its rank
            if (kw := by_id.get(s.paper_id)) is not None:
                s.keyword_rank, s.keyword_score = kw.keyword_rank, kw.keyword_score
            else:
                joiners.append(s.paper_id)
        also_matches = 0  # ... but keyword matches further down: counted once, and left out of the tail
        if joiners and kw_total > len(keyword):
            only = replace(filters, paper_ids=frozenset(joiners))
            also, _ = self.keyword.search(query, only, limit=len(joiners), offset=0, highlight=False)
            also_matches = len(also)
        shown = {s.paper_id for s in fused}
        tail = [s for s in keyword[RERANK:] if s.paper_id not in shown]
        return fused + tail, kw_total + len(joiners) - also_matches

    def _embed_query(self, text: str) -> Any:
        return self.embedder.embed_query(text)  # cached for repeated queries (pages, filters)

    def _embed_early(self, parsed: ParsedQuery, filters: Filters) -> Future[Any] | None:
        """Start embedding the query on a worker thread while the keyword side searches: onnxruntime releases
        the GIL, so a hybrid search costs about max(keyword, embedding) + ANN instead of their sum. Only once
        the model is loaded (a first search must not load it when no vectors exist)."""
        if self._embedder is None:
            return None
        text = semantic_view(parsed, filters)[0]
        if not text.strip():
            return None
        return _EMBED_POOL.submit(self._embed_query, text)

    def _highlight(self, hits: list[Hit], parsed: ParsedQuery, papers: dict[str, Paper]) -> None:
        """Retrievers return raw hits: mark the query's words in the page's hits, from the store's papers."""
        hl.mark_hits(hits, parsed, hl.hit_texts(papers[h.paper_id] for h in hits))

    # -- similar -----------------------------------------------------------------------------------------------
    def similar(self, ref: str, limit: int = 10) -> tuple[Paper, list[Hit], dict[str, Paper]]:
        """Nearest neighbours of a paper (itself and exact duplicates excluded)."""
        paper = self.store.get_paper(ref)
        if paper is None:
            raise QueryError(f"no paper {ref!r}")
        found = self.vectors.similar(paper.id, limit)
        hits = [Hit(pid, float(score), ranks={"semantic": i + 1}) for i, (pid, score) in enumerate(found)]
        papers = {p.id: p for p in self.store.get_papers([h.paper_id for h in hits])}
        hits = [h for h in hits if h.paper_id in papers]
        self._highlight(hits, ParsedQuery(), papers)
        return paper, hits, papers
