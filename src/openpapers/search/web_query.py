"""A search as the web asks for it: the parameters read from the URL, and the search run with its fallback.

Parameters arrive as plain strings (an HTML form sends ``from=`` when a field is left empty) and are read here
with messages a person can act on (``SearchParams.error``). The search page, its JSON twin and the search feed
all read them this way, so a URL means the same on each. ``run`` falls back to keyword search (with a note)
when the semantic side cannot run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import Depends, Query

from openpapers.core.url_keys import DAY_OR_EMPTY
from openpapers.search.service import SearchResult
from openpapers.search.types import Filters, QueryError
from openpapers.web.context import Web

log = logging.getLogger("openpapers.web")
PER_PAGE = 20
MAX_PAGE = 50  # the search service returns results up to number 1000
MODES = ("hybrid", "keyword", "semantic")
Mode = Literal["hybrid", "keyword", "semantic"]
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(slots=True)
class SearchParams:
    """A search request as read from the URL; ``error`` is set (and the rest best-effort) when it is bad."""

    q: str = ""
    mode: str = "hybrid"
    filters: Filters = field(default_factory=Filters)
    page: int = 1
    error: str | None = None
    explain: bool = False  # the JSON twin only: say per result why it is there

    def query_string(self, **change: object) -> str:
        """This search's URL query (for pager links and feeds), with some parameters changed."""
        f = self.filters
        items: list[tuple[str, object]] = [("q", self.q), ("mode", self.mode)]
        items += [("category", c) for c in f.categories] + [("author", a) for a in f.authors]
        items += [("org", o) for o in f.orgs]
        if f.date_from:
            items.append(("from", f.date_from.isoformat()))
        if f.date_to:
            items.append(("to", f.date_to.isoformat()))
        if f.has_code is not None:
            items.append(("has_code", "true" if f.has_code else "false"))
        items.append(("page", self.page))
        drop = {k for k, v in change.items() if v is None}
        items = [(k, change.get(k, v)) for k, v in items if k not in drop]
        return urlencode([(k, v) for k, v in items if v not in ("", None)])


def _date(value: str | None, name: str) -> date | None:
    if not value or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise QueryError(f"{name}: {value.strip()[:40]!r} is not a date (use YYYY-MM-DD)") from None


def _values(values: list[str] | None) -> list[str]:
    """Filter values trimmed, blanks dropped, control characters made spaces: a NUL in ``category=`` reached
    PostgreSQL, which cannot hold one in text, and the search was a 500 (found by schemathesis)."""
    cleaned = ("".join(ch if ch.isprintable() else " " for ch in v).strip() for v in values or [] if v)
    return [v for v in cleaned if v]


_Q = Query(max_length=4096, description="Query: words, \"phrases\", -exclusions, OR, ti: abs: au: cat: org: prefixes")
_CATEGORY = Query(description="Category code or archive (cs.LG, cs); repeatable")
_AUTHOR = Query(description="Author name or id; repeatable")
_ORG = Query(description="Organisation name or id; repeatable")


def search_params(
    q: Annotated[str, _Q] = "",
    mode: Annotated[str, Query(max_length=20, description="hybrid (default) | keyword | semantic")] = "hybrid",
    category: Annotated[list[str] | None, _CATEGORY] = None,
    date_from: Annotated[str | None, Query(alias="from", max_length=40, description="Published on or after "
                                                                                      "YYYY-MM-DD")] = None,
    date_to: Annotated[str | None, Query(alias="to", max_length=40, description="Published on or before "
                                                                                "YYYY-MM-DD")] = None,
    author: Annotated[list[str] | None, _AUTHOR] = None,
    org: Annotated[list[str] | None, _ORG] = None,
    has_code: Annotated[str | None, Query(max_length=10, description="true: with code; false: without")] = None,
    page: Annotated[str | None, Query(max_length=10, description=f"1-based page (1–{MAX_PAGE})")] = None,
) -> SearchParams:
    """The search page's reading: every parameter a plain string, a bad one explained in ``error`` (the page
    shows the form again with the message)."""
    return read_params(q, mode, category, date_from, date_to, author, org, has_code, page)


