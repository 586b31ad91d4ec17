"""Saved paper-listing pages (text captures of Hugging Face Papers-style pages) as a source.

One file is one page, in one of three layouts that are told apart automatically (or forced with ``kind``):
author pages, search pages and large search pages (see :mod:`openpapers.sources.listing_formats`). A file is
small, so it is read whole and yielded as a single page whose state is ``{"done": True}``.

Decisions a reader needs to know:

* **Capture date.** Pages omit the year for dates in the year they were captured. ``captured`` (CLI
  ``--captured YYYY-MM-DD``) says when that was; without it the file's modification date (UTC) is used. A
  year-less date after the capture date belongs to the previous year. The capture date is every record's
  ``observed``.
* **Page owner.** An author page belongs to one person, an author of every paper on it even where the page
  shows only three other names. The owner is ``owner`` (CLI ``--owner``) or is inferred as the name shown in
  the most entries, which must be shown in at least two entries, at least a quarter of them, and strictly more
  often than any other name (a page of a single entry whose names are all distinct cannot be inferred). The
  owner is appended to ``authors`` where it is not shown (``extra["owner_appended"]``).
* **Keys.** ``source_key`` is ``<sha256 of the file bytes, 12 hex>#<title key>``, so re-importing identical
  bytes replaces the same claims; a title repeated on one page gets ``~2``, ``~3``… in page order.
* **Errors.** File-level problems (unreadable, not UTF-8, empty, no known layout, owner not inferable) raise
  one :class:`SourceError`. A bad entry becomes a :class:`SourceError` in ``Page.errors`` and parsing goes on
  with the next entry; the importer decides whether to stop (``--skip-bad``).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from openpapers.core.errors import SourceError
from openpapers.core.records import PaperRecord, clean_text, name_key, title_key
from openpapers.core.taxonomy import chip_to_category
from openpapers.sources.base import Page, Source
from openpapers.sources.listing_complete import truncation_warnings
from openpapers.sources.listing_dates import resolve_date
from openpapers.sources.listing_formats import (
    AUTHOR,
    KINDS,
    LARGE,
    SEARCH,
    Layout,
    Line,
    RawEntry,
    count_signals,
    looks_large,
    parse_author_layout,
    parse_large_layout,
    parse_search_layout,
    split_lines,
)
from openpapers.sources.listing_split import SplitResult, split_title_authors

_KIND_ALIASES = {"author": AUTHOR, "search": SEARCH, "large": LARGE, "large-search": LARGE, "auto": None}
OWNER_MIN_SHARE = 0.25
"""The inferred owner must be shown in at least this share of the page's entries."""


def _parse_captured(value: date | datetime | str | None, fname: str) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, datetime):
        return value.date()
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise SourceError(f"capture date {value!r} is not YYYY-MM-DD", file=fname, field="captured") from None


