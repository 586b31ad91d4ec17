"""The faiss vector index (the SQLite backend's retriever) on a real SQLite store: incremental sync, stable
labels, filters inside exact and ANN search, similar papers, deletions, persistence, and the store's embedding table.

Sync tests use the shipped model on a handful of papers; ANN tests use random unit vectors (through
:class:`TableEmbedder`, a stand-in that maps texts to given vectors), because the graph's behaviour depends on
the vectors' number and shape, not on their meaning.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from openpapers.core.records import PaperRecord, author_id, org_id
from openpapers.core.settings import resolve_settings
from openpapers.papers.store import Store, open_store
from openpapers.search.backends.faiss import VectorIndex, default_path
from openpapers.search.backends.faiss_facets import Facets, FacetTable
from openpapers.search.backends.faiss_set import EF_SEARCH, VectorSet
from openpapers.search.embed import Embedder, paper_text, text_hash
from openpapers.search.types import Filters

# faiss index files are the SQLite backend's; PostgreSQL's pgvector retriever has tests/search/test_pg_search.py.
pytestmark = pytest.mark.sqlite_only

PAPERS = [
    ("2401.00001", "Fourier Neural Operators for Parametric PDEs",
     "We learn solution operators of partial differential equations in Fourier space.", date(2024, 1, 5)),
    ("2402.00002", "Physics-Informed Networks for the Navier-Stokes Equations",
     "A neural PDE solver that enforces the fluid equations as a soft constraint.", date(2024, 2, 5)),
    ("2403.00003", "Streaming Speech Recognition with Transducers",
     "End-to-end automatic speech recognition that transcribes audio in real time.", date(2024, 3, 5)),
    ("2404.00004", "Teaching Language Models to Call Tools",
     "Large language models learn to call external APIs from a few demonstrations.", date(2024, 4, 5)),
    ("2405.00005", "Diffusion Models for Image Synthesis",
     "Denoising diffusion probabilistic models generate high-fidelity images.", date(2024, 5, 5)),
    ("2406.00006", "Graph Neural Networks for Molecules",
     "Message passing networks predict molecular properties from atom graphs.", date(2024, 6, 5)),
]


def record(arxiv: str, title: str, abstract: str, published: date, **kw: object) -> PaperRecord:
    base: dict[str, object] = dict(source="arxiv-api", source_key=arxiv, observed=date(2026, 1, 1), arxiv_id=arxiv,
                                   title=title, abstract=abstract, published=published, categories=["cs.LG"],
                                   authors=["Ada Lovelace"], authors_complete=True)
    base.update(kw)
    return PaperRecord(**base)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(resolve_settings(tmp_path))
    yield s
    s.close()


@pytest.fixture(scope="module")
def model() -> Iterator[Embedder]:
    m = Embedder.load()
    yield m
    m.close()


class TableEmbedder:
    """Stand-in embedder: a text's vector is looked up in ``table`` or drawn at random from its hash."""

    def __init__(self, dim: int = 32, table: dict[str, np.ndarray] | None = None, model_id: str = "table") -> None:
        self.dim = dim
        self.model_id = model_id
        self.table = table or {}
        self.calls: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.extend(texts)
        out = []
        for t in texts:
            if t in self.table:
                v = np.asarray(self.table[t], dtype=np.float64)
            else:
                v = np.random.default_rng(int(hashlib.sha1(t.encode()).hexdigest()[:12], 16)).standard_normal(self.dim)
            out.append(v / np.linalg.norm(v))
        return np.asarray(out, dtype=np.float32)


def labels(store: Store) -> dict[str, int]:
    return {pid: label for label, pid, *_ in store.iter_embeddings()}


# -- syncing with the real model -------------------------------------------------------------------------------------
def test_sync_is_incremental_and_labels_are_stable(store: Store, model: Embedder, tmp_path: Path) -> None:
    store.apply([record(*p) for p in PAPERS])
    index = VectorIndex(default_path(tmp_path))
    assert index.sync(store, model) == len(PAPERS)
    assert index.sync(store, model) == 0  # nothing changed: nothing embedded
    assert index.pending(store, model) == 0
    before = labels(store)

    # A new abstract for one paper (same claim key: the claim is replaced) re-embeds exactly that paper, once.
    pid, title, _, day = PAPERS[2]
    store.apply([record(pid, title, "Recognising birdsong from field recordings with transducer models.", day)])
    store.apply([record(*PAPERS[0], upvotes=5)])  # a change that leaves the text alone
    assert index.pending(store, model) == 1
    assert index.sync(store, model) == 1
    assert index.sync(store, model) == 0
    assert labels(store) == before
    assert store.embedding_state([pid])[pid][2] == text_hash(paper_text(store.get_paper(pid)))
    top = index.search(model.embed_query("birdsong recordings"), 1)
    assert top[0][0] == pid

    pde = index.search(model.embed_query("neural operator for PDEs"), 2)
    assert {p for p, _ in pde} == {"2401.00001", "2402.00002"}


