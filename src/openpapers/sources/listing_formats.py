"""The three listing-page layouts: recognise them and cut a page into raw entries.

This module only knows about *layout*: which lines are chips, titles, abstracts and footers, and which are
site chrome or garbage. Turning a raw entry into a :class:`~openpapers.core.records.PaperRecord` (owner, categories,
keys) is :mod:`openpapers.sources.listing`'s job. Every function here returns errors as values instead of
raising, so one bad entry never hides the good ones around it.

Layouts, as captured from the sites (see ``shared/seeds/README.md``):

* ``author``: ``<CHIP><Mon D[, YYYY]>[Code]`` / ``<title><names>[ et al.][ · orgs]`` / ``<abstract>``.
* ``search``: site header, then per paper a title paragraph, an abstract paragraph and a footer
  (``• N authors`` / ``·`` / ``Mon D[, YYYY] [upvotes]``); a paper may lack its footer.
* ``large``: site header (``Subscribe`` may be glued to the first title), then title and abstract lines
  alternating, nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from openpapers.core.errors import SourceError
from openpapers.sources.listing_dates import DATE_PATTERN as _DATE
from openpapers.sources.listing_dates import MONTHS, PageDate, parse_date_text

AUTHOR, SEARCH, LARGE = "author", "search", "large"
KINDS = (AUTHOR, SEARCH, LARGE)

CHIP_LINE = re.compile(r"^(?P<chip>[A-Z][A-Z0-9-]*)?\s?" + _DATE + r"(?P<badges>(?:\s*Code)*)\s*$")
_DATE_PART = re.compile(r"^" + _DATE + r"(?:\s+(?P<upvotes>\d{1,7}))?$")
_AUTHORS_PART = re.compile(r"^(?P<n>\d{1,5})\s+authors?$", re.IGNORECASE)
_BULLETS = "•·‧∙◦*-–—|"
_HEADER = re.compile(
    r"^(?:new|subscribe|daily papers|trending papers|papers|search|get trending papers.*|"
    r"by\s*\S.*\bresearch community)$", re.IGNORECASE)
_SUBSCRIBE_GLUE = re.compile(r"^Subscribe(?=[A-Z0-9\"“'(\[$\\])")


@dataclass(slots=True)
class Line:
    """One physical line: 1-based number and text without its line break."""

    no: int
    text: str


@dataclass(slots=True)
class RawEntry:
    """One paper as laid out on the page, before any interpretation."""

    line: int
    title: str | None = None
    title_line: int | None = None
    abstract: str | None = None
    chip: str | None = None
    date: PageDate | None = None
    date_line: int | None = None
    has_code: bool = False
    author_count: int | None = None
    upvotes: int | None = None


@dataclass(slots=True)
class Layout:
    """A page cut into entries, plus what the header said and the errors met on the way."""

    kind: str
    entries: list[RawEntry]
    errors: list[SourceError]
    page_date: PageDate | None = None


def split_lines(text: str) -> list[Line]:
    """Physical lines with CRLF, CR and LF all treated as line breaks (captures come from any OS)."""
    return [Line(i, t) for i, t in enumerate(re.split(r"\r\n|\r|\n", text), start=1)]


def match_chip_line(text: str) -> re.Match[str] | None:
    """The match of an author-page chip/date line, or None (month names are checked, not just shaped)."""
    m = CHIP_LINE.match(text.strip())
    if m is None or m.group("mon").lower() not in MONTHS:
        return None
    return m


def _strip_bullets(text: str) -> str:
    return text.strip().strip(_BULLETS).strip()


def _is_header(text: str) -> bool:
    plain = _strip_bullets(text)
    return bool(_HEADER.match(plain)) or _date_only(plain) is not None


def _date_only(text: str) -> PageDate | None:
    m = _DATE_PART.match(text.strip())
    if m is None or m.group("upvotes"):
        return None
    return parse_date_text(m.group("mon"), m.group("day"), m.group("year"))


def count_signals(lines: list[Line]) -> tuple[int, int]:
    """(chip/date lines, ``N authors`` lines): the evidence used to tell author and search pages apart."""
    # Only lines with a chip count: a bare date line is also a search page's footer or header date.
    chips = sum(1 for ln in lines if (m := match_chip_line(ln.text)) is not None and m.group("chip"))
    footers = sum(1 for ln in lines if _AUTHORS_PART.match(_strip_bullets(ln.text)))
    return chips, footers


def looks_large(lines: list[Line]) -> bool:
    """Whether the page is a large search page: its site header, or strict title/abstract alternation."""
    content = [ln for ln in lines if ln.text.strip()]
    if any(_strip_bullets(ln.text).lower().startswith("get trending papers") for ln in content[:5]):
        return True
    body = _skip_header(content)
    if len(body) < 4 or len(body) % 2:
        return False
    return all(len(t.text) <= 300 and len(a.text) >= 100 and len(a.text) > len(t.text)
               for t, a in zip(body[::2], body[1::2], strict=True))


def _skip_header(content: list[Line]) -> list[Line]:
    i = 0
    while i < len(content) and _is_header(content[i].text):
        i += 1
    body = list(content[i:])
    if body:
        glued = _SUBSCRIBE_GLUE.sub("", body[0].text.strip(), count=1)
        if glued != body[0].text.strip():
            body[0] = Line(body[0].no, glued)
    return body


def _header_date(content: list[Line], body_start: int) -> PageDate | None:
    for ln in content[:body_start]:
        found = _date_only(_strip_bullets(ln.text))
        if found is not None:
            return found
    return None


# --- author pages -------------------------------------------------------------------------------------------


def parse_author_layout(lines: list[Line], fname: str) -> Layout:
    """Cut an author page into (chip/date, title line, abstract) entries; the title line is split later."""
    content = [ln for ln in lines if ln.text.strip()]
    entries: list[RawEntry] = []
    errors: list[SourceError] = []
    i = 0
    while i < len(content):
        ln = content[i]
        m = match_chip_line(ln.text)
        if m is None:
            j = i + 1
            while j < len(content) and match_chip_line(content[j].text) is None:
                j += 1
            errors.append(SourceError(
                f"expected a category/date line such as 'LGFeb 10, 2023Code', got {_preview(ln.text)}"
                + (f" (skipped {j - i} lines up to the next entry)" if j - i > 1 else ""),
                file=fname, line=ln.no, field="chip"))
            i = j
            continue
        if i + 1 >= len(content) or match_chip_line(content[i + 1].text):
            errors.append(SourceError("entry has a category/date line but no title line", file=fname,
                                      line=ln.no, field="title"))
            i += 1
            continue
        title_ln = content[i + 1]
        abstract = None
        if i + 2 < len(content) and match_chip_line(content[i + 2].text) is None:
            abstract = content[i + 2].text
        i += 3 if abstract is not None else 2
        when = parse_date_text(m.group("mon"), m.group("day"), m.group("year"))
        entries.append(RawEntry(line=ln.no, title=title_ln.text, title_line=title_ln.no, abstract=abstract,
                                chip=m.group("chip"), date=when, date_line=ln.no,
                                has_code="Code" in m.group("badges")))
    return Layout(AUTHOR, entries, errors)


# --- search pages -------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Para:
    line: int
    lines: list[str]

    @property
    def text(self) -> str:
        return " ".join(s.strip() for s in self.lines)


def _paragraphs(lines: list[Line]) -> list[_Para]:
    paras: list[_Para] = []
    current: _Para | None = None
    for ln in lines:
        if not ln.text.strip():
            current = None
            continue
        if current is None:
            current = _Para(ln.no, [])
            paras.append(current)
        current.lines.append(ln.text)
    return paras


@dataclass(slots=True)
class _Footer:
    line: int
    author_count: int | None = None
    date: PageDate | None = None
    date_text: str | None = None
    upvotes: int | None = None


def _parse_footer(para: _Para) -> _Footer | None:
    """Parse ``• N authors`` / ``·`` / ``Mon D[, YYYY] [upvotes]`` (any split into lines); None if not one."""
    parts = [p.strip() for p in re.split(r"[•·‧∙|]", " · ".join(para.lines)) if p.strip()]
    if not parts:
        return None
    footer = _Footer(para.line)
    for part in parts:
        m = _AUTHORS_PART.match(part)
        if m and footer.author_count is None:
            footer.author_count = int(m.group("n"))
            continue
        d = _DATE_PART.match(part)
        if d and footer.date_text is None:
            footer.date_text = part
            footer.date = parse_date_text(d.group("mon"), d.group("day"), d.group("year"))
            if footer.date is None:
                return None
            footer.upvotes = int(d.group("upvotes")) if d.group("upvotes") else None
            continue
        return None
    return footer


def _merge_footers(a: _Footer, b: _Footer) -> _Footer | None:
    if (a.author_count is not None and b.author_count is not None) or (a.date_text and b.date_text):
        return None
    return _Footer(a.line, a.author_count if a.author_count is not None else b.author_count,
                   a.date or b.date, a.date_text or b.date_text, a.upvotes if a.date_text else b.upvotes)


def _is_bare_separator(para: _Para) -> bool:
    return all(not _strip_bullets(s) for s in para.lines)


def parse_search_layout(lines: list[Line], fname: str) -> Layout:
    """Cut a search page into entries: title and abstract paragraphs closed by an optional footer."""
    paras = _paragraphs(lines)
    start = 0
    while start < len(paras) and all(_is_header(s) for s in paras[start].lines):
        start += 1
    page_date = None
    for head in paras[:start]:
        page_date = page_date or _date_only(_strip_bullets(head.text))
    body = paras[start:]
    if body:
        first = _SUBSCRIBE_GLUE.sub("", body[0].lines[0].strip(), count=1)
        body[0] = _Para(body[0].line, [first, *body[0].lines[1:]])
    errors: list[SourceError] = []
    entries: list[RawEntry] = []
    chunk: list[_Para] = []
    i = 0
    while i <= len(body):
        para = body[i] if i < len(body) else None
        footer = _parse_footer(para) if para is not None else None
        if para is not None and footer is None and _is_bare_separator(para):
            i += 1  # a lone "·" between the authors and the date, split off by a blank line
            continue
        if para is not None and footer is None:
            chunk.append(para)
            i += 1
            continue
        # Absorb footer pieces that blank lines split apart ("• 5 authors" / "·" / "Aug 4, 2024").
        i += 1
        while footer is not None and i < len(body):
            if _is_bare_separator(body[i]):
                i += 1
                continue
            nxt = _parse_footer(body[i])
            merged = _merge_footers(footer, nxt) if nxt is not None else None
            if merged is None:
                break
            footer = merged
            i += 1
        _close_chunk(chunk, footer, entries, errors, fname)
        chunk = []
    return Layout(SEARCH, entries, errors, page_date)


def _close_chunk(chunk: list[_Para], footer: _Footer | None, entries: list[RawEntry],
                 errors: list[SourceError], fname: str) -> None:
    """Turn the paragraphs before a footer (or the end of the page) into entries; the footer is the last's."""
    if not chunk:
        if footer is not None:
            errors.append(SourceError("footer (authors/date) with no title or abstract before it", file=fname,
                                      line=footer.line, field="entry"))
        return
    pairs: list[tuple[_Para, _Para | None]] = []
    rest = list(chunk)
    while len(rest) >= 2:
        pairs.insert(0, (rest[-2], rest[-1]))
        rest = rest[:-2]
    if rest:
        lone = rest[0]
        if len(chunk) == 1 and footer is not None and len(lone.text) <= 300:
            pairs.insert(0, (lone, None))  # a paper shown without an abstract
        else:
            errors.append(SourceError(f"unexpected text between entries: {_preview(lone.text)}", file=fname,
                                      line=lone.line, field="entry"))
    for n, (title, abstract) in enumerate(pairs):
        entry = RawEntry(line=title.line, title=title.text, title_line=title.line,
                         abstract=abstract.text if abstract else None)
        if n == len(pairs) - 1 and footer is not None:
            entry.author_count = footer.author_count
            entry.date = footer.date
            entry.date_line = footer.line
            entry.upvotes = footer.upvotes
        entries.append(entry)


