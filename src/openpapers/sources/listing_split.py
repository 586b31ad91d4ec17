"""Split an author-page title line into the title, the shown author names, "et al." and organisation tags.

The line looks like ``<title><Name>, <Name>, <Name> et al. · org-a, org-b`` where the first name is glued to
the title with no separator at all. Titles contain commas, acronyms, CamelCase words and trailing digits or
symbols, and names contain hyphens, initials, particles, accents and CamelCase humps, so no single regular
expression can find the seam. Instead every possible split is scored:

1. Organisation tags (``· slug, slug``) and ``et al.`` are peeled off the end first; they are unambiguous.
2. The rest is cut at commas. The last ``k`` comma segments (``k`` = 1..3) are names; the ``k``-th from the
   end is the *glue segment* that holds the end of the title and the first name.
3. A seam candidate inside the glue segment is a position whose character starts a name (an upper-case
   letter, or a caseless letter such as CJK after a cased one, or any start of a known name) and whose
   previous character is not a space.
4. Each (k, seam) is rejected if any name is impossible (:func:`listing_names.name_cost`), if the title
   would end in a hyphen or other dangling punctuation, or if the first name is too odd on its own
   (:data:`MAX_ODDNESS`: such a "name" is really the end of an authorless title, like
   ``GitHub Repositories`` → ``Hub Repositories``). Survivors are costed: name oddities, CamelCase glued
   onto the title's last word (``LearningWei``), fewer than three names when ``et al.`` says three are
   shown, and bonuses for names known from elsewhere on the page (the page owner, names seen in unambiguous
   positions).

The cheapest split wins; ties prefer more names and then the longer first name, and are reported as
``ambiguous`` so a reader can see that the seam was a guess.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

from openpapers.core.records import name_key
from openpapers.sources.listing_names import is_caseless_letter, name_cost

_ORG_TAGS = re.compile(r"^[\w&.+'’-]+(?:\s*,\s*[\w&.+'’-]+)*$")
_ET_AL = re.compile(r",?\s+et\.?\s+al\.?$", re.IGNORECASE)
_SEPARATOR = re.compile(r",\s*")
_BAD_TITLE_END = "-,;:([{&/|"
MAX_ODDNESS = 3.0
"""A first name this odd is not believed: the line has no authors and the "name" is the title's tail."""

MAX_NAME_LEN = 120
"""No person's name is longer; bounds the seam search so a pathological line stays linear."""
MAX_SHOWN = 3
"""Author pages show at most this many names, then "et al."."""


@dataclass(slots=True)
class SplitResult:
    """The parts of one author-page title line."""

    title: str
    names: list[str]
    et_al: bool
    orgs: list[str] = field(default_factory=list)
    ambiguous: bool = False
    cost: float = 0.0


def peel_orgs(text: str) -> tuple[str, list[str]]:
    """Remove trailing ``· org-a, org-b`` tags; return the rest and the tags (empty when there are none)."""
    dot = text.rfind("·")
    if dot <= 0:
        return text, []
    tail = text[dot + 1:].strip()
    if not tail or not _ORG_TAGS.match(tail):
        return text, []
    return text[:dot].rstrip(), [t.strip() for t in tail.split(",") if t.strip()]


def _glued_boundaries(word: str) -> int:
    """How many word starts are glued inside ``word`` (``PyTorch`` 1, ``ChatGLMWei`` 2, ``Learning`` 0)."""
    count = 0
    for i in range(1, len(word)):
        ch = word[i]
        if not ch.isupper():
            continue
        prev = word[i - 1]
        if prev.islower() or (prev.isupper() and i + 1 < len(word) and word[i + 1].islower()):
            count += 1
    return count


def _title_cost(text: str, seam: int, first_alnum: int) -> float | None:
    """Cost of ``text[:seam]`` as the complete title (None if it cannot be one)."""
    if first_alnum >= seam:
        return None
    title = text[max(0, seam - MAX_NAME_LEN):seam]
    if title[-1] in _BAD_TITLE_END:
        return None  # a seam inside "Zhi-Ming" or "Self-Supervised" leaves "…Zhi-"; titles do not end so
    words = title.rsplit(None, 1)
    return float(_glued_boundaries(words[-1])) if words else 0.0


def _starts_name(text: str, pos: int) -> bool:
    ch, prev = text[pos], text[pos - 1]
    if prev.isspace():
        return False
    if ch.isupper():
        return True
    return is_caseless_letter(ch) and not is_caseless_letter(prev)


@dataclass(slots=True)
class _Candidate:
    cost: float
    k: int
    seam: int
    names: list[str]


def split_title_authors(line: str, *, known_names: Collection[str] = ()) -> SplitResult | None:
    """Split one author-page title line; None when no plausible author list is glued to its end.

    ``known_names`` holds :func:`openpapers.core.records.name_key` keys of names believed to be real (the page owner,
    names seen elsewhere on the page); they make a split that produces them cheaper.
    """
    text, orgs = peel_orgs(line.strip())
    et_al = False
    match = _ET_AL.search(text)
    if match:
        et_al = True
        text = text[:match.start()].rstrip()
    if not text:
        return None
    known = set(known_names)
    longest_known = max((len(k) for k in known), default=0)
    bounds = [0]
    ends: list[int] = []
    for sep in _SEPARATOR.finditer(text):
        ends.append(sep.start())
        bounds.append(sep.end())
    ends.append(len(text))
    first_alnum = next((i for i, ch in enumerate(text) if ch.isalnum()), len(text))
    candidates: list[_Candidate] = []
    nseg = len(bounds)
    for k in range(1, min(MAX_SHOWN, nseg) + 1):
        g = nseg - k
        later = [text[bounds[i]:ends[i]].strip() for i in range(g + 1, nseg)]
        later_cost = 0.0
        for name in later:
            cost = name_cost(name)
            if cost is None and name_key(name) in known:
                cost = 0.0
            if cost is None:
                break
            later_cost += cost - (1.0 if name_key(name) in known else 0.0)
        else:
            k_cost = (MAX_SHOWN - k) * (3.0 if et_al else 0.5)
            seg_start, seg_end = bounds[g], ends[g]
            for seam in range(max(seg_start + 1, seg_end - MAX_NAME_LEN), seg_end):
                first = text[seam:seg_end].rstrip()
                is_known = (bool(known) and seg_end - seam <= longest_known + 4 and text[seam].isalpha()
                            and not text[seam - 1].isspace() and name_key(first) in known)
                if not is_known and not _starts_name(text, seam):
                    continue
                first_cost = name_cost(first, glued=True)
                if first_cost is None:
                    if not is_known:
                        continue
                    first_cost = 0.0
                title_cost = _title_cost(text, seam, first_alnum)
                if title_cost is None:
                    continue
                if not is_known and first_cost >= MAX_ODDNESS:
                    continue
                total = first_cost + title_cost + later_cost + k_cost - (3.0 if is_known else 0.0)
                candidates.append(_Candidate(total, k, seam, [first, *later]))
    if not candidates:
        return None
    candidates.sort(key=lambda c: (c.cost, -c.k, c.seam))
    best = candidates[0]
    ambiguous = len(candidates) > 1 and candidates[1].cost - best.cost < 1.0
    return SplitResult(title=text[:best.seam], names=best.names, et_al=et_al, orgs=orgs,
                       ambiguous=ambiguous, cost=best.cost)
