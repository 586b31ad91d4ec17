"""One builder for the claims of the three arXiv sources (bulk snapshot, search API, OAI-PMH).

The snapshot, the API and OAI-PMH describe the same papers in three formats. Each source only *reads* its
format; the rules that decide what a claim says live here, once, so that one paper gets the same claim from
whichever source saw it:

* **withdrawal**: arXiv withdraws a paper by accepting a new version whose comment (and usually abstract)
  says "This paper has been withdrawn …"; all three formats carry that latest comment and abstract, so all
  three apply :func:`is_withdrawn` to them (the snapshot used to look at the comment only, with another
  pattern);
* **dates**: version dates are RFC 2822 (``Mon, 2 Apr 2007 19:18:42 GMT``) in the snapshot and in
  ``arXivRaw``; :func:`parse_rfc2822` reads them (arXiv's exact shape directly, anything else with
  :mod:`email.utils`) and has one contract: a date, or ValueError (each source turns that into a SourceError
  naming its field);
* **authors**: an author list is complete unless the source says otherwise, and ``author_count`` is only
  known for a complete list; versions are kept in version order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from openpapers.core.records import PaperRecord, Version, clean_text

_MONTHS = {name: number for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1)}
_GMT = ("GMT", "UTC", "+0000")


def parse_rfc2822(text: str) -> datetime:
    """``Mon, 2 Apr 2007 19:18:42 GMT`` → aware UTC datetime; ValueError for anything else.

    arXiv writes every version date in GMT, so a date in another zone (or none) is refused rather than
    silently shifted: it means the input is not what we think it is.

    The exact shape arXiv writes (weekday, day, month, year, time, GMT) is read directly: a full snapshot has
    about 4.5 million version dates, and :func:`email.utils.parsedate_to_datetime` costs four times as much per
    date (the bulk import ran at 0.92× with it alone, bench/import_snapshot.py). Anything else goes to
    email.utils, under the same contract; tests/sources/test_arxiv_record.py checks that the two agree.
    """
    if isinstance(text, str):
        parts = text.split()
        if len(parts) == 6 and parts[5] in _GMT and parts[2] in _MONTHS and parts[0][-1:] == ",":
            clock = parts[4].split(":")
            if len(clock) == 3 and (parts[1] + parts[3] + clock[0] + clock[1] + clock[2]).isdigit():
                try:
                    return datetime(int(parts[3]), _MONTHS[parts[2]], int(parts[1]), int(clock[0]),
                                    int(clock[1]), int(clock[2]), tzinfo=UTC)
                except ValueError:
                    pass  # out of range (a 31 Feb): email.utils gives the same answer, with its own message
    return parse_rfc2822_email(text)


def parse_rfc2822_email(text: str) -> datetime:
    """:func:`parse_rfc2822` for any RFC 2822 spelling, through email.utils (the same contract)."""
    try:
        dt = parsedate_to_datetime(text)
    except (TypeError, ValueError, AttributeError, IndexError):
        raise ValueError(f"not an RFC 2822 GMT date: {text!r}") from None
    if dt.utcoffset() != timedelta(0):  # None (no zone, or "-0000") or another zone
        raise ValueError(f"not an RFC 2822 GMT date: {text!r}")
    return dt.replace(tzinfo=UTC)


# arXiv starts a paragraph of an abstract on a new, indented line (a blank line is taken as one too); other
# line breaks are only wrapping.
_PARAGRAPH = re.compile(r"\n\s*\n\s*|\n[ \t]+")


def clean_abstract(text: str | None) -> str | None:
    """An arXiv abstract with its paragraphs kept, separated by a blank line (``"\\n\\n"``).

    arXiv stores abstracts as submitted, wrapped at ~80 columns, with each paragraph after the first on a new
    line indented by a space or two (the first line is indented too). Flattening all of it lost the paragraphs;
    here only an indented line starts a paragraph, and each paragraph's own wrapping is joined with spaces.
    """
    if text is None:
        return None
    body = text.replace("\r\n", "\n").strip(" \t\n")
    if "\n " not in body and "\n\t" not in body and "\n\n" not in body:  # one paragraph: the bulk of them
        return clean_text(body)
    paragraphs = [clean_text(p) for p in _PARAGRAPH.split(body)]
    return "\n\n".join(p for p in paragraphs if p) or None


# arXiv marks a withdrawal by submitting a new version whose comment (and often abstract) says so.
_WITHDRAWN_COMMENT = re.compile(
    r"\bwithdrawn\b|\bwithdraw(?:s|ing)? (?:this|the) (?:paper|article|submission)", re.IGNORECASE)
_WITHDRAWN_ABSTRACT = re.compile(
    r"^\W*(?:this|the) (?:paper|article|submission|manuscript) (?:has been|was|is) withdrawn", re.IGNORECASE)


def is_withdrawn(comments: str | None, abstract: str | None) -> bool:
    """True when the latest version's comment (or abstract opening) says the paper was withdrawn.

    Every arXiv format describes the *latest* version, which is exactly where arXiv records a withdrawal, so
    a comment without the word means "not withdrawn" rather than "unknown".
    """
    if comments and _WITHDRAWN_COMMENT.search(comments):
        return True
    return bool(abstract and _WITHDRAWN_ABSTRACT.search(abstract))


def arxiv_record(
    source: str,
    arxiv_id: str,
    *,
    observed: date | None,
    location: str,
    title: str | None,
    abstract: str | None,
    comments: str | None,
    authors: list[str],
    categories: list[str],
    authors_cut_short: bool = False,
    versions: Iterable[Version] = (),
    published: date | None = None,
    updated: date | None = None,
    doi: str | None = None,
    journal_ref: str | None = None,
    license: str | None = None,
    extra: dict[str, Any] | None = None,
) -> PaperRecord:
    """The claim one arXiv source makes about one paper, keyed by its version-less id.

    The author list is complete when it is not empty and the source did not mark it as cut short ("et al.").
    Dates are the source's own reading (each format dates versions differently).
    """
    complete = bool(authors) and not authors_cut_short
    return PaperRecord(
        source=source,
        source_key=arxiv_id,
        observed=observed,
        arxiv_id=arxiv_id,
        title=title,
        authors=authors,
        authors_complete=complete,
        author_count=len(authors) if complete else None,
        abstract=abstract,
        categories=categories,
        published=published,
        updated=updated,
        versions=sorted(versions, key=lambda v: v.version),
        withdrawn=is_withdrawn(comments, abstract),
        doi=doi,
        journal_ref=journal_ref,
        comments=comments,
        license=license,
        location=location,
        extra=extra if extra is not None else {},
    )
