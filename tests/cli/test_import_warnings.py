"""The repros of issue 12 that are not refusals: what an import takes, cleans or doubts, and how it says so.

* NUL and other control characters are removed on both backends alike (PostgreSQL cannot store NUL; SQLite
  could, and would then disagree with it) and the cleaned fields are named in a warning, on stderr and in
  ``openpapers imports``.
* A snapshot starting with a UTF-8 byte-order mark is read (hf-daily and listing files already were).
* A listing page cut mid-file imports the entries before the cut, exit 0, with a warning naming the file, line
  and field; ``--strict`` makes it exit 2 with nothing written (the refusal itself is a case of
  test_malformed_inputs.py).
* ``--skip-bad`` still imports the good items around a count no store can keep.

Every test runs on SQLite and on PostgreSQL: the CLI in-process on this test's database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from helpers.clikit import error_line, export_rows, import_log, invoke, ok
from helpers.malformed import AUTHOR_ENTRIES, author_page, hf_file, hf_item
from helpers.snapshotdata import snapshot_line

pytestmark = pytest.mark.usefixtures("backend_db", "no_sqlite_file")


def by_title(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(r["title"]): r for r in rows}


def test_nul_in_a_snapshot_title_is_removed_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "snap.jsonl"
    path.write_bytes(snapshot_line(1, title="A\u0000B sparse solvers for convex problems")
                     + snapshot_line(2, abstract="Raw \u0000 NUL and \u007f DEL and \u0001 SOH.")
                     + snapshot_line(3))
    out = ok(invoke(tmp_path / "data", "import", "arxiv-snapshot", str(path), "--no-index"))
    rows = {r["arxiv_id"]: r for r in export_rows(tmp_path / "data")}
    assert rows["2101.00001"]["title"] == "AB sparse solvers for convex problems"
    assert rows["2101.00002"]["abstract"] == "Raw NUL and DEL and SOH."
    assert f"warning {path}:1: [title] control characters" in out.stderr
    assert f"warning {path}:2: [abstract] control characters" in out.stderr
    assert not any("\x00" in orjson.dumps(r).decode() for r in rows.values())
    warnings = import_log(tmp_path / "data")[0]["detail"]["warnings"]  # type: ignore[index]
    assert [(w["line"], w["field"]) for w in warnings] == [(1, "title"), (2, "abstract")]


def test_raw_nuls_in_a_listing_abstract_are_removed_and_reported(tmp_path: Path) -> None:
    chip, title, abstract = AUTHOR_ENTRIES[1]
    entries = [AUTHOR_ENTRIES[0], (chip, title, abstract.replace("stages.", "st\x00ages.\x00")), AUTHOR_ENTRIES[2]]
    path = tmp_path / "page.txt"
    path.write_bytes(author_page(entries))
    out = ok(invoke(tmp_path / "data", "import", "listing", str(path), "--captured", "2026-11-22", "--owner",
                    "Qi Meng", "--no-index"))
    assert f"warning {path}:4: [abstract] control characters" in out.stderr
    abstracts = [r["abstract"] for r in export_rows(tmp_path / "data")]
    assert abstract in abstracts
    assert not any("\x00" in (a or "") for a in abstracts)


def test_hf_daily_nul_in_keywords_and_org_is_removed(tmp_path: Path) -> None:
    item = hf_item(1, ai_keywords=["sparse\u0000ops", "ok"], organization={"name": "ac\u0000me"})
    path = tmp_path / "daily.json"
    path.write_bytes(hf_file([item]))
    out = ok(invoke(tmp_path / "data", "import", "hf-daily", str(path), "--no-index"))
    assert "[orgs,keywords] control characters" in out.stderr
    (row,) = export_rows(tmp_path / "data")
    assert row["orgs"] == ["acme"]
    assert row["keywords"] == ["sparseops", "ok"]


def test_snapshot_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + snapshot_line(1) + snapshot_line(2))
    out = ok(invoke(tmp_path / "data", "import", "arxiv-snapshot", str(path), "--no-index"))
    assert "2 records" in out.stderr
    assert sorted(r["arxiv_id"] for r in export_rows(tmp_path / "data")) == ["2101.00001", "2101.00002"]


def test_hf_daily_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + hf_file([hf_item(1)]))
    ok(invoke(tmp_path / "data", "import", "hf-daily", str(path), "--no-index"))
    assert [r["arxiv_id"] for r in export_rows(tmp_path / "data")] == ["2312.00001"]


def test_listing_cut_mid_file_warns_and_strict_refuses(tmp_path: Path) -> None:
    path = tmp_path / "cut.txt"
    page = author_page()
    path.write_bytes(page[:-40])  # the last abstract stops mid-sentence
    args = ("import", "listing", str(path), "--captured", "2026-11-22", "--owner", "Qi Meng", "--no-index")
    refused = error_line(invoke(tmp_path / "data", *args, "--strict"))
    assert (refused["line"], refused["field"]) == ("9", "abstract")
    assert "mid-sentence" in refused["message"]
    assert export_rows(tmp_path / "data") == []

    out = ok(invoke(tmp_path / "data", *args))
    assert f"warning {path}:9: [abstract] the last abstract ends mid-sentence" in out.stderr
    assert len(export_rows(tmp_path / "data")) == 3
    logged = import_log(tmp_path / "data")[0]["detail"]["warnings"]  # type: ignore[index]
    assert [(w["line"], w["field"]) for w in logged] == [(9, "abstract")]


def test_a_whole_listing_page_gives_no_warning(tmp_path: Path) -> None:
    path = tmp_path / "whole.txt"
    path.write_bytes(author_page())
    out = ok(invoke(tmp_path / "data", "import", "listing", str(path), "--captured", "2026-11-22", "--owner",
                    "Qi Meng", "--no-index", "--strict"))
    assert "warning" not in out.stderr
    assert import_log(tmp_path / "data")[0]["detail"]["warnings"] == []  # type: ignore[index]


def test_skip_bad_imports_the_items_around_a_count_out_of_range(tmp_path: Path) -> None:
    path = tmp_path / "daily.json"
    path.write_bytes(hf_file([hf_item(1), hf_item(2, upvotes=10**30), hf_item(3)]))
    out = ok(invoke(tmp_path / "data", "import", "hf-daily", str(path), "--skip-bad", "--no-index"))
    assert f"skipped {path}:3: [paper.upvotes]" in out.stderr
    assert sorted(r["arxiv_id"] for r in export_rows(tmp_path / "data")) == ["2312.00001", "2312.00003"]
