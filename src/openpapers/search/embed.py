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
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

if TYPE_CHECKING:  # at run time this module needs only numpy, onnxruntime and tokenizers (export script)
    from openpapers.core.records import Paper

MODELS_DIR = Path(__file__).resolve().parents[1] / "data" / "models"
DEFAULT = "minilm-l6-v2"


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
        """What the embeddings table records per vector: name, a digest of the weights and the truncation
        length, so re-exporting, quantising differently or changing ``max_len`` re-embeds everything instead of
        mixing two vector spaces."""
        return f"{self.name}@{self.sha256[:12]}/{self.max_len}"


def default_threads() -> int:
    """Model calls in flight: every core the process may use (2 here). More than cores only adds contention,
    and the pipeline around the model is too light to need a core of its own."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class Embedder:
    """Turns texts into L2-normalised float32 vectors (``embed``) and queries into one vector (``embed_query``).

    Each text is one model call, and ``threads`` calls run at once (onnxruntime releases the GIL), one core
    each. Why not padded batches: the int8 model quantises activations per call, so a batch's vectors depend
    on which texts share it (cosine drift up to ~0.006 measured) -- single calls make a paper's vector a
    function of its text alone, need no padding, and on a 2-core CPU are as fast per core as batches of 32
    (the same CPU time per text, and no threads idling at the end of a batch's smaller ops).
    """

    def __init__(self, session: ort.InferenceSession, tokenizer: Tokenizer, info: ModelInfo, threads: int) -> None:
        self.session = session
        self.tokenizer = tokenizer
        self.info = info
        self.threads = threads
        self._inputs = {i.name for i in session.get_inputs()}
        self._pool: ThreadPoolExecutor | None = None
        self._cached_query = lru_cache(maxsize=256)(self._query)

    @classmethod
    def load(cls, name: str = DEFAULT, *, threads: int | None = None) -> Embedder:
        """Load a model shipped inside the package by its folder name (no network, no hub)."""
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
        opts.intra_op_num_threads = 1  # parallelism is across texts (see the class docstring)
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3  # the quantised graph triggers harmless shape-inference warnings
        session = ort.InferenceSession(str(path / "model.onnx"), opts, providers=["CPUExecutionProvider"])
        tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=info.max_len)
        tokenizer.no_padding()
        return cls(session, tokenizer, info, threads or default_threads())

    @property
    def dim(self) -> int:
        return self.info.dim

    @property
    def model_id(self) -> str:
        return self.info.model_id

    # -- the pipeline ----------------------------------------------------------------------------------------
    def tokenize(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Token ids per text, truncated to ``max_len`` (special tokens included)."""
        return [np.asarray(e.ids, dtype=np.int64) for e in self.tokenizer.encode_batch(list(texts))]

    def run_model(self, ids: np.ndarray) -> np.ndarray:
        """The bare model call for one text: token states ``(len(ids), dim)``."""
        feeds = {"input_ids": ids[None, :], "attention_mask": np.ones((1, len(ids)), dtype=np.int64)}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros((1, len(ids)), dtype=np.int64)
        return self.session.run(None, feeds)[0][0]

    def _one(self, ids: np.ndarray) -> np.ndarray:
        pooled = self.run_model(ids).mean(axis=0)  # mean pooling; a single text has no padding to mask
        if self.info.normalize:
            pooled /= max(float(np.linalg.norm(pooled)), 1e-12)
        return pooled.astype(np.float32, copy=False)

    def map(self, fn: Callable[[np.ndarray], np.ndarray], token_ids: Sequence[np.ndarray]) -> list[np.ndarray]:
        """``fn`` over token id arrays on the worker threads, longest first (so no thread idles at the end);
        results in input order."""
        if self.threads <= 1 or len(token_ids) <= 1:
            return [fn(ids) for ids in token_ids]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="embed")
        order = sorted(range(len(token_ids)), key=lambda i: -len(token_ids[i]))
        out: list[np.ndarray] = [np.empty(0)] * len(token_ids)
        for i, result in zip(order, self._pool.map(fn, [token_ids[i] for i in order]), strict=True):
            out[i] = result
        return out

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for ``texts`` in their order: ``(len(texts), dim)`` float32, unit length. A text's vector
        depends on that text only (not on what else is in the call): deterministic."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if len(texts):
            out[:] = self.map(self._one, self.tokenize(texts))
        return out

    def embed_query(self, query: str) -> np.ndarray:
        """One ``(dim,)`` vector for a search query (the model is symmetric: queries and papers share a space).

        Recent queries are cached: the web UI repeats a query for every page and filter change.
        """
        return self._cached_query(" ".join(query.split())).copy()

    def _query(self, query: str) -> np.ndarray:
        return self.embed([query])[0]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None


__all__ = ["DEFAULT", "MODELS_DIR", "Embedder", "ModelInfo", "paper_text", "text_hash"]
