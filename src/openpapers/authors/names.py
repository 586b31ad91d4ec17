"""Author names as the clusterer sees them: folded tokens, a blocking key, and whether two forms can be one person.

Why blocks: comparing every mention with every other is quadratic in the corpus; people who could be one person
share a last name and a first initial, so only mentions within one block are compared. Names are folded
(accents, other scripts transliterated by :func:`openpapers.core.records.fold`), hyphens and dots are separators,
so "Zhi-Ming Ma", "Zhiming Ma" and "Z. Ma" land in one block and the name-form check decides between them.
Reversed orders ("Meng Qi" for "Qi Meng") are resolved by :func:`choose_parses`: a two-word name is read in the
order whose block the corpus knows better.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from openpapers.core.records import name_key


@dataclass(frozen=True, slots=True)
class ParsedName:
    """A name read as given names + last name (folded tokens)."""

    given: tuple[str, ...]
    last: str

    @property
    def block(self) -> str:
        return f"{self.last}|{self.given[0][0]}" if self.given else self.last

    @property
    def full(self) -> bool:
        """Whether every given name is spelled out (no bare initials)."""
        return bool(self.given) and all(len(g) > 1 for g in self.given)


def parses(name: str) -> list[ParsedName]:
    """The readings of ``name``: as written (last word = last name), and reversed for a two-word name."""
    tokens = name_key(name).split()
    if not tokens:
        return [ParsedName((), "")]
    out = [ParsedName(tuple(tokens[:-1]), tokens[-1])]
    if len(tokens) == 2 and tokens[0] != tokens[1] and len(tokens[0]) > 1 and len(tokens[1]) > 1:
        out.append(ParsedName((tokens[1],), tokens[0]))
    return out


def choose_parses(names: Iterable[str]) -> dict[str, ParsedName]:
    """One reading per distinct name: the written order, unless only the reversed order's block is known.

    "Meng Qi" joins block ``meng|q`` (as "Qi Meng") only when that block has more mentions than ``qi|m`` does,
    so a corpus full of "Qi Meng" pulls in the odd reversed spelling while a real "Meng Qi" keeps its own block.
    """
    names = list(names)
    counts: Counter[str] = Counter(parses(n)[0].block for n in names)
    out: dict[str, ParsedName] = {}
    for n in dict.fromkeys(names):
        readings = parses(n)
        best = readings[0]
        if len(readings) > 1 and counts[readings[1].block] > counts[best.block]:
            best = readings[1]
        out[n] = best
    return out


def name_agreement(a: ParsedName, b: ParsedName) -> float | None:
    """How well two readings agree: 1.0 same spelled-out given names, 0.5 compatible through initials
    ("Q. Meng" and "Qi Meng"), ``None`` when they cannot be one person ("Qi Meng" and "Qiang Meng")."""
    if a.last != b.last:
        return None
    if not a.given or not b.given:
        return 0.5
    if a.full and b.full:
        return 1.0 if "".join(a.given) == "".join(b.given) else None
    # Initials: every initial must match the start of the other's given name at that place (or the joined
    # given names, for "Z. Ma" against "Zhi-Ming Ma").
    ja, jb = "".join(a.given), "".join(b.given)
    if a.given[0][0] != b.given[0][0]:
        return None
    for x, y in zip(a.given, b.given, strict=False):
        if len(x) > 1 and len(y) > 1 and x != y:
            return None
        if not (x.startswith(y[0]) or y.startswith(x[0])):
            return None
    if (a.full and not jb.startswith(b.given[0])) or (b.full and not ja.startswith(a.given[0])):
        return None
    return 0.5
