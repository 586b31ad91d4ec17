"""The arXiv bulk snapshot source: field mapping, one SourceError per kind of bad line, paging and resume.

Lines are written here in the real snapshot format (field names, RFC 2822 version dates, ``authors_parsed``
triples) so that the tests pin the mapping the importer will meet on the real multi-GB file.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from openpapers.core.errors import SourceError
from openpapers.sources.arxiv_record import parse_rfc2822
from openpapers.sources.arxiv_snapshot import ArxivSnapshotSource
from openpapers.sources.base import Page
from openpapers.sources.registry import get_source


def entry(arxiv_id: str = "0704.0001", **overrides: Any) -> dict[str, Any]:
    """One snapshot object with every field the real file has, in its order; overrides replace fields."""
    obj: dict[str, Any] = {
        "id": arxiv_id,
        "submitter": "Pavel Nadolsky",
        "authors": "C. Bal\\'azs, E. L. Berger, P. M. Nadolsky, C.-P. Yuan",
        "title": "Calculation of prompt diphoton production cross sections at Tevatron and\n  LHC energies",
        "comments": "37 pages, 15 figures; published version",
        "journal-ref": "Phys.Rev.D76:013009,2007",
        "doi": "10.1103/PhysRevD.76.013009",
        "report-no": "ANL-HEP-PR-07-12",
        "categories": "hep-ph",
        "license": None,
        "abstract": "  A fully differential calculation in perturbative quantum chromodynamics is\npresented.\n",
        "versions": [
            {"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"},
            {"version": "v2", "created": "Tue, 24 Jul 2007 20:10:27 GMT"},
        ],
        "update_date": "2008-11-13",
        "authors_parsed": [["Balázs", "C.", ""], ["Berger", "E. L.", ""], ["Nadolsky", "P. M.", ""],
                           ["Yuan", "C. -P.", ""]],
    }
    obj.update(overrides)
    return obj


def line(obj: Any) -> bytes:
    return orjson.dumps(obj) + b"\n"


def write(path: Path, *lines: bytes | dict[str, Any]) -> Path:
    path.write_bytes(b"".join(x if isinstance(x, bytes) else line(x) for x in lines))
    return path


def read_all(path: Path, page_size: int = 5000, state: dict[str, Any] | None = None) -> list[Page]:
    return list(ArxivSnapshotSource(path, page_size=page_size).pages(state))


def only_record(path: Path):  # -> PaperRecord
    pages = read_all(path)
    errors = [e for p in pages for e in p.errors]
    records = [r for p in pages for r in p.records]
    assert not errors, errors
    assert len(records) == 1
    return records[0]


def only_error(path: Path) -> SourceError:
    pages = read_all(path)
    errors = [e for p in pages for e in p.errors]
    assert len(errors) == 1, errors
    return errors[0]


# -- field mapping ----------------------------------------------------------------------------------------------


def test_registered_under_its_name() -> None:
    assert get_source("arxiv-snapshot") is ArxivSnapshotSource


def test_full_entry_maps_every_field(tmp_path: Path) -> None:
    path = write(tmp_path / "snap.jsonl", entry())
    rec = only_record(path)
    assert rec.source == "arxiv-snapshot"
    assert rec.source_key == "0704.0001"
    assert rec.arxiv_id == "0704.0001"
    assert rec.title == "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    assert rec.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"]  # as written
    assert rec.authors_complete is True
    assert rec.author_count == 4
    assert rec.abstract == "A fully differential calculation in perturbative quantum chromodynamics is presented."
    assert rec.categories == ["hep-ph"]
    assert rec.published == date(2007, 4, 2)
    assert rec.updated == date(2007, 7, 24)
    assert [v.version for v in rec.versions] == [1, 2]
    assert rec.versions[0].created == datetime(2007, 4, 2, 19, 18, 42, tzinfo=UTC)
    assert rec.observed == date(2008, 11, 13)
    assert rec.withdrawn is False
    assert rec.doi == "10.1103/PhysRevD.76.013009"
    assert rec.journal_ref == "Phys.Rev.D76:013009,2007"
    assert rec.comments == "37 pages, 15 figures; published version"
    assert rec.license is None
    assert rec.location == f"{path}:1"
    assert rec.extra.get("report-no") == "ANL-HEP-PR-07-12"


def test_authors_parsed_suffix_and_missing_first_name(tmp_path: Path) -> None:
    parsed = [["Smith", "John", "Jr"], ["Collaboration", "", ""], ["Wang", "Wei", ""], ["Doe", "Jane", "III"]]
    rec = only_record(write(tmp_path / "s.jsonl", entry(authors_parsed=parsed, authors="ignored, when parsed")))
    assert rec.authors == ["John Smith Jr", "Collaboration", "Wei Wang", "Jane Doe III"]
    assert rec.author_count == 4


def test_authors_string_is_the_fallback_without_authors_parsed(tmp_path: Path) -> None:
    obj = entry(authors="A. One, B. Two and\n  C. Three")
    del obj["authors_parsed"]
    rec = only_record(write(tmp_path / "s.jsonl", obj))
    assert rec.authors == ["A. One", "B. Two", "C. Three"]
    assert rec.authors_complete is True
    assert rec.author_count == 3


def test_no_authors_at_all_means_unknown_not_zero(tmp_path: Path) -> None:
    obj = entry(authors="")
    del obj["authors_parsed"]
    rec = only_record(write(tmp_path / "s.jsonl", obj))
    assert rec.authors == []
    assert rec.authors_complete is False
    assert rec.author_count is None


def test_categories_keep_their_order_primary_first(tmp_path: Path) -> None:
    rec = only_record(write(tmp_path / "s.jsonl", entry(categories="stat.ML cs.LG math.OC")))
    assert rec.categories == ["stat.ML", "cs.LG", "math.OC"]


def test_versions_give_published_from_v1_and_updated_from_the_last(tmp_path: Path) -> None:
    versions = [  # out of order on purpose: the mapping must not trust list order
        {"version": "v3", "created": "Fri, 5 Jan 2024 08:00:00 GMT"},
        {"version": "v1", "created": "Wed, 1 Mar 2023 12:00:00 GMT"},
        {"version": "v2", "created": "Thu, 8 Jun 2023 23:59:59 GMT"},
    ]
    rec = only_record(write(tmp_path / "s.jsonl", entry("2303.00001", versions=versions, update_date="2024-01-06")))
    assert rec.published == date(2023, 3, 1)
    assert rec.updated == date(2024, 1, 5)
    assert [v.version for v in rec.versions] == [1, 2, 3]
    assert rec.versions[2].created == datetime(2024, 1, 5, 8, 0, 0, tzinfo=UTC)


def test_withdrawn_comes_from_the_comments(tmp_path: Path) -> None:
    path = write(tmp_path / "s.jsonl",
                 entry("0704.0001", comments="This paper has been withdrawn by the author"),
                 entry("0704.0002", comments="Withdrawn due to an error in Lemma 2"),
                 entry("0704.0003", comments="12 pages, no withdrawal here"),
                 entry("0704.0004", comments=None))
    recs = {r.arxiv_id: r for p in read_all(path) for r in p.records}
    assert recs["0704.0001"].withdrawn is True
    assert recs["0704.0002"].withdrawn is True
    assert recs["0704.0003"].withdrawn is False
    assert recs["0704.0004"].withdrawn is False
    assert recs["0704.0004"].comments is None


def test_doi_journal_ref_and_license(tmp_path: Path) -> None:
    lic = "http://creativecommons.org/licenses/by/4.0/"
    rec = only_record(write(tmp_path / "s.jsonl", entry(doi="10.1000/xyz123", license=lic,
                                                           **{"journal-ref": "Nature 1 (2020) 2"})))
    assert (rec.doi, rec.journal_ref, rec.license) == ("10.1000/xyz123", "Nature 1 (2020) 2", lic)
    bare = only_record(write(tmp_path / "t.jsonl", entry(doi=None, license=None, **{"journal-ref": None})))
    assert (bare.doi, bare.journal_ref, bare.license) == (None, None, None)


def test_old_style_and_versioned_ids_are_normalised(tmp_path: Path) -> None:
    path = write(tmp_path / "s.jsonl", entry("hep-th/9901001"), entry("math.GT/0309136"), entry("2301.12345v2"))
    ids = [r.arxiv_id for p in read_all(path) for r in p.records]
    assert ids == ["hep-th/9901001", "math.GT/0309136", "2301.12345"]


def test_parse_rfc2822_rejects_other_formats() -> None:
    assert parse_rfc2822("Mon, 2 Apr 2007 19:18:42 GMT") == datetime(2007, 4, 2, 19, 18, 42, tzinfo=UTC)
    for bad in ("2007-04-02", "Mon, 2 Apr 2007 19:18:42 PST", "Mon, 2 Foo 2007 19:18:42 GMT", ""):
        with pytest.raises((ValueError, KeyError)):
            parse_rfc2822(bad)


# -- bad lines ----------------------------------------------------------------------------------------------------

BAD_LINES: dict[str, tuple[bytes, str]] = {
    # name: (line bytes, field the error must name)
    "truncated JSON": (b'{"id": "0704.0001", "title": "Cut off in the midd\n', "json"),
    "not an object": (b'["0704.0001", "a title"]\n', "json"),
    "a bare string": (b'"0704.0001"\n', "json"),
    "missing id": (line({k: v for k, v in entry().items() if k != "id"}), "id"),
    "bad id": (line(entry("not-an-id")), "id"),
    "numeric id": (line(entry(704.0001)), "id"),
    "missing title": (line({k: v for k, v in entry().items() if k != "title"}), "title"),
    "blank title": (line(entry(title="  \n ")), "title"),
    "bad versions date": (line(entry(versions=[{"version": "v1", "created": "2007-04-02 19:18:42"}])), "versions"),
    "impossible versions date": (line(entry(versions=[{"version": "v1", "created": "Mon, 31 Apr 2007 1:2:3 GMT"}])),
                                 "versions"),
    "non-string versions date": (line(entry(versions=[{"version": "v1", "created": 1175541522}])), "versions"),
    "versions not a list": (line(entry(versions="v1")), "versions"),
    "authors_parsed entry not a list": (line(entry(authors_parsed=["Balázs, C."])), "authors_parsed"),
    "authors_parsed empty entry": (line(entry(authors_parsed=[["Berger", "E.", ""], []])), "authors_parsed"),
    "authors_parsed non-string part": (line(entry(authors_parsed=[[1, 2, 3]])), "authors_parsed"),
    "categories not a string": (line(entry(categories=["cs.LG"])), "categories"),
    "bad update_date": (line(entry(update_date="13/11/2008")), "update_date"),
}


@pytest.mark.parametrize("name", list(BAD_LINES))
def test_each_bad_line_is_one_source_error_naming_file_line_and_field(tmp_path: Path, name: str) -> None:
    bad, field = BAD_LINES[name]
    path = write(tmp_path / "snap.jsonl", entry("0704.0001"), entry("0704.0002"), bad, entry("0704.0004"))
    pages = read_all(path)
    records = [r.arxiv_id for p in pages for r in p.records]
    errors = [e for p in pages for e in p.errors]
    assert records == ["0704.0001", "0704.0002", "0704.0004"]  # the good lines around it still come out
    assert len(errors) == 1
    err = errors[0]
    assert isinstance(err, SourceError)
    assert (err.file, err.line, err.field) == (str(path), 3, field)
    assert err.message
    assert str(err).startswith(f"{path}:3: [{field}] ")


def test_invalid_utf8_bytes_are_a_source_error(tmp_path: Path) -> None:
    bad = line(entry("0704.0002")).replace(b"Pavel", b"P\xe4vel")  # Latin-1 byte inside a UTF-8 file
    path = write(tmp_path / "snap.jsonl", entry("0704.0001"), bad)
    err = only_error(path)
    assert (err.file, err.line) == (str(path), 2)
    assert err.field
    assert "UTF-8" in err.message


def test_truncated_last_line_without_newline(tmp_path: Path) -> None:
    """A partial download ends mid-object and without a newline: still an error on that line."""
    path = write(tmp_path / "snap.jsonl", entry("0704.0001"), line(entry("0704.0002"))[:40])
    err = only_error(path)
    assert (err.line, err.field) == (2, "json")


def test_blank_lines_are_ignored_but_still_counted(tmp_path: Path) -> None:
    path = write(tmp_path / "snap.jsonl", b"\n", entry("0704.0001"), b"   \n", b"\r\n", entry("0704.0002"), b"\n")
    pages = read_all(path)
    assert [e for p in pages for e in p.errors] == []
    assert [r.location for p in pages for r in p.records] == [f"{path}:2", f"{path}:5"]


def test_missing_file_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as info:
        ArxivSnapshotSource(tmp_path / "nope.jsonl")
    assert info.value.file == str(tmp_path / "nope.jsonl")


# -- paging and resume --------------------------------------------------------------------------------------------


def ten_lines(tmp_path: Path) -> Path:
    return write(tmp_path / "snap.jsonl", *(entry(f"0704.{i:04d}") for i in range(1, 11)))


def test_pages_hold_page_size_lines_and_end_with_a_done_state(tmp_path: Path) -> None:
    pages = read_all(ten_lines(tmp_path), page_size=3)
    assert [len(p.records) for p in pages] == [3, 3, 3, 1]
    assert [p.state["line"] for p in pages] == [3, 6, 9, 10]
    assert [bool(p.state.get("done")) for p in pages] == [False, False, False, True]
    for p in pages:
        orjson.dumps(p.state)  # states must be JSON-serialisable to be saved as checkpoints


def test_state_from_mid_file_yields_exactly_the_remaining_records(tmp_path: Path) -> None:
    path = ten_lines(tmp_path)
    first = read_all(path, page_size=3)
    for k, page in enumerate(first[:-1]):
        # What a resumed run sees after a checkpoint round-trips through JSON.
        state = orjson.loads(orjson.dumps(page.state))
        rest = read_all(path, page_size=3, state=state)
        expected = [r.arxiv_id for p in first[k + 1:] for r in p.records]
        assert [r.arxiv_id for p in rest for r in p.records] == expected
        # Line numbers continue from the state, so locations and errors still name the right line.
        assert [r.location for p in rest for r in p.records] == [f"{path}:{n}" for n in range(3 * (k + 1) + 1, 11)]
        assert rest[-1].state.get("done") is True


def test_resumed_errors_name_the_true_line(tmp_path: Path) -> None:
    path = write(tmp_path / "snap.jsonl", *(entry(f"0704.{i:04d}") for i in range(1, 6)), b"{oops\n")
    state = read_all(path, page_size=2)[1].state
    rest = read_all(path, page_size=2, state=state)
    errors = [e for p in rest for e in p.errors]
    assert [(e.line, e.field) for e in errors] == [(6, "json")]


def test_done_state_restarts_from_the_beginning(tmp_path: Path) -> None:
    path = ten_lines(tmp_path)
    pages = read_all(path, page_size=4)
    done = pages[-1].state
    assert done.get("done") is True
    again = read_all(path, page_size=4, state=done)
    assert [r.arxiv_id for p in again for r in p.records] == [f"0704.{i:04d}" for i in range(1, 11)]


def test_exact_multiple_of_page_size_ends_with_an_empty_done_page(tmp_path: Path) -> None:
    path = write(tmp_path / "snap.jsonl", *(entry(f"0704.{i:04d}") for i in range(1, 7)))
    pages = read_all(path, page_size=3)
    assert [len(p.records) for p in pages] == [3, 3, 0]
    assert pages[-1].state.get("done") is True


def test_checkpoint_key_names_the_file_and_changes_when_it_does(tmp_path: Path) -> None:
    path = ten_lines(tmp_path)
    key = ArxivSnapshotSource(path).checkpoint_key
    assert key == ArxivSnapshotSource(path, page_size=2).checkpoint_key
    assert str(path.resolve()) in key
    with path.open("ab") as fh:
        fh.write(line(entry("0704.0011")))
    assert ArxivSnapshotSource(path).checkpoint_key != key
