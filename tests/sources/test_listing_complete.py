"""The cut-off check for listing pages (sources/listing_complete.py): a whole page has no warning (the seed
captures included), a page cut mid-sentence or mid-entry has exactly one, on every layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.malformed import AUTHOR_ENTRIES, author_page, large_page, search_page
from helpers.seeds import seeds_dir
from openpapers.sources.listing import ListingSource

SEEDS = ("000_e02ea1ad3dd5f609.txt", "001_cddcb56b08f07435.txt", "002_422bd766d6ab3f8d.txt")


def warnings_of(path: Path, data: bytes | None = None, **kw: str) -> list[tuple[int | None, str | None]]:
    if data is not None:
        path.write_bytes(data)
    (page,) = ListingSource(path, captured="2026-11-22", **kw).pages()
    return [(w.line, w.field) for w in page.warnings]


@pytest.mark.parametrize("name", SEEDS)
def test_the_seed_pages_are_whole(name: str) -> None:
    path = seeds_dir(SEEDS) / name
    kw = {"owner": "Qi Meng"} if name.startswith("000") else {}
    assert warnings_of(path, **kw) == []


def test_whole_synthetic_pages_of_every_layout_have_no_warning(tmp_path: Path) -> None:
    assert warnings_of(tmp_path / "a.txt", author_page(), owner="Qi Meng") == []
    assert warnings_of(tmp_path / "s.txt", search_page("sparse", "dense")) == []
    assert warnings_of(tmp_path / "l.txt", large_page("sparse", "dense")) == []


def test_an_abstract_cut_mid_sentence_warns(tmp_path: Path) -> None:
    assert warnings_of(tmp_path / "a.txt", author_page()[:-40], owner="Qi Meng") == [(9, "abstract")]
    assert warnings_of(tmp_path / "l.txt", large_page("sparse", "dense")[:-30]) == [(5, "abstract")]


def test_a_file_ending_mid_entry_warns(tmp_path: Path) -> None:
    chip, title, _ = AUTHOR_ENTRIES[0]
    cut = author_page() + f"{chip}\n{title}\n".encode()
    assert warnings_of(tmp_path / "a.txt", cut, owner="Qi Meng") == [(11, "abstract")]
    assert warnings_of(tmp_path / "s.txt", search_page("sparse", "dense")[:-40]) == [(15, "footer")]


def test_an_abstract_ending_in_a_formula_or_quote_is_whole(tmp_path: Path) -> None:
    for end in ("$O(n)$", "(see appendix)", '"done"', "Why?"):
        entries = [*AUTHOR_ENTRIES[:2], (*AUTHOR_ENTRIES[2][:2], f"We prove it. The bound is {end}")]
        assert warnings_of(tmp_path / "a.txt", author_page(entries), owner="Qi Meng") == [], end