def test_limit_embeds_newest_first_and_resumes(store: Store, model: Embedder, tmp_path: Path) -> None:
    store.apply([record(*p) for p in PAPERS])
    index = VectorIndex(default_path(tmp_path))
    progress: list[int] = []
    assert index.sync(store, model, limit=2, progress=progress.append) == 2
    assert progress[-1] == 2
    assert set(labels(store)) == {"2406.00006", "2405.00005"}  # the two most recently published
    assert index.pending(store, model) == 4
    assert VectorIndex(default_path(tmp_path)).sync(store, model) == 4  # a new process picks up the queue
    index.refresh()
    assert index.count() == 6  # and this reader sees its generation


def test_model_change_reembeds_everything_in_place(store: Store, tmp_path: Path) -> None:
    store.apply([record(*p) for p in PAPERS[:3]])
    index = VectorIndex(default_path(tmp_path))
    assert index.sync(store, TableEmbedder(model_id="a")) == 3
    before = labels(store)
    assert index.sync(store, TableEmbedder(model_id="b")) == 3
    assert labels(store) == before
    assert {m for _, _, m, _, _ in store.iter_embeddings()} == {"b"}


# -- deletions, persistence, crash recovery ----------------------------------------------------------------------------
def test_merged_away_paper_stops_appearing(store: Store, tmp_path: Path) -> None:
    store.apply([record(*p) for p in PAPERS[:3]])
    extra = PaperRecord("listing", "page#1", title="Graph Neural Networks for Molecular Property Prediction",
                        abstract="Predicting molecules.")
    gone = store.apply([extra]).paper_ids[0]
    index = VectorIndex(default_path(tmp_path))
    emb = TableEmbedder()
    assert index.sync(store, emb) == 4
    # A claim that ties the title-only paper to an arXiv id merges it into that paper: its id is an alias now.
    store.apply([PaperRecord("listing", "page#2", arxiv_id="2401.00001", title=extra.title)])
    assert store.get_paper(gone).id == "2401.00001"
    index.sync(store, emb)
    assert gone not in labels(store)
    hits = index.search(emb.embed([paper_text(store.get_paper("2401.00001"))])[0], 10)
    assert gone not in {p for p, _ in hits} and len(hits) == 3
    assert index.similar(gone, 3) == []


def test_index_persists_and_readers_pick_up_new_generations(store: Store, tmp_path: Path) -> None:
    store.apply([record(*p) for p in PAPERS[:4]])
    emb = TableEmbedder()
    writer = VectorIndex(default_path(tmp_path))
    writer.sync(store, emb)
    query = emb.embed(["anything"])[0]
    reader = VectorIndex(default_path(tmp_path))
    assert reader.search(query, 4) == writer.search(query, 4)
    store.apply([record(*PAPERS[4])])
    writer.sync(store, emb)
    reader.refresh()  # (searches look for a new generation at most once a second)
    assert reader.count() == 5
    assert sorted(p.name for p in default_path(tmp_path).glob("gen-*")) == [writer._loaded]


def test_missing_index_says_so(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="openpapers index"):
        VectorIndex(default_path(tmp_path)).search(np.ones(4, dtype=np.float32), 3)


