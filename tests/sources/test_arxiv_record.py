"""The shared arXiv record builder: one date parser, and the same claims whichever arXiv source saw a paper.

The same paper is written here in all four formats (snapshot JSON line, API Atom entry, OAI ``arXiv`` and
``arXivRaw`` records) and read by each source's own parser, so a difference between sources shows up as a
difference between the claims.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from xml.sax.saxutils import escape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openpapers.core.errors import SourceError
from openpapers.core.records import PaperRecord
from openpapers.sources.arxiv_api import parse_entry
from openpapers.sources.arxiv_common import parse_xml
from openpapers.sources.arxiv_oai import ArxivOaiSource
from openpapers.sources.arxiv_record import is_withdrawn, parse_rfc2822, parse_rfc2822_email
from openpapers.sources.arxiv_snapshot import record_from_snapshot

OBSERVED = date(2024, 3, 5)
TITLE = "A Note on Imaginary Branes"
V1, V2 = "Mon, 2 Apr 2007 19:18:42 GMT", "Tue, 24 Jul 2007 20:10:27 GMT"


def from_snapshot(comments: str | None, abstract: str) -> PaperRecord:
    obj = {"id": "0704.0001", "title": TITLE, "comments": comments, "abstract": abstract, "categories": "hep-th",
           "authors_parsed": [["Example", "Ada", ""], ["Sample", "Bo", ""]], "update_date": "2007-07-25",
           "versions": [{"version": "v1", "created": V1}, {"version": "v2", "created": V2}]}
    return record_from_snapshot(obj, "snap.jsonl:1")


def from_api(comments: str | None, abstract: str) -> PaperRecord:
    comment = f"<arxiv:comment>{escape(comments)}</arxiv:comment>" if comments is not None else ""
    feed = f"""<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">
  <entry>
    <id>http://arxiv.org/abs/0704.0001v2</id>
    <updated>2007-07-24T20:10:27Z</updated><published>2007-04-02T19:18:42Z</published>
    <title>{TITLE}</title><summary>{escape(abstract)}</summary>
    <author><name>Ada Example</name></author><author><name>Bo Sample</name></author>
    {comment}<arxiv:primary_category term="hep-th"/><category term="hep-th"/>
  </entry>
