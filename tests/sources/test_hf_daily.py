"""The hf-daily source: saved ``/api/daily_papers`` JSON → claims, with exact positions for bad input.

Fixtures in ``fixtures/hf`` are hand-made in the real response shape: ``daily_papers.json`` (pretty-printed),
``daily_papers_compact.json`` (the same items on one line, as the API sends them), ``bad_items.json`` (one
bad item of each kind between two good ones), ``truncated.json`` and ``not_a_list.json``. Expected line
numbers below were read off the fixture files, not computed by the code under test.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openpapers.core.errors import SourceError
from openpapers.core.records import PaperRecord, paper_id_for
from openpapers.sources.hf_daily import HfDailySource, parse_daily_papers, value_offsets
from openpapers.sources.registry import get_source

FIXTURES = Path(__file__).parent / "fixtures" / "hf"
OBSERVED = date(2025, 1, 10)


def read(name: str, observed: date | None = OBSERVED) -> tuple[list[PaperRecord], list[SourceError]]:
    pages = list(HfDailySource(FIXTURES / name, observed=observed).pages())
    assert len(pages) == 1
    assert pages[0].state == {"done": True}
    return pages[0].records, pages[0].errors


def by_id(records: list[PaperRecord]) -> dict[str, PaperRecord]:
    return {r.source_key: r for r in records}


# --- field mapping ---------------------------------------------------------------------------------------


def test_every_item_of_a_clean_file_becomes_a_claim_in_file_order() -> None:
    records, errors = read("daily_papers.json")
    assert errors == []
    assert [r.arxiv_id for r in records] == ["2312.00752", "2501.04682", "2410.11831", "2402.01234"]
    assert {r.source for r in records} == {"hf-daily"}
    assert {r.observed for r in records} == {OBSERVED}


def test_fields_map_from_the_paper_object() -> None:
    mamba = by_id(read("daily_papers.json")[0])["2312.00752"]
    assert mamba.source_key == "2312.00752"
    assert mamba.title == "Mamba: Linear-Time Sequence Modeling with Selective State Spaces"
    assert mamba.abstract == (
        "Foundation models, now powering most of the exciting applications in deep learning, are almost "
        "universally based on the Transformer architecture. We propose selective state spaces.")
    assert mamba.authors == ["Albert Gu", "Tri Dao"]
    assert mamba.authors_complete is True
    assert mamba.author_count == 2
    assert mamba.upvotes == 12
    assert mamba.code_urls == ["https://github.com/state-spaces/mamba"]
    assert mamba.has_code is True
    assert mamba.project_page is None
    assert mamba.orgs == []
    assert mamba.keywords == ["state space models", "selective scan", "linear-time"]  # deduplicated
    assert mamba.extra["githubStars"] == 123
    assert mamba.extra["numComments"] == 3
    assert mamba.extra["ai_summary"].startswith("Selective state space models")
    assert mamba.location == f"{FIXTURES / 'daily_papers.json'}:2"
    # Nothing the API does not say is filled in.
    assert mamba.categories == [] and mamba.versions == [] and mamba.withdrawn is None and mamba.doi is None


def test_featured_on_is_the_featuring_day_and_published_is_the_arxiv_date() -> None:
    recs = by_id(read("daily_papers.json")[0])
    assert recs["2312.00752"].published == date(2023, 12, 1)  # paper.publishedAt
    assert recs["2312.00752"].featured_on == date(2023, 12, 4)  # the item's own publishedAt
    assert recs["2501.04682"].published == date(2025, 1, 8)
    assert recs["2501.04682"].featured_on == date(2025, 1, 9)


def test_organization_unicode_names_and_project_page() -> None:
    rec = by_id(read("daily_papers.json")[0])["2501.04682"]
    assert rec.authors == ["Zoë Łukasiewicz-Nowak", "José Álvarez Núñez", "王小明", "Søren Ødegård"]
    assert rec.author_count == 4 and rec.authors_complete
    assert rec.orgs == ["tsinghua"]
    assert rec.extra["org_fullname"] == "Tsinghua University"
    assert rec.project_page == "https://example-lab.github.io/curriculum-distill/"
    assert rec.extra["githubStars"] == 0  # zero stars is still known
    assert rec.extra["numComments"] == 0


def test_missing_or_null_github_repo_means_code_unknown_not_absent() -> None:
    recs = by_id(read("daily_papers.json")[0])
    no_key = recs["2410.11831"]  # githubRepo absent
    assert no_key.has_code is None and no_key.code_urls == []
    assert no_key.project_page == "https://long-horizon-bench.example.org"
    null = recs["2402.01234"]  # githubRepo: null, summary: null, ai_keywords: null, organization: null
    assert null.has_code is None and null.code_urls == []
    assert null.keywords == [] and null.orgs == []
    assert null.abstract is None


def test_versioned_ids_are_normalized_and_titles_cleaned() -> None:
    rec = by_id(read("daily_papers.json")[0])["2402.01234"]
    assert rec.arxiv_id == "2402.01234"
    assert rec.title == "Sparse Mixture-of-Experts at the Edge"
    assert rec.upvotes == 0


def test_the_one_line_api_form_gives_the_same_claims() -> None:
    pretty, _ = read("daily_papers.json")
    compact, errors = read("daily_papers_compact.json")
    assert errors == []
    for a, b in zip(pretty, compact, strict=True):
        a_json, b_json = a.to_json(), b.to_json()
        a_json.pop("location")
        b_json.pop("location")
        assert a_json == b_json
    assert {r.location for r in compact} == {f"{FIXTURES / 'daily_papers_compact.json'}:1"}
    # In the pretty file each item's location is the line its object opens on.
    assert [r.location.rsplit(":", 1)[1] for r in pretty] == ["2", "56", "113", "153"]


def test_observed_defaults_to_the_file_modification_date(tmp_path: Path) -> None:
    path = tmp_path / "daily.json"
    path.write_bytes((FIXTURES / "daily_papers.json").read_bytes())
    stamp = datetime(2024, 6, 30, 23, 30, tzinfo=UTC).timestamp()
    os.utime(path, (stamp, stamp))
    (page,) = HfDailySource(path).pages()
    assert {r.observed for r in page.records} == {date(2024, 6, 30)}


def test_non_arxiv_ids_fall_back_to_a_title_key() -> None:
    text = json.dumps([{"paper": {"id": "hf-internal-7", "title": "A Paper Without arXiv", "upvotes": 1}}])
    (rec,), errors = parse_daily_papers(text, "mem.json", OBSERVED)
    assert errors == []
    assert rec.arxiv_id is None
    assert rec.source_key == paper_id_for(None, "A Paper Without arXiv")
    assert rec.extra["hf_id"] == "hf-internal-7"
    assert rec.authors == [] and rec.authors_complete is False and rec.author_count is None
    assert rec.featured_on is None and rec.published is None


def test_submitted_on_daily_is_the_featured_day_when_the_wrapper_has_no_date() -> None:
    text = json.dumps([{"paper": {"id": "2401.00001", "title": "T", "submittedOnDailyAt": "2024-01-03T05:00:00Z",
                                  "publishedAt": "2024-01-01T05:00:00Z"}}])
    (rec,), _ = parse_daily_papers(text, "mem.json", OBSERVED)
    assert rec.featured_on == date(2024, 1, 3) and rec.published == date(2024, 1, 1)


def test_a_paper_listed_twice_yields_one_claim_the_last() -> None:
    item = {"paper": {"id": "2401.00001", "title": "T", "upvotes": 1}}
    later = {"paper": {"id": "2401.00001v2", "title": "T", "upvotes": 9}}
    records, _ = parse_daily_papers(json.dumps([item, later]), "mem.json", OBSERVED)
    assert [(r.source_key, r.upvotes) for r in records] == [("2401.00001", 9)]


# --- source protocol -------------------------------------------------------------------------------------


def test_registered_resumable_and_keyed_by_file_identity(tmp_path: Path) -> None:
    assert get_source("hf-daily") is HfDailySource
    path = tmp_path / "daily.json"
    path.write_bytes((FIXTURES / "daily_papers.json").read_bytes())
    src = HfDailySource(path)
    st_ = path.stat()
    assert src.checkpoint_key == f"hf-daily:{path.resolve()}:{st_.st_size}:{st_.st_mtime_ns}"
    (page,) = list(src.pages())
    json.dumps(page.state)  # JSON-serialisable
    assert list(src.pages(page.state)) == []  # resuming after the only page yields nothing
    assert len(next(iter(src.pages(None))).records) == 4
    with path.open("ab") as fh:
        fh.write(b"\n")
    assert HfDailySource(path).checkpoint_key != src.checkpoint_key


def test_missing_file_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as info:
        HfDailySource(tmp_path / "nope.json")
    assert info.value.file == str(tmp_path / "nope.json")


# --- bad input -------------------------------------------------------------------------------------------


def test_bad_items_are_reported_with_line_and_field_and_good_ones_survive() -> None:
    records, errors = read("bad_items.json")
    assert [r.arxiv_id for r in records] == ["2403.00001", "2403.00010"]
    fname = str(FIXTURES / "bad_items.json")
    got = [(e.file, e.line, e.field) for e in errors]
    assert got == [
        (fname, 22, "paper.id"),  # missing: points at the paper object
        (fname, 40, "paper.title"),  # neither paper.title nor title
        (fname, 69, "paper.upvotes"),  # "abc"
        (fname, 85, "paper.publishedAt"),  # month 13
        (fname, 109, "publishedAt"),  # "yesterday"
        (fname, 125, "paper.authors[1].name"),  # 42
        (fname, 138, "paper"),  # a string, not an object
        (fname, 143, "item"),  # an array, not an object
    ]
    upvotes = errors[2]
    assert "2403.00004" in upvotes.message and "'abc'" in upvotes.message
    assert "column 18" in upvotes.message  # `      "upvotes": "abc"`: the value starts at column 18
    assert str(upvotes).startswith(f"{fname}:69: [paper.upvotes] ")


def test_item_errors_on_one_line_name_the_column(tmp_path: Path) -> None:
    items = json.loads((FIXTURES / "daily_papers_compact.json").read_text())
    items[2]["paper"]["upvotes"] = "abc"
    text = json.dumps(items, separators=(",", ":"))
    path = tmp_path / "one_line.json"
    path.write_text(text)
    (page,) = HfDailySource(path, observed=OBSERVED).pages()
    assert len(page.records) == 3
    (err,) = page.errors
    assert (err.line, err.field) == (1, "paper.upvotes")
    column = text.index('"abc"') + 1
    assert f"column {column}" in err.message


def test_crlf_line_endings_count_the_same_lines(tmp_path: Path) -> None:
    path = tmp_path / "crlf.json"
    path.write_bytes((FIXTURES / "bad_items.json").read_bytes().replace(b"\n", b"\r\n"))
    (page,) = HfDailySource(path, observed=OBSERVED).pages()
    assert [e.line for e in page.errors] == [22, 40, 69, 85, 109, 125, 138, 143]


def test_truncated_json_names_line_and_column() -> None:
    with pytest.raises(SourceError) as info:
        read("truncated.json")
    err = info.value
    assert (err.file, err.line, err.field) == (str(FIXTURES / "truncated.json"), 21, "json")
    assert "Unterminated string" in err.message and "column 19" in err.message


def test_top_level_object_is_rejected_where_it_starts() -> None:
    with pytest.raises(SourceError) as info:
        read("not_a_list.json")
    assert (info.value.line, info.value.field) == (2, "json")
    assert "expected a JSON array" in info.value.message


@pytest.mark.parametrize(("raw", "line", "field"), [
    (b"", 1, "json"),
    (b"[1, 2,\n", 2, "json"),
    (b'[\n{"paper": {"id": "\xff"}}]', 2, "encoding"),
    (b"[" * 100_000, 1, "json"),
    (b"[1" + b"1" * 5000 + b"]", 1, "json"),
])
def test_unreadable_documents_raise_one_source_error(tmp_path: Path, raw: bytes, line: int | None,
                                                     field: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(raw)
    with pytest.raises(SourceError) as info:
        list(HfDailySource(path).pages())
    assert (info.value.file, info.value.line, info.value.field) == (str(path), line, field)


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + (FIXTURES / "daily_papers.json").read_bytes())
    (page,) = HfDailySource(path, observed=OBSERVED).pages()
    assert len(page.records) == 4 and page.errors == []


@pytest.mark.parametrize(("paper_patch", "field"), [
    ({"upvotes": True}, "paper.upvotes"),
    ({"upvotes": 1.5}, "paper.upvotes"),
    ({"upvotes": -1}, "paper.upvotes"),
    ({"authors": "Ada Lovelace"}, "paper.authors"),
    ({"authors": ["Ada Lovelace"]}, "paper.authors[0]"),
    ({"githubRepo": "not a url"}, "paper.githubRepo"),
    ({"githubRepo": 7}, "paper.githubRepo"),
    ({"ai_keywords": "a, b"}, "paper.ai_keywords"),
    ({"ai_keywords": ["ok", None, 3]}, "paper.ai_keywords[2]"),
    ({"organization": "tsinghua"}, "paper.organization"),
    ({"githubStars": "many"}, "paper.githubStars"),
    ({"title": "\ud800 lone surrogate"}, "paper.title"),
    ({"title": "   "}, "paper.title"),
    ({"id": ""}, "paper.id"),
    ({"id": 2312.00752}, "paper.id"),
    ({"publishedAt": 20231201}, "paper.publishedAt"),
])
def test_each_wrong_type_names_its_field(paper_patch: dict[str, Any], field: str) -> None:
    paper = {"id": "2401.00001", "title": "Fine", "authors": [{"name": "Ada Lovelace"}], "upvotes": 1}
    text = json.dumps([{"paper": {**paper, **paper_patch}, "numComments": 0}], indent=1)
    records, errors = parse_daily_papers(text, "mem.json", OBSERVED)
    assert records == []
    (err,) = errors
    assert err.field == field and err.file == "mem.json"
    # The line is that of the offending value (or of its enclosing value when it is missing).
    assert err.line is not None and 1 < err.line <= text.count("\n") + 1


# --- properties ------------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=25,
)


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        value = value[part]
    return value


@given(value=json_values, indent=st.sampled_from([None, 0, 2]))
def test_value_offsets_point_at_each_value(value: Any, indent: int | None) -> None:
    text = json.dumps(value, indent=indent)
    offsets = value_offsets(text)
    decoder = json.JSONDecoder()
    seen = 0
    for path, offset in offsets.items():
        decoded, _ = decoder.raw_decode(text, offset)
        assert decoded == _at(value, path)
        seen += 1
    assert () in offsets and seen >= 1


paper_fields = st.fixed_dictionaries({}, optional={
    "id": json_values | st.sampled_from(["2312.00752", "2401.00001v3", "hep-th/9901001"]),
    "title": json_values | st.just("A Title"),
    "summary": json_values,
    "authors": json_values | st.lists(st.fixed_dictionaries({"name": json_values}), max_size=3),
    "publishedAt": json_values | st.sampled_from(["2023-12-01T18:01:34.000Z", "2023-02-30"]),
    "upvotes": json_values,
    "githubRepo": json_values | st.just("https://github.com/a/b"),
    "githubStars": json_values,
    "projectPage": json_values,
    "ai_keywords": json_values,
    "organization": json_values | st.fixed_dictionaries({"name": json_values}),
})
items = st.fixed_dictionaries({}, optional={"paper": paper_fields | json_values, "publishedAt": json_values,
                                            "numComments": json_values, "title": json_values})
documents = st.lists(items | json_values, max_size=5) | json_values


def _check(records: list[PaperRecord], errors: list[SourceError], fname: str, text: str) -> None:
    lines = text.count("\n") + 1
    for err in errors:
        assert isinstance(err, SourceError) and err.file == fname and err.field
        assert err.line is not None and 1 <= err.line <= lines
    for rec in records:
        assert rec.source == "hf-daily" and rec.title and rec.source_key
        json.dumps(rec.to_json())
        assert rec.location and rec.location.startswith(f"{fname}:")


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(doc=documents, indent=st.sampled_from([None, 1]))
def test_fuzzed_json_documents_only_ever_give_source_errors(doc: Any, indent: int | None) -> None:
    text = json.dumps(doc, indent=indent)
    try:
        records, errors = parse_daily_papers(text, "fuzz.json", OBSERVED)
    except SourceError as exc:
        assert exc.file == "fuzz.json"
        return
    _check(records, errors, "fuzz.json", text)


@settings(max_examples=300)
@given(cut=st.integers(min_value=0), junk=st.text(max_size=5), at=st.integers(min_value=0))
def test_mangled_fixture_text_only_ever_gives_source_errors(cut: int, junk: str, at: int) -> None:
    good = (FIXTURES / "daily_papers.json").read_text(encoding="utf-8")
    at %= len(good) + 1
    text = (good[:at] + junk + good[at:])[: len(good) - cut % 50]
    try:
        records, errors = parse_daily_papers(text, "m.json", OBSERVED)
    except SourceError:
        return
    _check(records, errors, "m.json", text)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(lambda s: s.encode("utf-8", "surrogatepass")))
def test_arbitrary_bytes_in_a_file_only_ever_give_source_errors(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.json"
        path.write_bytes(raw)
        try:
            pages = list(HfDailySource(path, observed=OBSERVED).pages())
        except SourceError as exc:
            assert exc.file == str(path)
            return
        (page,) = pages
        _check(page.records, page.errors, str(path), raw.decode("utf-8-sig"))


def test_deep_nesting_and_long_numbers_name_their_column(tmp_path: Path) -> None:
    """Issue 12: "nested too deeply" used to name no line; now line and column of the 101st level (or of the
    number ``json`` refused to convert)."""
    path = tmp_path / "deep.json"
    path.write_bytes(b"[\n  " + b"[" * 5000 + b"]" * 5000 + b"\n]")
    with pytest.raises(SourceError, match=r"more than 100 levels at column 102\)") as info:
        list(HfDailySource(path).pages())
    assert info.value.line == 2
    path.write_bytes(b"[\n  {\"paper\": {\"upvotes\": " + b"9" * 5000 + b"}}\n]")
    with pytest.raises(SourceError, match=r"\(column 25\)") as info:
        list(HfDailySource(path).pages())
    assert info.value.line == 2
