"""The bundled demo corpus: the papers of the seed pages, shipped as claims so a fresh install has data.

``data/demo-claims.jsonl`` holds the claims the ``listing`` source makes from ../shared/seeds (one JSON object
per line, the store's own claim format). :func:`build_demo_claims` regenerates it from the seeds; a test checks
that the bundled file is exactly what the current parser makes, so the demo never drifts from the importer.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from importlib import resources
from pathlib import Path

import orjson

from openpapers.core.records import PaperRecord
from openpapers.papers.ingest import ImportReport, update_identities
from openpapers.papers.store import Store

DEMO_FILE = "demo-claims.jsonl"

# Capture dates of the seed pages (from shared/seeds/README.md). The author page is known only to be from 2026;
# every year-less date on it is on or before May 28, so any later 2026 date gives the same years.
SEED_CAPTURES: dict[str, date] = {
    "000_e02ea1ad3dd5f609.txt": date(2026, 11, 22),
    "001_cddcb56b08f07435.txt": date(2025, 12, 11),
    "002_422bd766d6ab3f8d.txt": date(2025, 12, 11),
}


def build_demo_claims(seed_dir: Path) -> Iterator[PaperRecord]:
    """Parse the seed pages exactly as ``openpapers import listing`` would."""
    from openpapers.sources.listing import ListingSource

    for name, captured in SEED_CAPTURES.items():
        for page in ListingSource(seed_dir / name, captured=captured).pages():
            if page.errors:
                raise page.errors[0]
            for rec in page.records:
                rec.location = f"seeds/{name}:{(rec.location or '').rsplit(':', 1)[-1]}"
                yield rec


def demo_records() -> list[PaperRecord]:
    text = resources.files("openpapers.data").joinpath(DEMO_FILE).read_bytes()
    return [PaperRecord.from_json(orjson.loads(line)) for line in text.splitlines() if line.strip()]


def load_demo(store: Store, *, people: bool = True) -> ImportReport:
    """Apply the demo claims in one transaction; loading twice changes nothing. ``people``: as in
    :func:`openpapers.papers.ingest.run_import` (the author names are in the report either way)."""
    records = demo_records()
    result = store.apply(records)
    names = {a for r in records for a in r.authors}
    if people:
        update_identities(store, names)
    return ImportReport(
        source="demo", records=len(records), created=result.created, updated=result.updated, merged=result.merged,
        author_names=names,
    )
