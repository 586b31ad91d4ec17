"""The keyword index build reads papers stored as their one claim straight from the claim's JSON
(``tantivy_schema.claim_document``): it must index exactly what ``paper_document`` of the merged paper indexes,
for every shape of claim (orgs with repeats and spacing, code links or only ``has_code``, no abstract, no date,
repeated categories) and for merged papers (two claims), and a first sync must find what a rebuild finds."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import orjson

from helpers.searchdata import paper
from openpapers.core.settings import resolve_settings
from openpapers.papers.browse import decode_paper
from openpapers.papers.store import open_store
from openpapers.search.backends import tantivy_schema as ks
from openpapers.search.backends.tantivy import KeywordIndex


def test_claim_documents_equal_paper_documents(tmp_path: Path) -> None:
    store = open_store(resolve_settings(tmp_path / "data"))
    records = [
        paper(1, orgs=["Acme Labs ", "acme labs", "Beta/"], code_urls=["https://github.com/x/y"]),
        paper(2, abstract=None, published=None, categories=["cs.LG", "cs.LG", "stat.ML"]),
        paper(3, has_code=True, code_urls=[], authors=[]),
        paper(4, title=None, authors=["Zoë Ünicode", "Zoë Ünicode"]),
        paper(5, arxiv_id=None, title="Introduction"),
    ]
    store.apply(records)
    store.apply([paper(1, source="hf-daily", source_key="hf-1", upvotes=5, featured_on=date(2024, 1, 2))])
    rows = list(store.iter_paper_rows())
    assert any(r[1] is not None for r in rows) and sum(r[1] is None for r in rows) >= 4  # both shapes
    for row in rows:
        expected = ks.paper_document(decode_paper(row)).to_dict()
        if row[1] is None:
            assert ks.claim_document(row[0], orjson.loads(row[2])).to_dict() == expected, row[0]
    synced, rebuilt = KeywordIndex(tmp_path / "a" / "kw"), KeywordIndex(tmp_path / "b" / "kw")
    assert synced.sync(store) == rebuilt.rebuild(store) == len(rows)
    for query in ("acme", "Zoë", "cs.LG", "untitled"):
        assert synced.search(query, limit=10) == rebuilt.search(query, limit=10)
    store.close()