def test_killed_sync_is_reconciled_from_the_store(store: Store, tmp_path: Path) -> None:
    store.apply([record(*p) for p in PAPERS[:3]])
    emb = TableEmbedder()
    index = VectorIndex(default_path(tmp_path))
    index.sync(store, emb)
    # As if a sync died after writing a vector to the store but before saving the index.
    store.apply([record(*PAPERS[3])])
    text = paper_text(store.get_paper(PAPERS[3][0]))
    store.put_embeddings([(PAPERS[3][0], "table", text_hash(text), emb.embed([text])[0].tobytes())])
    (default_path(tmp_path) / "DIRTY").touch()
    emb.calls.clear()
    assert VectorIndex(default_path(tmp_path)).sync(store, emb) == 0 and emb.calls == []
    fresh = VectorIndex(default_path(tmp_path))
    assert fresh.count() == 4 and fresh.search(emb.embed([text])[0], 1)[0][0] == PAPERS[3][0]
    # Losing the index entirely costs no model call either: it is rebuilt from the stored vectors.
    for f in default_path(tmp_path).glob("gen-*/*"):
        f.unlink()
    (default_path(tmp_path) / "CURRENT").unlink()
    emb.calls.clear()
    rebuilt = VectorIndex(default_path(tmp_path))
    assert rebuilt.sync(store, emb) == 0 and emb.calls == [] and rebuilt.count() == 4


