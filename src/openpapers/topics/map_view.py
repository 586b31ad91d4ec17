"""The map as data: every placed paper in map units, or for a large corpus a density layer plus a fixed sample.

Why density + sampling: an SVG of 100k circles is tens of megabytes and no browser pans it smoothly. Past
:data:`MAX_POINTS` papers the map draws a grid of squares (each coloured by its commonest topic, opacity by count)
and a sample of papers as points. The sample is the papers with the smallest hash of their id: the same papers
whatever the filters, so narrowing a date range does not reshuffle the map. The result is cached per process,
keyed by the build id and the filters (a rebuild or an import changes the key).
"""

from __future__ import annotations

import zlib
from collections import OrderedDict
from datetime import date
from threading import Lock

import numpy as np
from sqlalchemy import Engine

from openpapers.papers.views import paper_url
from openpapers.topics import repository as repo
from openpapers.topics.schemas import MapCell, MapOut, MapPoint

MAX_POINTS = 3000
GRID = 90
MARGIN = 0.08
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
           "#393b79", "#ad494a", "#637939", "#7b4173", "#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363",
           "#8c6d31", "#843c39")
_CACHE: OrderedDict[tuple[object, ...], MapOut] = OrderedDict()
_LOCK = Lock()


def colours(topic_ids: list[int]) -> dict[str, str]:
    """A colour per topic, in the order given (largest first: the most distinct colours go to the largest)."""
    return {str(tid): PALETTE[i % len(PALETTE)] for i, tid in enumerate(topic_ids)}


def bounds(topics: list[repo.TopicRow]) -> list[float]:
    """The viewBox covering every topic's disc, with a margin."""
    if not topics:
        return [-1.0, -1.0, 2.0, 2.0]
    lo_x = min(t.x - t.radius for t in topics)
    hi_x = max(t.x + t.radius for t in topics)
    lo_y = min(t.y - t.radius for t in topics)
    hi_y = max(t.y + t.radius for t in topics)
    pad = MARGIN * max(hi_x - lo_x, hi_y - lo_y)
    return [round(v, 4) for v in (lo_x - pad, lo_y - pad, hi_x - lo_x + 2 * pad, hi_y - lo_y + 2 * pad)]


def _sample(ids: list[str], limit: int) -> np.ndarray:
    keys = np.fromiter((zlib.crc32(i.encode()) for i in ids), dtype=np.uint64, count=len(ids))
    return np.sort(np.argsort(keys, kind="stable")[:limit])


def _cells(xy: np.ndarray, topic: np.ndarray, view: list[float]) -> list[MapCell]:
    size = max(view[2], view[3]) / GRID
    gx = np.floor((xy[:, 0] - view[0]) / size).astype(np.int64)
    gy = np.floor((xy[:, 1] - view[1]) / size).astype(np.int64)
    cell = gx * (GRID + 1) + gy
    out: list[MapCell] = []
    order = np.lexsort((topic, cell))
    cell, topic_sorted = cell[order], topic[order]
    starts = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
    ends = np.r_[starts[1:], len(cell)]
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        values, counts = np.unique(topic_sorted[s:e], return_counts=True)
        c = int(cell[s])
        x, y = view[0] + (c // (GRID + 1)) * size, view[1] + (c % (GRID + 1)) * size
        out.append(MapCell(x=round(x, 4), y=round(y, 4), size=round(size, 4), count=e - s,
                           topic=int(values[np.argmax(counts)])))
    return out


def build_map(engine: Engine, build_id: int, topics: list[repo.TopicRow], *, day_from: date | None,
              day_to: date | None, category: str | None, max_points: int = MAX_POINTS) -> MapOut:
    """The map of the placed papers matching the filters (cached per build, filters and paper count)."""
    ids, topic, xy = repo.map_points(engine, day_from=day_from, day_to=day_to, category=category)
    key = (str(engine.url), build_id, day_from, day_to, category, max_points, len(ids),
           sum(t.size for t in topics))
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    view = bounds(topics)
    sampled = len(ids) > max_points
    chosen = _sample(ids, max_points) if sampled else np.arange(len(ids))
    picked = [ids[i] for i in chosen.tolist()]
    names = repo.titles(engine, picked)
    points = [MapPoint(id=pid, topic=int(topic[i]), x=round(float(xy[i, 0]), 4), y=round(float(xy[i, 1]), 4),
                       title=names.get(pid, ("", None))[0], url=paper_url(pid))
              for pid, i in zip(picked, chosen.tolist(), strict=True)]
    result = MapOut(view=view, total=len(ids), shown=len(points), max_points=max_points, sampled=sampled,
                    points=points, cells=_cells(xy, topic, view) if sampled and len(ids) else [],
                    colours=colours([t.id for t in topics]))
    with _LOCK:
        _CACHE[key] = result
        while len(_CACHE) > 16:
            _CACHE.popitem(last=False)
    return result
