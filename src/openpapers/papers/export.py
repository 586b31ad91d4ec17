"""Export formats: JSON lines (one paper per line, the documented shape) and BibTeX (via bibtexparser)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import BinaryIO

import bibtexparser
import orjson
from bibtexparser.model import Entry, Field

from openpapers.core.records import Paper, fold

_WORD = re.compile(r"[a-z0-9]+")
_STOP = {"a", "an", "the", "on", "of", "for", "in", "to", "and", "with", "via", "towards", "toward"}


def write_jsonl(papers: Iterable[Paper], out: BinaryIO) -> int:
    n = 0
    for paper in papers:
        out.write(orjson.dumps(paper.to_export()) + b"\n")
        n += 1
    return n


def bibtex_key(paper: Paper) -> str:
    """``lastname2023firstword``: the convention Google Scholar and arXiv's own export use."""
    last = _WORD.findall(fold(paper.authors[0].split()[-1])) if paper.authors else []
    year = str(paper.published.year) if paper.published else ""
    words = [w for w in _WORD.findall(fold(paper.title)) if w not in _STOP]
    return "".join(last[:1]) + year + (words[0] if words else "") or paper.id


def balance_braces(text: str) -> str:
    """Drop braces that have no partner: BibTeX counts every brace, and one stray ``{`` from an abstract's
    unfinished ``\\emph{`` would swallow the rest of the file."""
    out: list[str] = []
    open_at: list[int] = []
    for ch in text:
        if ch == "{":
            open_at.append(len(out))
        elif ch == "}":
            if not open_at:
                continue
            open_at.pop()
        out.append(ch)
    for i in reversed(open_at):
        del out[i]
    return "".join(out)


def bibtex_entry(paper: Paper, key: str) -> Entry:
    fields = [Field(f.key, balance_braces(f.value)) for f in _fields(paper)]
    return Entry("article" if paper.journal_ref else "misc", key, fields)


def _fields(paper: Paper) -> list[Field]:
    fields = [Field("title", "{" + paper.title + "}")]
    if paper.authors:
        names = " and ".join(paper.authors) + ("" if paper.authors_complete else " and others")
        fields.append(Field("author", names))
    if paper.published:
        fields.append(Field("year", str(paper.published.year)))
        fields.append(Field("month", paper.published.strftime("%b").lower()))
    if paper.arxiv_id:
        fields += [Field("eprint", paper.arxiv_id), Field("archivePrefix", "arXiv")]
        if paper.categories:
            fields.append(Field("primaryClass", paper.categories[0]))
        fields.append(Field("url", f"https://arxiv.org/abs/{paper.arxiv_id}"))
    elif paper.code_urls:
        fields.append(Field("url", paper.code_urls[0]))
    if paper.doi:
        fields.append(Field("doi", paper.doi))
    if paper.journal_ref:
        fields.append(Field("journal", paper.journal_ref))
    if paper.abstract:
        fields.append(Field("abstract", paper.abstract))
    return fields


def write_bibtex(papers: Iterable[Paper], out: BinaryIO) -> int:
    """Write entries in batches (bibtexparser builds a library in memory; keep it small)."""
    used: dict[str, int] = {}
    n = 0
    lib = bibtexparser.Library()
    for paper in papers:
        key = bibtex_key(paper)
        used[key] = used.get(key, 0) + 1
        if used[key] > 1:
            key = f"{key}{chr(ord('a') + min(used[key] - 2, 25))}" if used[key] <= 27 else f"{key}-{used[key]}"
        lib.add(bibtex_entry(paper, key))
        n += 1
        if n % 1000 == 0:
            out.write(bibtexparser.write_string(lib).encode() + b"\n")
            lib = bibtexparser.Library()
    if lib.entries:
        out.write(bibtexparser.write_string(lib).encode())
    return n
