"""Building topics and keeping them current: ``rebuild`` reclusters the whole corpus from its stored vectors
(``openpapers topics rebuild``, scheduled by the worker), ``assign_new`` gives papers embedded since their nearest
topic and a place on the map (called after every import's indexing). See docs/topics.md for the measures."""

from __future__ import annotations

import logging
import resource
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from openpapers.papers.store import Store
from openpapers.topics import cluster as cl
from openpapers.topics import labels as lb
from openpapers.topics import repository as repo

log = logging.getLogger(__name__)
LABEL_PAPERS = 300  # papers read per topic for its label: the nearest to the centroid
MIN_PAPERS = 12  # below this, no topics (a map of three papers explains nothing)


@dataclass(slots=True)
class BuildReport:
    """What a rebuild did, for the command's output and the build log."""

    papers: int
    topics: int
    kept_ids: int
    silhouette: float | None
    seconds: float
    peak_rss_mb: float
    detail: dict[str, Any]


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def load_vectors(store: Store, *, only_unassigned: bool = False) -> tuple[list[str], np.ndarray]:
    """Paper ids and unit vectors of the main embedding model (empty when nothing is embedded)."""
    model = repo.main_model(store.engine)
    ids: list[str] = []
    parts: list[np.ndarray] = []
    if model is not None:
        for batch_ids, vectors in repo.iter_vectors(store.engine, model, only_unassigned=only_unassigned):
            ids += batch_ids
            parts.append(vectors)
    if not parts:
        return [], np.zeros((0, 0), dtype=np.float32)
    x = np.concatenate(parts).astype(np.float32)
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    return ids, x


def _texts(store: Store, ids: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for i in range(0, len(ids), 1000):
        for paper in store.get_papers(ids[i:i + 1000]):
            out[paper.id] = f"{paper.title}. {paper.title}. {paper.abstract or ''}"  # the title counts twice
    return out


def build_topics(ids: list[str], x: np.ndarray, texts: Any, old: dict[str, int], max_id: int,
                 ks: list[int] | None = None) -> tuple[list[dict[str, Any]], list[tuple[str, int, float, float, float,
                                                                                        str]], dict[str, Any]]:
    """The topics and assignments of vectors ``x`` (rows of papers ``ids``): cluster, lay out, label, keep ids.
    ``texts(ids) -> {id: text}`` reads what labels are made of; ``old`` is the previous assignment."""
    clock = time.perf_counter()
    phases: dict[str, float] = {}

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        phases[name] = round(now - clock, 2)
        clock = now

    mean = x.mean(axis=0)
    xc = cl.center(x, mean)
    found = cl.cluster(xc, ks=ks)
    sims = np.einsum("ij,ij->i", xc, found.centroids[found.labels])
    lap("cluster")
    place = cl.layout(xc, found.labels, found.centroids)
    lap("layout")
    kept = cl.match_ids(old, ids, found.labels, found.k)
    next_id = max_id + 1
    number_to_id: dict[int, int] = {}
    for number in range(found.k):
        if number in kept:
            number_to_id[number] = kept[number]
        else:
            number_to_id[number], next_id = next_id, next_id + 1
    core_rows: list[int] = []
    for number in range(found.k):
        rows = np.flatnonzero(found.labels == number)
        core_rows += rows[np.argsort(-sims[rows], kind="stable")[:LABEL_PAPERS]].tolist()
    text_of = texts([ids[r] for r in core_rows])
    core = [r for r in core_rows if ids[r] in text_of]
    lap("read_texts")
    terms = lb.label_topics([text_of[ids[r]] for r in core], [int(found.labels[r]) for r in core], found.k)
    lap("labels")
    sizes = np.bincount(found.labels, minlength=found.k)
    topics = [{"id": number_to_id[n], "label": lb.label_of(terms[n]), "terms": _json(terms[n]), "size": int(sizes[n]),
               "x": float(place.centres[n, 0]), "y": float(place.centres[n, 1]), "radius": float(place.radii[n]),
               "scale": float(place.scales[n]), "centroid": repo.blob(found.centroids[n]),
               "axes": repo.blob(place.axes[n])} for n in range(found.k)]
    papers = [(pid, number_to_id[int(n)], float(px), float(py), float(s), "build")
              for pid, n, (px, py), s in zip(ids, found.labels.tolist(), place.points.tolist(), sims.tolist(),
                                             strict=True)]
    detail = {"k": found.k, "tried": {str(k): (None if v != v else round(v, 4)) for k, v in found.tried.items()},
              "largest_share": round(float(sizes.max() / len(ids)), 4), "kept": len(kept),
              "max_id": max(next_id - 1, max_id), "mean": mean.astype(float).round(6).tolist(),
              "silhouette": found.silhouette, "phases": phases}
    return topics, papers, detail


def _json(terms: list[str]) -> str:
    import orjson

    return orjson.dumps(terms).decode()


def rebuild(store: Store, *, ks: list[int] | None = None) -> BuildReport | None:
    """Recluster every embedded paper; None when too few papers are embedded."""
    started = time.perf_counter()
    ids, x = load_vectors(store)
    if len(ids) < MIN_PAPERS:
        return None
    loaded = time.perf_counter() - started
    previous = repo.last_build(store.engine)
    max_id = int(previous["detail"].get("max_id", 0)) if previous else 0
    old = repo.assignments(store.engine)
    topics, papers, detail = build_topics(ids, x, lambda some: _texts(store, some), old, max_id, ks)
    detail["phases"] = {"load": round(loaded, 2), **detail["phases"]}
    detail["peak_rss_mb"] = round(_peak_rss_mb(), 1)
    computed = time.perf_counter() - started  # the build log's figure: everything but writing the build itself
    repo.save_build(store.engine, {"built_at": datetime.now(UTC).isoformat(timespec="seconds"), "papers": len(ids),
                                   "topics": len(topics), "kept_ids": detail["kept"],
                                   "silhouette": detail["silhouette"], "seconds": round(computed, 3),
                                   "detail": detail}, topics, papers)
    seconds = time.perf_counter() - started
    detail["phases"]["write"] = round(seconds - computed, 2)
    log.info("topics rebuilt: %d papers, %d topics in %.1f s", len(ids), len(topics), seconds)
    return BuildReport(len(ids), len(topics), detail["kept"], detail["silhouette"], seconds, detail["peak_rss_mb"],
                       detail)


def assign_new(store: Store) -> int:
    """Give every embedded paper without a topic its nearest topic and a place on the map; the number placed.
    Nothing happens before the first rebuild."""
    previous = repo.last_build(store.engine)
    stored = repo.topics(store.engine)
    if previous is None or not stored:
        return 0
    ids, x = load_vectors(store, only_unassigned=True)
    if not ids or x.shape[1] != len(stored[0].centroid):
        return 0
    xc = cl.center(x, np.asarray(previous["detail"]["mean"], dtype=np.float32))
    centroids = np.stack([s.centroid for s in stored])
    best, sims = cl.nearest(xc, centroids)
    rows: list[tuple[str, int, float, float, float, str]] = []
    for number, topic in enumerate(stored):
        chosen = np.flatnonzero(best == number)
        if len(chosen) == 0:
            continue
        points = cl.project(xc[chosen], topic.centroid, topic.axes, topic.scale, np.array([topic.x, topic.y]),
                            topic.radius)
        rows += [(ids[r], topic.id, float(px), float(py), float(sims[r]), "import")
                 for r, (px, py) in zip(chosen.tolist(), points.tolist(), strict=True)]
    repo.add_assignments(store.engine, rows)
    return len(rows)
