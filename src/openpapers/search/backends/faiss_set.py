"""The in-memory vector set behind :class:`openpapers.search.backends.faiss.VectorIndex`: vectors by position, a faiss
HNSW graph over them, and per position the store label, paper id and text hash.

Positions only grow. faiss's HNSW cannot delete or overwrite a vector, so a re-embedded paper gets a new
position and its old one is marked dead (label -1); a deleted paper's position is marked dead too. Dead
positions are filtered out of every search with a faiss ``IDSelector`` (and by the exact path directly), and
:meth:`VectorSet.compacted` rebuilds the graph without them once they are a large share.

Search is exact (numpy, over the candidate positions) when the candidates are few -- it is both faster and
perfect there -- and HNSW otherwise, restricted to the candidates by a bitmap selector, so filters are applied
*inside* the search and a filtered query still returns its k best matches.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import faiss
import numpy as np

from openpapers.search.backends.faiss_facets import Facets, FacetTable, Grow

# Measured on 100k clustered unit vectors as hard as real embeddings (top-1 cosine ~0.3), 2-core CPU: M=32,
# efConstruction=64 gives recall@10 0.95 at efSearch 128 and 0.96 at 256; 256 leaves a margin for larger
# indexes at ~2 ms a query. On static MiniLM vectors of the synthetic corpus (bench/search_static.py; low
# contrast: top-1 cosine 0.38 for short queries) a 30k graph built with efConstruction=64 gave recall@10 0.94 at
# efSearch 256 for short queries, 0.99 for paper-like ones; efConstruction=200 gave 0.97 / 1.00 for 3.4x the
# build time -- still ten times faster than embedding the same papers, so the better graph is worth it. With
# that graph on 100k static vectors, recall@10 over 212 queries was 0.82 at efSearch 128, 0.91 at 256, 0.94
# at 384 and 0.96 at 512: 512 is the lowest beam meeting the 0.95 target on these (pessimistic) vectors.
HNSW_M = 32
EF_CONSTRUCTION = 200
EF_SEARCH = 512
# Large adds (a backfill from a bulk embedder) build with a smaller candidate list: 2-5x faster inserts, and
# searches at EF_SEARCH still find the true top 10 (recall@10 at 100k clustered 384-d vectors: 1.000 with 64,
# 0.998 with 40; bench/full_arxiv.py prints it). Small incremental adds keep EF_CONSTRUCTION.
BULK_ADD = 2048
BULK_EF_CONSTRUCTION = 64
EF_MAX = 4096  # widest beam for filtered search; narrower filters go exact (see VectorSet.plan)
EXACT_THRESHOLD = 20_000  # at most this many candidates: always brute force (a few ms at dim 384)
ANN_COST_PER_EF = 70  # one beam slot costs about as much as this many brute-force vector products (measured)


def hash64(text_hash: str) -> int:
    """The store's hex text hash as an unsigned 64-bit int (first 16 hex digits) for a compact array."""
    return int(text_hash[:16], 16)


