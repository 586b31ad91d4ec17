"""Keyword retrieval: a tantivy (BM25) index of the store's papers, kept current incrementally.

Layout: ``<data dir>/index/keyword/`` holds the tantivy files, ``keyword.state.json`` beside it the sync state
(schema version, the store's change number ``seq`` indexed up to, and a fingerprint of the store: its URL, or a
PostgreSQL database's own id). The state is written only after tantivy has committed, so a killed sync is simply
redone (indexing is an upsert).

Matching: every word must match (in the title, abstract or author names) -- the best ranking for the short
queries people type. When that finds fewer than ``limit`` papers the search is rerun requiring any one word
(field prefixes, exclusions and filters still apply), because a long or over-specific query should return
near misses rather than nothing; :attr:`SearchInfo.mode` says which happened. The choice depends on the AND
count and ``limit`` only, never on ``offset``, so every page of one query uses the same mode.

Concurrency: tantivy allows one writer per index. The writer is taken only inside :meth:`KeywordIndex.sync`
and :meth:`KeywordIndex.rebuild` (another process syncing makes them raise :class:`IndexBusyError`); searchers in
any process keep serving the last commit and pick up a new one on their own, or at once after :meth:`refresh`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import tantivy

from openpapers.core.errors import OpenPapersError
from openpapers.papers.browse import decode_paper
from openpapers.papers.store import Store
from openpapers.search.backends import tantivy_schema as ks
from openpapers.search.backends.fingerprint import store_fingerprint
from openpapers.search.backends.keyword_base import ANY_BELOW, Found, KeywordSearch, SearchInfo, checked_request
from openpapers.search.protocols import Progress
from openpapers.search.stopwords import stop_words
from openpapers.search.types import Filters, Hit

WRITER_HEAP = 128_000_000


class IndexBusyError(OpenPapersError):
    """Another process is writing the keyword index (one writer at a time)."""


class KeywordIndex(KeywordSearch):
    """The keyword index at ``path`` (created when missing). Cheap to keep open; thread-safe for searching.
    ``search``/``search_with_info`` come from :class:`KeywordSearch`; highlights from the stored fields."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.state_path = self.path.with_name(self.path.name + ".state.json")
        self._index = self._open()

    # -- lifecycle ---------------------------------------------------------------------------------------------
    def _open(self) -> tantivy.Index:
        state = self._read_state()
        if state.get("schema") not in (None, ks.SCHEMA_VERSION) and self.path.exists():
            shutil.rmtree(self.path)  # built by another openpapers version: rebuilt from scratch by the next sync
            self._write_state({"schema": ks.SCHEMA_VERSION, "last_seq": 0})
        self.path.mkdir(parents=True, exist_ok=True)
        try:
            index = tantivy.Index(ks.SCHEMA, path=str(self.path), reuse=True)
        except ValueError:  # files from an unknown schema and no state to say so: start over
            shutil.rmtree(self.path)
            self.path.mkdir(parents=True)
            index = tantivy.Index(ks.SCHEMA, path=str(self.path), reuse=True)
            self._write_state({"schema": ks.SCHEMA_VERSION, "last_seq": 0})
        ks.register_analyzers(index)
        if not self.state_path.exists():
            self._write_state({"schema": ks.SCHEMA_VERSION, "last_seq": 0})
        return index

    def _read_state(self) -> dict[str, Any]:
        try:
            data = orjson.loads(self.state_path.read_bytes())
        except (FileNotFoundError, orjson.JSONDecodeError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write_state(self, state: dict[str, Any]) -> None:
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_bytes(orjson.dumps(state))
        os.replace(tmp, self.state_path)

    @property
    def last_seq(self) -> int:
        """The store change number this index is complete up to."""
        return int(self._read_state().get("last_seq") or 0)

    def refresh(self) -> None:
        """See the latest commit now (other processes' commits are otherwise picked up within a moment)."""
        self._index.reload()

    def count(self) -> int:
        return int(self._index.searcher().num_docs)

    def _writer(self) -> tantivy.IndexWriter:
        try:
            return self._index.writer(heap_size=WRITER_HEAP)
        except ValueError as exc:
            raise IndexBusyError(f"the keyword index {self.path} is being updated by another process") from exc

    # -- writing -----------------------------------------------------------------------------------------------
    def sync(self, store: Store, *, batch: int = 5000, progress: Progress | None = None) -> int:
        """Index every paper changed since the last sync (upsert by id) and drop papers merged away.

        Returns the number of papers (re)indexed. Everything becomes visible in one commit at the end, and the
        new high-water mark is recorded only after it, so an interrupted sync is redone whole next time.
        """
        state = self._read_state()
        fingerprint = store_fingerprint(store)
        if state.get("store") not in (None, fingerprint):
            return self.rebuild(store, batch=batch, progress=progress)  # another database: last_seq means nothing
        head = store.current_seq()  # read first: changes made while we run get a larger seq and come next time
        after = int(state.get("last_seq") or 0)
        if head < after:  # the store was reset or replaced under us
            return self.rebuild(store, batch=batch, progress=progress)
        if head == after and state.get("store"):
            return 0  # nothing changed: don't even take the writer (callers may poll)
        done = 0
        writer = self._writer()
        with writer:  # leaving the block commits and releases the lock; on error we roll back first
            try:
                fresh = self.count() == 0  # a first build: nothing to replace
                for pid, doc in _documents(store, batch, after):
                    if not fresh:
                        writer.delete_documents_by_term("id", pid)
                    writer.add_document(doc)
                    done += 1
                    if progress and done % batch == 0:
                        progress(done)
                writer.commit()
                self._index.reload()
                self._purge_removed(store, writer)
            except BaseException:
                writer.rollback()
                raise
        self._index.reload()
        self._write_state({"schema": ks.SCHEMA_VERSION, "last_seq": head, "store": fingerprint})
        if progress and done % batch:
            progress(done)
        return done

    def _purge_removed(self, store: Store, writer: tantivy.IndexWriter) -> int:
        """Delete documents whose paper no longer exists (merged into another, or its claims moved).

        Every current paper is indexed after the upserts, so extra documents can only be such leftovers; the
        id list is read (from the term dictionary, cheap) and checked against the store only in that case.
        """
        if self.count() <= store.count_papers():
            return 0
        ids = [term for term, _ in self._index.searcher().terms_with_prefix("id", "")]
        gone = set(ids) - store.existing_ids(ids)
        for pid in gone:
            writer.delete_documents_by_term("id", pid)
        if gone:
            writer.commit()
            self._index.reload()
        return len(gone)

    def rebuild(self, store: Store, *, batch: int = 5000, progress: Progress | None = None) -> int:
        """Reindex everything from the store. Searchers keep the old contents until the single final commit."""
        head = store.current_seq()
        done = 0
        writer = self._writer()
        with writer:
            try:
                writer.delete_all_documents()
                for _pid, doc in _documents(store, batch, 0):
                    writer.add_document(doc)
                    done += 1
                    if progress and done % batch == 0:
                        progress(done)
                writer.commit()
            except BaseException:
                writer.rollback()
                raise
        self._index.reload()
        self._write_state({"schema": ks.SCHEMA_VERSION, "last_seq": head, "store": store_fingerprint(store)})
        if progress and done % batch:
            progress(done)
        return done

    # -- searching ---------------------------------------------------------------------------------------------
    def find(self, query: str, filters: Filters | None, limit: int, offset: int, *, texts: bool) -> Found:
        """The raw page (see :class:`KeywordSearch`); ``texts`` come from the stored title and abstract."""
        filters, parsed = checked_request(query, filters, limit, offset)
        searcher = self._index.searcher()  # one snapshot for the whole search, even if a commit lands meanwhile
        ranked = parsed.is_ranked()
        mode = "all" if ranked else "newest"
        hits, total = self._run(searcher, ks.compile_query(parsed, filters, require_all=True), limit, offset,
                                newest=not ranked)
        if ranked and total < ANY_BELOW and ks.free_clause_count(parsed) > 1:
            relaxed = parsed.without(stop_words())
            any_hits, any_total = self._run(searcher, ks.compile_query(relaxed, filters, require_all=False), limit,
                                            offset)
            if any_total > total:
                hits, total, mode = any_hits, any_total, "any"
        page: list[Hit] = []
        stored: dict[str, tuple[str, str | None]] = {}
        for score, addr in hits:
            doc = searcher.doc(addr)
            paper_id = str(doc.get_first("id"))  # every document has its id
            score = float(score or 0.0)  # BM25; the any-word fallback's all-words bonus only orders, it is not one
            page.append(Hit(paper_id=paper_id, score=score - ks.ALL_WORDS_BONUS if score >= ks.ALL_WORDS_BONUS
                            else score))
            if texts:  # as indexed: composed (see tantivy_schema.paper_document)
                stored[paper_id] = (doc.get_first("title") or "", doc.get_first("abstract"))
        return Found(page, total, SearchInfo(mode, total, parsed), stored)

    def _run(
        self, searcher: tantivy.Searcher, query: tantivy.Query | None, limit: int, offset: int, *, newest: bool = False
    ) -> tuple[list[tuple[Any, tantivy.DocAddress]], int]:
        if query is None:
            return [], 0
        if newest:
            result = searcher.search(query, limit, count=True, order_by_field="published", offset=offset)
        else:
            result = searcher.search(query, limit, count=True, offset=offset)
        # tantivy's bundled stub omits SearchResult.count (set when count=True): read it as the untyped attribute
        count: int | None = getattr(result, "count", None)
        return list(result.hits), int(count or 0)


def _documents(store: Store, batch: int, after_seq: int) -> Iterator[tuple[str, tantivy.Document]]:
    """(id, document) of every paper changed after ``after_seq``. A paper stored as its one claim (most of a
    bulk import) is indexed from the claim's JSON directly (``claim_document``), the rest via the Paper."""
    for row in store.iter_paper_rows(batch_size=batch, after_seq=after_seq):
        pid, merged, claim = row[0], row[1], row[2]
        if merged is None and claim is not None:
            yield pid, ks.claim_document(pid, orjson.loads(claim))
        else:
            yield pid, ks.paper_document(decode_paper(row))


def default_path(data_dir: str | Path) -> Path:
    """Where the keyword index of a data dir lives."""
    return Path(data_dir) / "index" / "keyword"
