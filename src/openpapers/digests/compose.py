"""A digest as an email: multipart/alternative (text/plain + text/html), RFC 8058 one-click unsubscribe headers,
and a deterministic Message-ID, serialised once to the bytes the outbox stores and every (re)send transmits.

* Both parts come from Jinja2 templates in ``digests/templates``: the HTML one autoescaped (titles and author
  names are untrusted text) with inline CSS only (mail clients drop ``<style>`` and external sheets), the text
  one verbatim. Every paper links to its page on the site, every author to theirs, and the footer to the
  settings page and the unsubscribe page — all absolute, under ``OPENPAPERS_BASE_URL``.
* ``List-Unsubscribe: <BASE/unsubscribe?token=…>`` (plus ``<mailto:…>`` when ``OPENPAPERS_UNSUBSCRIBE_MAILTO``
  is set) and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``: mail providers show an "unsubscribe"
  button that POSTs to that URL (digests/unsubscribe_routes.py); the token is signed (digests/unsubscribe.py).
* Message-ID ``<digest.{user}.{period}.{hash}@{domain}>``, the hash over the text part: the same digest always
  carries the same id, which is what lets a mail client show a resent message only once.
* Headers are never folded inside the unsubscribe URL (``max_line_length`` 998, the SMTP limit), so providers
  read it back intact.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from openpapers.core.records import Paper, author_id
from openpapers.digests.content import Digest
from openpapers.digests.unsubscribe import make_token

SETTINGS_PATH = "/settings"
MAX_AUTHORS = 8
SUMMARY_CHARS = 280
POLICY = policy.SMTP.clone(max_line_length=998)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")

_env = Environment(
    loader=PackageLoader("openpapers.digests", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), disabled_extensions=("txt",), default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)


@dataclass(frozen=True, slots=True)
class MailContext:
    """What every message of a run shares: site URL, sender, the unsubscribe signing key."""

    base_url: str  # no trailing slash
    mail_from: str  # "openpapers <digest@example.org>"
    secret: str
    mailto: str | None = None  # an address for mailto: unsubscribes, when one is read by someone

    @property
    def domain(self) -> str:
        return parseaddr(self.mail_from)[1].rpartition("@")[2] or "localhost"


@dataclass(frozen=True, slots=True)
class Composed:
    message_id: str
    subject: str
    data: bytes  # RFC 5322, CRLF line ends


def _clean(text: str) -> str:
    return _CONTROL.sub(" ", text).strip()


def _cte(body: str) -> str:
    """7bit when it can be, else quoted-printable (mostly-ASCII text stays readable and ~1x the size, where
    base64 would add a third)."""
    if body.isascii() and all(len(line) <= 990 for line in body.splitlines()):
        return "7bit"
    return "quoted-printable"


def paper_url(base: str, paper: Paper) -> str:
    return f"{base}/paper/{quote(paper.id, safe='/:')}"


def author_url(base: str, name: str) -> str:
    return f"{base}/author/{quote(author_id(name), safe='')}"


def _summary(abstract: str | None) -> str:
    text = " ".join((abstract or "").split())
    if len(text) <= SUMMARY_CHARS:
        return text
    return text[:SUMMARY_CHARS].rsplit(" ", 1)[0] + " …"


def _item_view(base: str, paper: Paper, reasons: list[str], cache: dict[str, dict[str, object]] | None = None
               ) -> dict[str, object]:
    """What the templates show of one paper; the paper part is the same for every user of a run (``cache``)."""
    if cache is not None:
        view = cache.get(paper.id)
        if view is None:
            view = cache[paper.id] = _paper_view(base, paper)
    else:
        view = _paper_view(base, paper)
    return {**view, "reasons": reasons}


def _paper_view(base: str, paper: Paper) -> dict[str, object]:
    authors = [{"name": _clean(a), "url": author_url(base, a)} for a in paper.authors[:MAX_AUTHORS]]
    total = max(len(paper.authors), paper.author_count or 0)
    more = max(0, total - len(authors))
    meta = ", ".join(paper.categories[:3])
    if paper.published:
        meta = f"{meta} · {paper.published.isoformat()}" if meta else paper.published.isoformat()
    names = ", ".join(a["name"] for a in authors) + (f" and {more} more" if more else "")
    view: dict[str, object] = {
        "title": _clean(paper.title), "url": paper_url(base, paper), "authors": authors, "more_authors": more,
        "author_line": names, "meta": meta, "summary": _summary(paper.abstract)}
    # The paper's HTML block, rendered (autoescaped) once and inserted as is into every user's message.
    view["block"] = Markup(_env.get_template("paper.html").render(item=view))
    line = f"{names} · {meta}" if meta else names
    view["text_block"] = f"* {view['title']}\n  {view['url']}\n  {line}\n"
    return view


def subject_for(digest: Digest) -> str:
    n = digest.paper_count
    return f"openpapers {digest.period.frequency} — {n} new paper{'s' if n != 1 else ''} for you, " \
           f"{digest.period.label}"


def unsubscribe_url(ctx: MailContext, user_id: int, list_name: str) -> str:
    return f"{ctx.base_url}/unsubscribe?token={make_token(ctx.secret, user_id, list_name)}"


def compose(digest: Digest, ctx: MailContext, cache: dict[str, dict[str, object]] | None = None) -> Composed:
    """The message for a non-empty digest. ``cache`` (one dict per run and site URL) keeps each paper's view
    across the users of a run."""
    base = ctx.base_url
    user, period = digest.user, digest.period
    unsub = unsubscribe_url(ctx, user.id, period.frequency)
    n = digest.paper_count
    subject = subject_for(digest)
    view = {
        "subject": subject,
        "intro": f"{n} new paper{'s' if n != 1 else ''} for you, {period.long_label}",
        "base_url": base,
        "period_url": f"{base}{period.site_path}",
        "settings_url": f"{base}{SETTINGS_PATH}",
        "unsubscribe_url": unsub,
        "frequency": period.frequency,
        "email": user.email,
        "sections": [
            {"title": s.title, "entries": [_item_view(base, i.paper, i.reasons, cache) for i in s.items]}
            for s in digest.sections
        ],
    }
    text = _env.get_template("digest.txt").render(view)
    html = _env.get_template("digest.html").render(view)
    digest_hash = hashlib.sha256(f"{user.id}\n{period.key}\n{text}".encode()).hexdigest()[:16]
    message_id = f"<digest.{user.id}.{period.key.replace(':', '-')}.{digest_hash}@{ctx.domain}>"
    unsub_header = f"<{unsub}>"
    if ctx.mailto:
        unsub_header += f", <mailto:{ctx.mailto}?subject=unsubscribe%20{period.frequency}%20{user.id}>"
    name = _clean(user.display_name)[:100]
    headers: list[tuple[str, str | tuple[str, str]]] = [
        ("From", ctx.mail_from),
        ("To", (name, user.email)),
        ("Subject", subject),
        ("Date", formatdate(usegmt=True)),
        ("Message-ID", message_id),
        ("List-Id", f"openpapers {period.frequency} digest <{period.frequency}.digest.{ctx.domain}>"),
        ("List-Unsubscribe", unsub_header),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ("Auto-Submitted", "auto-generated"),  # RFC 3834: no vacation auto-replies to a digest
    ]
    if user.email.isascii() and parseaddr(ctx.mail_from)[1].isascii():
        data = _mime(headers, text, html, digest_hash)
    else:  # an internationalised address: leave it to the email package (SMTPUTF8)
        data = _mime_generic(headers, text, html)
    return Composed(message_id, subject, data)


def _header(name: str, value: str | tuple[str, str]) -> bytes:
    if isinstance(value, tuple):
        text = formataddr(value, charset="utf-8")
    elif name == "From":
        text = formataddr(parseaddr(value), charset="utf-8")
    elif value.isascii():
        text = value
    else:
        text = _encoded_words(value)
    return f"{name}: {text}\r\n".encode("ascii")


def _encoded_words(text: str) -> str:
    """RFC 2047 base64 encoded-words, each at most 75 characters, split on character boundaries and folded (the
    email package's Header does the same, but weighs quoted-printable against base64 character by character)."""
    words, chunk = [], ""
    for ch in text:
        if len((chunk + ch).encode()) > 45:
            words.append(chunk)
            chunk = ch
        else:
            chunk += ch
    words.append(chunk)
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(w.encode()).decode()}?=" for w in words if w)


