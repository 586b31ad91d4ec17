"""Crafted papers for the web tests: hostile text, organisations, featured days, an old-style arXiv id.

Kept out of conftest.py so that tests can import them by a unique module name."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from openpapers.core.records import PaperRecord
from openpapers.core.settings import Settings

XSS_ID = "2512.00001"
FEATURED_ID = "2512.00002"
OLD_STYLE_ID = "hep-th/9901001"
SCRIPT = "<script>window.__pwned=1</script>"

CRAFTED = [
    PaperRecord(
        source="test", source_key="xss", arxiv_id=XSS_ID,
        title=f"{SCRIPT}Evil <b>bold</b> title about operator learning",
        abstract=(f"We bound the $L^2$ error of operator learning. {SCRIPT}"
                  '<img src=x onerror="window.__pwned=2"> Ends with \\(x<y\\) & more.'),
        authors=["Alice Example", "Bob <i>Tag</i>", "Carol Third", "Dan Fourth"], authors_complete=True,
        author_count=4, categories=["cs.LG", "stat.ML"], published=date(2025, 12, 11), featured_on=date(2025, 12, 12),
        orgs=["Example Lab"], code_urls=["javascript:alert(1)", "https://github.com/example/evil"], has_code=True,
        project_page="javascript:alert(2)", upvotes=42,
    ),
    PaperRecord(
        source="test", source_key="featured", arxiv_id=FEATURED_ID,
        title="A featured paper on weekend learning dynamics", abstract="Featured on a Monday, published earlier.",
        authors=["Alice Example", "Erin Fifth"], authors_complete=True, author_count=2, categories=["cs.CL"],
        published=date(2025, 12, 1), featured_on=date(2025, 12, 15), orgs=["Example Lab", "Other Org"], upvotes=70,
    ),
    PaperRecord(
        source="test", source_key="old", arxiv_id=OLD_STYLE_ID, title="An old-style identifier paper on strings",
        abstract="String theory, from the last century.", authors=["Frank Sixth"], authors_complete=True,
        categories=["hep-th"], published=date(1999, 1, 4),
    ),
]


def writable_store(backend: Any, data: Path) -> Settings:
    """A store of a test module's own (for tests that write users and signals; the shared web store is read-only):
    the demo corpus plus :data:`CRAFTED`, keyword index only, on the test's backend."""
    from openpapers.papers.demo import load_demo
    from openpapers.papers.store import open_store
    from openpapers.search.service import SearchService

    settings: Settings = backend.settings(data)
    store = open_store(settings)
    try:
        load_demo(store)
        store.apply(CRAFTED)
        SearchService(store, data).sync(semantic=False)
    finally:
        store.close()
    return settings
