"""Hugging Face Daily Papers: the JSON array that ``/api/daily_papers`` returns, saved to a file.

Each item wraps a ``paper`` object (the arXiv paper as Hugging Face knows it) with the featuring itself: the
item's top-level ``publishedAt`` is the day the paper was featured, while ``paper.publishedAt`` is the arXiv
date. Mixing the two up would date every paper by when it trended, so they map to different fields
(``featured_on`` and ``published``).

Decisions a reader needs to know:

* **Authors.** Hugging Face lists every author, so ``authors_complete`` is True whenever the list is present.
* **Observed.** The ``observed`` argument (CLI ``--observed``), else the file's modification date (UTC).
* **Keys.** ``source_key`` is the arXiv id, or ``t<title hash>`` (:func:`paper_id_for`) for an id that is
  not one; an id listed twice keeps its last item, so a page never holds two claims with one key.
* **Errors.** The file is small, so it is parsed whole (stdlib ``json``, which reports line and column of
  syntax errors). File-level problems (unreadable, not UTF-8, invalid JSON, top level not an array) raise one
  :class:`SourceError`. A bad item (missing ``paper.id`` or title, a field of the wrong type, a bad date)
  becomes a :class:`SourceError` in ``Page.errors`` naming the line and column of the offending value, and
  the good items still come out. Positions come from a second, position-recording pass over the (by then
  known valid) text, since ``json`` itself forgets where values were.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from openpapers.core.errors import SourceError
from openpapers.core.record_checks import count_problem
from openpapers.core.records import PaperRecord, clean_text, normalize_arxiv_id, paper_id_for
from openpapers.sources.base import Page, Source

JsonPath = tuple[str | int, ...]

# Tokens of *valid* JSON: strings (escapes included), punctuation, and bare scalars (numbers, literals).
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+', re.DOTALL)


def value_offsets(text: str) -> dict[JsonPath, int]:
    """Character offset where each value of the (valid) JSON ``text`` starts, keyed by its path.

    Paths are tuples of object keys and array indices: ``(3, "paper", "upvotes")``. Iterative on purpose, so
    deep nesting cannot overflow the stack; a duplicated key keeps its last offset, as ``json`` keeps the last
    value.
    """
    offsets: dict[JsonPath, int] = {}
    # Frame: [path of the container, is_object, current key or index, expecting a key next]
    stack: list[list[Any]] = []
    for match in _TOKEN.finditer(text):
        tok = match.group()
        first = tok[0]
        if first == '"' and stack and stack[-1][1] and stack[-1][3]:
            stack[-1][2] = json.loads(tok)
            stack[-1][3] = False
            continue
        if first == ":":
            continue
        if first == ",":
            frame = stack[-1]
            if frame[1]:
                frame[3] = True
            else:
                frame[2] += 1
            continue
        if first in "}]":
            stack.pop()
            continue
        path: JsonPath = (*stack[-1][0], stack[-1][2]) if stack else ()
        offsets[path] = match.start()
        if first == "{":
            stack.append([path, True, None, True])
        elif first == "[":
            stack.append([path, False, 0, False])
    return offsets


class _Positions:
    """Turns character offsets into 1-based (line, column), the way editors and ``json`` count them."""

    def __init__(self, text: str) -> None:
        self._newlines = [m.start() for m in re.finditer("\n", text)]

    def line_col(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_left(self._newlines, offset)
        line_start = self._newlines[index - 1] + 1 if index else 0
        return index + 1, offset - line_start + 1


class _ItemError(Exception):
    """A bad value inside one item: ``path`` is relative to the item (``("paper", "upvotes")``)."""

    def __init__(self, path: JsonPath, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def _field_name(path: JsonPath) -> str:
    """``("paper", "authors", 2, "name")`` → ``paper.authors[2].name``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "item"


