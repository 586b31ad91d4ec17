"""The sync half of :class:`openpapers.search.backends.faiss.VectorIndex`: scan the store for changed papers, embed
the queue, and reconcile the index with the store's vectors after a crash or a lost index.

Apart from the index because it is about the store and the model, not about files: the functions are handed
exactly what they change -- the :class:`~openpapers.search.backends.faiss_set.VectorSet`, the pending queue,
the lock that guards the set against searches in other threads -- and callbacks for what stays the index's
business (marking it dirty, saving a generation). So this module knows nothing of the index and the two do not
import each other. Called only from ``VectorIndex.sync``/``pending`` (one writer at a time).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import numpy as np

from openpapers.core.records import Paper
from openpapers.papers.store import Store
from openpapers.search.backends.faiss_facets import Facets
from openpapers.search.backends.faiss_set import VectorSet, hash64
from openpapers.search.embed import paper_text, text_hash
from openpapers.search.protocols import Embeds, Progress

SCAN_BATCH = 2000
EMBED_CHUNK = 128  # texts per model call
WRITE_CHUNK = 8192  # papers per read, store transaction and index add (at most)
FLUSH_S = 5.0  # ... or fewer: what the model made in this long
SAVE_EVERY_S = 300.0  # a long sync saves a generation this often, so other processes see its progress
Pending = dict[str, int]  # paper id -> published day ordinal (0 when unknown), in change order
Guard = AbstractContextManager[Any]  # the index's data lock: held while the set changes


def _day(paper: Paper) -> int:
    return paper.published.toordinal() if paper.published else 0


def reconcile(vset: VectorSet, guard: Guard, store: Store, model_id: str) -> None:
    """Make ``vset`` hold exactly the store's vectors of ``model_id`` (no model call: vectors are read)."""
    seen: list[np.ndarray] = []
    rows: list[tuple[int, str, str, bytes]] = []

    def flush() -> None:
        labels = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        hashes = np.fromiter((hash64(r[2]) for r in rows), dtype=np.uint64, count=len(rows))
        seen.append(labels)
        pos = vset.raw_positions(labels)
        stale = (pos < 0) | (vset.hashes[np.maximum(pos, 0)] != hashes) if vset.size else pos < 0
        idx = np.flatnonzero(stale)
        if len(idx):
            ids = [rows[i][1] for i in idx.tolist()]
            by_id = {p.id: p for p in store.get_papers(ids)}  # facets: the papers' current metadata
            facets = [Facets.of(by_id[pid]) if pid in by_id else Facets(0, False, ()) for pid in ids]
            vectors = np.frombuffer(b"".join(rows[i][3] for i in idx.tolist()), dtype="<f4")
            with guard:
                vset.add(labels[idx], ids, hashes[idx], vectors.reshape(len(idx), vset.dim), facets)
        rows.clear()

    for label, pid, model, digest, vector in store.iter_embeddings():
        if model == model_id and len(vector) == 4 * vset.dim:
            rows.append((label, pid, digest, vector))
            if len(rows) >= 5000:
                flush()
    if rows:
        flush()
    kept = np.concatenate(seen) if seen else np.empty(0, dtype=np.int64)
    gone = np.setdiff1d(vset.labels[vset.labels >= 0], kept)
    if len(gone):
        with guard:
            vset.remove(gone)

def scan(vset: VectorSet, pending: Pending, guard: Guard, store: Store, model_id: str, after: int) -> None:
    """Queue (in ``pending``) every paper changed after ``after`` whose stored vector is missing or stale;
    refresh the facets of those already indexed."""
    batch: list[Paper] = []

    def flush() -> None:
        digests = {p.id: text_hash(paper_text(p)) for p in batch}
        state = store.embedding_state(list(digests))
        moved: tuple[list[int], list[Facets]] = ([], [])
        for paper in batch:
            have = state.get(paper.id)
            if have is None or have[1] != model_id or have[2] != digests[paper.id]:
                pending[paper.id] = _day(paper)
            else:
                pending.pop(paper.id, None)
            pos = vset.position_of(paper.id)
            if pos is not None:  # categories, code or date may have changed without the text
                moved[0].append(pos)
                moved[1].append(Facets.of(paper))
        with guard:
            vset.facets.update(*moved)
        batch.clear()

    for paper in store.iter_papers(batch_size=SCAN_BATCH, after_seq=after):
        batch.append(paper)
        if len(batch) >= SCAN_BATCH:
            flush()
    if batch:
        flush()