def _body(content: str) -> tuple[str, bytes]:
    cte = _cte(content)
    raw = content.replace("\r\n", "\n").encode("utf-8")
    if cte == "quoted-printable":  # binascii's encoder is C (the email package's is pure Python)
        raw = binascii.b2a_qp(raw, istext=True)
    return cte, raw.replace(b"\n", b"\r\n")


def _mime(headers: list[tuple[str, str | tuple[str, str]]], text: str, html: str, tag: str) -> bytes:
    """multipart/alternative bytes, built directly: the email package's header and body machinery costs more
    than everything else in a digest. The result is checked by the tests by parsing it with that package."""
    boundary = f"=_openpapers_{tag}"
    out = [_header(n, v) for n, v in headers]
    out.append(b"MIME-Version: 1.0\r\n")
    out.append(f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'.encode())
    for subtype, content in (("plain", text), ("html", html)):
        cte, body = _body(content)
        out.append(f"--{boundary}\r\nContent-Type: text/{subtype}; charset=\"utf-8\"\r\n"
                   f"Content-Transfer-Encoding: {cte}\r\n\r\n".encode())
        out.append(body if body.endswith(b"\r\n") else body + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out)


def _mime_generic(headers: list[tuple[str, str | tuple[str, str]]], text: str, html: str) -> bytes:
    msg = EmailMessage(policy=POLICY.clone(utf8=True))
    for name, value in headers:
        if isinstance(value, tuple):  # Address() refuses a non-ASCII local part; SMTPUTF8 allows it
            quoted = value[0].replace("\\", "\\\\").replace('"', '\\"')
            value = f'"{quoted}" <{value[1]}>'
        msg[name] = value
    msg.set_content(text, cte=_cte(text))
    msg.add_alternative(html, subtype="html", cte=_cte(html))
    return msg.as_bytes()
