"""Helpers shared by the two arXiv network sources (API and OAI-PMH).

Both services send XML that we parse with lxml in a locked-down mode (no network, no entity expansion), and
both need the same error reporting: a broken document is a :class:`SourceError` naming the URL and line, never
a bare lxml traceback. What a claim *says* (withdrawal, version dates) is decided by ``arxiv_record``, shared
with the snapshot source.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime

from lxml import etree

from openpapers.core.errors import SourceError
from openpapers.core.records import clean_text
from openpapers.sources.http import PoliteClient

_PARSER_OPTIONS = {"resolve_entities": False, "no_network": True, "huge_tree": False}


def parse_xml(content: bytes, url: str) -> etree._Element:
    """Parse a response body; broken XML becomes a SourceError naming the URL and the line lxml stopped at."""
    parser = etree.XMLParser(**_PARSER_OPTIONS)
    try:
        root = etree.fromstring(content, parser=parser)
    except etree.XMLSyntaxError as exc:
        line = exc.position[0] if exc.position else exc.lineno
        raise SourceError(f"response is not well-formed XML: {exc.msg}", file=url, line=line) from None
    if root is None:
        raise SourceError("response is empty", file=url)
    return root


def text_of(parent: etree._Element, path: str, ns: dict[str, str] | None = None) -> str | None:
    """Whitespace-cleaned text of the first ``path`` match under ``parent`` (None when absent or empty)."""
    node = parent.find(path, ns)
    return None if node is None else node_text(node)


def raw_text_of(parent: etree._Element, path: str, ns: dict[str, str] | None = None) -> str | None:
    """The text of the first ``path`` match as sent, line breaks and indentation kept (for abstracts)."""
    node = parent.find(path, ns)
    return None if node is None else "".join(node.itertext())


def node_text(node: etree._Element) -> str | None:
    """All text inside ``node`` (children included), whitespace-cleaned; None when empty."""
    return clean_text("".join(node.itertext()))


def parse_iso_datetime(value: str | None) -> datetime | None:
    """``2023-01-30T18:59:59Z`` → aware datetime; None for empty or unparsable input."""
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def parse_iso_date(value: str | None) -> date | None:
    """``2023-01-30`` (or a full timestamp) → date; None for empty or unparsable input."""
    if not value:
        return None
    text = value.strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def today_utc() -> date:
    """The harvest date used as ``observed`` when the caller does not fix one."""
    return datetime.now(UTC).date()


def split_categories(primary: str | None, others: list[str]) -> list[str]:
    """Primary category first, then the rest in order, without duplicates or blanks."""
    out: list[str] = []
    for cat in [primary, *others]:
        if cat and cat not in out:
            out.append(cat)
    return out


# arXivRaw author strings keep TeX accents (``Bal\'azs``); decoding the common ones lets name matching work.
_TEX_ACCENTS = {
    "'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "=": "\u0304", ".": "\u0307",
    "u": "\u0306", "v": "\u030c", "H": "\u030b", "c": "\u0327", "k": "\u0328", "r": "\u030a",
}
_TEX_LETTERS = {"o": "ø", "O": "Ø", "l": "ł", "L": "Ł", "ss": "ß", "aa": "å", "AA": "Å", "ae": "æ", "AE": "Æ",
                "oe": "œ", "OE": "Œ", "i": "ı", "j": "ȷ"}
# The closing brace may follow spaces, but spaces without a brace belong to the text ("Jos\\'e A." keeps its space).
_ACCENT_RE = re.compile(r"""\{?\\(['`^"~=.]|[uvHckr](?=[\s{]))\s*\{?\s*(\\?[A-Za-z])(?:\s*\})?\}?""")
_LETTER_RE = re.compile(r"\{?\\(ss|aa|AA|ae|AE|oe|OE|o|O|l|L)(?![A-Za-z])\s*\}?")


def decode_tex_accents(text: str) -> str:
    """Turn ``Bal\\'{a}zs`` / ``{\\"o}`` / ``\\o`` into Unicode; anything unrecognised is left as it was."""
    if "\\" not in text:
        return text

    def accent(m: re.Match[str]) -> str:
        base = m.group(2)
        if base in ("\\i", "\\j"):
            base = base[1]
        elif base.startswith("\\"):
            return m.group(0)
        return unicodedata.normalize("NFC", base + _TEX_ACCENTS[m.group(1)])

    out = _ACCENT_RE.sub(accent, text)
    return _LETTER_RE.sub(lambda m: _TEX_LETTERS[m.group(1)], out)


def owned_client(client: PoliteClient | None) -> tuple[PoliteClient, bool]:
    """The client to use and whether we created it (and so must close it)."""
    if client is not None:
        return client, False
    return PoliteClient(), True
