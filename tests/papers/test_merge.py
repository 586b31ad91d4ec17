"""Merge rules: every field picks its winner independently and records where it came from."""

from __future__ import annotations

from datetime import date

import pytest

from openpapers.core.records import PaperRecord, Version
from openpapers.papers.merge import _from_one, merge_records


def listing(**kw: object) -> PaperRecord:
    base = dict(source="listing", source_key="page#x", observed=date(2025, 12, 11), title="A Neural PDE Solver")
    base.update(kw)
    return PaperRecord(**base)  # type: ignore[arg-type]


def arxiv(**kw: object) -> PaperRecord:
    base = dict(
        source="arxiv-api",
        source_key="2301.00001",
        observed=date(2026, 1, 1),
        arxiv_id="2301.00001",
        title="A Neural PDE Solver",
        authors=["Rui Zhang", "Qi Meng", "Rongchan Zhu", "Zhi-Ming Ma"],
        authors_complete=True,
        abstract="From arXiv.",
        categories=["cs.LG", "math.NA"],
        published=date(2023, 2, 10),
    )
    base.update(kw)
    return PaperRecord(**base)  # type: ignore[arg-type]


def test_complete_author_list_beats_et_al() -> None:
    short = listing(authors=["Rui Zhang", "Qi Meng", "Rongchan Zhu"], authors_complete=False)
    paper = merge_records([short, arxiv()])
    assert paper.authors == ["Rui Zhang", "Qi Meng", "Rongchan Zhu", "Zhi-Ming Ma"]
    assert paper.authors_complete and paper.author_count == 4
    assert paper.provenance["authors"].source == "arxiv-api"


def test_incomplete_lists_keep_every_known_author() -> None:
    # An author page's owner appended to a listing claim survives when no complete list is known.
    a = listing(authors=["Rui Zhang", "Peiyan Hu", "Qi Meng"], author_count=7)
    b = listing(source_key="other#x", authors=["Rui Zhang", "Peiyan Hu", "Zhi-Ming Ma"])
    paper = merge_records([a, b])
    assert set(paper.authors) == {"Rui Zhang", "Peiyan Hu", "Qi Meng", "Zhi-Ming Ma"}
    assert not paper.authors_complete
    assert paper.author_count == 7


def test_trusted_source_wins_text_and_categories_unioned() -> None:
    paper = merge_records([listing(abstract="Listing text, longer than arXiv's.", categories=["cs.LG"]), arxiv()])
    assert paper.abstract == "From arXiv."
    assert paper.categories == ["cs.LG", "math.NA"]
    assert paper.provenance["abstract"].source == "arxiv-api"


def test_unknown_never_beats_known() -> None:
    paper = merge_records([arxiv(abstract=None), listing(abstract="Only the page had it.")])
    assert paper.abstract == "Only the page had it."
    assert paper.provenance["abstract"].source == "listing"


def test_latest_upvotes_win_and_code_is_sticky() -> None:
    old = listing(upvotes=40, observed=date(2025, 1, 1), has_code=True)
    new = listing(source_key="b#x", upvotes=12, observed=date(2025, 6, 1), has_code=None)
    hf = PaperRecord(
        "hf-daily",
        "2301.00001",
        observed=date(2024, 1, 1),
        arxiv_id="2301.00001",
        code_urls=["https://github.com/optray/MCNP"],
        has_code=True,
    )
    paper = merge_records([old, new, hf, arxiv()])
    assert paper.upvotes == 12
    assert paper.has_code and paper.code_urls == ["https://github.com/optray/MCNP"]


def test_unions_dedup_and_keep_order() -> None:
    a = listing(orgs=["pku", "microsoft-research"], code_urls=["https://github.com/x/y/"])
    b = listing(source_key="b#x", orgs=["PKU", "tsinghua"], code_urls=["https://github.com/x/y"],
                observed=date(2026, 1, 1))  # seen after a
    paper = merge_records([a, b])
    assert paper.orgs == ["pku", "microsoft-research", "tsinghua"]
    assert len(paper.code_urls) == 1


def test_longest_version_history_and_withdrawn() -> None:
    snap = PaperRecord(
        "arxiv-snapshot",
        "2301.00001",
        arxiv_id="2301.00001",
        title="A Neural PDE Solver",
        versions=[Version(1), Version(2), Version(3)],
        withdrawn=True,
    )
    paper = merge_records([arxiv(versions=[Version(1)], withdrawn=False), snap])
    assert [v.version for v in paper.versions] == [1, 2, 3]
    assert paper.withdrawn is False  # the API (more trusted) saw the latest state


@pytest.mark.parametrize(
    "rec",
    [
        arxiv(),
        listing(authors=["A B"], author_count=5, upvotes=3, orgs=["pku"], has_code=True, code_urls=["u"]),
        listing(title=None, abstract="x"),
        PaperRecord("arxiv-oai", "2301.1", arxiv_id="2301.00001", withdrawn=True),
    ],
)
def test_single_claim_fast_path_agrees_with_general_merge(rec: PaperRecord) -> None:
    fast = _from_one(rec, None)
    # The general path on [rec, exact copy] must give the same paper as the fast path on [rec].
    twin = PaperRecord.from_json(rec.to_json())
    twin.source_key = rec.source_key + "#twin"
    slow = merge_records([rec, twin])
    for field in (
        "arxiv_id",
        "title",
        "authors",
        "authors_complete",
        "author_count",
        "abstract",
        "categories",
        "published",
        "updated",
        "versions",
        "withdrawn",
        "code_urls",
        "has_code",
        "orgs",
        "upvotes",
    ):
        assert getattr(fast, field) == getattr(slow, field), field
    assert set(fast.provenance) == set(slow.provenance)
