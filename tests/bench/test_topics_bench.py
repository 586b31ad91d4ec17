"""bench/topics.py at a tiny size: the scale run writes papers and vectors into a store, rebuilds from them and
reports its measures; the synthetic vectors have the groups they claim."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import topics as bench


def test_synthetic_vectors_are_unit_and_grouped() -> None:
    x, truth = bench.synthetic(600, 6, dim=32)
    assert x.shape == (600, 32) and len(truth) == 600 and set(truth.tolist()) == set(range(6))
    assert np.allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5)
    means = np.stack([x[truth == g].mean(axis=0) for g in range(6)])
    inside = np.mean(x[truth == 0] @ means[0])
    outside = np.mean(x[truth == 0] @ means[1])
    assert inside > outside


def test_the_scale_run_reports_every_measure() -> None:
    out = bench.scale(600, 6)
    assert out["papers"] == out["placed"] == 600
    assert isinstance(out["topics"], int) and 2 <= out["topics"] <= 48
    assert float(out["rebuild_seconds"]) > 0 and float(out["rebuild_cpu_seconds"]) > 0  # type: ignore[arg-type]
    assert int(out["peak_rss_mb"]) >= int(out["rss_before_mb"]) > 0  # type: ignore[call-overload]
    assert out["silhouette"] is not None and float(out["silhouette"]) > 0.05  # type: ignore[arg-type]
