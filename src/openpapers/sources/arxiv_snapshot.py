"""The arXiv bulk metadata snapshot: one JSON object per line, a few GB for all of arXiv.

The file is streamed in pages of ``page_size`` lines and never loaded whole; each page's state is the byte
offset after its last line, so a killed import resumes exactly where its last committed page ended.
Parsing is on the hot path of a 2.5M-paper backfill, hence orjson. This module only reads the format; the
claim itself (withdrawal, version dates, author completeness) is built by ``arxiv_record`` exactly as for the
API and OAI-PMH sources. Author names keep the spelling of the ``authors`` string, split as ``authors_parsed``
says, and a trailing "et al" marks the list incomplete (``arxiv_authors``); abstracts keep their paragraphs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from openpapers.core.errors import SourceError
from openpapers.core.record_checks import count_problem
from openpapers.core.records import PaperRecord, Version, clean_text, normalize_arxiv_id
from openpapers.sources.arxiv_authors import WrittenAuthors, parsed_name, snapshot_authors
from openpapers.sources.arxiv_record import arxiv_record, clean_abstract, parse_rfc2822
from openpapers.sources.base import Page, Source


def _text(obj: dict[str, Any], key: str) -> str | None:
    """A string field, cleaned; absent or null is unknown, any other type is an error naming the field."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _FieldError(key, f"must be a string, not {type(value).__name__}")
    return clean_text(value)


def _abstract(obj: dict[str, Any]) -> str | None:
    """The abstract with its paragraphs kept (``arxiv_record.clean_abstract``)."""
    value = obj.get("abstract")
    if value is None:
        return None
    if not isinstance(value, str):
        raise _FieldError("abstract", f"must be a string, not {type(value).__name__}")
    return clean_abstract(value)


def _authors(obj: dict[str, Any]) -> WrittenAuthors:
    """Names as the ``authors`` string writes them, split as ``authors_parsed`` says (see arxiv_authors)."""
    parsed = obj.get("authors_parsed")
    if parsed is not None and not isinstance(parsed, list):
        raise ValueError("must be a list of [last, first, suffix]")
    names: list[str] = []
    for item in parsed or ():
        if not isinstance(item, list) or not item or not all(x is None or isinstance(x, str) for x in item):
            raise ValueError("each authors_parsed entry must be [last, first, suffix]")
        names.append(parsed_name(item))
    raw = obj.get("authors")
    return snapshot_authors(raw if isinstance(raw, str) else None, names or None)


def record_from_snapshot(obj: Any, location: str) -> PaperRecord:
    """Map one snapshot object to a claim; raises SourceError-ready (field, message) via ValueError/KeyError."""
    if not isinstance(obj, dict):
        raise _FieldError("json", "line is not a JSON object")
    raw_id = obj.get("id")
    arxiv_id = normalize_arxiv_id(raw_id) if isinstance(raw_id, str) else None
    if not arxiv_id:
        raise _FieldError("id", f"missing or not an arXiv id: {raw_id!r}")
    title = _text(obj, "title")
    if not title:
        raise _FieldError("title", "missing title")
    try:
        authors = _authors(obj)
    except ValueError as exc:
        raise _FieldError("authors_parsed", str(exc)) from None
    cats = obj.get("categories")
    if cats is not None and not isinstance(cats, str):
        raise _FieldError("categories", "must be a space-separated string")
    versions: list[Version] = []
    raw_versions = obj.get("versions") or []
    if not isinstance(raw_versions, list):
        raise _FieldError("versions", "must be a list")
    for v in raw_versions:
        try:
            num = int(str(v["version"]).lstrip("v"))
            created = parse_rfc2822(v["created"]) if v.get("created") else None
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise _FieldError("versions", f"bad version entry {_short(v)}: {exc}") from None
        if (problem := count_problem(num, minimum=1)) is not None:
            raise _FieldError("versions", f"bad version entry {_short(v)}: version {problem}")
        versions.append(Version(num, created))
    versions.sort(key=lambda v: v.version)  # first and last below; arxiv_record keeps this order
    update_date = obj.get("update_date")
    try:
        observed = date.fromisoformat(update_date) if update_date else None
    except (TypeError, ValueError):
        raise _FieldError("update_date", f"not a YYYY-MM-DD date: {update_date!r}") from None
    comments = _text(obj, "comments")
    first = versions[0].created if versions else None
    last = versions[-1].created if versions else None
    return arxiv_record(
        ArxivSnapshotSource.name,
        arxiv_id,
        observed=observed,
        title=title,
        authors=authors.names,
        authors_cut_short=authors.cut_short,
        abstract=_abstract(obj),
        categories=cats.split() if cats else [],
        published=first.date() if first else observed,
        updated=last.date() if last else observed,
        versions=versions,
        doi=_text(obj, "doi"),
        journal_ref=_text(obj, "journal-ref"),
        comments=comments,
        license=_text(obj, "license"),
        location=location,
        extra={k: obj[k] for k in ("submitter", "report-no") if obj.get(k)},
    )