def embed_pending(
    vset: VectorSet, pending: Pending, guard: Guard, store: Store, embedder: Embeds, limit: int | None,
    newest_first: bool, progress: Progress | None, *, mark_dirty: Callable[[], None], save: Callable[[], float],
    save_seconds: float,
) -> int:
    """Embed queued papers (newest published first unless told otherwise, at most ``limit``); returns how many.

    The model is called on EMBED_CHUNK texts at a time, but papers are read, and vectors stored and added to the
    index, in batches of up to WRITE_CHUNK (or what FLUSH_S of model time made): one store transaction and one
    multi-threaded HNSW add per batch instead of per model call, which is what bounds a fast embedder (a bulk
    tier, a backfill). A slow model still writes every few seconds, so a killed sync loses little.
    ``mark_dirty`` is called before the store gets vectors the saved index lacks; ``save`` saves a generation
    and returns the seconds it took (``save_seconds``: what the last one took)."""
    queue = list(pending)  # scan order: change order
    if newest_first:
        queue.sort(key=lambda pid: (-pending[pid], pid))
    if limit is not None:
        queue = queue[: max(limit, 0)]
    done = 0
    saved = time.monotonic()
    out = _Batch()
    for start in range(0, len(queue), WRITE_CHUNK):
        chunk = queue[start : start + WRITE_CHUNK]
        papers = store.get_papers(chunk)
        texts = {p.id: paper_text(p) for p in papers}
        digests = {pid: text_hash(text) for pid, text in texts.items()}
        state = store.embedding_state(list(texts))
        by_id = {p.id: p for p in papers}
        todo = [
            pid for pid in texts
            if (have := state.get(pid)) is None or have[1] != embedder.model_id or have[2] != digests[pid]
        ]
        for part_start in range(0, len(todo), EMBED_CHUNK):
            part = todo[part_start : part_start + EMBED_CHUNK]
            vectors = np.asarray(embedder.embed([texts[pid] for pid in part]), dtype=np.float32)
            out.take(part, [digests[pid] for pid in part], vectors, [Facets.of(by_id[pid]) for pid in part])
            if out.full():
                done += out.flush(vset, guard, store, embedder.model_id, mark_dirty)
                if progress:
                    progress(done)
        done += out.flush(vset, guard, store, embedder.model_id, mark_dirty)
        if progress and todo:
            progress(done)
        for pid in chunk:
            pending.pop(pid, None)
        # Save now and then so other processes see progress, but never spend over ~10 % of the time saving
        # (a save rewrites the whole graph: seconds for a million vectors).
        if time.monotonic() - saved > max(SAVE_EVERY_S, 10 * save_seconds):
            save_seconds = save()
            saved = time.monotonic()
    return done


class _Batch:
    """Vectors made but not yet stored: written to the store and added to the index together."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self.ids: list[str] = []
        self.digests: list[str] = []
        self.vectors: list[np.ndarray] = []
        self.facets: list[Facets] = []
        self.since = time.monotonic()

    def take(self, ids: list[str], digests: list[str], vectors: np.ndarray, facets: list[Facets]) -> None:
        if not self.ids:
            self.since = time.monotonic()
        self.ids.extend(ids)
        self.digests.extend(digests)
        self.vectors.append(vectors)
        self.facets.extend(facets)

    def full(self) -> bool:
        return len(self.ids) >= WRITE_CHUNK or time.monotonic() - self.since > FLUSH_S

    def flush(self, vset: VectorSet, guard: Guard, store: Store, model_id: str, mark_dirty: Callable[[], None]) -> int:
        if not self.ids:
            return 0
        vectors = np.vstack(self.vectors)
        mark_dirty()
        rows = [(pid, model_id, digest, vectors[i].astype("<f4").tobytes())
                for i, (pid, digest) in enumerate(zip(self.ids, self.digests, strict=True))]
        labels = store.put_embeddings(rows)
        with guard:
            vset.add(np.array([labels[pid] for pid in self.ids], dtype=np.int64), list(self.ids),
                     np.array([hash64(d) for d in self.digests], dtype=np.uint64), vectors, self.facets)
        n = len(self.ids)
        self._reset()
        return n