# -- similar ------------------------------------------------------------------------------------------------------
def test_similar_excludes_self_and_duplicates(store: Store, tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    base = rng.standard_normal(16)
    recs = [record(f"2501.0000{i}", f"Paper number {i} about a topic", f"Abstract {i}.", date(2025, 1, i + 1))
            for i in range(6)]
    # 1: the same text as 0 under another id (same hash); 2: a near-copy (cosine >= 0.999); 3: a close neighbour.
    recs[1] = record("2501.00009", recs[0].title, recs[0].abstract, date(2025, 2, 1))
    store.apply(recs)
    texts = {r.arxiv_id: f"{r.title}. {r.abstract}" for r in recs}
    table = {texts["2501.00000"]: base, texts["2501.00002"]: base + 0.01 * rng.standard_normal(16),
             texts["2501.00003"]: base + 0.4 * rng.standard_normal(16)}
    index = VectorIndex(default_path(tmp_path))
    index.sync(store, TableEmbedder(16, table))
    near = index.similar("2501.00000", 3)
    ids = [p for p, _ in near]
    assert ids[0] == "2501.00003" and len(ids) == 3
    assert not {"2501.00000", "2501.00009", "2501.00002"} & set(ids)
    assert all(s < 0.999 for _, s in near)
    assert index.similar("no-such-paper", 3) == []


# -- filters ------------------------------------------------------------------------------------------------------
def test_labels_for_filters(store: Store, tmp_path: Path) -> None:
    store.apply([
        record(*PAPERS[0], categories=["math.NA", "cs.LG"], authors=["Ada Lovelace", "Alan Turing"]),
        record(*PAPERS[1], categories=["physics.flu-dyn"], has_code=True),
        record(*PAPERS[2], categories=["eess.AS", "cs.SD"], orgs=["Acme Labs"]),
        record(*PAPERS[3], categories=["cs.CL"]),
    ])
    index = VectorIndex(default_path(tmp_path))
    index.sync(store, TableEmbedder())
    lab = labels(store)

    def ids(**kw: object) -> set[str]:
        filters = Filters(**kw)  # type: ignore[arg-type]
        found = set(index.labels_for(store, filters).tolist())
        # The index answers dates/code/categories from its own facets; the store's SQL must agree.
        sql = store.embedding_labels(date_from=filters.date_from, date_to=filters.date_to,
                                     categories=filters.categories, has_code=filters.has_code,
                                     author_ids=[author_id(a) for a in filters.authors],
                                     org_ids=[org_id(o) for o in filters.orgs])
        assert found == set(sql), kw
        return {pid for pid, label in lab.items() if label in found}

    assert ids(categories=["cs"]) == {"2401.00001", "2403.00003", "2404.00004"}
    assert ids(categories=["cs.lg"]) == {"2401.00001"}  # any letter case
    assert ids(categories=["physics"]) == {"2402.00002"}
    assert ids(categories=["math.NA", "cs.CL"]) == {"2401.00001", "2404.00004"}
    assert ids(authors=["Alan Turing"]) == {"2401.00001"}
    assert ids(authors=["alan-turing"]) == {"2401.00001"}
    assert ids(orgs=["Acme Labs"]) == {"2403.00003"}
    assert ids(has_code=True) == {"2402.00002"}
    assert ids(date_from=date(2024, 2, 1), date_to=date(2024, 3, 5)) == {"2402.00002", "2403.00003"}
    assert ids(categories=["cs"], date_from=date(2024, 3, 1)) == {"2403.00003", "2404.00004"}
    assert ids(categories=["q-bio"]) == set()
    assert ids(categories=["cs"], authors=["Ada Lovelace"], date_to=date(2024, 1, 31)) == {"2401.00001"}

    # New categories and code without a new text: no embedding, but the filters see the change after a sync.
    store.apply([record(*PAPERS[3], categories=["cs.CL", "q-bio.NC"], has_code=True)])
    assert index.sync(store, TableEmbedder()) == 0
    assert ids(categories=["q-bio"]) == {"2404.00004"}
    assert ids(has_code=True) == {"2402.00002", "2404.00004"}


# -- the ANN and exact branches on random vectors ---------------------------------------------------------------------
def unit(n: int, dim: int, seed: int) -> np.ndarray:
    """Clustered random unit vectors (40 topics): neighbour structure like real embeddings, not uniform noise."""
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(99).standard_normal((40, dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    v = centres[rng.integers(0, 40, n)] + rng.standard_normal((n, dim)) * (1.2 / np.sqrt(dim))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def vset() -> VectorSet:
    n, dim = 4000, 32
    s = VectorSet(dim)
    s.add(np.arange(1, n + 1), [f"p{i}" for i in range(1, n + 1)], np.arange(n, dtype=np.uint64), unit(n, dim, 0))
    return s


def exact_top(vset: VectorSet, q: np.ndarray, k: int, allowed: np.ndarray | None = None) -> set[int]:
    scores = vset.matrix() @ q
    if allowed is not None:
        mask = np.full(len(scores), -np.inf)
        mask[allowed] = 0
        scores = scores + mask
    return set(np.argsort(-scores)[:k].tolist())


def recall(vset: VectorSet, queries: np.ndarray, allowed: np.ndarray | None, method: str) -> float:
    hits = 0
    for q in queries:
        found, _ = vset.search(q, 10, allowed, method=method)
        if allowed is not None:
            assert set(found.tolist()) <= set(allowed.tolist())
        hits += len(set(found.tolist()) & exact_top(vset, q, 10, allowed))
    return hits / (10 * len(queries))


def test_ann_agrees_with_exact(vset: VectorSet) -> None:
    queries = unit(50, 32, 1)
    assert vset.plan(10, vset.alive) == ("exact", 0)  # 4,000 vectors: brute force is cheaper and exact
    assert vset.plan(10, vset.alive, method="ann") == ("ann", EF_SEARCH)
    assert recall(vset, queries, None, "ann") >= 0.95
    assert recall(vset, queries, None, "exact") == 1.0


@pytest.mark.parametrize("share", [0.05, 0.3, 0.7])
def test_allowed_labels_filter_both_branches(vset: VectorSet, share: float) -> None:
    rng = np.random.default_rng(3)
    allowed_labels = np.flatnonzero(rng.random(4000) < share) + 1
    positions = vset.label_positions(allowed_labels)
    queries = unit(30, 32, 2)
    assert recall(vset, queries, positions, "exact") == 1.0
    method, beam = vset.plan(10, len(positions), method="ann")
    assert method == "ann" and beam >= min(2 * EF_SEARCH * vset.alive / len(positions) - 1, 4096)  # wider beam
    assert recall(vset, queries, positions, "ann") >= 0.9  # the graph restricted by a selector


def test_plan_weighs_brute_force_against_the_graph() -> None:
    big = VectorSet(8)
    big._labels.extend(np.arange(1_000_000))  # only the bookkeeping matters to the plan
    big.paper_pos = dict.fromkeys(map(str, range(1_000_000)), 0)
    assert big.plan(10, 1_000_000) == ("ann", EF_SEARCH)  # unfiltered
    assert big.plan(10, 15_000) == ("exact", 0)  # under EXACT_THRESHOLD
    assert big.plan(10, 60_000) == ("exact", 0)  # 6 %: the beam would pass EF_MAX
    method, beam = big.plan(10, 500_000)
    assert method == "ann" and beam == 4 * EF_SEARCH  # half the papers: twice the beam, doubled again
    small = VectorSet(8)
    small._labels.extend(np.arange(100_000))
    small.paper_pos = dict.fromkeys(map(str, range(100_000)), 0)
    assert small.plan(10, 30_000)[0] == "exact"  # one pass over 100k beats a beam of 1,700
    assert small.plan(10, 100_000)[0] == "ann"


def test_dead_vectors_never_come_back(tmp_path: Path) -> None:
    dim, n = 16, 300
    vecs = unit(n, dim, 5)
    s = VectorSet(dim)
    s.add(np.arange(1, n + 1), [f"p{i}" for i in range(1, n + 1)], np.zeros(n, dtype=np.uint64), vecs)
    s.remove(np.arange(1, 101))  # labels 1..100 deleted
    s.add(np.array([150]), ["p150"], np.ones(1, dtype=np.uint64), vecs[:1])  # label 150 replaced by vector 0
    for method in ("ann", "exact"):
        found, _ = s.search(vecs[0], 50, method=method)
        labels_found = s.labels[found]
        assert (labels_found > 100).all()
        assert int(labels_found[0]) == 150
        assert list(labels_found).count(150) == 1
    s.save(tmp_path / "g")
    again = VectorSet.load(tmp_path / "g", dim)
    assert again.alive == 200 and again.position_of("p150") == s.position_of("p150")
    compact = again.compacted()
    assert compact.size == 200 and compact.labels[compact.position_of("p150")] == 150
    found, _ = compact.search(vecs[0], 1, method="ann")
    assert int(compact.labels[found[0]]) == 150


# -- the store's embedding table ---------------------------------------------------------------------------------------
def test_store_embedding_rows(store: Store) -> None:
    store.apply([record(*p) for p in PAPERS[:3]])
    vec = np.ones(4, dtype="<f4").tobytes()
    got = store.put_embeddings([("2401.00001", "m", "h1", vec), ("2402.00002", "m", "h2", vec)])
    assert store.put_embeddings([("2401.00001", "m2", "h9", vec)]) == {"2401.00001": got["2401.00001"]}
    assert store.embedding_state(["2401.00001", "nope"]) == {"2401.00001": (got["2401.00001"], "m2", "h9")}
    assert store.delete_embeddings(["2402.00002"]) == [got["2402.00002"]]
    # AUTOINCREMENT: a deleted label is never handed out again, even when it was the largest.
    new = store.put_embeddings([("2403.00003", "m", "h3", vec)])["2403.00003"]
    assert new > max(got.values())
    rows = list(store.iter_embeddings(after_label=got["2401.00001"]))
    assert [(r[1], r[2], r[3], r[4]) for r in rows] == [("2403.00003", "m", "h3", vec)]
    assert store.prune_embeddings() == []
    assert store.embedding_labels(categories=["cs"]) == sorted(r[0] for r in store.iter_embeddings())


def test_facet_table_grows_past_64_categories() -> None:
    table = FacetTable()
    table.extend([Facets(738000 + i, i % 2 == 0, (f"x{i}.a", "cs.LG")) for i in range(70)])
    assert table.bits.view.shape == (70, 2)  # 71 codes: two 64-bit words per row
    assert np.flatnonzero(table.match(categories=["X69.A"])).tolist() == [69]
    assert table.match(categories=["cs"]).all()
    table.update([0], [Facets(1, True, ("x68.a",))])
    assert np.flatnonzero(table.match(categories=["x68"])).tolist() == [0, 68]
    assert table.match(date_to=date.fromordinal(738001)).tolist()[:3] == [True, True, False]
    again = FacetTable.from_arrays(table.arrays())
    assert np.array_equal(again.match(categories=["x5"]), table.match(categories=["x5"]))


def test_an_unreadable_generation_is_not_retried_on_every_search(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A generation of another format is tried once, not every REFRESH_S with sleeps on the search path; an
    explicit refresh() tries again (and a sync writes a readable one)."""
    import openpapers.search.backends.faiss as vectors_mod

    path = tmp_path / "vectors"
    (path / "gen-000001").mkdir(parents=True)
    (path / "gen-000001" / "meta.json").write_text('{"format": 1, "dim": 384}')
    (path / "CURRENT").write_text("gen-000001")
    sleeps: list[float] = []
    monkeypatch.setattr(vectors_mod.time, "sleep", sleeps.append)
    index = VectorIndex(path)
    assert index.count() == 0
    tried = len(sleeps)
    assert tried > 0
    monkeypatch.setattr(vectors_mod, "REFRESH_S", 0.0)
    for _ in range(3):
        with pytest.raises(FileNotFoundError):
            index.search(np.zeros(384, dtype=np.float32), 5)
    assert len(sleeps) == tried
    index.refresh()
    assert len(sleeps) == 2 * tried