class VectorSet:
    """Vectors addressed by store label; see the module docstring for the position scheme."""

    def __init__(self, dim: int, *, m: int = HNSW_M, ef_construction: int = EF_CONSTRUCTION) -> None:
        self.dim = dim
        self.index = faiss.IndexHNSWFlat(dim, m, faiss.METRIC_INNER_PRODUCT)
        self.index.hnsw.efConstruction = ef_construction
        self._labels = Grow(np.int64)  # position -> label, -1 when dead
        self._hashes = Grow(np.uint64)  # position -> text hash
        self.ids: list[str] = []  # position -> paper id
        self._label_pos = np.full(1024, -1, dtype=np.int64)  # label -> live position, -1 when none
        self.paper_pos: dict[str, int] = {}  # paper id -> live position
        self._alive_bits: np.ndarray | None = None  # cached selector bitmap of live positions
        self.facets = FacetTable()  # position -> published day, has_code, categories (for filters)

    # -- shape ---------------------------------------------------------------------------------------------------
    @property
    def size(self) -> int:
        """Positions used, dead ones included."""
        return self._labels.size

    @property
    def alive(self) -> int:
        return len(self.paper_pos)

    @property
    def labels(self) -> np.ndarray:
        return self._labels.view

    @property
    def hashes(self) -> np.ndarray:
        return self._hashes.view

    def matrix(self) -> np.ndarray:
        """``(size, dim)`` view of the vectors inside faiss (no copy). Re-fetch after :meth:`add`: faiss may
        reallocate its storage."""
        if self.size == 0:
            return np.empty((0, self.dim), dtype=np.float32)
        storage = faiss.downcast_index(self.index.storage)
        return faiss.rev_swig_ptr(storage.get_xb(), self.size * self.dim).reshape(self.size, self.dim)

    def label_positions(self, labels: np.ndarray) -> np.ndarray:
        """Live positions of ``labels``, ascending (unknown, dead and repeated labels dropped)."""
        pos = self.raw_positions(labels)
        mark = np.zeros(self.size, dtype=bool)
        mark[pos[pos >= 0]] = True
        return np.flatnonzero(mark)

    def raw_positions(self, labels: np.ndarray) -> np.ndarray:
        """Live position per label, element-wise, -1 where a label has none."""
        labels = np.asarray(labels, dtype=np.int64)
        out = np.full(len(labels), -1, dtype=np.int64)
        ok = (labels >= 0) & (labels < len(self._label_pos))
        out[ok] = self._label_pos[labels[ok]]
        return out

    def position_of(self, paper_id: str) -> int | None:
        return self.paper_pos.get(paper_id)

    # -- changing ------------------------------------------------------------------------------------------------
    def add(
        self, labels: np.ndarray, ids: list[str], hashes: np.ndarray, vectors: np.ndarray,
        facets: list[Facets] | None = None,
    ) -> None:
        """Add vectors with their papers' facets; a label already present is replaced (its old position dies)."""
        if len(ids) == 0:
            return
        self.facets.extend(facets if facets is not None else [Facets(0, False, ())] * len(ids))
        labels = np.asarray(labels, dtype=np.int64)
        self.remove(labels)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        start = self.size
        hnsw = self.index.hnsw
        if len(vectors) >= BULK_ADD:  # a backfill: a cheaper graph search per insert (see BULK_EF_CONSTRUCTION)
            hnsw.efConstruction, usual = min(BULK_EF_CONSTRUCTION, hnsw.efConstruction), hnsw.efConstruction
            try:
                self.index.add(vectors)
            finally:
                hnsw.efConstruction = usual
        else:
            self.index.add(vectors)
        self._labels.extend(labels)
        self._hashes.extend(np.asarray(hashes, dtype=np.uint64))
        self.ids.extend(ids)
        top = int(labels.max()) + 1
        if top > len(self._label_pos):
            grown = np.full(max(top, 2 * len(self._label_pos)), -1, dtype=np.int64)
            grown[: len(self._label_pos)] = self._label_pos
            self._label_pos = grown
        positions = np.arange(start, start + len(ids), dtype=np.int64)
        self._label_pos[labels] = positions
        for pid, pos in zip(ids, positions.tolist(), strict=True):
            self.paper_pos[pid] = pos
        self._alive_bits = None

    def remove(self, labels: np.ndarray) -> int:
        """Mark the live positions of ``labels`` dead; returns how many there were."""
        pos = self.label_positions(labels)
        if len(pos) == 0:
            return 0
        for p in pos.tolist():
            pid = self.ids[p]
            if self.paper_pos.get(pid) == p:
                del self.paper_pos[pid]
        self._label_pos[self._labels.view[pos]] = -1
        self._labels.view[pos] = -1
        self._alive_bits = None
        return len(pos)

    def compacted(self) -> VectorSet:
        """A new set holding only the live vectors (a fresh graph: minutes for millions of vectors)."""
        fresh = VectorSet(self.dim, m=self.index.hnsw.nb_neighbors(1), ef_construction=self.index.hnsw.efConstruction)
        live = np.flatnonzero(self.labels >= 0)
        matrix = self.matrix()
        for start in range(0, len(live), 50_000):
            part = live[start : start + 50_000]
            fresh.add(self.labels[part], [self.ids[p] for p in part.tolist()], self.hashes[part], matrix[part])
        fresh.facets = self.facets.take(live)
        return fresh

    # -- searching -----------------------------------------------------------------------------------------------
    def _bitmap(self, positions: np.ndarray | None) -> np.ndarray | None:
        """Packed selector bits for ``positions`` (None: every live position; None back when all are live)."""
        if positions is None:
            if self.alive == self.size:
                return None
            if self._alive_bits is None:
                self._alive_bits = np.packbits(self.labels >= 0, bitorder="little")
            return self._alive_bits
        bits = np.zeros(self.size, dtype=bool)
        bits[positions] = True
        return np.packbits(bits, bitorder="little")

    def plan(self, k: int, candidates: int, *, ef: int = EF_SEARCH, exact_threshold: int = EXACT_THRESHOLD,
             method: str = "auto") -> tuple[str, int]:
        """How a search over ``candidates`` live positions runs: ``("exact", 0)`` or ``("ann", efSearch)``.

        HNSW restricted by a selector must wade through the graph's non-candidates, so its beam grows as the
        candidates' share falls: ``2 * ef / share`` kept recall@10 at 0.96-0.99 for shares 0.13-0.8 (100k
        vectors), where plain ``ef`` gave 0.91-0.95. Brute force costs one pass over the vectors (or a gather
        of the candidates); ``auto`` takes whichever is cheaper, by the measured cost of one beam slot
        (:data:`ANN_COST_PER_EF` vector products), and always brute force once the beam would pass
        :data:`EF_MAX`. ``method="exact"``/``"ann"`` force one side (tests and benches)."""
        want = max(ef, 2 * k)
        share = candidates / max(self.size, 1)  # of the graph's nodes, dead ones included
        beam = want if share >= 0.9 else -(-2 * want // share)
        if method == "exact" or (method == "auto" and candidates <= exact_threshold):
            return "exact", 0
        if method == "ann":
            return "ann", int(min(beam, EF_MAX))
        exact_cost = min(self.size, 3 * candidates)
        if beam > EF_MAX or exact_cost <= ANN_COST_PER_EF * beam:
            return "exact", 0
        return "ann", int(beam)

    def search(
        self, query: np.ndarray, k: int, positions: np.ndarray | None = None, *, ef: int = EF_SEARCH,
        exact_threshold: int = EXACT_THRESHOLD, method: str = "auto",
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` live positions by inner product, restricted to ``positions`` when given: (positions, scores)."""
        candidates = self.alive if positions is None else len(positions)
        if k <= 0 or candidates == 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(-1)
        how, beam = self.plan(k, candidates, ef=ef, exact_threshold=exact_threshold, method=method)
        if how == "exact":
            return self._exact(query, k, positions)
        return self._ann(query, k, positions, beam)

    def _scores(self, query: np.ndarray, positions: np.ndarray | None) -> np.ndarray:
        """Inner products with the vectors at ``positions`` (all positions when None). A large share is cheaper
        as one pass over the whole matrix than as a gather; a small one is gathered in slices (bounded
        temporary memory)."""
        matrix = self.matrix()
        if positions is None or 4 * len(positions) > len(matrix):
            full = matrix @ query
            return full if positions is None else full[positions]
        out = np.empty(len(positions), dtype=np.float32)
        for start in range(0, len(positions), 16_384):
            part = positions[start : start + 16_384]
            out[start : start + len(part)] = matrix[part] @ query
        return out

    def _exact(self, query: np.ndarray, k: int, positions: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        if positions is None and self.alive < self.size:
            positions = np.flatnonzero(self.labels >= 0)
        scores = self._scores(query, positions)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.lexsort((top, -scores[top]))]  # best first; ties by position, so results are stable
        found = top if positions is None else positions[top]
        return found.astype(np.int64), scores[top].astype(np.float32)

    def _ann(self, query: np.ndarray, k: int, positions: np.ndarray | None, beam: int) -> tuple[np.ndarray, np.ndarray]:
        params = faiss.SearchParametersHNSW()
        params.efSearch = beam
        bits = self._bitmap(positions)
        if bits is not None:
            selector = faiss.IDSelectorBitmap(self.size, faiss.swig_ptr(bits))  # bits must outlive the search
            params.sel = selector
        scores, found = self.index.search(query[None, :], k, params=params)
        keep = found[0] >= 0
        return found[0][keep].astype(np.int64), scores[0][keep]

    # -- persistence ---------------------------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        faiss.write_index(self.index, str(folder / "hnsw.faiss"))
        ids = np.array([pid.encode() for pid in self.ids], dtype=np.bytes_) if self.ids else np.empty(0, dtype="S1")
        arrays: dict[str, Any] = {"labels": self.labels, "hashes": self.hashes, "ids": ids}
        arrays.update({f"facet_{k}": v for k, v in self.facets.arrays().items()})
        np.savez(folder / "positions.npz", **arrays)

    @classmethod
    def load(cls, folder: Path, dim: int) -> VectorSet:
        index = faiss.read_index(str(folder / "hnsw.faiss"))
        if index.d != dim:
            raise ValueError(f"{folder}: vectors have dimension {index.d}, expected {dim}")
        with np.load(folder / "positions.npz") as arrays:
            labels, hashes, ids = arrays["labels"], arrays["hashes"], arrays["ids"]
            facets = FacetTable.from_arrays({k[6:]: arrays[k] for k in arrays.files if k.startswith("facet_")})
        if not (len(labels) == len(hashes) == len(ids) == facets.size == index.ntotal):
            raise ValueError(f"{folder}: position arrays and the graph disagree")
        out = cls(dim)
        out.index = index
        out._labels = Grow(np.int64, labels)
        out._hashes = Grow(np.uint64, hashes)
        out.facets = facets
        out.ids = [b.decode() for b in ids.tolist()]
        live = np.flatnonzero(labels >= 0)
        if len(live):
            out._label_pos = np.full(int(labels.max()) + 1, -1, dtype=np.int64)
            out._label_pos[labels[live]] = live
        out.paper_pos = {out.ids[p]: p for p in live.tolist()}
        return out
