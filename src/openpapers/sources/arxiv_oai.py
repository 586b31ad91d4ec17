"""``arxiv-oai``: bulk and incremental harvests from arXiv's OAI-PMH endpoint (``ListRecords``), or one record
(``GetRecord``, ``identifier``).

OAI-PMH pages with an opaque ``resumptionToken``; a request that carries one must carry *only* ``verb`` and
the token. A page's state is ``{"token", "from", "max_datestamp"}``, so a killed harvest resumes at the next
page (tokens expire after a while; an expired one is a ``badResumptionToken`` FetchError and the harvest has
to be restarted). The last page's state is ``{"done": True, "next_from": d}`` where ``d`` is the newest header
datestamp seen (or the previous ``from``): passing that state back starts an *incremental* harvest from ``d``
(an explicit ``from_date`` wins). ``from`` is inclusive and arXiv's granularity is one day, so the boundary
day is fetched twice; claims are keyed by arXiv id, so that only refreshes them.

Three metadata formats are understood: ``arXiv`` (structured authors, created/updated dates, license),
``arXivRaw`` (every version with its RFC 2822 date and size, authors as one TeX string) and ``oai_dc`` (Dublin
Core, which every OAI-PMH client asks for by default; read by ``arxiv_oai_dc``, it has the fewest fields).

With an ``identifier`` the source asks ``GetRecord`` for that one paper instead: one request, one page, state
``{"done": True}``; an id arXiv does not have is a FetchError (``idDoesNotExist``).

Deleted records (``<header status="deleted">``, no metadata) are emitted, not skipped, as a claim with only
the arXiv id and ``withdrawn=True`` (``extra["oai_deleted"]``), keyed ``<id>#deleted`` so that it sits beside
the earlier metadata claim instead of replacing it: the title and authors stay known and the newer deletion wins
the ``withdrawn`` field in the merge.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

from lxml import etree

from openpapers.core.errors import FetchError, SourceError
from openpapers.core.records import PaperRecord, Version, normalize_arxiv_id
from openpapers.sources.arxiv_authors import split_written
from openpapers.sources.arxiv_common import (
    decode_tex_accents,
    node_text,
    owned_client,
    parse_iso_date,
    parse_xml,
    raw_text_of,
    text_of,
    today_utc,
)
from openpapers.sources.arxiv_oai_dc import DC_NS, dc_parts
from openpapers.sources.arxiv_record import arxiv_record, clean_abstract, parse_rfc2822
from openpapers.sources.base import Page, Source
from openpapers.sources.http import PoliteClient

OAI = "http://www.openarchives.org/OAI/2.0/"
NS = {"oai": OAI, "arx": "http://arxiv.org/OAI/arXiv/", "raw": "http://arxiv.org/OAI/arXivRaw/", **DC_NS}
PREFIXES = ("arXiv", "arXivRaw", "oai_dc")
DEFAULT_BASE_URL = "https://oaipmh.arxiv.org/oai"
_EXTRA_FIELDS = {
    "report-no": "report_no",
    "msc-class": "msc_class",
    "acm-class": "acm_class",
    "proxy": "proxy",
    "submitter": "submitter",
}


class ArxivOaiSource(Source):
    """Harvest ``ListRecords`` for one (base URL, set, metadata prefix), resumably and incrementally."""

    name: ClassVar[str] = "arxiv-oai"

    def __init__(
        self,
        metadata_prefix: str = "arXiv",
        set_spec: str | None = None,
        from_date: date | str | None = None,
        until: date | str | None = None,
        base_url: str = DEFAULT_BASE_URL,
        client: PoliteClient | None = None,
        observed: date | None = None,
        identifier: str | None = None,
    ) -> None:
        if metadata_prefix not in PREFIXES:
            raise ValueError(f"metadata_prefix must be one of {', '.join(PREFIXES)}, not {metadata_prefix!r}")
        self.identifier = None
        if identifier is not None:
            self.identifier = normalize_arxiv_id(identifier)
            if self.identifier is None:
                raise ValueError(f"--id {identifier!r} is not an arXiv id (e.g. 2301.12345 or hep-th/9901001)")
            if set_spec or from_date or until:
                raise ValueError("--id fetches one record (GetRecord); it takes no --set, --from or --until")
        self.metadata_prefix = metadata_prefix
        self.set_spec = set_spec
        self.from_date = from_date.isoformat() if isinstance(from_date, date) else from_date
        self.until = until.isoformat() if isinstance(until, date) else until
        self.base_url = base_url
        self.client = client
        self.observed = observed

    @classmethod
    def from_command(cls, values: Mapping[str, Any]) -> Iterator[tuple[Source, dict[str, Any]]]:
        """``harvest arxiv --via oai [--set S] [--from D] [--until D] [--prefix P]``."""
        extra = {"base_url": values["base_url"]} if values.get("base_url") else {}
        source = cls(metadata_prefix=values["prefix"], set_spec=values["set_spec"], from_date=values["from_date"],
                     until=values["until"], client=values["client"], identifier=values.get("id"), **extra)
        detail = {"via": values.get("via"), "query": values.get("query"), "set": values["set_spec"]}
        if source.identifier:
            detail["id"] = source.identifier
        yield source, detail

    @property
    def checkpoint_key(self) -> str:
        if self.identifier:
            return f"arxiv-oai:{self.base_url}:id={self.identifier}:prefix={self.metadata_prefix}"
        return f"arxiv-oai:{self.base_url}:set={self.set_spec or '*'}:prefix={self.metadata_prefix}"

    def pages(self, state: dict[str, Any] | None = None) -> Iterator[Page]:
        """Yield one page per ListRecords response; see the module docstring for what ``state`` means."""
        if self.identifier:
            yield from self._get_record()
            return
        state = state or {}
        token: str | None = state.get("token") or None
        if token:
            from_date = state.get("from")
            max_stamp = state.get("max_datestamp")
        else:
            from_date = self.from_date or (state.get("next_from") if state.get("done") else None)
            max_stamp = None
        observed = self.observed or today_utc()
        client, owned = owned_client(self.client)
        try:
            yield from self._run(client, token, from_date, max_stamp, observed)
        finally:
            if owned:
                client.close()

    def _get_record(self) -> Iterator[Page]:
        """``GetRecord`` for one id: one request, one page; a re-run fetches it afresh."""
        client, owned = owned_client(self.client)
        try:
            response = client.get(self.base_url, params={
                "verb": "GetRecord", "identifier": f"oai:arXiv.org:{self.identifier}",
                "metadataPrefix": self.metadata_prefix})
        finally:
            if owned:
                client.close()
        url = str(response.url)
        root = _oai_root(response.content, url)
        if _check_errors(root, url):
            raise FetchError(f"OAI-PMH GetRecord from {url}: no record")
        record = root.find("oai:GetRecord/oai:record", NS)
        if record is None:
            raise SourceError("OAI-PMH response has neither <GetRecord><record> nor <error>", file=url,
                              line=root.sourceline)
        page = Page(state={"done": True})
        try:
            page.records.append(self.parse_record(record, url, self.observed or today_utc()))
        except SourceError as err:
            page.errors.append(err)
        yield page

    def _first_params(self, from_date: str | None) -> dict[str, str]:
        params = {"verb": "ListRecords", "metadataPrefix": self.metadata_prefix}
        if self.set_spec:
            params["set"] = self.set_spec
        if from_date:
            params["from"] = from_date
        if self.until:
            params["until"] = self.until
        return params

    def _run(
        self, client: PoliteClient, token: str | None, from_date: str | None, max_stamp: str | None, observed: date
    ) -> Iterator[Page]:
        while True:
            params = {"verb": "ListRecords", "resumptionToken": token} if token else self._first_params(from_date)
            response = client.get(self.base_url, params=params)
            url = str(response.url)
            root = _oai_root(response.content, url)
            final = {"done": True, "next_from": max_stamp or from_date}
            if _check_errors(root, url):  # noRecordsMatch: an empty harvest, not a failure
                yield Page(state=final)
                return
            listing = root.find("oai:ListRecords", NS)
            if listing is None:
                raise SourceError(
                    "OAI-PMH response has neither <ListRecords> nor <error>", file=url, line=root.sourceline
                )
            page = Page()
            for record in listing.findall("oai:record", NS):
                stamp = parse_iso_date(text_of(record, "oai:header/oai:datestamp", NS))
                if stamp and (max_stamp is None or stamp.isoformat() > max_stamp):
                    max_stamp = stamp.isoformat()
                try:
                    page.records.append(self.parse_record(record, url, observed))
                except SourceError as err:
                    page.errors.append(err)
            token = text_of(listing, "oai:resumptionToken", NS)
            if token:
                page.state = {"token": token, "from": from_date, "max_datestamp": max_stamp}
                yield page
                continue
            page.state = {"done": True, "next_from": max_stamp or from_date}
            yield page
            return

    def parse_record(self, record: etree._Element, url: str, observed: date) -> PaperRecord:
        """One ``<record>`` → one claim (deleted records included, see module docstring)."""
        line = record.sourceline
        header = record.find("oai:header", NS)
        if header is None:
            raise SourceError("record without <header>", file=url, line=line, field="header")
        identifier = text_of(header, "oai:identifier", NS)
        sets = [s.text.strip() for s in header.findall("oai:setSpec", NS) if s.text]
        extra: dict[str, Any] = {"datestamp": text_of(header, "oai:datestamp", NS), "sets": sets}
        if header.get("status") == "deleted":
            arxiv_id = _id_from_identifier(identifier)
            if not arxiv_id:
                raise SourceError(
                    f"deleted record identifier {identifier!r} is not an arXiv id",
                    file=url,
                    line=line,
                    field="identifier",
                )
            extra["oai_deleted"] = True
            # Its own key, so the deletion is a new fact beside the earlier metadata claim, not a replacement
            # that would lose the title and authors.
            return PaperRecord(
                source=self.name,
                source_key=f"{arxiv_id}#deleted",
                observed=observed,
                arxiv_id=arxiv_id,
                withdrawn=True,
                location=f"{url}:{line}",
                extra=extra,
            )
        tag = {"arXiv": "arx:arXiv", "arXivRaw": "raw:arXivRaw", "oai_dc": "oai_dc:dc"}[self.metadata_prefix]
        meta = record.find(f"oai:metadata/{tag}", NS)
        if meta is None:
            raise SourceError(
                f"record {identifier} has no <{self.metadata_prefix}> metadata", file=url, line=line, field="metadata"
            )
        if self.metadata_prefix == "oai_dc":
            return self._dc_record(meta, identifier, url, line, observed, extra)
        ns = "arx" if self.metadata_prefix == "arXiv" else "raw"
        raw_id = text_of(meta, f"{ns}:id", NS)
        arxiv_id = normalize_arxiv_id(raw_id) or _id_from_identifier(identifier)
        if not arxiv_id:
            raise SourceError(f"record id {raw_id!r} is not an arXiv id", file=url, line=line, field="id")
        abstract = clean_abstract(raw_text_of(meta, f"{ns}:abstract", NS))
        comments = text_of(meta, f"{ns}:comments", NS)
        for element, key in _EXTRA_FIELDS.items():
            value = text_of(meta, f"{ns}:{element}", NS)
            if value:
                extra[key] = value
        parts = _arxiv_parts(meta) if self.metadata_prefix == "arXiv" else _raw_parts(meta, url)
        return arxiv_record(
            self.name,
            arxiv_id,
            observed=observed,
            title=text_of(meta, f"{ns}:title", NS),
            abstract=abstract,
            comments=comments,
            authors=parts.authors,
            authors_cut_short=parts.cut_short,
            categories=(text_of(meta, f"{ns}:categories", NS) or "").split(),
            versions=parts.versions,
            published=parts.published,
            updated=parts.updated,
            doi=text_of(meta, f"{ns}:doi", NS),
            journal_ref=text_of(meta, f"{ns}:journal-ref", NS),
            license=text_of(meta, f"{ns}:license", NS),
            location=f"{url}:{line}",
            extra={**extra, **parts.extra},
        )


    def _dc_record(self, meta: etree._Element, identifier: str | None, url: str, line: int | None,
                   observed: date, extra: dict[str, Any]) -> PaperRecord:
        """One ``oai_dc`` record (``arxiv_oai_dc``): fewer fields, the same claim rules."""
        dc = dc_parts(meta)
        arxiv_id = dc.arxiv_id or _id_from_identifier(identifier)
        if not arxiv_id:
            raise SourceError(f"record {identifier!r} has no arXiv id", file=url, line=line, field="identifier")
        return arxiv_record(
            self.name, arxiv_id, observed=observed, title=dc.title, abstract=dc.abstract, comments=dc.comments,
            authors=dc.authors, categories=dc.categories, published=dc.published, updated=dc.updated,
            doi=dc.doi, journal_ref=dc.journal_ref, license=dc.license, location=f"{url}:{line}",
            extra={**extra, **dc.extra},
        )


@dataclass(slots=True)
class _Parts:
    """What the two metadata formats spell differently: authors, versions and dates, format-only extras."""

    authors: list[str] = field(default_factory=list)
    cut_short: bool = False
    versions: list[Version] = field(default_factory=list)
    published: date | None = None
    updated: date | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _arxiv_parts(meta: etree._Element) -> _Parts:
    """``arXiv`` format: created = v1 date, updated = latest version date (absent for v1-only papers).

    This format does not say how many versions exist, so ``versions`` stays empty rather than guessing.
    """
    parts = _Parts(published=parse_iso_date(text_of(meta, "arx:created", NS)),
                   updated=parse_iso_date(text_of(meta, "arx:updated", NS)))
    affiliations: list[list[str]] = []
    for author in meta.findall("arx:authors/arx:author", NS):
        names = [text_of(author, f"arx:{p}", NS) for p in ("forenames", "keyname", "suffix")]
        name = " ".join(decode_tex_accents(p) for p in names if p)
        if name:
            parts.authors.append(name)
            affs = (node_text(n) for n in author.findall("arx:affiliation", NS))
            affiliations.append([a for a in affs if a])
    if any(affiliations):
        parts.extra["affiliations"] = affiliations
    return parts


def _raw_parts(meta: etree._Element, url: str) -> _Parts:
    """``arXivRaw`` format: every version with its date, and the author list as one TeX string."""
    parts = _Parts()
    sizes: dict[str, str] = {}
    for node in meta.findall("raw:version", NS):
        label = node.get("version", "")
        m = re.fullmatch(r"v(\d+)", label.strip())
        if not m:
            raise SourceError(f"version label {label!r} is not vN", file=url, line=node.sourceline, field="version")
        when = text_of(node, "raw:date", NS)
        try:
            created = parse_rfc2822(when) if when else None
        except ValueError as exc:
            raise SourceError(f"version {label}: {exc}", file=url, line=node.sourceline, field="version") from None
        parts.versions.append(Version(int(m.group(1)), created))
        size = text_of(node, "raw:size", NS)
        if size:
            sizes[label] = size
    parts.versions.sort(key=lambda v: v.version)
    if parts.versions:
        first, last = parts.versions[0], parts.versions[-1]
        parts.published = first.created.date() if first.version == 1 and first.created else None
        parts.updated = last.created.date() if last.version > 1 and last.created else None
    if sizes:
        parts.extra["version_sizes"] = sizes
    raw_authors = text_of(meta, "raw:authors", NS)
    if raw_authors:
        parts.extra["authors_raw"] = raw_authors
        parts.authors, parts.cut_short = split_author_string(raw_authors)
    return parts


def split_author_string(text: str) -> tuple[list[str], bool]:
    """``"A, B (MIT) and C"`` → (["A", "B", "C"], truncated): arXivRaw's author string, split as arXiv writes it.

    Parenthesised affiliations are dropped from the names (they stay in ``extra["authors_raw"]``); a trailing
    "et al." marks the list as incomplete (``arxiv_authors.split_written``, shared with the snapshot).
    """
    written = split_written(text)
    return written.names, written.cut_short


def _id_from_identifier(identifier: str | None) -> str | None:
    """``oai:arXiv.org:0704.0001`` → ``0704.0001``."""
    if not identifier:
        return None
    return normalize_arxiv_id(identifier.split(":", 2)[-1] if identifier.startswith("oai:") else identifier)


def _oai_root(content: bytes, url: str) -> etree._Element:
    """The response's root element, which must be ``<OAI-PMH>`` (else a SourceError naming the URL)."""
    root = parse_xml(content, url)
    if root.tag != f"{{{OAI}}}OAI-PMH":
        raise SourceError(
            f"expected an <OAI-PMH> document, got <{etree.QName(root).localname}>", file=url, line=root.sourceline
        )
    return root


def _check_errors(root: etree._Element, url: str) -> bool:
    """True for ``noRecordsMatch``, False when there is no error; any other OAI-PMH error is a FetchError."""
    errors = root.findall("oai:error", NS)
    if not errors:
        return False
    codes = [e.get("code", "unknown") for e in errors]
    if all(code == "noRecordsMatch" for code in codes):
        return True
    detail = "; ".join(f"{e.get('code', 'unknown')}: {node_text(e) or ''}".rstrip(": ") for e in errors)
    raise FetchError(f"OAI-PMH error from {url}: {detail}")
