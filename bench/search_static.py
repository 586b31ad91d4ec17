"""The ``static`` bench vector kind: vectors made by the shipped MiniLM model, fast enough for a million papers.

Why: ANN recall depends on the structure of the vectors (how they cluster, how far a query's neighbours
stand out), so random vectors say nothing about it, while the real model embeds only a few hundred papers a
second on two cores (a million papers: most of a day). A *static* version of the same model keeps its
geometry at a fraction of the cost, the way model2vec-style distillation does: every vocabulary token is run
through the model once on its own (``[CLS] token [SEP]``, mean-pooled, ~30k short calls, cached under
``bench/out/``), and a text's vector is the IDF-weighted mean of its tokens' vectors, L2-normalised. Queries
go through the same function, so query and paper vectors share one space with real topical structure (papers
sharing words and subwords are near each other), which is what an ANN-recall figure needs. Thousands of
papers a second: tokenising (Rust, parallel) and one gather-and-sum per batch in numpy.

IDF comes from the first ``IDF_SAMPLE`` papers of the corpus (store order), so vectors do not depend on how
the fill is batched or resumed. The vectors are *not* the model's: relevance figures stay the job of the
``model`` kind; every report names the kind.

Fill (:func:`fill_store`): vectors go straight into the store's embeddings table in large transactions,
skipping papers that already hold a static vector for their current text, so a killed fill resumes where it
stopped; the vector index is then brought up to date by its normal sync, which reads them back (no model
call) and builds the HNSW graph in large batches.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
CACHE = HERE / "out"
IDF_SAMPLE = 20_000
SPECIAL = {0, 100, 101, 102, 103}  # [PAD] [UNK] [CLS] [SEP] [MASK] of the BERT uncased vocabulary
POOL_BATCH = 1000  # texts per counts @ word-vectors product
# Share of the common direction kept: 0.1 puts the demo papers' mean pairwise cosine at 0.18 and their mean
# nearest-neighbour cosine at 0.53 (the real model: 0.28 and 0.63; all of it kept: 0.95 and 0.98).
COMMON_KEEP = 0.1


def token_table(log: Any = print) -> np.ndarray:
    """``(vocab, dim)`` float32: each token's vector as the model makes it for the token alone (cached)."""
    from openpapers.search.embed import Embedder

    emb = Embedder.load()
    path = CACHE / f"static-{emb.info.name}-{emb.info.sha256[:12]}.npy"
    if path.exists():
        return np.load(path)
    vocab = emb.tokenizer.get_vocab_size()
    log(f"building the static token table ({vocab:,} single-token model calls, once) ...")
    t = time.perf_counter()
    cls, sep = 101, 102
    ids = [np.array([cls, tok, sep], dtype=np.int64) for tok in range(vocab)]
    rows = emb.map(lambda a: emb.run_model(a).mean(axis=0).astype(np.float32), ids)
    table = np.stack(rows).astype(np.float32)
    table[sorted(SPECIAL)] = 0.0
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, table)
    tmp.rename(path)
    log(f"  done in {time.perf_counter() - t:.0f} s -> {path.name}")
    return table


_WORD = re.compile(r"[^\W_]+|[^\w\s]", re.UNICODE)