def _short(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:60] + "…"


class _FieldError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class ArxivSnapshotSource(Source):
    """Stream ``arxiv-metadata-oai-snapshot.json`` (or any file in its format) in resumable pages."""

    name = "arxiv-snapshot"
    bulk_capable = True  # plain data (a path): can be read in the bulk loader's parsing process

    def __init__(self, path: str | Path, *, page_size: int = 5000) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise SourceError("no such file", file=str(self.path))
        st = self.path.stat()
        self.total_bytes = st.st_size
        self._key = f"{self.name}:{self.path.resolve()}:{st.st_size}:{st.st_mtime_ns}"
        self.page_size = page_size

    @classmethod
    def from_command(cls, values: Mapping[str, Any]) -> Iterator[tuple[Source, dict[str, Any]]]:
        """``import arxiv-snapshot FILE [--batch-size N]``."""
        yield cls(values["file"], page_size=values["batch_size"]), {"file": str(values["file"])}

    @property
    def checkpoint_key(self) -> str:
        return self._key

    def pages(self, state: dict[str, Any] | None = None, *, shard: tuple[int, int] = (0, 1)) -> Iterator[Page]:
        """Pages from ``state`` on; ``shard=(k, n)`` yields (and parses) only pages ``k, k+n, k+2n, …`` of them,
        so that ``n`` processes can parse one file together (the bulk loader writes their pages in order)."""
        offset, line_no = 0, 0
        if state and not state.get("done"):
            offset, line_no = int(state["offset"]), int(state["line"])
        mine, shards = shard
        fname = str(self.path)
        with self.path.open("rb") as fh:
            fh.seek(offset)
            page = Page()
            index = 0
            seen_any = offset > 0
            for raw in fh:
                line_no += 1
                offset += len(raw)
                if line_no == 1:  # a byte-order mark some editors write: not part of the first object
                    raw = raw.removeprefix(b"\xef\xbb\xbf")
                if raw.strip():
                    seen_any = True
                    if index % shards == mine:
                        self._parse_line(raw, fname, line_no, page)
                if line_no % self.page_size == 0:
                    if index % shards == mine:
                        page.state = {"offset": offset, "line": line_no}
                        yield page
                        page = Page()
                    index += 1
            if not seen_any:
                raise SourceError("file is empty (expected one JSON object per line)", file=fname, line=1,
                                  field="json")
            if index % shards == mine:
                page.state = {"offset": offset, "line": line_no, "done": True}
                yield page

    @staticmethod
    def _parse_line(raw: bytes, fname: str, line_no: int, page: Page) -> None:
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as bad:
                msg = f"not UTF-8: byte 0x{raw[bad.start]:02x} at column {bad.start + 1}"
                page.errors.append(SourceError(msg, file=fname, line=line_no, field="encoding"))
                return
            page.errors.append(SourceError(f"invalid JSON: {exc.msg} (column {exc.colno})", file=fname,
                                           line=line_no, field="json"))
            return
        try:
            page.records.append(record_from_snapshot(obj, f"{fname}:{line_no}"))
        except _FieldError as exc:
            page.errors.append(SourceError(exc.message, file=fname, line=line_no, field=exc.field))
