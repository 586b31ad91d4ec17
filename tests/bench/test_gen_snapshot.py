"""The synthetic snapshot generator writes lines shaped exactly like the real arXiv bulk snapshot.

The generator is benchmark tooling, but the import benchmark is only meaningful if its input has the real
fields, types and quirks, and reruns are only comparable if the output is deterministic; both are checked here
through the real command line.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import orjson
import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))
import vocab  # noqa: E402  (bench/ is not a package)

FIELDS = ["id", "submitter", "authors", "title", "comments", "journal-ref", "doi", "report-no", "categories",
          "license", "abstract", "versions", "update_date", "authors_parsed"]
NEW_ID = re.compile(r"^(\d{2})(\d{2})\.(\d{4,5})$")
CATEGORY = re.compile(r"^[a-z\-]+(\.[A-Za-z\-]+)?$")


def generate(tmp_path: Path, n: int, seed: int = 0, workers: int = 1, name: str = "snap.jsonl") -> bytes:
    out = tmp_path / name
    subprocess.run(
        [sys.executable, str(BENCH / "gen_snapshot.py"), "--out", str(out), "--n", str(n),
         "--seed", str(seed), "--workers", str(workers)],
        check=True, capture_output=True, timeout=120,
    )
    return out.read_bytes()


@pytest.fixture(scope="module")
def lines(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    data = generate(tmp_path_factory.mktemp("snap"), 200)
    assert data.endswith(b"\n")
    return [orjson.loads(line) for line in data.splitlines()]


def _optional_str(value: object) -> bool:
    return value is None or (isinstance(value, str) and value != "")


def test_every_line_has_exactly_the_snapshot_fields_with_their_types(lines: list[dict]) -> None:
    assert len(lines) == 200
    for rec in lines:
        assert list(rec) == FIELDS, rec["id"]
        assert NEW_ID.match(rec["id"]), rec["id"]
        yy, mm, number = NEW_ID.match(rec["id"]).groups()
        assert len(number) == (4 if int(yy) < 15 else 5)
        assert 1 <= int(mm) <= 12
        assert isinstance(rec["submitter"], str) and rec["submitter"]
        assert isinstance(rec["authors"], str) and rec["authors"]
        assert isinstance(rec["title"], str) and rec["title"].strip()
        assert 6 <= len(rec["title"].split()) <= 16
        for key in ("comments", "journal-ref", "doi", "license"):
            assert _optional_str(rec[key]), (key, rec[key])
        assert rec["report-no"] is None
        cats = rec["categories"].split(" ")
        assert cats and all(CATEGORY.match(c) for c in cats) and len(set(cats)) == len(cats)
        abstract = rec["abstract"]
        assert abstract.startswith("  ") and abstract.endswith("\n") and not abstract.endswith("\n\n")
        assert 100 <= len(abstract.split()) <= 300
        assert "\n" in abstract.strip()  # hard-wrapped like the real file
        assert rec["license"] is None or rec["license"].startswith("http://")

        versions = rec["versions"]
        assert versions and [v["version"] for v in versions] == [f"v{i}" for i in range(1, len(versions) + 1)]
        created = [datetime.strptime(v["created"], "%a, %d %b %Y %H:%M:%S GMT") for v in versions]
        for v, c in zip(versions, created, strict=True):
            assert v["created"] == f"{c:%a}, {c.day} {c:%b %Y %H:%M:%S} GMT"  # day not zero-padded
        assert all(a < b for a, b in itertools.pairwise(created))
        # v1 falls in the id's month: new-style ids are assigned by submission month.
        assert (created[0].year % 100, created[0].month) == (int(yy), int(mm))
        updated = date.fromisoformat(rec["update_date"])
        assert updated >= created[-1].date()

        parsed = rec["authors_parsed"]
        assert parsed and all(isinstance(p, list) and len(p) == 3 and all(isinstance(x, str) for x in p)
                              for p in parsed)
        assert all(p[0] for p in parsed)  # every author has a last name
        # The author string lists the same people: count names split on ", " and " and ".
        assert len(re.split(r", | and ", rec["authors"])) == len(parsed)


def test_ids_are_unique_sorted_and_spread_over_months(lines: list[dict]) -> None:
    ids = [rec["id"] for rec in lines]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids, key=lambda i: (i[:4], int(i[5:])))
    assert len({i[:4] for i in ids}) > 50


def test_names_carry_accents_and_tex_spellings(lines: list[dict]) -> None:
    parsed_names = [" ".join(p) for rec in lines for p in rec["authors_parsed"]]
    assert any(not name.isascii() for name in parsed_names)
    assert any("-" in name for name in parsed_names)
    assert any("\\" in rec["authors"] for rec in lines)  # TeX accents appear in author strings...
    assert not any("\\" in name for name in parsed_names)  # ...but authors_parsed has the letters


def test_output_is_deterministic_for_a_seed_whatever_the_worker_count(tmp_path: Path) -> None:
    one = generate(tmp_path, 200, seed=7, name="a.jsonl")
    again = generate(tmp_path, 200, seed=7, workers=2, name="b.jsonl")
    other = generate(tmp_path, 200, seed=8, name="c.jsonl")
    assert one == again
    assert one != other
    # Ids depend only on n, text on the seed.
    ids = [orjson.loads(x)["id"] for x in one.splitlines()]
    assert ids == [orjson.loads(x)["id"] for x in other.splitlines()]


def test_about_one_percent_are_withdrawn(tmp_path: Path) -> None:
    recs = [orjson.loads(x) for x in generate(tmp_path, 5000).splitlines()]
    withdrawn = [r for r in recs if r["comments"] == "This paper has been withdrawn by the author"]
    assert 0.004 * len(recs) <= len(withdrawn) <= 0.02 * len(recs)
    assert all(len(r["versions"]) >= 2 for r in withdrawn)


def test_vocabulary_comes_from_the_seeds_named_by_the_environment(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    abstract = "Quokka grammars tessellate the marmalade manifold. " * 10
    (tmp_path / "000_x.txt").write_text(f"Quokka Grammars for Marmalade\n{abstract}\n", encoding="utf-8")
    monkeypatch.setenv("OPENPAPERS_SEEDS", str(tmp_path))
    assert vocab.seeds_dir() == tmp_path
    voc = vocab.load_vocabulary()
    assert "quokka" in voc.common_words(10)
    assert voc.titles.starts == ["Quokka"]
    monkeypatch.setenv("OPENPAPERS_SEEDS", str(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError, match="OPENPAPERS_SEEDS"):
        vocab.seeds_dir()


def test_default_seed_location_is_the_sibling_shared_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENPAPERS_SEEDS", raising=False)
    expected = BENCH.parent.parent / "shared" / "seeds"
    if not expected.is_dir():
        pytest.skip("no shared/seeds beside this checkout")
    assert vocab.seeds_dir() == expected
    titles, abstracts = vocab.read_seed_texts()
    assert len(titles) > 100 and len(abstracts) > 100
    # Author-page title lines have the authors glued on; they must not leak into the title model.
    assert not any(t.endswith("et al.") for t in titles)
