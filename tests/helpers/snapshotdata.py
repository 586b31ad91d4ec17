"""Lines of an arXiv metadata snapshot (the real JSONL format) for tests that import one: distinct ids per line
(2101.00001, ...), anything overridable."""

from __future__ import annotations

from typing import Any

import orjson


def snapshot_line(i: int, **overrides: Any) -> bytes:
    """Line ``i`` of a small snapshot in the real arXiv format; ids 2101.00001 … are distinct per line."""
    obj: dict[str, Any] = {
        "id": f"2101.{i:05d}", "submitter": "Ada Example",
        "authors": "Ada Example, Bo Sample and Cy Test",
        "title": f"On the convergence of synthetic method number {i} for sparse problems",
        "comments": "10 pages" if i % 7 else "This paper has been withdrawn by the author",
        "journal-ref": None, "doi": f"10.1000/test.{i}" if i % 3 == 0 else None, "report-no": None,
        "categories": "cs.LG stat.ML" if i % 2 else "math.OC",
        "license": "http://arxiv.org/licenses/nonexclusive-distrib/1.0/",
        "abstract": f"  We study method {i}.\nIt converges.\n",
        "versions": [{"version": "v1", "created": "Mon, 4 Jan 2021 10:00:00 GMT"},
                     {"version": "v2", "created": f"Tue, {1 + i % 28} Feb 2021 10:00:00 GMT"}],
        "update_date": "2021-02-28",
        "authors_parsed": [["Example", "Ada", ""], ["Sample", "Bo", ""], ["Test", "Cy", "Jr"]],
    }
    obj.update(overrides)
    return orjson.dumps(obj) + b"\n"