# --- large search pages -------------------------------------------------------------------------------------


def parse_large_layout(lines: list[Line], fname: str) -> Layout:
    """Cut a large search page into (title, abstract) line pairs after its header."""
    content = [ln for ln in lines if ln.text.strip()]
    body = _skip_header(content)
    page_date = _header_date(content, len(content) - len(body))
    entries: list[RawEntry] = []
    errors: list[SourceError] = []
    i = 0
    while i < len(body):
        title = body[i]
        if len(title.text.strip()) > 400:
            errors.append(SourceError(f"expected a title line, got a paragraph: {_preview(title.text)}",
                                      file=fname, line=title.no, field="title"))
            i += 1
            continue
        nxt = body[i + 1] if i + 1 < len(body) else None
        after = body[i + 2] if i + 2 < len(body) else None
        if nxt is not None and after is not None and _title_then_abstract(nxt.text, after.text):
            nxt = None  # the next line is the next paper's title: this paper has no abstract
        entries.append(RawEntry(line=title.no, title=title.text, title_line=title.no,
                                abstract=nxt.text if nxt is not None else None))
        i += 2 if nxt is not None else 1
    return Layout(LARGE, entries, errors, page_date)


def _title_then_abstract(first: str, second: str) -> bool:
    """Whether ``first`` reads as a title and ``second`` as its abstract (used to spot a missing abstract).

    Titles are short and do not end in a full stop; abstracts are long. Only a clear case counts, because on
    a well-formed page the answer must always be "no" for an abstract followed by the next title.
    """
    first, second = first.strip(), second.strip()
    return (len(first) <= 200 and not first.endswith(".") and len(second) >= 150
            and len(second) > 2 * len(first))


def _preview(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[:limit] + "…")
