"""A set of malformed import files (hf-daily, arXiv snapshot, listing pages), each with where its error must point.

Why generated: each case is a small edit of a good file, so the good part around the bad value is real input
(a bad item after a good one proves the good one is not written either), and the expected line is known
exactly. ``Case.line`` is the line the error must name; ``field`` the field (exact, or a prefix ending in
``.`` for a group such as ``paper.``). ``args`` are extra command-line options.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import orjson

from helpers.snapshotdata import snapshot_line


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    command: str  # hf-daily | arxiv-snapshot | listing
    data: bytes
    line: int
    field: str
    args: tuple[str, ...] = ()

    @property
    def suffix(self) -> str:
        return ".txt" if self.command == "listing" else ".json"


# -- hf-daily -----------------------------------------------------------------------------------------------------


def hf_item(i: int, **paper: Any) -> dict[str, Any]:
    """One good daily-papers item; ``paper`` overrides fields of its ``paper`` object (None removes one)."""
    body: dict[str, Any] = {
        "id": f"2312.{i:05d}", "title": f"Sparse operator learning for physical systems, part {i}",
        "summary": f"We study sparse operators, case {i}. They converge.", "upvotes": 3 + i,
        "authors": [{"name": "Ada Example"}, {"name": "Bo Sample"}], "publishedAt": "2023-12-01T18:01:34.000Z",
    }
    for key, value in paper.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return {"paper": body, "publishedAt": "2023-12-02T08:00:00.000Z", "numComments": 1}


def hf_file(items: list[Any]) -> bytes:
    """Items one per line inside the array (line 1 is ``[``, item k on line k + 2)."""
    return ("[\n" + ",\n".join(json.dumps(it) for it in items) + "\n]\n").encode()


def _hf_bad(id_: str, field: str, *, item: dict[str, Any] | None = None, **paper: Any) -> Case:
    bad = item if item is not None else hf_item(2, **paper)
    return Case(f"hf-{id_}", "hf-daily", hf_file([hf_item(1), bad]), 3, field)


def hf_cases() -> list[Case]:
    good = hf_file([hf_item(1)])
    deep = "[" * 5000 + "]" * 5000
    raw_bad_item = dict(hf_item(2))
    return [
        _hf_bad("upvotes-huge", "paper.upvotes", upvotes=10**30),
        _hf_bad("upvotes-2-31", "paper.upvotes", upvotes=2**31),
        _hf_bad("upvotes-2-64", "paper.upvotes", upvotes=2**64),
        _hf_bad("upvotes-negative", "paper.upvotes", upvotes=-1),
        _hf_bad("upvotes-string", "paper.upvotes", upvotes="12"),
        _hf_bad("upvotes-float", "paper.upvotes", upvotes=1.5),
        _hf_bad("upvotes-bool", "paper.upvotes", upvotes=True),
        _hf_bad("stars-huge", "paper.githubStars", githubStars=2**63),
        _hf_bad("comments-huge", "numComments", item={**hf_item(2), "numComments": 10**20}),
        _hf_bad("id-missing", "paper.id", id=None),
        _hf_bad("id-number", "paper.id", id=2312),
        _hf_bad("title-missing", "paper.title", title=None),
        _hf_bad("title-empty", "paper.title", title="   "),
        _hf_bad("title-object", "paper.title", title={"en": "x"}),
        _hf_bad("title-surrogate", "paper.title", title="A\ud800B"),
        _hf_bad("title-only-controls", "title", title="\u0000\u0001\u007f"),
        _hf_bad("authors-object", "paper.authors", authors={"name": "Ada"}),
        _hf_bad("author-no-name", "paper.authors[0].name", authors=[{"user": "ada"}]),
        _hf_bad("author-string", "paper.authors[0]", authors=["Ada Example"]),
        _hf_bad("date-words", "paper.publishedAt", publishedAt="yesterday"),
        _hf_bad("repo-not-url", "paper.githubRepo", githubRepo="github.com/x/y"),
        _hf_bad("org-string", "paper.organization", organization="acme"),
        _hf_bad("keyword-number", "paper.ai_keywords[0]", ai_keywords=[7]),
        _hf_bad("paper-string", "paper", item={"paper": "2312.00002"}),
        _hf_bad("item-number", "item", item=7),  # type: ignore[arg-type]
        _hf_bad("paper-missing", "paper", item={k: v for k, v in raw_bad_item.items() if k != "paper"}),
        Case("hf-top-object", "hf-daily", b'{\n  "papers": []\n}\n', 1, "json"),
        Case("hf-trailing-comma", "hf-daily", good.replace(b"\n]", b",\n]"), 3, "json"),
        Case("hf-cut-mid-file", "hf-daily", good[: len(good) // 2], 2, "json"),
        Case("hf-nested-deep", "hf-daily", deep.encode(), 1, "json"),
        Case("hf-nested-deep-item", "hf-daily", hf_file([hf_item(1)]).replace(b"]\n", b"") + b"," + deep.encode()
             + b"]", 3, "json"),
        Case("hf-5000-digits", "hf-daily", hf_file([hf_item(1)]).replace(b'"upvotes": 4', b'"upvotes": '
                                                                          + b"9" * 5000), 2, "json"),
        Case("hf-not-utf8", "hf-daily", good.replace(b"Sparse", b"Sp\xe4rse"), 2, "encoding"),
        Case("hf-utf16", "hf-daily", good.decode().encode("utf-16"), 1, "encoding"),
        Case("hf-empty", "hf-daily", b"", 1, "json"),
        Case("hf-blank", "hf-daily", b"\n  \n", 1, "json"),
        Case("hf-nan-upvotes", "hf-daily", good.replace(b'"upvotes": 4', b'"upvotes": NaN'), 2, "paper.upvotes"),
    ]


# -- arXiv snapshot -----------------------------------------------------------------------------------------------


def _snap(id_: str, field: str, bad: bytes, line: int = 2) -> Case:
    return Case(f"snapshot-{id_}", "arxiv-snapshot", snapshot_line(1) + bad + snapshot_line(3), line, field)


def _versions(*entries: Any) -> bytes:
    return snapshot_line(2, versions=list(entries))


def snapshot_cases() -> list[Case]:
    good = snapshot_line(1)
    deep = b"[" * 2000 + b"]" * 2000 + b"\n"
    return [
        _snap("invalid-json", "json", b'{"id": "2101.00002", "title": }\n'),
        _snap("cut-line", "json", snapshot_line(2)[:80] + b"\n"),
        _snap("not-utf8", "encoding", snapshot_line(2).replace(b"convergence", b"conv\xe9rgence")),
        _snap("array-line", "json", b'["2101.00002"]\n'),
        _snap("string-line", "json", b'"2101.00002"\n'),
        _snap("id-missing", "id", snapshot_line(2, id=None)),
        _snap("id-not-arxiv", "id", snapshot_line(2, id="not-an-id")),
        _snap("id-number", "id", snapshot_line(2, id=2101.00002)),
        _snap("title-missing", "title", snapshot_line(2, title=None)),
        _snap("title-number", "title", snapshot_line(2, title=12)),
        _snap("title-only-nul", "title", snapshot_line(2, title="\u0000\u0000")),
        _snap("abstract-number", "abstract", snapshot_line(2, abstract=3)),
        _snap("doi-list", "doi", snapshot_line(2, doi=["10.1/x"])),
        _snap("license-object", "license", snapshot_line(2, license={"url": "x"})),
        _snap("comments-number", "comments", snapshot_line(2, comments=10)),
        _snap("authors-parsed-string", "authors_parsed", snapshot_line(2, authors_parsed="Ada Example")),
        _snap("authors-parsed-entry", "authors_parsed", snapshot_line(2, authors_parsed=[["Ada"], 7])),
        _snap("categories-list", "categories", snapshot_line(2, categories=["cs.LG"])),
        _snap("versions-object", "versions", snapshot_line(2, versions={"v1": "x"})),
        _snap("version-missing", "versions", _versions({"created": "Mon, 4 Jan 2021 10:00:00 GMT"})),
        _snap("version-zero", "versions", _versions({"version": "v0", "created": "Mon, 4 Jan 2021 10:00:00 GMT"})),
        _snap("version-huge", "versions", _versions({"version": "v" + "9" * 25,
                                                     "created": "Mon, 4 Jan 2021 10:00:00 GMT"})),
        _snap("version-2-31", "versions", _versions({"version": f"v{2**31}"})),
        _snap("version-negative", "versions", _versions({"version": "v-3"})),
        _snap("version-words", "versions", _versions({"version": "first"})),
        _snap("version-created-words", "versions", _versions({"version": "v1", "created": "yesterday"})),
        _snap("version-created-offset", "versions", _versions({"version": "v1",
                                                               "created": "Mon, 4 Jan 2021 10:00:00 +0200"})),
        _snap("update-date-bad", "update_date", snapshot_line(2, update_date="2021-13-45")),
        _snap("nested-deep", "json", deep),
        _snap("float-infinity", "json", snapshot_line(2).replace(b'"update_date"', b'"x":1e400,"update_date"')),
        Case("snapshot-empty", "arxiv-snapshot", b"", 1, "json"),
        Case("snapshot-blank-lines", "arxiv-snapshot", b"\n\n  \n", 1, "json"),
        Case("snapshot-bom-only", "arxiv-snapshot", b"\xef\xbb\xbf\n", 1, "json"),
        Case("snapshot-utf16", "arxiv-snapshot", good.decode().encode("utf-16"), 1, "encoding"),
        Case("snapshot-bad-after-bom", "arxiv-snapshot", b"\xef\xbb\xbf" + orjson.dumps({"id": 1}) + b"\n", 1,
             "id"),
    ]


# -- listing pages ------------------------------------------------------------------------------------------------

AUTHOR_ENTRIES = [
    ("LGFeb 10, 2023Code", "Sparse Operators for Learning Physical SystemsAda Example, Qi Meng, Bo Sample et al.",
     "We study sparse operators for learning physical systems. They converge quickly in practice."),
    ("CVMar 26", "Multistage Reward Models for Vision and LanguageCy Test, Qi Meng, Di Other et al.",
     "Reward models for vision and language are trained in stages. Each stage refines the last one."),
    ("AIMay 28", "Tool Parameters Instead of Tool DocumentsEve Person, Qi Meng, Fay Name",
     "Tools are projected into parameters instead of documents. This saves context at inference time."),
]


def author_page(entries: list[tuple[str, str, str]] | None = None) -> bytes:
    return "".join(f"{c}\n{t}\n{a}\n" for c, t, a in (entries or AUTHOR_ENTRIES)).encode()


SEARCH_HEAD = "Daily Papers\n\nDec 11\n\n"
SEARCH_ENTRY = ("{title}\n\nWe study {what} and show that it converges quickly on every benchmark that we tried "
                "in practice.\n\n  • 5 authors\n·\nAug 4, 2024\n\n")


def search_page(*whats: str) -> bytes:
    body = "".join(SEARCH_ENTRY.format(title=f"Learning {w.title()} Operators at Scale", what=w) for w in whats)
    return (SEARCH_HEAD + body).encode()


LARGE_HEAD = "Get trending papers in your email inbox!\n"
LARGE_ABSTRACT = ("We study {what} for black-box problems and show that first-order methods reach the optimum "
                  "in fewer steps than any zeroth-order method that we know of.")


def large_page(*whats: str) -> bytes:
    body = "".join(f"Smooth Optimization of {w.title()}\n{LARGE_ABSTRACT.format(what=w)}\n" for w in whats)
    return (LARGE_HEAD + body).encode()


def _author(id_: str, line: int, field: str, entries: list[tuple[str, str, str]], *args: str) -> Case:
    return Case(f"listing-{id_}", "listing", author_page(entries), line, field,
                ("--captured", "2026-11-22", "--owner", "Qi Meng", *args))


def listing_cases() -> list[Case]:
    e1, e2, e3 = AUTHOR_ENTRIES
    cut = author_page()[:-40]  # the last abstract stops mid-sentence
    captured = ("--captured", "2025-12-11")
    return [
        Case("listing-empty", "listing", b"", 1, "file", captured),
        Case("listing-blank", "listing", b"\n \n\t\n", 1, "file", captured),
        Case("listing-no-layout", "listing", b"hello\nworld\n", 1, "format", captured),
        Case("listing-not-utf8", "listing", author_page().replace(b"Sparse", b"Sp\xe4rse"), 2, "encoding",
             captured),
        Case("listing-utf16", "listing", author_page().decode().encode("utf-16"), 1, "encoding", captured),
        _author("chip-garbage", 4, "chip", [e1, ("this is not a chip line", e2[1], e2[2]), e3]),
        _author("chip-without-title", 4, "title", [e1, (e2[0], e3[0], e3[1])]),
        _author("impossible-date", 4, "date", [e1, ("CVFeb 30", e2[1], e2[2]), e3]),
        _author("title-without-names", 5, "authors", [e1, (e2[0], "a title with no names glued on", e2[2]), e3]),
        Case("listing-title-only-nul", "listing",
             search_page("sparse", "dense").replace(b"Learning Dense Operators at Scale", b"\x00\x00"), 13, "title",
             captured),
        Case("listing-cut-strict", "listing", cut, 9, "abstract",
             ("--captured", "2026-11-22", "--owner", "Qi Meng", "--strict")),
        Case("listing-cut-mid-entry-strict", "listing", author_page() + f"{e1[0]}\n{e1[1]}\n".encode(), 11,
             "abstract", ("--captured", "2026-11-22", "--owner", "Qi Meng", "--strict")),
        Case("listing-search-cut-strict", "listing", search_page("sparse", "dense")[:-40], 15, "footer",
             (*captured, "--strict")),
        Case("listing-search-no-footer-strict", "listing",
             search_page("sparse", "dense") + b"Learning Cut Operators\n\nWe study cut operators.\n", 23, "footer",
             (*captured, "--strict")),
        Case("listing-large-cut-strict", "listing", large_page("sparse", "dense", "convex")[:-30], 7,
             "abstract", (*captured, "--strict")),
        Case("listing-search-orphan-footer", "listing",
             search_page("sparse") + b"  \xe2\x80\xa2 3 authors\n\xc2\xb7\nAug 5, 2024\n", 13, "entry", captured),
        Case("listing-search-stray-text", "listing",
             SEARCH_HEAD.encode() + b"Stray words\n\nMore stray\n\nAnd more\n\n  \xe2\x80\xa2 5 authors\n", 5,
             "entry", captured),
        Case("listing-large-paragraph-title", "listing",
             large_page("sparse") + ("x " * 300).encode() + b"\n", 4, "title", (*captured, "--kind", "large")),
    ]


def all_cases() -> list[Case]:
    return [*hf_cases(), *snapshot_cases(), *listing_cases()]