def _string(value: Any, path: JsonPath, *, required: bool = False) -> str | None:
    """A non-empty, storable string (lone surrogates from ``\\ud800`` escapes are rejected), or None."""
    if value is None:
        if required:
            raise _ItemError(path, "is missing")
        return None
    if not isinstance(value, str):
        raise _ItemError(path, f"must be a string, not {_describe(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _ItemError(path, "contains an invalid (surrogate) character") from None
    text = clean_text(value)
    if text is None and required:
        raise _ItemError(path, "is empty")
    return text


def _integer(value: Any, path: JsonPath) -> int | None:
    """A count (upvotes, comments, stars): a whole number in ``0..MAX_COUNT``, which every store can keep."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _ItemError(path, f"must be a whole number, not {_describe(value)}")
    if value < 0:
        raise _ItemError(path, f"must not be negative, got {value}")
    problem = count_problem(value)
    if problem is not None:
        raise _ItemError(path, problem)
    return value


MAX_NESTING = 100
"""Deeper than this is no daily-papers document (items nest four levels); named when ``json`` gives up."""


def _too_deep(text: str) -> int:
    """Offset of the first bracket opening a level deeper than :data:`MAX_NESTING` (or of the deepest one)."""
    depth, deepest, at = 0, -1, 0
    for match in _TOKEN.finditer(text):
        first = match.group()[0]
        if first in "[{":
            depth += 1
            if depth > MAX_NESTING:
                return match.start()
            if depth > deepest:
                deepest, at = depth, match.start()
        elif first in "]}":
            depth -= 1
    return at


def _day(value: Any, path: JsonPath) -> date | None:
    """``2023-12-01T18:01:34.000Z`` (or a bare ``2023-12-01``) → the UTC calendar date."""
    text = _string(value, path)
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise _ItemError(path, f"is not an ISO date/time: {text[:40]!r}") from None
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    return when.date()


def _describe(value: Any) -> str:
    kind = {dict: "an object", list: "an array", str: "a string", bool: "true/false", float: "a number",
            int: "a number"}.get(type(value), type(value).__name__)
    shown = repr(value) if not isinstance(value, dict | list) else ""
    return f"{kind} {shown[:40]}".rstrip()


def _object(value: Any, path: JsonPath) -> dict[str, Any] | None:
    """An object, or None for a missing/null value (the API writes null for unknown fields)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _ItemError(path, f"must be an object, not {_describe(value)}")
    return value


def _required_object(value: Any, path: JsonPath) -> dict[str, Any]:
    found = _object(value, path)
    if found is None:
        raise _ItemError(path, "is missing")
    return found


def _array(value: Any, path: JsonPath) -> list[Any] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise _ItemError(path, f"must be an array, not {_describe(value)}")
    return value


def record_from_item(item: Any, *, observed: date | None, location: str | None,
                     source: str = "hf-daily") -> PaperRecord:
    """Map one daily-papers item to a claim; raises :class:`_ItemError` naming the bad field."""
    item = _required_object(item, ())
    paper = _required_object(item.get("paper"), ("paper",))
    raw_id = _string(paper.get("id"), ("paper", "id"), required=True)
    arxiv_id = normalize_arxiv_id(raw_id)
    if paper.get("title") is None and item.get("title") is not None:
        title = _string(item.get("title"), ("title",), required=True)
    else:
        title = _string(paper.get("title"), ("paper", "title"), required=True)
    if paper.get("summary") is None and item.get("summary") is not None:
        abstract = _string(item.get("summary"), ("summary",))
    else:
        abstract = _string(paper.get("summary"), ("paper", "summary"))

    authors: list[str] = []
    raw_authors = _array(paper.get("authors"), ("paper", "authors"))
    for i, entry in enumerate(raw_authors or []):
        entry = _required_object(entry, ("paper", "authors", i))
        name = _string(entry.get("name"), ("paper", "authors", i, "name"), required=True)
        authors.append(name)  # type: ignore[arg-type]  # required=True never returns None

    published = _day(paper.get("publishedAt"), ("paper", "publishedAt"))
    featured_on = _day(item.get("publishedAt"), ("publishedAt",))
    if featured_on is None:  # older dumps lack the wrapper's date; the paper's daily submission is that day
        featured_on = _day(paper.get("submittedOnDailyAt"), ("paper", "submittedOnDailyAt"))

    repo = _string(paper.get("githubRepo"), ("paper", "githubRepo"))
    if repo is not None and not repo.startswith(("https://", "http://")):
        raise _ItemError(("paper", "githubRepo"), f"is not a URL: {repo[:60]!r}")

    keywords: list[str] = []
    for i, word in enumerate(_array(paper.get("ai_keywords"), ("paper", "ai_keywords")) or []):
        text = _string(word, ("paper", "ai_keywords", i))
        if text and text not in keywords:
            keywords.append(text)

    orgs: list[str] = []
    extra: dict[str, Any] = {}
    org = _object(paper.get("organization"), ("paper", "organization"))
    if org is not None:
        org_name = _string(org.get("name"), ("paper", "organization", "name"))
        fullname = _string(org.get("fullname"), ("paper", "organization", "fullname"))
        if org_name or fullname:
            orgs.append(org_name or fullname)  # type: ignore[arg-type]
        if fullname:
            extra["org_fullname"] = fullname

    stars = _integer(paper.get("githubStars"), ("paper", "githubStars"))
    if stars is not None:
        extra["githubStars"] = stars
    comments = _integer(item.get("numComments"), ("numComments",))
    if comments is not None:
        extra["numComments"] = comments
    ai_summary = _string(paper.get("ai_summary"), ("paper", "ai_summary"))
    if ai_summary:
        extra["ai_summary"] = ai_summary
    if arxiv_id is None:
        extra["hf_id"] = raw_id

    return PaperRecord(
        source=source,
        source_key=paper_id_for(arxiv_id, title),
        observed=observed,
        arxiv_id=arxiv_id,
        title=title,
        authors=authors,
        authors_complete=raw_authors is not None and bool(authors),
        author_count=len(authors) if raw_authors is not None and authors else None,
        abstract=abstract,
        published=published,
        featured_on=featured_on,
        upvotes=_integer(paper.get("upvotes"), ("paper", "upvotes")),
        code_urls=[repo] if repo else [],
        has_code=True if repo else None,
        project_page=_string(paper.get("projectPage"), ("paper", "projectPage")),
        orgs=orgs,
        keywords=keywords,
        location=location,
        extra=extra,
    )


def _raw_id(item: Any) -> str | None:
    """The item's ``paper.id`` when it has a usable one, to name the item in error messages."""
    paper = item.get("paper") if isinstance(item, dict) else None
    raw = paper.get("id") if isinstance(paper, dict) else None
    return raw[:40] if isinstance(raw, str) and raw.isprintable() else None


def _long_number(text: str) -> int:
    """Offset of the longest run of digits outside strings: the number ``json`` refused to convert."""
    best, at = 0, 0
    for match in _TOKEN.finditer(text):
        tok = match.group()
        if tok[0] not in '"{}[]:,' and len(tok) > best:
            best, at = len(tok), match.start()
    return at


def parse_daily_papers(text: str, fname: str, observed: date | None) -> tuple[list[PaperRecord],
                                                                              list[SourceError]]:
    """Parse a whole daily-papers document: (good records in file order, one error per bad item).

    Raises :class:`SourceError` when the document as a whole is unusable (invalid JSON, not an array).
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(f"invalid JSON: {exc.msg} (column {exc.colno})", file=fname, line=exc.lineno,
                          field="json") from None
    except RecursionError:
        line, col = _Positions(text).line_col(_too_deep(text))
        raise SourceError(f"invalid JSON: nested too deeply (more than {MAX_NESTING} levels at column {col})",
                          file=fname, line=line, field="json") from None
    except ValueError as exc:  # e.g. an integer with more digits than Python will convert
        line, col = _Positions(text).line_col(_long_number(text))
        raise SourceError(f"invalid JSON: {exc} (column {col})", file=fname, line=line, field="json") from None
    positions = _Positions(text)
    offsets = value_offsets(text)
    if not isinstance(data, list):
        line, col = positions.line_col(offsets.get((), 0))
        raise SourceError(f"expected a JSON array of daily-paper items, found {_describe(data)} "
                          f"(column {col})", file=fname, line=line, field="json")

    by_key: dict[str, PaperRecord] = {}
    errors: list[SourceError] = []
    for index, item in enumerate(data):
        line, col = positions.line_col(offsets[(index,)])
        try:
            record = record_from_item(item, observed=observed, location=f"{fname}:{line}")
        except _ItemError as exc:
            # Point at the offending value, or at the nearest enclosing value that exists.
            path: JsonPath = (index, *exc.path)
            while path not in offsets:
                path = path[:-1]
            bad_line, bad_col = positions.line_col(offsets[path])
            label = f"item {index}" + (f" ({raw_id})" if (raw_id := _raw_id(item)) else "")
            errors.append(SourceError(f"{label}: {_field_name(exc.path)} {exc.message} (column {bad_col})",
                                      file=fname, line=bad_line, field=_field_name(exc.path)))
            continue
        by_key.pop(record.source_key, None)  # re-insert so the last occurrence also keeps its file position
        by_key[record.source_key] = record
    return list(by_key.values()), errors


class HfDailySource(Source):
    """A saved ``/api/daily_papers`` response (one JSON array), yielded as a single page."""

    name = "hf-daily"

    def __init__(self, path: str | Path, observed: date | None = None) -> None:
        self.path = Path(path)
        try:
            st = self.path.stat()
        except OSError as exc:
            raise SourceError(f"cannot read file: {exc.strerror or exc}", file=str(self.path)) from None
        if not self.path.is_file():
            raise SourceError("not a regular file", file=str(self.path))
        self._key = f"{self.name}:{self.path.resolve()}:{st.st_size}:{st.st_mtime_ns}"
        self.observed = observed or datetime.fromtimestamp(st.st_mtime, tz=UTC).date()

    @classmethod
    def from_command(cls, values: Mapping[str, Any]) -> Iterator[tuple[Source, dict[str, Any]]]:
        """``import hf-daily FILE [--observed D]``."""
        yield cls(values["file"], observed=values["observed"]), {"file": str(values["file"])}

    @property
    def checkpoint_key(self) -> str:
        return self._key

    def pages(self, state: dict[str, Any] | None = None) -> Iterator[Page]:
        if state and state.get("done"):
            return
        fname = str(self.path)
        try:
            raw = self.path.read_bytes()
        except OSError as exc:
            raise SourceError(f"cannot read file: {exc.strerror or exc}", file=fname) from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            raise SourceError(f"not UTF-8 text (byte {exc.start})", file=fname, line=line,
                              field="encoding") from None
        if not text.strip():
            raise SourceError("file is empty (expected a JSON array of daily-paper items)", file=fname, line=1,
                              field="json")
        records, errors = parse_daily_papers(text, fname, self.observed)
        yield Page(records=records, errors=errors, state={"done": True})
