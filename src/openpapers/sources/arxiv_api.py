"""``arxiv-api``: papers from the arXiv search API (``export.arxiv.org/api/query``), an Atom feed.

The API answers a search query or an id list one page at a time (``start`` / ``max_results``), and reports the
total in ``opensearch:totalResults``. Each page becomes one :class:`Page` whose state is ``{"start": n}`` (the
next offset), so a killed run resumes at the next page; the last page's state is ``{"done": True}``. Passing a
done state back starts the query afresh from offset 0: re-importing replaces claims by ``source_key`` (the
version-less arXiv id), so a repeated run refreshes rather than duplicates.

What the API tells us is the *latest* version of each paper: ``published`` is v1's date and ``updated`` the
latest version's, and the entry id carries the latest version number. So ``versions`` lists v1..vN with dates
only for v1 (published) and vN (updated); the ones in between exist but their dates are unknown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any, ClassVar

from lxml import etree

from openpapers.core.errors import FetchError, SourceError
from openpapers.core.records import PaperRecord, Version, normalize_arxiv_id
from openpapers.sources.arxiv_common import (
    node_text,
    owned_client,
    parse_iso_datetime,
    parse_xml,
    raw_text_of,
    split_categories,
    text_of,
    today_utc,
)
from openpapers.sources.arxiv_record import arxiv_record, clean_abstract
from openpapers.sources.base import Page, Source
from openpapers.sources.http import HttpStatusError, PoliteClient

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
    "arxiv": "http://arxiv.org/schemas/atom",
}
_ID_VERSION = re.compile(r"v(\d+)$")
DEFAULT_BASE_URL = "https://export.arxiv.org/api/query"


class ArxivApiSource(Source):
    """Harvest one arXiv API query (``search_query`` and/or ``id_list``) page by page."""

    name: ClassVar[str] = "arxiv-api"

    def __init__(
        self,
        search_query: str | None = None,
        id_list: list[str] | str | None = None,
        sort_by: str = "submittedDate",
        sort_order: str = "descending",
        page_size: int = 100,
        max_results: int | None = None,
        base_url: str = DEFAULT_BASE_URL,
        client: PoliteClient | None = None,
        observed: date | None = None,
    ) -> None:
        if isinstance(id_list, str):
            id_list = [part.strip() for part in id_list.split(",") if part.strip()]
        if not search_query and not id_list:
            raise ValueError("arxiv-api needs a search_query or an id_list")
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.search_query = search_query
        self.id_list = list(id_list or [])
        self.sort_by = sort_by
        self.sort_order = sort_order
        self.page_size = page_size
        self.max_results = max_results
        self.base_url = base_url
        self.client = client
        self.observed = observed

    @classmethod
    def from_command(cls, values: Mapping[str, Any]) -> Iterator[tuple[Source, dict[str, Any]]]:
        """``harvest arxiv --via api --query Q / --ids A,B [--max-results N]``."""
        extra = {"base_url": values["base_url"]} if values.get("base_url") else {}
        source = cls(search_query=values["query"], id_list=values["ids"], max_results=values["max_results"],
                     client=values["client"], **extra)
        yield source, {"via": values.get("via"), "query": values["query"], "set": values.get("set_spec")}

    @property
    def checkpoint_key(self) -> str:
        ids = ",".join(self.id_list)
        return (f"arxiv-api:{self.base_url}?search_query={self.search_query or ''}&id_list={ids}"
                f"&sortBy={self.sort_by}&sortOrder={self.sort_order}")

    def _params(self, start: int, count: int) -> dict[str, Any]:
        params: dict[str, Any] = {"start": start, "max_results": count,
                                  "sortBy": self.sort_by, "sortOrder": self.sort_order}
        if self.search_query:
            params["search_query"] = self.search_query
        if self.id_list:
            params["id_list"] = ",".join(self.id_list)
        return params

    def pages(self, state: dict[str, Any] | None = None) -> Iterator[Page]:
        """Yield one page per API request, from ``state["start"]`` (0 for a new or finished run)."""
        start = 0
        if state and not state.get("done"):
            start = int(state.get("start", 0))
        observed = self.observed or today_utc()
        client, owned = owned_client(self.client)
        try:
            yield from self._run(client, start, observed)
        finally:
            if owned:
                client.close()

    def _run(self, client: PoliteClient, start: int, observed: date) -> Iterator[Page]:
        while True:
            count = self.page_size
            if self.max_results is not None:
                count = min(count, self.max_results - start)
                if count <= 0:
                    yield Page(state={"done": True})
                    return
            root, url = self._fetch(client, start, count)
            total = _int_or_none(text_of(root, "opensearch:totalResults", NS))
            entries = root.findall("atom:entry", NS)
            page = Page()
            for entry in entries:
                try:
                    page.records.append(parse_entry(entry, url, observed))
                except SourceError as err:
                    page.errors.append(err)
            start += len(entries)
            finished = (not entries or (total is not None and start >= total)
                        or (self.max_results is not None and start >= self.max_results))
            page.state = {"done": True} if finished else {"start": start}
            yield page
            if finished:
                return

    def _fetch(self, client: PoliteClient, start: int, count: int) -> tuple[etree._Element, str]:
        """GET one page and parse it; arXiv's "Error" feeds (with HTTP 200 or 400) become FetchError."""
        params = self._params(start, count)
        try:
            response = client.get(self.base_url, params=params)
        except HttpStatusError as exc:
            message = _error_feed_message(exc.body)
            if message:
                raise FetchError(f"arXiv API rejected the request {exc.url}: {message}") from None
            raise
        url = str(response.url)
        root = parse_xml(response.content, url)
        if root.tag != f"{{{NS['atom']}}}feed":
            raise SourceError(f"expected an Atom <feed>, got <{etree.QName(root).localname}>", file=url,
                              line=root.sourceline)
        message = _error_feed_message_of(root)
        if message:
            raise FetchError(f"arXiv API rejected the request {url}: {message}")
        return root, url


