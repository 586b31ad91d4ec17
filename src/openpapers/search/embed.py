"""Sentence embeddings for papers and queries, computed locally with onnxruntime.

The shipped model (``openpapers/data/models/<name>/``: ``model.onnx``, ``tokenizer.json``, ``model.json``) is
all-MiniLM-L6-v2 exported once to ONNX and quantised to int8 by ``scripts/export_model.py``. Loading it needs no
network and no torch: onnxruntime runs the encoder, ``tokenizers`` splits the text, and mean pooling plus L2
normalisation (what the model was trained with) happen here in numpy, so a dot product is the cosine.

What text stands for a paper is fixed by :func:`paper_text`; its hash (:func:`text_hash`) is what the vector
index compares to decide whether a paper must be embedded again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Encoding, Tokenizer

from openpapers.model import Paper

MODELS_DIR = Path(__file__).resolve().parents[1] / "data" / "models"
DEFAULT = "minilm-l6-v2"

# Padding waste grows with the batch, per-call overhead shrinks with it; with texts sorted by length the
# throughput is flat between ~16 and ~64 texts per batch on a 2-core CPU (see bench/embed_throughput.py).
BATCH_SIZE = 32


def paper_text(paper: Paper) -> str:
    """The text a paper is embedded from: ``title + ". " + abstract`` (just the title without an abstract).

    The title leads because it is the densest statement of the topic, and the model truncates long inputs at
    ``max_len`` tokens from the end. A title already ending in sentence punctuation gets only a space.
    """
    title = (paper.title or "").strip()
    abstract = (paper.abstract or "").strip()
    if not abstract:
        return title
    if not title:
        return abstract
    sep = " " if title[-1] in ".?!" else ". "
    return f"{title}{sep}{abstract}"


def text_hash(text: str) -> str:
    """Stable short fingerprint of the embedded text (hex, 16 chars): a changed hash means a new vector."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """``model.json`` of a shipped model: enough to run it and to know when stored vectors are stale."""

    name: str
    dim: int
    pooling: str
    max_len: int
    normalize: bool
    sha256: str

    @property
    def model_id(self) -> str:
        """What the embeddings table records per vector: name plus a digest of the weights, so re-exporting
        or quantising differently re-embeds everything instead of mixing two vector spaces."""
        return f"{self.name}@{self.sha256[:12]}"


def default_threads() -> int:
    """Intra-op threads: every core the process may use (2 here). More threads than cores only adds
    contention, and the pipeline around the model is too light to need a core of its own."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class Embedder:
    """Turns texts into L2-normalised float32 vectors (``embed``) and queries into one vector (``embed_query``)."""

    def __init__(self, session: ort.InferenceSession, tokenizer: Tokenizer, info: ModelInfo) -> None:
        self.session = session
        self.tokenizer = tokenizer
        self.info = info
        self._inputs = {i.name for i in session.get_inputs()}
        self._cached_query = lru_cache(maxsize=256)(self._query)

    @classmethod
    def load(cls, name: str = DEFAULT, *, threads: int | None = None) -> Embedder:
        """Load a model shipped inside the package by its folder name."""
        path = MODELS_DIR / name
        if not (path / "model.json").is_file():
            shipped = sorted(p.name for p in MODELS_DIR.iterdir() if (p / "model.json").is_file())
            raise FileNotFoundError(f"no embedding model {name!r} in {MODELS_DIR} (shipped: {shipped})")
        return cls.from_dir(path, threads=threads)

    @classmethod
    def from_dir(cls, path: str | Path, *, threads: int | None = None) -> Embedder:
        """Load a model from a folder laid out like the shipped ones (used by the export script's check)."""
        path = Path(path)
        meta = json.loads((path / "model.json").read_text())
        if meta.get("pooling") != "mean":
            raise ValueError(f"{path}/model.json: pooling {meta.get('pooling')!r} is not supported (only 'mean')")
        info = ModelInfo(
            name=meta["name"],
            dim=int(meta["dim"]),
            pooling=meta["pooling"],
            max_len=int(meta["max_len"]),
            normalize=bool(meta.get("normalize", True)),
            sha256=meta.get("sha256", ""),
        )
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or default_threads()
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3  # the quantised graph triggers harmless shape-inference warnings
        session = ort.InferenceSession(str(path / "model.onnx"), opts, providers=["CPUExecutionProvider"])
        tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=info.max_len)
        tokenizer.no_padding()
        return cls(session, tokenizer, info)

    @property
    def dim(self) -> int:
        return self.info.dim

    @property
    def model_id(self) -> str:
        return self.info.model_id

    # -- the pipeline ----------------------------------------------------------------------------------------
    def tokenize(self, texts: Sequence[str]) -> list[Encoding]:
        return self.tokenizer.encode_batch(list(texts))

    def batches(
        self, encodings: Sequence[Encoding], batch_size: int = BATCH_SIZE
    ) -> Iterator[tuple[np.ndarray, dict[str, np.ndarray]]]:
        """Yield ``(positions, model inputs)`` with texts grouped by token length, so each batch is padded
        only to its own longest text (sorting cuts padding to near zero for abstracts of mixed length)."""
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings))
        order = np.argsort(lengths, kind="stable")
        for start in range(0, len(order), batch_size):
            pos = order[start : start + batch_size]
            width = int(lengths[pos].max())
            ids = np.zeros((len(pos), width), dtype=np.int64)
            mask = np.zeros((len(pos), width), dtype=np.int64)
            for row, p in enumerate(pos):
                enc = encodings[p]
                n = len(enc.ids)
                ids[row, :n] = enc.ids
                mask[row, :n] = 1
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feeds["token_type_ids"] = np.zeros_like(ids)
            yield pos, feeds

    def forward(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        """One model call on a padded batch, pooled and normalised: ``(batch, dim)`` float32."""
        hidden = self.session.run(None, feeds)[0]
        mask = feeds["attention_mask"].astype(np.float32)[:, :, None]
        pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        if self.info.normalize:
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return pooled.astype(np.float32, copy=False)

    def embed(self, texts: Sequence[str], *, batch_size: int = BATCH_SIZE) -> np.ndarray:
        """Vectors for ``texts`` in their order: ``(len(texts), dim)`` float32, unit length, deterministic."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        for pos, feeds in self.batches(self.tokenize(texts), batch_size):
            out[pos] = self.forward(feeds)
        return out

    def embed_query(self, query: str) -> np.ndarray:
        """One ``(dim,)`` vector for a search query (the model is symmetric: queries and papers share a space).

        Recent queries are cached: the web UI repeats a query for every page and filter change.
        """
        return self._cached_query(" ".join(query.split())).copy()

    def _query(self, query: str) -> np.ndarray:
        return self.embed([query])[0]


__all__ = ["DEFAULT", "MODELS_DIR", "Embedder", "ModelInfo", "paper_text", "text_hash"]