</feed>"""
    root = parse_xml(feed.encode(), "api")
    return parse_entry(root[0], "api", OBSERVED)


def from_oai(prefix: str, comments: str | None, abstract: str) -> PaperRecord:
    comment = f"<comments>{escape(comments)}</comments>" if comments is not None else ""
    if prefix == "arXiv":
        meta = (f'<arXiv xmlns="http://arxiv.org/OAI/arXiv/"><id>0704.0001</id><created>2007-04-02</created>'
                f"<updated>2007-07-24</updated><authors><author><keyname>Example</keyname><forenames>Ada"
                f"</forenames></author><author><keyname>Sample</keyname><forenames>Bo</forenames></author>"
                f"</authors><title>{TITLE}</title><categories>hep-th</categories>{comment}"
                f"<abstract>{escape(abstract)}</abstract></arXiv>")
    else:
        meta = (f'<arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/"><id>0704.0001</id>'
                f'<version version="v1"><date>{V1}</date></version>'
                f'<version version="v2"><date>{V2}</date></version>'
                f"<title>{TITLE}</title><authors>Ada Example and Bo Sample</authors>"
                f"<categories>hep-th</categories>{comment}<abstract>{escape(abstract)}</abstract></arXivRaw>")
    record = (f'<record xmlns="http://www.openarchives.org/OAI/2.0/"><header>'
              f"<identifier>oai:arXiv.org:0704.0001</identifier><datestamp>2007-07-25</datestamp></header>"
              f"<metadata>{meta}</metadata></record>")
    return ArxivOaiSource(metadata_prefix=prefix).parse_record(parse_xml(record.encode(), "oai"), "oai", OBSERVED)


def every_source(comments: str | None, abstract: str) -> dict[str, PaperRecord]:
    return {"snapshot": from_snapshot(comments, abstract), "api": from_api(comments, abstract),
            "oai-arXiv": from_oai("arXiv", comments, abstract),
            "oai-arXivRaw": from_oai("arXivRaw", comments, abstract)}


@pytest.mark.parametrize(("comments", "abstract", "withdrawn"), [
    ("This paper has been withdrawn by the author due to a sign error", "This paper has been withdrawn.", True),
    ("This paper has been withdrawn by the author", "We study branes.", True),
    ("Withdrawn due to an error in Lemma 2", "We study branes.", True),
    ("withdrawn: the main lemma is false", "We study branes.", True),
    ("The authors withdraw this paper: eq. (3) is wrong", "We study branes.", True),
    (None, "This paper has been withdrawn by the author.", True),  # the abstract alone says so
    ("12 pages, no withdrawal here", "We study branes.", False),
    (None, "We study branes that were never withdrawn from anything.", False),
])
def test_same_paper_same_withdrawal_claim_from_every_source(comments: str | None, abstract: str,
                                                            withdrawn: bool) -> None:
    records = every_source(comments, abstract)
    assert {name: rec.withdrawn for name, rec in records.items()} == dict.fromkeys(records, withdrawn)
    assert is_withdrawn(comments, abstract) is withdrawn


def test_same_paper_same_shared_fields_from_every_source() -> None:
    records = every_source("10 pages", "We study branes.")

    def shared(rec: PaperRecord) -> dict[str, Any]:
        return {"key": rec.source_key, "id": rec.arxiv_id, "title": rec.title, "authors": rec.authors,
                "complete": rec.authors_complete, "count": rec.author_count, "abstract": rec.abstract,
                "comments": rec.comments, "categories": rec.categories, "published": rec.published}

    first, *rest = records.values()
    assert all(shared(rec) == shared(first) for rec in rest), {n: shared(r) for n, r in records.items()}
    assert first.published == date(2007, 4, 2) and first.authors == ["Ada Example", "Bo Sample"]


def test_parse_rfc2822_accepts_gmt_only() -> None:
    want = datetime(2007, 4, 2, 19, 18, 42, tzinfo=UTC)
    assert parse_rfc2822("Mon, 2 Apr 2007 19:18:42 GMT") == want
    assert parse_rfc2822("Mon, 2 Apr 2007 19:18:42 +0000") == want
    assert parse_rfc2822("  Mon,  2 Apr 2007 19:18:42 UTC ").tzinfo is UTC
    bad: list[Any] = ["Mon, 2 Apr 2007 19:18:42", "Mon, 2 Apr 2007 19:18:42 -0000",
                      "Mon, 2 Apr 2007 21:18:42 +0200", "yesterday", None, 20070402]  # wrong types too
    for value in bad:
        with pytest.raises(ValueError):
            parse_rfc2822(value)


def test_bad_arxivraw_version_date_is_a_source_error_naming_the_field() -> None:
    record = ('<record xmlns="http://www.openarchives.org/OAI/2.0/"><header><identifier>oai:arXiv.org:0704.0001'
              '</identifier></header><metadata><arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/"><id>0704.0001</id>'
              '<version version="v1"><date>2007-04-02</date></version><title>T</title></arXivRaw></metadata>'
              "</record>")
    with pytest.raises(SourceError) as info:
        ArxivOaiSource(metadata_prefix="arXivRaw").parse_record(parse_xml(record.encode(), "oai"), "oai", OBSERVED)
    assert info.value.field == "version" and "RFC 2822" in str(info.value)


@settings(max_examples=400, deadline=None)
@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 12, 31)),
       st.sampled_from(["GMT", "UTC", "+0000", "-0000", "+0200", "PST", ""]),
       st.booleans())
def test_parse_rfc2822_fast_path_agrees_with_email_utils(when: datetime, zone: str, pad: bool) -> None:
    """The direct reading of arXiv's shape and email.utils give the same date, or both refuse."""
    when = when.replace(microsecond=0)
    day = f"{when.day:02d}" if pad else str(when.day)
    text = f"{when:%a}, {day} {when:%b %Y %H:%M:%S} {zone}".strip()
    try:
        expected: datetime | None = parse_rfc2822_email(text)
    except ValueError:
        expected = None
    if expected is None:
        with pytest.raises(ValueError):
            parse_rfc2822(text)
    else:
        assert parse_rfc2822(text) == expected == when.replace(tzinfo=UTC)


def test_parse_rfc2822_refuses_an_impossible_day_like_email_utils() -> None:
    for text in ("Mon, 31 Feb 2007 19:18:42 GMT", "Mon, 2 Apr 2007 25:18:42 GMT", "Mon, 2 Apr 2007 19:61:42 GMT"):
        with pytest.raises(ValueError):
            parse_rfc2822(text)
        with pytest.raises(ValueError):
            parse_rfc2822_email(text)