class StaticEmbedder:
    """Duck-types :class:`openpapers.search.embed.Embedder` with the static token table (see module doc).

    Works per *word*, not per token: a word's vector (the sum of its word pieces' vectors, times its IDF) is
    computed once and cached, so a text costs a regex split, dictionary look-ups and one share of a dense
    ``counts @ word_vectors`` product per batch -- the tokenizer runs only on words not seen before. The
    common direction all pooled vectors share (mean-pooling of static vectors points everything roughly the
    same way: pairwise cosine ~0.95) is mostly projected out before normalising, as SIF embeddings do, so papers
    spread like real sentence embeddings instead of crowding into one cone.
    """

    def __init__(self, table: np.ndarray, tokenizer: Any, model_id: str) -> None:
        self.table = table
        self.tokenizer = tokenizer
        self.dim = int(table.shape[1])
        self.model_id = model_id
        self.words: dict[str, int] = {}
        self._vecs = np.zeros((0, self.dim), dtype=np.float32)
        self._df: dict[str, int] = {}
        self._docs = 0
        self.common = np.zeros(self.dim, dtype=np.float32)

    @classmethod
    def for_store(cls, store: Any, log: Any = print) -> StaticEmbedder:
        """The embedder of a corpus: the cached token table, IDF and common direction from its first papers."""
        from openpapers.search.embed import Embedder, paper_text

        emb = Embedder.load()
        out = cls(token_table(log), emb.tokenizer, "")
        texts = []
        for paper in store.iter_papers(batch_size=5000):
            texts.append(paper_text(paper))
            if len(texts) >= IDF_SAMPLE:
                break
        for text in texts:
            for w in set(_WORD.findall(text.lower())):
                out._df[w] = out._df.get(w, 0) + 1
        out._docs = len(texts)
        raw = out._pooled(texts)
        mean = raw.mean(axis=0)
        out.common = (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32)
        salt = str((COMMON_KEEP, sorted(out._df.items()))).encode()
        digest = hashlib.sha256(out.common.tobytes() + salt).hexdigest()[:8]
        out.model_id = f"bench-static-{emb.info.name}-{emb.info.sha256[:8]}-{digest}"
        return out

    def _index(self, word: str) -> int:
        idx = self.words.get(word)
        if idx is None:
            idx = self.words[word] = len(self.words)
        return idx

    def _grow(self) -> None:
        """Vectors for words indexed since the last call: the tokenizer runs on new words only."""
        have = len(self._vecs)
        if have == len(self.words):
            return
        new = list(self.words)[have:]
        idf = np.array([np.log((1 + self._docs) / (1 + self._df.get(w, 0))) + 1.0 for w in new], dtype=np.float32)
        vecs = np.zeros((len(new), self.dim), dtype=np.float32)
        for i, enc in enumerate(self.tokenizer.encode_batch(new, add_special_tokens=False)):
            ids = [t for t in enc.ids if t not in SPECIAL]
            if ids:
                vecs[i] = self.table[ids].sum(axis=0) * idf[i]
        self._vecs = np.concatenate([self._vecs, vecs])

    def _pooled(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), POOL_BATCH):
            part = texts[start : start + POOL_BATCH]
            rows = [[self._index(w) for w in _WORD.findall(t.lower())] for t in part]
            self._grow()
            lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
            flat = np.fromiter((i for r in rows for i in r), dtype=np.int64, count=int(lengths.sum()))
            if len(flat) == 0:
                continue
            uniq, col = np.unique(flat, return_inverse=True)
            row = np.repeat(np.arange(len(part)), lengths)
            counts = np.bincount(row * len(uniq) + col, minlength=len(part) * len(uniq)).astype(np.float32)
            out[start : start + len(part)] = counts.reshape(len(part), len(uniq)) @ self._vecs[uniq]
        return out

    def embed(self, texts: Sequence[str], **_: Any) -> np.ndarray:
        out = self._pooled(list(texts))
        out -= (1.0 - COMMON_KEEP) * np.outer(out @ self.common, self.common)
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out

    def embed_query(self, query: str) -> np.ndarray:
        return self.embed([query])[0]


def fill_store(store: Any, embedder: StaticEmbedder, *, batch: int = 5000, log: Any = print) -> int:
    """Write a static vector for every paper lacking one for its current text; returns how many were written.

    One store transaction per ``batch`` papers; papers already holding this kind's vector for the same text
    hash are skipped, so a killed fill resumes after its last committed batch."""
    from openpapers.search.embed import paper_text, text_hash

    total = store.count_papers()
    done = seen = 0
    t = time.perf_counter()
    last_log = t
    pending: list[Any] = []

    def flush() -> None:
        nonlocal done
        texts = [paper_text(p) for p in pending]
        digests = [text_hash(x) for x in texts]
        state = store.embedding_state([p.id for p in pending])
        todo = [i for i, p in enumerate(pending)
                if (have := state.get(p.id)) is None or have[1] != embedder.model_id or have[2] != digests[i]]
        if todo:
            vectors = embedder.embed([texts[i] for i in todo])
            store.put_embeddings([(pending[i].id, embedder.model_id, digests[i], vectors[j].astype("<f4").tobytes())
                                  for j, i in enumerate(todo)])
            done += len(todo)
        pending.clear()

    for paper in store.iter_papers(batch_size=batch):
        pending.append(paper)
        seen += 1
        if len(pending) >= batch:
            flush()
            now = time.perf_counter()
            if now - last_log > 30:
                last_log = now
                log(f"  static vectors: {seen:,} of {total:,} papers checked, {done:,} written "
                    f"({seen / (now - t):,.0f} papers/s)")
    if pending:
        flush()
    log(f"  static vectors: {done:,} written for {seen:,} papers in {time.perf_counter() - t:.0f} s")
    return done
