"""arXiv author strings: split them the way arXiv writes them, keep each name as written, spot "et al".

arXiv keeps two renderings of a paper's authors. The ``authors`` string is what the submitters typed
(``C. Bal\\'azs, E. L. Berger, P. M. Nadolsky, C.-P. Yuan``), with commas, `` and ``, affiliations in
parentheses and TeX accents; ``authors_parsed`` (snapshot) is arXiv's machine split of that string into
``[keyname, forenames, suffix, affiliation…]``, which re-spaces what it touches: ``C.-P.`` becomes ``C. -P.``
and ``J.A.`` becomes ``J. A.``. Joining ``authors_parsed`` therefore changes a quarter of real names, and an
``et al`` at the end of the string becomes an author called "et al".

So the names come from the string and the *split* from ``authors_parsed``: :func:`split_written` cuts the
string into segments at top-level commas and `` and `` (never inside parentheses), and :func:`align_names`
walks ``authors_parsed`` over those segments, joining neighbouring segments where one parsed name spans a comma
(``John Smith, Jr.``). A segment matches a parsed name when both have the same letters once case, accents,
punctuation and spacing are ignored (in order, or in any order for names written surname first). If the two
renderings cannot be reconciled the parsed names are used, so nothing is lost compared with using them alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from openpapers.core.records import fold
from openpapers.sources.arxiv_common import decode_tex_accents

_ET_AL = re.compile(r"(?:^|\s|,)(?:et\.?\s*al\.?|others)\s*$", re.IGNORECASE)
_PARENS = re.compile(r"\s*\([^()]*\)")
_SEPARATORS = re.compile(r",| and ")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
# How many neighbouring segments one parsed name may span ("Name, Jr." is two; more is not a name).
_MAX_SPAN = 3


@dataclass(slots=True)
class WrittenAuthors:
    """An author list as written: the names in order and whether the list was cut short ("et al")."""

    names: list[str] = field(default_factory=list)
    cut_short: bool = False


def split_written(text: str) -> WrittenAuthors:
    """``"A, B (MIT) and C, et al"`` → names ``["A", "B", "C"]``, cut short.

    Separators count only outside parentheses, affiliations in parentheses are dropped (nested ones too, as in
    ``A (1), B (2) ((1) MIT, (2) ETH)``), TeX accents are decoded and whitespace collapsed; an ``et al``,
    ``et al.`` or ``others`` at the end marks the list as cut short instead of becoming a name.
    """
    out = WrittenAuthors()
    for part in _top_level_parts(text):
        name = _strip_parens(part) if "(" in part else part
        if "\\" in name:
            name = " ".join(decode_tex_accents(name).split())
        name = name.strip(" ,;")
        if name[:4].lower() == "and ":
            name = name[4:].strip()
        if not name:
            continue
        if ("al" in name or "others" in name) and _ET_AL.search(name):
            out.cut_short = True
            name = _ET_AL.sub("", name).strip(" ,")
            if not name:
                continue
        out.names.append(name)
    return out


def _top_level_parts(text: str) -> list[str]:
    """Cut at commas and `` and `` that are not inside brackets (affiliations hold both)."""
    flat = " ".join(text.split())
    if "(" not in flat and "[" not in flat and "{" not in flat:  # most strings: no brackets, one regex split
        return _SEPARATORS.split(flat)
    parts: list[str] = []
    depth = 0
    start = 0
    i = 0
    while i < len(flat):
        ch = flat[i]
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth = max(0, depth - 1)
        elif depth == 0 and ch == ",":
            parts.append(flat[start:i])
            start = i + 1
        elif depth == 0 and flat.startswith(" and ", i):
            parts.append(flat[start:i])
            i += len(" and ")
            start = i
            continue
        i += 1
    parts.append(flat[start:])
    return parts


def _strip_parens(text: str) -> str:
    """Remove every parenthesised group, innermost first, so nested affiliation lists go too."""
    previous = None
    while previous != text:
        previous, text = text, _PARENS.sub("", text)
    return text


def parsed_name(item: Sequence[str | None]) -> str:
    """One ``authors_parsed`` entry ``[keyname, forenames, suffix, affiliation…]`` → ``forenames keyname suffix``."""
    last = item[0] or ""
    first = item[1] if len(item) > 1 and item[1] else ""
    suffix = item[2] if len(item) > 2 and item[2] else ""
    name = " ".join(p for p in (first, last, suffix) if p)
    return " ".join(name.split()) if "  " in name or "\n" in name or name[:1] == " " or name[-1:] == " " else name


def is_et_al(name: str) -> bool:
    """``authors_parsed`` turns a trailing "et al" into an author ``["al", "et", ""]``; this spots it."""
    return name.lower().endswith(("al", "al.", "others")) and _compact(name) in ("etal", "others")


def _compact(text: str) -> str:
    """Letters and digits only, folded to lower-case ASCII (fold's transliteration only where it is needed)."""
    return _NOT_ALNUM.sub("", text.lower() if text.isascii() else fold(text))


def _same_name(written: str, parsed: str) -> bool:
    # Cheap checks first (the bulk import calls this for every author): equal, or equal but for spacing
    # ("C.-P." / "C. -P."); only then fold case, accents and punctuation.
    if written == parsed or written.replace(" ", "") == parsed.replace(" ", ""):
        return True
    a, b = _compact(written), _compact(parsed)
    return bool(a) and (a == b or (len(a) == len(b) and sorted(a) == sorted(b)))


def align_names(written: WrittenAuthors, parsed: list[str]) -> list[str] | None:
    """Each parsed name spelled as written, or None when the two renderings do not line up one-to-one."""
    segments = written.names
    out: list[str] = []
    j = 0
    for name in parsed:
        for span in range(1, _MAX_SPAN + 1):
            if j + span > len(segments):
                return None
            candidate = ", ".join(segments[j:j + span])
            if _same_name(candidate, name):
                out.append(candidate)
                j += span
                break
        else:
            return None
    return out if j == len(segments) else None


def snapshot_authors(raw: str | None, parsed: list[str] | None) -> WrittenAuthors:
    """The author list of a snapshot line: names as written in ``raw``, split as ``parsed`` says.

    ``parsed`` is the joined ``authors_parsed`` (None when the line has none). "et al" in either rendering
    marks the list as cut short. Without a usable string the parsed names are kept; without ``parsed`` the
    string's own split is used.
    """
    if parsed is None:
        return split_written(raw) if raw and raw.strip() else WrittenAuthors()
    if raw and "\\" not in raw and len(parsed) > 1:
        # The bulk import's common case, checked cheaply: the string is just the parsed names, listed.
        flat = " ".join(raw.split())
        listed = ", ".join(parsed[:-1])
        if flat in (f"{listed}, {parsed[-1]}", f"{listed} and {parsed[-1]}", f"{listed}, and {parsed[-1]}") and \
                not is_et_al(parsed[-1]):
            return WrittenAuthors(list(parsed))
    written = split_written(raw) if raw and raw.strip() else WrittenAuthors()
    real = [n for n in parsed if n and not is_et_al(n)]
    cut_short = written.cut_short or len(real) < len([n for n in parsed if n])
    aligned = align_names(written, real) if written.names else None
    return WrittenAuthors(aligned if aligned is not None else real, cut_short)
