"""The ``static`` bench vector kind (bench/search_static.py) makes vectors the benches can trust: unit length,
a function of the text alone (batching and resuming must not change them), words shared means near, and the
direction every pooled mean shares mostly removed (else all papers crowd into one cone and ANN recall means
little). A random token table stands in for the model's (building the real one takes a minute)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tokenizers")
from tokenizers import Tokenizer

from openpapers.search.embed import DEFAULT, MODELS_DIR

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import search_static

TEXTS = ["Neural operators for partial differential equations", "Diffusion models for image sampling",
         "Neural operator learning of PDE solutions", "Graph neural networks on molecules", ""]


def embedder() -> search_static.StaticEmbedder:
    tokenizer = Tokenizer.from_file(str(MODELS_DIR / DEFAULT / "tokenizer.json"))
    rng = np.random.default_rng(0)
    table = rng.standard_normal((tokenizer.get_vocab_size(), 16)).astype(np.float32) + 3.0  # a shared offset
    emb = search_static.StaticEmbedder(table, tokenizer, "test-static")
    raw = emb._pooled(TEXTS[:4])
    mean = raw.mean(axis=0)
    emb.common = (mean / np.linalg.norm(mean)).astype(np.float32)
    return emb


def test_vectors_are_unit_length_and_depend_on_the_text_alone() -> None:
    emb = embedder()
    together = emb.embed(TEXTS)
    assert together.shape == (len(TEXTS), 16)
    assert np.allclose(np.linalg.norm(together[:4], axis=1), 1.0, atol=1e-5)
    assert not together[4].any()  # no words: a zero vector, not NaN
    alone = np.stack([emb.embed_query(t) for t in reversed(TEXTS[:4])])[::-1]
    assert np.allclose(together[:4], alone, atol=1e-5)


def test_shared_words_are_nearer_and_the_common_direction_is_mostly_gone() -> None:
    emb = embedder()
    v = emb.embed(TEXTS[:4])
    assert v[0] @ v[2] > v[0] @ v[1] and v[0] @ v[2] > v[0] @ v[3]
    kept = np.abs(v @ emb.common)
    raw = emb._pooled(TEXTS[:4])
    before = np.abs((raw / np.linalg.norm(raw, axis=1, keepdims=True)) @ emb.common)
    assert (kept < before).all()
