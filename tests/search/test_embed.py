"""The shipped embedding model: loads with no network, ranks sensibly, and gives unit, deterministic vectors."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import date

import numpy as np
import pytest

from openpapers.core.records import Paper
from openpapers.search.embed import DEFAULT, MODELS_DIR, Embedder, paper_text, text_hash

PDE = (
    "Fourier Neural Operators for Parametric PDEs. We learn the solution operator of families of partial "
    "differential equations, such as Burgers and Navier-Stokes, with a neural operator that acts in Fourier "
    "space, and solve new instances of the equation a thousand times faster than numerical solvers."
)
SPEECH = (
    "Streaming Speech Recognition with Transducers. We present an end-to-end automatic speech recognition "
    "system that transcribes spoken audio in real time, reducing the word error rate on conversational "
    "telephone speech."
)
TOOLS = (
    "Teaching Language Models to Call Tools. Large language models learn when to call external APIs such as a "
    "calculator or a search engine, and how to use the answers, from a handful of demonstrations."
)


def _loopback(address: object) -> bool:
    host = address[0] if isinstance(address, tuple) else str(address)
    return str(host) in ("127.0.0.1", "::1", "localhost") or isinstance(address, str | bytes)


@pytest.fixture(scope="module")
def embedder() -> Iterator[Embedder]:
    """The default model, loaded with the hub switched off and every non-loopback connection refused."""
    mp = pytest.MonkeyPatch()
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> None:
        if not _loopback(address):
            raise OSError(f"network access in an offline test: {address!r}")
        real_connect(self, address)  # type: ignore[arg-type]

    mp.setenv("HF_HUB_OFFLINE", "1")
    mp.setenv("TRANSFORMERS_OFFLINE", "1")
    mp.setattr(socket.socket, "connect", guarded)
    try:
        model = Embedder.load()
        model.embed([PDE])  # first call inside the guard too
    finally:
        mp.undo()
    yield model
    model.close()


def test_shipped_model_is_described_and_small() -> None:
    folder = MODELS_DIR / DEFAULT
    meta = json.loads((folder / "model.json").read_text())
    assert {"name", "dim", "pooling", "max_len", "sha256"} <= set(meta)
    assert meta["pooling"] == "mean" and meta["dim"] == 384
    total = sum(p.stat().st_size for p in folder.iterdir())
    assert total < 30_000_000, total
    assert (folder / "NOTICE").read_text().count("Apache-2.0") >= 1


def test_model_id_names_weights_and_length(embedder: Embedder) -> None:
    assert embedder.model_id.startswith("all-MiniLM-L6-v2@")
    assert embedder.model_id.endswith("/256")
    assert embedder.dim == 384


def test_pde_query_is_closer_to_pde_than_to_other_topics(embedder: Embedder) -> None:
    docs = embedder.embed([PDE, SPEECH, TOOLS])
    query = embedder.embed_query("neural operator for PDEs")
    pde, speech, tools = docs @ query
    assert pde > speech + 0.2 and pde > tools + 0.2, (pde, speech, tools)
    speech_query = embedder.embed_query("speech recognition")
    assert int(np.argmax(docs @ speech_query)) == 1


def test_vectors_are_unit_float32_and_independent_of_their_company(embedder: Embedder) -> None:
    alone = embedder.embed([SPEECH])
    together = embedder.embed([PDE, SPEECH, TOOLS, "short"])
    assert together.dtype == np.float32 and together.shape == (4, 384)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(alone[0], together[1])  # one model call per text: same text, same bits
    assert np.array_equal(embedder.embed([PDE, SPEECH, TOOLS, "short"]), together)


def test_empty_and_long_inputs(embedder: Embedder) -> None:
    assert embedder.embed([]).shape == (0, 384)
    long = " ".join([PDE] * 40)  # far beyond max_len: truncated, not an error
    vec = embedder.embed([long, ""])
    assert np.allclose(np.linalg.norm(vec, axis=1), 1.0, atol=1e-5)
    head = embedder.embed([PDE])[0]
    assert float(vec[0] @ head) > 0.9  # the truncated text starts like the abstract


def test_query_cache_returns_copies(embedder: Embedder) -> None:
    first = embedder.embed_query("graph  neural networks")
    first[:] = 0
    again = embedder.embed_query("graph neural networks")
    assert np.allclose(np.linalg.norm(again), 1.0, atol=1e-5)
    assert np.array_equal(again, embedder.embed(["graph neural networks"])[0])


def _paper(title: str, abstract: str | None) -> Paper:
    return Paper(
        id="x", arxiv_id=None, title=title, authors=[], authors_complete=False, author_count=None,
        abstract=abstract, categories=[], published=date(2024, 1, 1), updated=None, versions=[], withdrawn=False,
        code_urls=[], has_code=False, project_page=None, orgs=[], upvotes=None,
    )


def test_paper_text_and_hash() -> None:
    assert paper_text(_paper("Neural Operators", "We learn operators.")) == "Neural Operators. We learn operators."
    assert paper_text(_paper("Is Attention All You Need?", "No.")) == "Is Attention All You Need? No."
    assert paper_text(_paper("Only a Title", None)) == "Only a Title"
    assert paper_text(_paper("Only a Title", "  ")) == "Only a Title"
    a = text_hash("Neural Operators. We learn operators.")
    assert a == text_hash("Neural Operators. We learn operators.") and len(a) == 16
    assert a != text_hash("Neural Operators. We learn operators!")