def api_search_params(
    q: Annotated[str, _Q] = "",
    mode: Annotated[Mode, Query(description="hybrid (default) | keyword | semantic")] = "hybrid",
    category: Annotated[list[str] | None, _CATEGORY] = None,
    date_from: Annotated[str | None, Query(alias="from", pattern=DAY_OR_EMPTY,
                                           description="Published on or after YYYY-MM-DD")] = None,
    date_to: Annotated[str | None, Query(alias="to", pattern=DAY_OR_EMPTY,
                                         description="Published on or before YYYY-MM-DD")] = None,
    author: Annotated[list[str] | None, _AUTHOR] = None,
    org: Annotated[list[str] | None, _ORG] = None,
    has_code: Annotated[bool | None, Query(description="true: with code; false: without")] = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="1-based page")] = 1,
    explain: Annotated[bool, Query(description="true: per result, the keyword rank and BM25 score, the semantic "
                                               "rank and similarity, and the fused score")] = False,
) -> SearchParams:
    """The JSON twin's and the feed's reading: the same parameters typed, so the spec states the real rules
    (an enum, a boolean, a page range, real days) and what it allows is searched. What no schema can say is
    left in ``error``: a ``from`` after ``to``; the query's own syntax is checked when it runs."""
    code = None if has_code is None else ("true" if has_code else "false")
    params = read_params(q, mode, category, date_from, date_to, author, org, code, str(page))
    params.explain = explain
    return params


def read_params(q: str, mode: str, category: list[str] | None, date_from: str | None, date_to: str | None,
                author: list[str] | None, org: list[str] | None, has_code: str | None, page: str | None
                ) -> SearchParams:
    """Both readings' rules, in words a person can act on."""
    params = SearchParams(q=q.strip(), mode=mode.strip().lower() or "hybrid")
    try:
        if params.mode not in MODES:
            params.mode = "hybrid"
            raise QueryError(f"mode must be one of {', '.join(MODES)}")
        code = (has_code or "").strip().lower()
        if code and code not in _TRUE | _FALSE:
            raise QueryError("has_code must be true or false")
        params.filters = Filters(
            date_from=_date(date_from, "from"), date_to=_date(date_to, "to"), categories=_values(category),
            authors=_values(author), orgs=_values(org), has_code=(code in _TRUE) if code else None,
        )
        text = (page or "").strip() or "1"
        if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
            raise QueryError(f"page must be a number from 1 to {MAX_PAGE}")
        params.page = int(text)
        f = params.filters
        if f.date_from and f.date_to and f.date_from > f.date_to:
            raise QueryError("from is after to: no paper can match")
    except QueryError as exc:
        params.error = str(exc)
    return params


Params = Annotated[SearchParams, Depends(search_params)]
ApiParams = Annotated[SearchParams, Depends(api_search_params)]


_warned: set[str] = set()


def _warn_once(message: str) -> None:
    """A missing vector index is a setup fact, not news on every request: say it once per process."""
    if message not in _warned:
        _warned.add(message)
        log.warning("%s", message)


def run(w: Web, params: SearchParams, limit: int = PER_PAGE) -> SearchResult:
    """Search; falls back to keyword (with a note) when the semantic side cannot run. Raises QueryError."""
    offset = (params.page - 1) * limit
    try:
        return w.search.search(params.q, mode=params.mode, filters=params.filters, limit=limit, offset=offset)
    except QueryError:
        raise
    except Exception as exc:  # no vector index or no embedding model: keyword search still works
        if params.mode == "keyword":
            raise
        _warn_once(f"semantic search unavailable, using keyword search: {exc}")
        result = w.search.search(params.q, mode="keyword", filters=params.filters, limit=limit, offset=offset)
        result.notes.append("semantic search is not available on this server; these are keyword results")
        return result