def parse_entry(entry: etree._Element, url: str, observed: date) -> PaperRecord:
    """One Atom ``<entry>`` → one claim; a missing or unrecognisable id is a SourceError for that entry."""
    line = entry.sourceline
    raw_id = text_of(entry, "atom:id", NS)
    arxiv_id = normalize_arxiv_id(raw_id)
    if not arxiv_id:
        raise SourceError(f"entry id {raw_id!r} is not an arXiv abs URL", file=url, line=line, field="id")
    version_match = _ID_VERSION.search(raw_id or "")
    latest = int(version_match.group(1)) if version_match else None

    published_dt = parse_iso_datetime(text_of(entry, "atom:published", NS))
    updated_dt = parse_iso_datetime(text_of(entry, "atom:updated", NS))
    title = text_of(entry, "atom:title", NS)
    abstract = clean_abstract(raw_text_of(entry, "atom:summary", NS))
    comments = text_of(entry, "arxiv:comment", NS)

    authors: list[str] = []
    affiliations: list[list[str]] = []
    for author in entry.findall("atom:author", NS):
        name = text_of(author, "atom:name", NS)
        if not name:
            continue
        authors.append(name)
        affs = [node_text(node) for node in author.findall("arxiv:affiliation", NS)]
        affiliations.append([a for a in affs if a])

    primary = entry.find("arxiv:primary_category", NS)
    others = [c.get("term", "").strip() for c in entry.findall("atom:category", NS)]
    categories = split_categories(primary.get("term", "").strip() if primary is not None else None, others)

    extra: dict[str, Any] = {}
    if any(affiliations):
        extra["affiliations"] = affiliations
    for link in entry.findall("atom:link", NS):
        href, rel, kind = link.get("href"), link.get("rel"), link.get("title")
        if not href:
            continue
        if kind == "pdf":
            extra["pdf_url"] = href
        elif kind == "doi":
            extra["doi_url"] = href
        elif rel == "alternate":
            extra["abs_url"] = href
    if latest is not None:
        extra["latest_version"] = latest

    return arxiv_record(
        ArxivApiSource.name,
        arxiv_id,
        observed=observed,
        title=title,
        authors=authors,
        abstract=abstract,
        categories=categories,
        published=published_dt.date() if published_dt else None,
        updated=updated_dt.date() if updated_dt else None,
        versions=_versions(latest, published_dt, updated_dt),
        doi=text_of(entry, "arxiv:doi", NS),
        journal_ref=text_of(entry, "arxiv:journal_ref", NS),
        comments=comments,
        location=f"{url}:{line}",
        extra=extra,
    )


def _versions(latest: int | None, published: Any, updated: Any) -> list[Version]:
    """v1..vN, dated only where the feed says so (v1 = published, vN = updated); unknown when no version."""
    if latest is None:
        return [Version(1, published)] if published else []
    out = [Version(n, None) for n in range(1, latest + 1)]
    out[0].created = published
    if latest > 1:
        out[-1].created = updated
    return out


def _error_feed_message_of(root: etree._Element) -> str | None:
    """The message of an arXiv "Error" feed (one entry titled Error, id under /api/errors), else None."""
    entries = root.findall("atom:entry", NS)
    if len(entries) != 1:
        return None
    entry = entries[0]
    entry_id = text_of(entry, "atom:id", NS) or ""
    if text_of(entry, "atom:title", NS) != "Error" or normalize_arxiv_id(entry_id):
        return None
    return text_of(entry, "atom:summary", NS) or entry_id or "unspecified error"


def _error_feed_message(body: bytes) -> str | None:
    try:
        root = etree.fromstring(body, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None
    return _error_feed_message_of(root) if root is not None else None


def _int_or_none(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None