class ListingSource(Source):
    """One saved listing page. ``kind`` forces a layout (``author``/``search``/``large``); default: detect."""

    name = "listing"

    def __init__(self, path: str | Path, captured: date | datetime | str | None = None,
                 owner: str | None = None, kind: str | None = None, encoding: str = "utf-8") -> None:
        self.path = Path(path)
        self.fname = str(path)
        try:
            self.data = self.path.read_bytes()
        except FileNotFoundError:
            raise SourceError("no such file", file=self.fname) from None
        except OSError as exc:
            raise SourceError(f"cannot read file: {exc.strerror or exc}", file=self.fname) from None
        if kind is not None and kind.strip().lower() not in _KIND_ALIASES:
            raise SourceError(f"unknown listing kind {kind!r}; use one of: {', '.join(KINDS)}",
                              file=self.fname, field="kind")
        self.kind = _KIND_ALIASES[kind.strip().lower()] if kind else None
        self.owner = clean_text(owner)
        self.encoding = encoding
        self.sha = hashlib.sha256(self.data).hexdigest()
        parsed = _parse_captured(captured, self.fname)
        if parsed is None:
            mtime = self.path.stat().st_mtime
            self.captured = datetime.fromtimestamp(mtime, UTC).date()
            self.captured_from = "mtime"
        else:
            self.captured = parsed
            self.captured_from = "option"

    @classmethod
    def from_command(cls, values: Mapping[str, Any]) -> Iterator[tuple[Source, dict[str, Any]]]:
        """``import listing FILE...``: one source (and one import) per file."""
        for f in values["files"]:
            source = cls(f, captured=values["captured"], owner=values["owner"], kind=values["kind"])
            yield source, {"file": str(f), "owner": values["owner"]}

    @property
    def checkpoint_key(self) -> str:
        return f"listing:{self.path.resolve()}:{self.sha}"

    def pages(self, state: dict[str, Any] | None = None) -> Iterator[Page]:
        if state and state.get("done"):
            return
        lines = split_lines(self.text())
        layout = self.layout(lines)
        records, errors = self._records(layout)
        # In page order, so that the error an import stops at is the first one in the file.
        ordered = sorted([*layout.errors, *errors], key=lambda e: e.line or 0)
        warnings = truncation_warnings(layout, lines, self.fname)
        yield Page(records=records, errors=ordered, warnings=warnings, state={"done": True})

    # -- reading ---------------------------------------------------------------------------------------------

    def text(self) -> str:
        """The decoded file; a decoding error names the line holding the first bad byte."""
        try:
            text = self.data.decode(self.encoding)
        except UnicodeDecodeError as exc:
            line = len(re.findall(rb"\r\n|\r|\n", self.data[:exc.start])) + 1
            raise SourceError(f"not valid {exc.encoding} text (byte {exc.start}: {exc.reason}); pass the "
                              "right encoding", file=self.fname, line=line, field="encoding") from None
        except LookupError:
            raise SourceError(f"unknown text encoding {self.encoding!r}", file=self.fname,
                              field="encoding") from None
        # NFC so that a name typed with combining accents ("Jose\u0301") reads like the precomposed one.
        return unicodedata.normalize("NFC", text.removeprefix("\ufeff"))

    def layout(self, lines: list[Line] | None = None) -> Layout:
        """Decode (unless given the ``lines``), pick the layout (given or detected) and cut the page into raw
        entries."""
        if lines is None:
            lines = split_lines(self.text())
        if not any(ln.text.strip() for ln in lines):
            raise SourceError("file is empty", file=self.fname, line=1, field="file")
        kind = self.kind or self._detect(lines)
        if kind == AUTHOR:
            return parse_author_layout(lines, self.fname)
        if kind == SEARCH:
            return parse_search_layout(lines, self.fname)
        return parse_large_layout(lines, self.fname)

    def _detect(self, lines: list[Line]) -> str:
        chips, footers = count_signals(lines)
        if chips and chips >= footers:
            return AUTHOR
        if footers:
            return SEARCH
        if looks_large(lines):
            return LARGE
        raise SourceError(
            "not a listing page: no category/date lines (author page), no 'N authors' lines (search page) "
            "and no title/abstract layout (large search page); pass kind= / --kind to force one",
            file=self.fname, line=next((ln.no for ln in lines if ln.text.strip()), 1), field="format")

    # -- records ---------------------------------------------------------------------------------------------

    def _records(self, layout: Layout) -> tuple[list[PaperRecord], list[SourceError]]:
        errors: list[SourceError] = []
        splits: dict[int, SplitResult] = {}
        owner = None
        if layout.kind == AUTHOR:
            splits = self._split_titles(layout.entries, errors)
            owner = self.owner or self._infer_owner(list(splits.values()))
        seen: Counter[str] = Counter()
        page_date = None
        if layout.page_date is not None:
            try:
                page_date = resolve_date(layout.page_date, self.captured)
            except ValueError:
                page_date = None
        records = []
        for entry in layout.entries:
            if layout.kind == AUTHOR and id(entry) not in splits:
                continue  # its title line was reported as an error
            record = self._record(entry, layout.kind, splits.get(id(entry)), owner, errors)
            if record is None:
                continue
            seen[record.source_key] += 1
            if seen[record.source_key] > 1:
                record.source_key += f"~{seen[record.source_key]}"
            if page_date is not None:
                record.extra["page_date"] = page_date.isoformat()
            records.append(record)
        return records, errors

    def _split_titles(self, entries: list[RawEntry], errors: list[SourceError]) -> dict[int, SplitResult]:
        """Split every title line twice: once plain, then again knowing the names the page itself shows."""
        known = {name_key(self.owner)} if self.owner else set()
        first_pass = {id(e): split_title_authors(e.title or "", known_names=known) for e in entries}
        counts: Counter[str] = Counter()
        for result in first_pass.values():
            if result is None:
                continue
            known.update(name_key(n) for n in result.names[1:])  # after a comma: never part of a seam
            counts[name_key(result.names[0])] += 1
        known.update(k for k, c in counts.items() if c >= 2)
        out: dict[int, SplitResult] = {}
        for entry in entries:
            result = split_title_authors(entry.title or "", known_names=known)
            if result is None:
                errors.append(SourceError(
                    "no author names found glued to the end of the title (expected 'TitleFirst Last, "
                    "First Last et al.')", file=self.fname, line=entry.title_line, field="authors"))
                continue
            out[id(entry)] = result
        return out

    def _infer_owner(self, splits: list[SplitResult]) -> str:
        per_entry: Counter[str] = Counter()
        spellings: dict[str, Counter[str]] = {}
        for result in splits:
            for key in {name_key(n) for n in result.names}:
                per_entry[key] += 1
            for n in result.names:
                spellings.setdefault(name_key(n), Counter())[n] += 1
        ranked = per_entry.most_common()
        if not ranked:
            raise SourceError("cannot infer the page owner: no entry has author names; pass owner= / --owner",
                              file=self.fname, field="owner")
        top, count = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0
        if len(ranked) > 1 and (count < 2 or count <= runner_up or count < OWNER_MIN_SHARE * len(splits)):
            shown = ", ".join(f"{spellings[k].most_common(1)[0][0]} ({c})" for k, c in ranked[:3])
            raise SourceError(f"cannot infer the page owner confidently (entries per name: {shown}); pass "
                              "owner= / --owner NAME", file=self.fname, field="owner")
        return spellings[top].most_common(1)[0][0]

    def _record(self, entry: RawEntry, kind: str, split: SplitResult | None, owner: str | None,
                errors: list[SourceError]) -> PaperRecord | None:
        published = None
        if entry.date is not None:
            try:
                published = resolve_date(entry.date, self.captured)
            except ValueError:
                errors.append(SourceError(f"impossible date: month {entry.date.month}, day {entry.date.day}",
                                          file=self.fname, line=entry.date_line, field="date"))
                return None
        title = clean_text(split.title if split else entry.title)
        if not title or not title_key(title):
            errors.append(SourceError("entry has no usable title", file=self.fname, line=entry.title_line,
                                      field="title"))
            return None
        record = PaperRecord(
            source=self.name,
            source_key=f"{self.sha[:12]}#{title_key(title)}",
            observed=self.captured,
            title=title,
            abstract=clean_text(entry.abstract),
            published=published,
            upvotes=entry.upvotes,
            author_count=entry.author_count,
            location=f"{self.fname}:{entry.line}",
            extra={"listing_kind": kind, "captured_from": self.captured_from},
        )
        if split is not None:
            self._apply_author_split(record, entry, split, owner)
        return record

    @staticmethod
    def _apply_author_split(record: PaperRecord, entry: RawEntry, split: SplitResult,
                            owner: str | None) -> None:
        names = [clean_text(n) or n for n in split.names]
        record.authors = list(names)
        record.authors_complete = not split.et_al
        record.author_count = len(names) if not split.et_al else None
        record.orgs = list(split.orgs)
        record.has_code = True if entry.has_code else None
        if split.ambiguous:
            record.extra["title_split_ambiguous"] = True
        if entry.chip:
            record.extra["chip"] = entry.chip
            match = chip_to_category(entry.chip)
            if match is not None:
                record.categories = [match.code]
                if match.alternatives:
                    record.extra["chip_alternatives"] = list(match.alternatives)
        if owner:
            record.extra["page_owner"] = owner
            if not _name_shown(owner, names):
                record.authors.append(owner)
                record.authors_complete = False
                record.author_count = None
                record.extra["owner_appended"] = True


def _name_shown(owner: str, names: list[str]) -> bool:
    """Whether ``owner`` is among ``names``: same folded name, or the same words in another order."""
    key = name_key(owner)
    words = sorted(key.split())
    return any(name_key(n) == key or sorted(name_key(n).split()) == words for n in names)
