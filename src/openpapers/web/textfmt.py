"""Turning stored text into safe page text: dates, LaTeX-ish maths, outside links, XML-safe feed text.

Everything here takes untrusted text (titles, abstracts and URLs come from outside sources) and returns either
plain strings for Jinja to escape or :class:`markupsafe.Markup` built *only* from escaped pieces, so no stored
text can ever become markup.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import quote, urlsplit

from markupsafe import Markup, escape

# $$…$$, $…$, \(…\), \[…\]: shown as text in a styled span (no maths renderer can be fetched offline, and a
# renderer fed untrusted input would be one more thing to trust). A lone "$5" stays text: the closing $ must
# come within 300 characters and not after whitespace-only content.
_MATH = re.compile(r"\$\$(.{1,300}?)\$\$|\$([^$\s](?:[^$]{0,298}?[^$\s])?)\$|\\\((.{1,300}?)\\\)|\\\[(.{1,300}?)\\\]",
                   re.DOTALL)
# Characters XML 1.0 forbids (feed entries are XML: lxml refuses them, which would turn a feed into a 500).
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# What a search backend's highlighter may return: escaped text and <mark>/</mark>, nothing else.
_MARK_TAGS = re.compile(r"</?mark>")


def short_date(day: date | None, today: date | None = None) -> str:
    """``Dec 11`` for a date in the current year, ``Dec 11, 2024`` otherwise (as the listing pages do)."""
    if day is None:
        return ""
    today = today or date.today()
    text = f"{day:%b} {day.day}"
    return text if day.year == today.year else f"{text}, {day.year}"


def long_date(day: date | None) -> str:
    return f"{day:%a}, {day:%b} {day.day}, {day.year}" if day else ""


def math_markup(text: str | None) -> Markup:
    """Escaped text with maths segments wrapped in ``<span class="math">`` (the segment's text escaped too)."""
    if not text:
        return Markup("")
    out: list[str] = []
    pos = 0
    for m in _MATH.finditer(text):
        out.append(str(escape(text[pos:m.start()])))
        out.append(f'<span class="math">{escape(m.group(0))}</span>')
        pos = m.end()
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))


def lead(text: str | None, length: int = 220) -> tuple[str, str]:
    """An abstract cut in two for a card: its first lines (about ``length`` characters, ending at a word, never
    inside a maths segment) and the rest, so a ``<details>`` shows the first and opens onto the second."""
    flat = " ".join((text or "").split())
    if len(flat) <= length + 40:  # not worth a "more" for a few words
        return flat, ""
    spans = [(m.start(), m.end()) for m in _MATH.finditer(flat)]
    cut = flat.find(" ", length)
    while cut != -1 and any(a < cut < b for a, b in spans):
        cut = flat.find(" ", cut + 1)
    if cut == -1:
        return flat, ""
    return flat[:cut], flat[cut + 1:]


def paragraphs(text: str | None) -> list[str]:
    """An abstract's paragraphs: sources keep them separated by a blank line (``"\\n\\n"``), pages show each as
    its own ``<p>`` (rendered with :func:`math_markup`, so escaping stays in one place)."""
    return [p.strip() for p in (text or "").split("\n\n") if p.strip()]


def marked(html: str | None) -> Markup:
    """Trust a highlighter's output only if it is escaped text plus ``<mark>`` tags; escape it otherwise."""
    if not html:
        return Markup("")
    if "<" in _MARK_TAGS.sub("", html):
        return escape(html)
    return Markup(html)


def safe_url(url: str | None) -> str | None:
    """The URL if it is an absolute http(s) link, else None: a stored ``javascript:`` URL never becomes a link."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(c in url for c in "\r\n\t <>\"'"):
        return None
    return url


def xml_text(text: str | None) -> str:
    """Text with XML-forbidden characters removed (feeds)."""
    return _XML_BAD.sub("", text or "")


_PLAIN = re.compile(r"[A-Za-z0-9/._~:-]*")


def card_anchor(paper_id: str) -> str:
    """The fragment id of a paper's card (``p-2301-12345``): a no-script vote comes back to it, not to the top."""
    return "p-" + re.sub(r"[^A-Za-z0-9_-]", "-", paper_id)


def path_part(value: str) -> str:
    """A path segment for our own URLs (paper ids may hold ``/``, which the paper routes accept)."""
    return value if _PLAIN.fullmatch(value) else quote(value, safe="/-._~:")
