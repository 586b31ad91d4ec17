"""``oai_dc``: the Dublin Core metadata every OAI-PMH repository must offer, as arXiv fills it in.

Harvesting tools default to ``metadataPrefix=oai_dc``, so arXiv records in it are common in the wild. It says
less than arXiv's own formats and says it in words; :func:`dc_parts` reads what arXiv puts there:

* ``dc:title``; ``dc:creator`` once per author, written ``Keyname, Forenames`` (``Balázs, C.``; a third part is
  a suffix): turned into ``Forenames Keyname``, the order the other formats use. Every author is listed, so the
  list is complete;
* ``dc:description``: the abstract (paragraphs kept, as in the other formats), and ``Comment: …`` for the
  comments;
* ``dc:subject``: category *names* (``Computer Science - Machine Learning``), mapped to codes through the
  taxonomy; names the taxonomy does not know (MSC/ACM classes) are kept in ``extra["dc_subjects"]``;
* ``dc:date``: one per version, oldest first: the first is the paper's published date, the last (when there are
  several) the updated one. Versions themselves are not numbered here, so ``versions`` stays empty;
* ``dc:identifier``: the abs URL (the arXiv id), ``doi:…``, and the journal reference;
* ``dc:rights``: the license URL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lxml import etree

from openpapers.core.records import clean_text, normalize_arxiv_id
from openpapers.core.taxonomy import category_from_name
from openpapers.sources.arxiv_common import node_text, parse_iso_date
from openpapers.sources.arxiv_record import clean_abstract

OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
DC_NS = {"oai_dc": OAI_DC, "dc": DC}
_COMMENT = "comment:"


@dataclass(slots=True)
class DcParts:
    """What an ``oai_dc`` record says, in the fields of a claim."""

    arxiv_id: str | None = None
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    abstract: str | None = None
    comments: str | None = None
    categories: list[str] = field(default_factory=list)
    published: date | None = None
    updated: date | None = None
    doi: str | None = None
    journal_ref: str | None = None
    license: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def creator_name(text: str) -> str:
    """``Balázs, C.`` → ``C. Balázs``; ``Doe, John, Jr`` → ``John Doe Jr``; a name without a comma stays."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) < 2 or not all(parts[:2]):
        return text.strip()
    return " ".join(p for p in (parts[1], parts[0], *parts[2:]) if p)


def _values(meta: etree._Element, element: str) -> list[str]:
    return [v for v in (node_text(n) for n in meta.findall(f"dc:{element}", DC_NS)) if v]


def dc_parts(meta: etree._Element) -> DcParts:
    """Read one ``<oai_dc:dc>`` element (see the module docstring for what each element means)."""
    parts = DcParts(title=clean_text(" ".join(_values(meta, "title"))) or None)
    parts.authors = [creator_name(c) for c in _values(meta, "creator")]
    for node in meta.findall("dc:description", DC_NS):
        raw = "".join(node.itertext())
        text = clean_text(raw)
        if not text:
            continue
        if text.lower().startswith(_COMMENT):
            parts.comments = text[len(_COMMENT):].strip() or None
        elif parts.abstract is None:
            parts.abstract = clean_abstract(raw)
    unknown: list[str] = []
    for subject in _values(meta, "subject"):
        code = category_from_name(subject)
        if code is None:
            unknown.append(subject)
        elif code not in parts.categories:
            parts.categories.append(code)
    if unknown:
        parts.extra["dc_subjects"] = unknown
    dates = sorted(d for d in (parse_iso_date(v) for v in _values(meta, "date")) if d)
    if dates:
        parts.published = dates[0]
        parts.updated = dates[-1] if len(dates) > 1 else None
    for ident in _values(meta, "identifier"):
        if ident.lower().startswith("doi:"):
            parts.doi = parts.doi or ident[4:].strip()
        elif normalize_arxiv_id(ident) and ("arxiv.org/" in ident.lower() or parts.arxiv_id is None):
            parts.arxiv_id = parts.arxiv_id or normalize_arxiv_id(ident)
        elif not ident.lower().startswith(("http://", "https://")):
            parts.journal_ref = parts.journal_ref or ident
    rights = _values(meta, "rights")
    parts.license = rights[0] if rights else None
    return parts
