"""Highlighting: HTML-escaped titles and abstract snippets with the query's words in ``<mark>``.

Why our own instead of tantivy's SnippetGenerator: titles and abstracts are untrusted text that goes straight
into pages, so escaping must be ours to guarantee and test; and matching runs the same analyzer as the index
(stemming, accent folding), so "solvers" in a query marks "solver" and "Solving" marks "solve". Everything
between marks goes through :func:`html.escape`, marks themselves are the only markup produced.

This is the only module that marks query words: backends return raw hits, and the service (or a backend's
``search(highlight=True)``) hands them here with their texts (:func:`mark_hits`), so every retriever's hits
look alike.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache

from openpapers.core.records import Paper
from openpapers.search.backends.tantivy_schema import TEXT
from openpapers.search.normalize import nfc
from openpapers.search.query import ParsedQuery, Term
from openpapers.search.types import Hit

SNIPPET_CHARS = 200
_SNAP_START = 20  # a window starting this close to the beginning starts at the beginning
ELLIPSIS = "…"

Span = tuple[int, int, str]  # char start, char end, analyzed token


def query_stems(terms: Iterable[Term]) -> frozenset[str]:
    """The analyzed tokens of the terms to mark (phrase words are marked wherever they occur)."""
    return frozenset(tok for t in terms for tok in TEXT.analyze(t.text))


# Finding matches without tokenizing whole abstracts in Python (per-token work made highlighting 20 hits cost
# ~20x the search itself): ``str.find`` locates *candidate* words -- those starting like a query stem (the
# English stemmer only strips suffixes and turns a final y into i, so a stem minus two letters prefixes its
# words) -- and only candidates are analyzed exactly as the index does, through a cache. (One alternation regex
# over the text instead of the ``str.find`` loops measured 2.5x slower.) The search runs over
# a lowercased copy with accented Latin letters folded to one ASCII letter each, so offsets stay the text's.
_FOLD = {
    cp: base
    for cp in range(0xC0, 0x250)
    if (base := unicodedata.normalize("NFD", chr(cp))[0]).isascii() and base.isalpha()
}


@lru_cache(maxsize=200_000)
def _analyzed(word: str) -> str | None:
    tokens = TEXT.analyze(word)
    return tokens[0] if len(tokens) == 1 else None


@lru_cache(maxsize=1024)
def _prefixes(stems: frozenset[str]) -> tuple[str, ...]:
    return tuple(sorted({s[: max(3, len(s) - 2)] for s in stems}))


def _folded(text: str) -> str:
    ascii_ish = text if text.isascii() else text.translate(_FOLD)
    out = ascii_ish.lower()
    if len(out) == len(text):
        return out
    # a rare letter whose lowercase is longer ("İ"): keep such letters as they are, offsets must not move
    return "".join(low if len(low := ch.lower()) == 1 else ch for ch in ascii_ish)


_WORD = re.compile(r"[^\W_]+")


def _spans(text: str, stems: frozenset[str]) -> list[Span]:
    if not stems:
        return []
    folded = _folded(text)
    found: dict[int, Span] = {}
    for prefix in _prefixes(stems):
        i = folded.find(prefix)
        while i >= 0:
            if i not in found and (i == 0 or not folded[i - 1].isalnum()):
                m = _WORD.match(text, i)
                if m:
                    token = _analyzed(m.group())
                    if token in stems:
                        found[i] = (i, m.end(), token)
            i = folded.find(prefix, i + 1)
    return sorted(found.values())


_NEEDS_ESCAPE = re.compile(r"[&<>\"']")


def _escape(text: str) -> str:
    """:func:`html.escape`, skipped for the usual piece of text that holds nothing to escape."""
    return html.escape(text) if _NEEDS_ESCAPE.search(text) else text


def _render(text: str, spans: list[Span], start: int, end: int) -> str:
    out: list[str] = []
    pos = start
    for a, b, _ in spans:
        if a < pos or b > end:
            continue
        out.append(_escape(text[pos:a]))
        out.append(f"<mark>{_escape(text[a:b])}</mark>")
        pos = b
    out.append(_escape(text[pos:end]))
    return "".join(out)


def mark(text: str, stems: frozenset[str]) -> str:
    """The whole text, escaped, with every matching token marked (used for titles)."""
    return _render(text, _spans(text, stems), 0, len(text))


def _best_window(spans: list[Span], width: int) -> tuple[int, int]:
    """Indexes (i, j) of the run of spans fitting in ``width`` chars with the most distinct terms, then the
    most matches; the earliest such run wins, since abstracts state their point first."""
    best = (0, 0)
    best_key = (0, 0)
    j = 0
    for i in range(len(spans)):
        j = max(j, i)
        while j + 1 < len(spans) and spans[j + 1][1] - spans[i][0] <= width:
            j += 1
        key = (len({s[2] for s in spans[i : j + 1]}), j - i + 1)
        if key > best_key:
            best, best_key = (i, j), key
    return best


def snippet(text: str, stems: frozenset[str], width: int = SNIPPET_CHARS) -> str:
    """About ``width`` characters of ``text`` around its densest cluster of matches, escaped and marked, cut at
    spaces and with an ellipsis where text was left out; the opening of the text when nothing matches."""
    if len(text) <= width:
        return mark(text, stems)
    spans = _spans(text, stems)
    start = floor = 0  # window start; the window must not end before ``floor`` (the last chosen match)
    if spans:
        i, j = _best_window(spans, width)
        first, floor = spans[i][0], spans[j][1]
        start = first - min(max(width - (floor - first), 0) // 3, first)  # some context before the first match
        if start <= _SNAP_START:
            start = 0
        else:
            space = text.find(" ", start, first)
            start = space + 1 if space >= 0 else first
    end = min(start + width, len(text))
    if end < len(text):
        space = text.rfind(" ", start, end)
        if space > floor:
            end = space
    body = _render(text, spans, start, end).strip()
    return (ELLIPSIS if start > 0 else "") + body + (ELLIPSIS if end < len(text) else "")


def highlight(query: ParsedQuery, title: str, abstract: str | None) -> tuple[str, str | None]:
    """``(title_html, snippet_html)`` for one paper and a parsed query. Public so that hits found only by
    another retriever (vectors) can be highlighted the same way."""
    stems = query_stems(query.highlight_terms())
    return mark(title, stems), (snippet(abstract, stems) if abstract else None)


def hit_texts(papers: Iterable[Paper]) -> dict[str, tuple[str, str | None]]:
    """Paper id -> (title, abstract) to highlight, composed as the indexes analysed them (see
    :func:`~openpapers.search.normalize.nfc`)."""
    return {p.id: (nfc(p.title or ""), nfc(p.abstract) if p.abstract else None) for p in papers}


def mark_hits(hits: Iterable[Hit], query: ParsedQuery, texts: Mapping[str, tuple[str, str | None]]) -> None:
    """Fill in ``title_html``/``snippet_html`` of the hits that have none, from ``texts`` (paper id -> title,
    abstract); a hit without texts keeps None, a paper without an abstract gets no snippet."""
    stems = query_stems(query.highlight_terms())
    for hit in hits:
        text = texts.get(hit.paper_id)
        if text is None:
            continue
        title, abstract = text
        if hit.title_html is None:
            hit.title_html = mark(title, stems)
        if hit.snippet_html is None and abstract:
            hit.snippet_html = snippet(abstract, stems)
