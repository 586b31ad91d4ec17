"""The bundled demo corpus must be exactly what the current listing parser makes of the seed pages.

``data/demo-claims.jsonl`` is generated once and shipped; if the parser changes and the file is not regenerated,
a fresh install would show data the importer no longer produces. This test catches that drift.
"""

from __future__ import annotations

from pathlib import Path

import orjson

from helpers.seeds import seeds_dir as shared_seeds
from openpapers.papers.demo import SEED_CAPTURES, build_demo_claims, demo_records


def seeds_dir() -> Path:
    return shared_seeds(SEED_CAPTURES)


def test_bundled_demo_equals_a_fresh_build_from_the_seeds() -> None:
    bundled = [orjson.dumps(r) for r in demo_records()]
    fresh = [orjson.dumps(r) for r in build_demo_claims(seeds_dir())]
    assert len(bundled) == len(fresh) > 300
    for i, (a, b) in enumerate(zip(bundled, fresh, strict=True)):
        assert a == b, f"demo record {i} differs from what the parser makes now; regenerate data/demo-claims.jsonl"


def test_demo_records_round_trip_and_have_unique_keys() -> None:
    records = demo_records()
    assert records, "the bundled demo is empty"
    assert {r.source for r in records} == {"listing"}
    keys = [(r.source, r.source_key) for r in records]
    assert len(set(keys)) == len(keys)
    for rec in records:
        assert rec.title and rec.observed is not None
        assert rec.location and rec.location.startswith("seeds/")
        assert orjson.loads(orjson.dumps(rec)) == rec.to_json()
