"""The embedded demo corpus for the topic tests, on any backend: the demo papers are embedded once per test
process (the shipped MiniLM model; about a minute on two cores) into a SQLite store, and every further store gets
the demo papers plus a copy of those stored vectors (what ``openpapers index`` would have written), then topics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from openpapers.papers.demo import load_demo
from openpapers.papers.store import Store, open_store
from openpapers.search.service import SearchService

LABELS = Path(__file__).resolve().parents[1] / "topics" / "demo_topic_labels.json"
_VECTORS: list[tuple[str, str, str, bytes]] = []


def demo_vectors(scratch: Path) -> list[tuple[str, str, str, bytes]]:
    """(paper id, model, text hash, vector) of every demo paper, embedded once per process."""
    if not _VECTORS:
        from openpapers.core.settings import resolve_settings

        store = open_store(resolve_settings(scratch, database_url=f"sqlite:///{scratch.resolve()}/embed.db"))
        try:
            load_demo(store)
            SearchService(store, scratch).sync()
            _VECTORS.extend((pid, model, digest, vec) for _label, pid, model, digest, vec in store.iter_embeddings())
        finally:
            store.close()
    return list(_VECTORS)


def embedded_demo(store: Store, scratch: Path) -> None:
    """Load the demo corpus into ``store`` with its stored vectors (no topics yet)."""
    load_demo(store)
    store.put_embeddings(demo_vectors(scratch))


def themes() -> dict[str, str]:
    """Hand-written themes of 100 demo papers (tests/topics/demo_topic_labels.json): paper id -> theme."""
    return {p["id"]: p["theme"] for p in json.loads(LABELS.read_text())["papers"]}


def titles() -> dict[str, str]:
    return {p["id"]: p["title"] for p in json.loads(LABELS.read_text())["papers"]}


def build_settings(backend: Any, data_dir: Path, scratch: Path) -> Any:
    """Settings of a new data set on ``backend``: the embedded demo with topics built."""
    from openpapers.topics import service

    settings = backend.settings(data_dir)
    store = open_store(settings)
    try:
        embedded_demo(store, scratch)
        SearchService(store, data_dir).sync(semantic=False)
        service.rebuild(store)
    finally:
        store.close()
    return settings
