"""Semantic retrieval: a persisted ANN index over the papers' embeddings, kept current incrementally.

The store's ``embeddings`` table is the source of truth (one vector per paper, with a stable integer label);
this index is a derived, rebuildable copy arranged for fast search (see :mod:`openpapers.search.backends.faiss_set`).

Layout under ``<data dir>/index/vectors/``: ``CURRENT`` names the live generation folder (``gen-000042/``:
the HNSW graph with its vectors, per-position arrays, the papers still waiting to be embedded, ``meta.json``
with the model, the store fingerprint and the store change number ``seq`` scanned up to). A save writes a new
generation and then swaps ``CURRENT`` atomically, so a reader -- the web server in another process -- never
sees half a save and picks up the new generation on its next search. ``DIRTY`` exists while the store holds
vectors the saved generation lacks (a sync in progress, or killed); the next sync then reconciles the index
with the store instead of re-embedding anything.

Syncing: papers changed since ``seq`` are scanned, and those whose text (:func:`~openpapers.search.embed.
paper_text`) or model changed join a persisted *pending* queue; the queue is embedded newest-published first,
``limit`` papers per call if asked, so a long backfill makes recent papers searchable first and can be
stopped and resumed at any point. Vectors of papers merged away are dropped from the store and the index.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from openpapers.core.errors import OpenPapersError
from openpapers.core.records import author_id, org_id
from openpapers.papers.store import Store
from openpapers.search.backends import faiss_sync
from openpapers.search.backends.faiss_set import EF_SEARCH, EXACT_THRESHOLD, VectorSet
from openpapers.search.backends.fingerprint import url_fingerprint
from openpapers.search.protocols import Embeds, Progress
from openpapers.search.types import Filters

try:
    import fcntl
except ImportError:  # not POSIX: one writer per index is then the operator's business
    fcntl = None  # type: ignore[assignment]

FORMAT = 2  # 2: per-position facets
REFRESH_S = 1.0  # how often a reader looks for a newer generation
COMPACT_SHARE = 0.25  # rebuild the graph when dead positions exceed this share
DUPLICATE_COSINE = 0.999


class VectorIndexBusyError(OpenPapersError):
    """Another process is syncing the vector index (one writer at a time)."""


def default_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / "index" / "vectors"


class VectorIndex:
    """The vector index at ``path``; cheap to construct (files are read on first use), thread-safe."""

    def __init__(
        self, path: str | Path, *, exact_threshold: int = EXACT_THRESHOLD, ef_search: int = EF_SEARCH,
        method: str = "auto",
    ) -> None:
        self.path = Path(path)
        self.exact_threshold = exact_threshold
        self.ef_search = ef_search
        self.method = method  # "auto", or "exact"/"ann" to force one side (benches)
        self._set: VectorSet | None = None
        self._meta: dict[str, Any] = {}
        self._pending: dict[str, int] = {}  # paper id -> published day ordinal (0 when unknown)
        self._loaded: str | None = None  # generation folder name in memory
        self._unloadable: str | None = None  # a generation that failed to load: not retried until CURRENT moves
        self._checked = 0.0
        self._save_seconds = 0.0
        self._data = threading.RLock()  # guards the in-memory set against a sync in another thread
        self._sync = threading.Lock()

    # -- state ---------------------------------------------------------------------------------------------------
    @property
    def model_id(self) -> str | None:
        self._refresh()
        return self._meta.get("model")

    def count(self) -> int:
        """Vectors searchable now."""
        self._refresh()
        return self._set.alive if self._set is not None else 0

    def _current_name(self) -> str | None:
        try:
            return (self.path / "CURRENT").read_text().strip() or None
        except FileNotFoundError:
            return None

    def generation(self) -> str | None:
        """The saved generation searches will use (the name in ``CURRENT``; None before the first save)."""
        return self._current_name()

    def refresh(self) -> None:
        """Pick up a generation saved by another process now (searches otherwise do within REFRESH_S)."""
        self._refresh(force=True)

    def _refresh(self, *, force: bool = False) -> None:
        """Load the newest saved generation if it is not the one in memory (checked at most every REFRESH_S)."""
        now = time.monotonic()
        if not force and now - self._checked < REFRESH_S:
            return
        if force:
            self._unloadable = None
        self._checked = now
        for _attempt in range(3):  # a writer may delete an old generation while we read it: look again
            name = self._current_name()
            if name is None or name == self._loaded or name == self._unloadable:
                return
            try:
                self._load(name)
                return
            except Exception:  # half-deleted or damaged: retry; a sync rebuilds a damaged index from the store
                time.sleep(0.05)
        # Still unreadable (another format, damaged): don't retry -- and sleep -- every REFRESH_S on the search
        # path (that stalled every search for 0.1 s each second); the next sync writes a new generation.
        self._unloadable = name

    def _load(self, name: str) -> None:
        folder = self.path / name
        meta = orjson.loads((folder / "meta.json").read_bytes())
        if meta.get("format") != FORMAT:
            raise ValueError(f"{folder}: unknown vector index format {meta.get('format')!r}")
        vset = VectorSet.load(folder, int(meta["dim"]))
        with np.load(folder / "pending.npz") as arrays:
            pending = dict(zip((b.decode() for b in arrays["ids"].tolist()), arrays["days"].tolist(), strict=True))
        with self._data:
            self._set, self._meta, self._pending, self._loaded = vset, meta, pending, name

    def _save(self) -> float:
        """Write a new generation and make it current; returns the seconds it took."""
        assert self._set is not None
        started = time.monotonic()
        generation = int(self._meta.get("generation", 0)) + 1
        name = f"gen-{generation:06d}"
        folder = self.path / name
        if folder.exists():
            shutil.rmtree(folder)
        meta = {**self._meta, "format": FORMAT, "generation": generation, "count": self._set.alive}
        # No lock: only the syncing thread changes the set, and it is the one saving; searches only read.
        self._set.save(folder)
        ids = np.array([pid.encode() for pid in self._pending], dtype=np.bytes_) if self._pending else np.empty(
            0, dtype="S1")
        np.savez(folder / "pending.npz", ids=ids, days=np.fromiter(self._pending.values(), dtype=np.int64))
        (folder / "meta.json").write_bytes(orjson.dumps(meta))
        tmp = self.path / "CURRENT.tmp"
        tmp.write_text(name)
        os.replace(tmp, self.path / "CURRENT")
        self._meta, self._loaded = meta, name
        (self.path / "DIRTY").unlink(missing_ok=True)
        for old in self.path.glob("gen-*"):
            if old.name != name:
                shutil.rmtree(old, ignore_errors=True)
        self._save_seconds = time.monotonic() - started
        return self._save_seconds

    def _mark_dirty(self) -> None:
        """The store is about to hold vectors the saved generation lacks (see the module docstring)."""
        (self.path / "DIRTY").touch()

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """One sync at a time: a thread lock in this process, an advisory file lock across processes."""
        with self._sync:
            self.path.mkdir(parents=True, exist_ok=True)
            with open(self.path / "LOCK", "a+") as lock:
                if fcntl is not None:
                    try:
                        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError as exc:
                        raise VectorIndexBusyError(f"the vector index {self.path} is being updated by another "
                                                   "process") from exc
                yield

    # -- searching -----------------------------------------------------------------------------------------------
    def _require(self) -> VectorSet:
        self._refresh()
        if self._set is None:
            raise FileNotFoundError(f"no vector index at {self.path}: run `openpapers index` first")
        return self._set

    def search(
        self, vector: np.ndarray, k: int, *, allowed_labels: Sequence[int] | np.ndarray | None = None
    ) -> list[tuple[str, float]]:
        """The ``k`` papers nearest to ``vector`` (cosine, best first), only among ``allowed_labels`` if given.

        Few candidates (``exact_threshold``, or a share too small for the graph) are searched exactly;
        otherwise the HNSW graph is searched with the candidates as a selector, so the k results all pass the
        filter (see :meth:`VectorSet.plan`)."""
        with self._data:
            vset = self._require()
            query = np.asarray(vector, dtype=np.float32).reshape(-1)
            if query.shape[0] != vset.dim:
                raise ValueError(f"query has dimension {query.shape[0]}, the index {vset.dim}")
            positions = None
            if allowed_labels is not None:
                positions = vset.label_positions(np.asarray(allowed_labels, dtype=np.int64))
                if len(positions) == 0:
                    return []
            found, scores = vset.search(query, k, positions, ef=self.ef_search, exact_threshold=self.exact_threshold,
                                        method=self.method)
            return [(vset.ids[p], float(s)) for p, s in zip(found.tolist(), scores.tolist(), strict=True)]

    def similar(self, paper_id: str, k: int) -> list[tuple[str, float]]:
        """Nearest neighbours of a paper, leaving out the paper itself and exact duplicates of it (the same
        embedded text, or cosine >= 0.999). Empty when the paper has no vector yet."""
        with self._data:
            vset = self._require()
            pos = vset.position_of(paper_id)
            if pos is None or k <= 0:
                return []
            query = vset.matrix()[pos].copy()
            own = vset.hashes[pos]
            want = k + 8
            while True:
                found, scores = vset.search(query, want, ef=self.ef_search, exact_threshold=self.exact_threshold,
                                            method=self.method)
                out = [
                    (vset.ids[p], float(s))
                    for p, s in zip(found.tolist(), scores.tolist(), strict=True)
                    if p != pos and vset.hashes[p] != own and s < DUPLICATE_COSINE
                ]
                if len(out) >= k or want >= vset.alive:
                    return out[:k]
                want *= 4

    def search_within(
        self, store: Store, query: Callable[[], np.ndarray], k: int, filters: Filters
    ) -> list[tuple[str, float]]:
        """:meth:`search` among the papers passing ``filters``; ``query()`` gives the query vector and is called
        only when there is something to search (so a filter matching nothing never loads the model)."""
        allowed = None if filters.is_empty() else self.labels_for(store, filters)
        if allowed is not None and len(allowed) == 0:
            self._require()
            return []
        return self.search(query(), k, allowed_labels=allowed)

    def labels_for(self, store: Store, filters: Filters) -> np.ndarray:
        """Labels of the indexed papers that pass ``filters`` (the service's ``allowed_labels``).

        Dates, ``has_code`` and categories are answered from the index's own facets (milliseconds even for a
        filter matching most papers); authors and organisations, which match few papers, by the store."""
        with self._data:
            vset = self._require()
            mask = vset.facets.match(date_from=filters.date_from, date_to=filters.date_to,
                                     has_code=filters.has_code, categories=list(filters.categories))
            alive = vset.labels >= 0
            mask = alive if mask is None else mask & alive
            if filters.authors or filters.orgs:
                found = store.embedding_labels(author_ids=sorted({author_id(a) for a in filters.authors}),
                                               org_ids=sorted({org_id(o) for o in filters.orgs}))
                chosen = np.zeros(vset.size, dtype=bool)
                chosen[vset.label_positions(np.asarray(found, dtype=np.int64))] = True
                mask &= chosen
            if filters.paper_ids is not None:  # a topic filter: its papers' labels
                labels = [state[0] for state in store.embedding_state(sorted(filters.paper_ids)).values()]
                chosen = np.zeros(vset.size, dtype=bool)
                chosen[vset.label_positions(np.asarray(labels, dtype=np.int64))] = True
                mask &= chosen
            return vset.labels[np.flatnonzero(mask)]

    def live_vectors(self) -> tuple[list[str], np.ndarray]:
        """Every searchable (paper id, vector), as a copy: for benches that compare with exact search."""
        with self._data:
            vset = self._require()
            live = np.flatnonzero(vset.labels >= 0)
            return [vset.ids[p] for p in live.tolist()], vset.matrix()[live].copy()

    # -- syncing -------------------------------------------------------------------------------------------------
    def sync(
        self, store: Store, embedder: Embeds, *, limit: int | None = None, newest_first: bool = True,
        progress: Progress | None = None,
    ) -> int:
        """Embed papers whose text or model changed (newest published first, at most ``limit``), drop vectors
        of papers merged away, save. Returns how many papers were embedded."""
        with self._writing():
            changed = self._prepare(store, embedder)
            vset = self._set
            assert vset is not None
            done = faiss_sync.embed_pending(vset, self._pending, self._data, store, embedder, limit, newest_first,
                                             progress, mark_dirty=self._mark_dirty, save=self._save,
                                             save_seconds=self._save_seconds)
            if vset.size - vset.alive > COMPACT_SHARE * vset.size:
                compacted = vset.compacted()
                with self._data:
                    self._set = compacted
                changed = True
            if changed or done or self._loaded is None:
                self._save()
            return done

    def pending(self, store: Store, embedder: Embeds) -> int:
        """How many papers await embedding (scans changes since the last sync; embeds nothing)."""
        with self._writing():
            if self._prepare(store, embedder) or self._loaded is None:
                self._save()
            return len(self._pending)

    def _prepare(self, store: Store, embedder: Embeds) -> bool:
        """Load, start over if the model or store changed, reconcile after a killed sync, scan new changes."""
        self._refresh(force=True)
        head = store.current_seq()
        fingerprint = url_fingerprint(store)  # only SQLite stores get files (PostgreSQL: pgvector)
        meta = self._meta
        changed = False
        if (
            self._set is None
            or meta.get("model") != embedder.model_id
            or int(meta.get("dim", 0)) != embedder.dim
            or meta.get("store") != fingerprint
            or head < int(meta.get("seq", 0))
        ):
            with self._data:
                self._set = VectorSet(embedder.dim)
                self._pending = {}
                self._meta = {"model": embedder.model_id, "dim": embedder.dim, "store": fingerprint, "seq": 0,
                              "generation": meta.get("generation", 0)}
            faiss_sync.reconcile(self._set, self._data, store, embedder.model_id)
            changed = True
        elif (self.path / "DIRTY").exists():
            faiss_sync.reconcile(self._set, self._data, store, embedder.model_id)
            changed = True
        after = int(self._meta.get("seq", 0))
        if head > after:
            faiss_sync.scan(self._set, self._pending, self._data, store, embedder.model_id, after)
            removed = store.prune_embeddings()
            if removed:
                with self._data:
                    self._set.remove(np.asarray(removed, dtype=np.int64))
            self._meta["seq"] = head
            changed = True
        return changed


__all__ = ["VectorIndex", "VectorIndexBusyError", "default_path"]
