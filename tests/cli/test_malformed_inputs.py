"""Every malformed file of the test set (tests/helpers/malformed.py: hf-daily, arXiv snapshot and listing pages)
is refused the way the docs promise: exit 2, one ``error:`` line naming the file, the line and the field, no
traceback, and the store exactly as it was (its export identical before and after).

Each case runs the real command line in-process on a copy of one store that already holds papers from all three
sources, so "unchanged" is checked against real content; the copy is per test, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers.clikit import error_line, export_rows, invoke, ok
from helpers.malformed import Case, all_cases, author_page, hf_file, hf_item
from helpers.snapshotdata import snapshot_line
from openpapers.core.settings import Settings

CASES = all_cases()


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, backend: Any) -> Iterator[tuple[Settings, list[Any]]]:
    """A store holding good papers of every source (built once per backend), and its export."""
    root = tmp_path_factory.mktemp("base")
    settings: Settings = backend.settings(root / "data")
    (root / "good.json").write_bytes(hf_file([hf_item(101), hf_item(102)]))
    (root / "good.jsonl").write_bytes(b"".join(snapshot_line(i) for i in (51, 52)))
    (root / "good.txt").write_bytes(author_page())
    ok(invoke(settings, "import", "hf-daily", str(root / "good.json"), "-q", "--no-index"))
    ok(invoke(settings, "import", "arxiv-snapshot", str(root / "good.jsonl"), "-q", "--no-index"))
    ok(invoke(settings, "import", "listing", str(root / "good.txt"), "--captured", "2026-11-22", "--owner",
              "Qi Meng", "-q", "--no-index"))
    rows = export_rows(settings)
    assert len(rows) == 7
    yield settings, rows
    if backend.is_postgres:
        backend.drop(settings.database_url)


def test_the_set_is_big_and_covers_every_source() -> None:
    assert len(CASES) >= 70
    assert {c.command for c in CASES} == {"hf-daily", "arxiv-snapshot", "listing"}
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_malformed_file_is_refused_in_one_line_and_the_store_is_unchanged(
    case: Case, base: tuple[Settings, list[Any]], backend: Any, tmp_path: Path
) -> None:
    settings, before = base
    data = backend.copy(settings, tmp_path / "data")
    path = tmp_path / f"{case.id}{case.suffix}"
    path.write_bytes(case.data)
    try:
        found = error_line(invoke(data, "import", case.command, str(path), *case.args, "--no-index"))
        assert found["file"] == str(path)
        assert (int(found["line"]), found["field"]) == (case.line, case.field), found.group(0)
        assert export_rows(data) == before
    finally:
        if backend.is_postgres:
            backend.drop(data.database_url)
