"""Regenerate src/openpapers/data/demo-claims.jsonl from ../shared/seeds (run after changing the listing parser)."""

import os
import sys
from pathlib import Path

import orjson

from openpapers.papers.demo import DEMO_FILE, build_demo_claims

root = Path(__file__).resolve().parents[1]
seeds = Path(os.environ.get("OPENPAPERS_SEEDS") or root.parent / "shared" / "seeds")
out = root / "src" / "openpapers" / "data" / DEMO_FILE
with out.open("wb") as fh:
    n = 0
    for rec in build_demo_claims(seeds):
        fh.write(orjson.dumps(rec) + b"\n")
        n += 1
print(f"wrote {n} claims to {out}", file=sys.stderr)
