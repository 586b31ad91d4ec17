"""Shared vocabulary for synthetic corpora, learned from the project's seed pages.

Benchmarks need text that *looks* like paper metadata (the same word frequencies, title shapes and abstract
phrasing the real pages have), otherwise search and index timings measured on it mean little. Rather than ship
a word list, we learn one from the seed captures in ``shared/seeds`` so the synthetic corpus follows whatever
the demo corpus is. The model is deliberately tiny: a word-successor table ("bigram-ish") for titles and one
for abstracts, plus the word frequencies, which other benchmark scripts use to pick realistic queries.

Seeds are found through ``$OPENPAPERS_SEEDS`` or the repository's sibling ``../shared/seeds``.
"""

from __future__ import annotations

import os
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

ABSTRACT_MIN_CHARS = 300
"""Seed lines at least this long are abstracts; every page format puts an abstract on one long line."""

_CHIP_DATE = re.compile(r"^[A-Z][A-Z\-]*[A-Z]?(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d")
_WORD = re.compile(r"[A-Za-z][A-Za-z\-]+")
_SENTENCE_END = (".", "?", "!")


def seeds_dir() -> Path:
    """Where the seed pages are: ``$OPENPAPERS_SEEDS`` first, else ``<repo>/../shared/seeds``."""
    env = os.environ.get("OPENPAPERS_SEEDS")
    path = Path(env) if env else Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"
    if not path.is_dir():
        raise FileNotFoundError(
            f"seed pages not found at {path}; set OPENPAPERS_SEEDS to the folder holding the seed .txt files"
        )
    return path


def read_seed_texts(folder: Path | None = None) -> tuple[list[str], list[str]]:
    """Split the seed pages into (titles, abstracts).

    A title is the line just before an abstract, except on author pages, where that line has the author list
    glued to it (recognised because the line before it is a category chip with a date); those are skipped
    rather than guessed apart, since the search pages give plenty of clean titles.
    """
    folder = folder or seeds_dir()
    titles: list[str] = []
    abstracts: list[str] = []
    for path in sorted(folder.glob("*.txt")):
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
        lines = [ln for ln in lines if ln]
        for i, line in enumerate(lines):
            if len(line) < ABSTRACT_MIN_CHARS:
                continue
            abstracts.append(line)
            if i == 0:
                continue
            title = lines[i - 1]
            if len(title) >= ABSTRACT_MIN_CHARS or (i >= 2 and _CHIP_DATE.match(lines[i - 2])):
                continue
            title = title.removeprefix("Subscribe")
            if 10 <= len(title) <= 250:
                titles.append(title)
    if not titles or not abstracts:
        raise ValueError(f"no titles/abstracts found in the seed pages under {folder}")
    return titles, abstracts


@dataclass(slots=True)
class Bigram:
    """Word-successor table: ``follow[w]`` lists every word seen after ``w`` (repeats keep the frequencies).

    Lists rather than counters because ``random.choice`` on a list is the cheapest weighted draw there is.
    """

    starts: list[str] = field(default_factory=list)
    follow: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_texts(cls, texts: list[str]) -> Bigram:
        model = cls()
        for text in texts:
            words = text.split()
            if not words:
                continue
            model.starts.append(words[0])
            for a, b in pairwise(words):
                model.follow.setdefault(a, []).append(b)
                if a.endswith(_SENTENCE_END) and b[:1].isupper():
                    model.starts.append(b)
        return model

    def chain(self, rng: random.Random, length: int, start: str | None = None) -> list[str]:
        """A walk of ``length`` words; restarts at a sentence start when a word has no known successor."""
        word = start or rng.choice(self.starts)
        out = [word]
        follow = self.follow
        starts = self.starts
        while len(out) < length:
            nxt = follow.get(word)
            word = rng.choice(nxt) if nxt else rng.choice(starts)
            out.append(word)
        return out


@dataclass(slots=True)
class Vocabulary:
    """Everything a synthetic-corpus generator needs, learned from one set of seed pages."""

    titles: Bigram
    abstracts: Bigram
    frequencies: Counter[str]
    title_lengths: list[int]

    def common_words(self, n: int = 500, min_len: int = 4) -> list[str]:
        """The ``n`` most frequent lower-case words (at least ``min_len`` letters): good search queries."""
        return [w for w, _ in self.frequencies.most_common() if len(w) >= min_len][:n]

    def fragments(self, rng: random.Random, model: Bigram, count: int, min_words: int,
                  max_words: int, *, opening: bool = True) -> list[str]:
        """``count`` short chain walks joined into strings: the precomputed pieces a fast generator glues.

        Walking the chain word by word for every synthetic paper is far too slow for a million of them, so
        generators draw whole fragments instead and combine several, which keeps repeats rare. Opening
        fragments start where a sentence starts; the others start mid-sentence (the first words of a walk
        are dropped) and run to the end of a sentence when one comes within ``max_words``.
        """
        out = []
        for _ in range(count):
            want = rng.randint(min_words, max_words)
            if opening:
                words = model.chain(rng, want)
                words[-1] = words[-1].rstrip(".,;:")
            else:
                words = model.chain(rng, max_words + 3)[3:]
                end = next((i for i in range(min_words - 1, len(words)) if words[i].endswith(".")), None)
                words = words[: end + 1] if end is not None else words[:want]
            out.append(" ".join(words))
        return out


def load_vocabulary(folder: Path | None = None) -> Vocabulary:
    """Learn the vocabulary from the seed pages (about a second for the bundled seeds)."""
    titles, abstracts = read_seed_texts(folder)
    freq: Counter[str] = Counter()
    for text in abstracts + titles:
        freq.update(w.lower() for w in _WORD.findall(text))
    return Vocabulary(
        titles=Bigram.from_texts(titles),
        abstracts=Bigram.from_texts(abstracts),
        frequencies=freq,
        title_lengths=[len(t.split()) for t in titles],
    )


# Name pools for synthetic authors. Invented combinations of common given and family names from many
# languages, with the accents, hyphens and particles that real author lists carry, because name handling
# (folding, author ids, namesakes) is exactly what a synthetic corpus must exercise.
FIRST_NAMES: tuple[str, ...] = (
    "Albert", "Alice", "Amir", "Ana", "Andrés", "Anna", "Anya", "Arjun", "Aurélie", "Ayşe", "Bao", "Beatriz",
    "Benoît", "Bjørn", "Carlos", "Chen", "Chloé", "Chidi", "Clément", "Dan", "Daniel", "Darío", "David",
    "Dmitri", "Elena", "Élodie", "Emily", "Emma", "Enrique", "Erik", "Eun-ji", "Fatima", "François", "Gábor",
    "Giulia", "Grzegorz", "Hana", "Hans-Peter", "Haruto", "Héctor", "Hiroshi", "Ines", "Ingrid", "Ivan",
    "Jae-won", "James", "Jan", "Javier", "Jean-Pierre", "Jiahui", "Jian", "Jiří", "João", "Jonas", "José",
    "Juan", "Julia", "Jürgen", "Kai", "Karim", "Katarzyna", "Kenji", "Kwame", "Lars", "Laura", "Léa", "Lei",
    "Li", "Ling", "Lucía", "Łukasz", "Maëlle", "Malik", "Maria", "Marie-Claire", "Mark", "Mateo", "Matías",
    "Mei", "Mikael", "Min-jun", "Mohammed", "Nadia", "Naveen", "Nikolaos", "Noémie", "Olga", "Omar", "Paul",
    "Pedro", "Peng", "Priya", "Qi", "Rafael", "Rahul", "Ravi", "René", "Ricardo", "Rui", "Ryo", "Sandra",
    "Sara", "Sebastián", "Seo-yeon", "Sergei", "Shuxin", "Siddharth", "Sofía", "Søren", "Stefan", "Sun",
    "Takeshi", "Tao", "Thomas", "Tomáš", "Ugo", "Valentina", "Víctor", "Wei", "Xin", "Yan", "Yang", "Yasmin",
    "Yi", "Yifan", "Ying", "Yu", "Yuki", "Yusuf", "Zeynep", "Zhen", "Zhi-Qiang", "Zoë", "Zsófia",
)
LAST_NAMES: tuple[str, ...] = (
    "Abadi", "Adeyemi", "Almeida", "Andersen", "Bahdanau", "Bal\u00e1zs", "Becker", "Bengio", "Bernard",
    "Błaszczyk", "Brown", "Carvalho", "Castro", "Chandra", "Chen", "Cho", "Chu", "Costa", "Dąbrowski",
    "de la Cruz", "de Vries", "Dubois", "Dvořák", "Eriksson", "Fernández", "Ferreira", "Fischer", "Fontaine",
    "Gao", "García-López", "Gómez", "González", "Gu", "Guo", "Gupta", "Hansen", "Hernández", "Hoffmann",
    "Horváth", "Huang", "Ibrahim", "Ivanov", "Jäger", "Jensen", "Jiang", "Johansson", "Kim", "Kobayashi",
    "Kowalski", "Kumar", "Lambert", "Larsen", "Lee", "Lefèvre", "Li", "Lin", "Liu", "López", "Ma", "Martin",
    "Martínez", "Meng", "Mishra", "Møller", "Moreau", "Müller", "Murphy", "Nakamura", "Nguyễn", "Nielsen",
    "Novák", "Nowak", "O'Brien", "Okafor", "Olsen", "Öztürk", "Park", "Patel", "Peña", "Pérez", "Petrov",
    "Popescu", "Qian", "Ramírez", "Rao", "Richter", "Rodríguez", "Rossi", "Sánchez", "Sato", "Schäfer",
    "Schmidt", "Schneider", "Shah", "Silva", "Singh", "Smith", "Søndergaard", "Suzuki", "Szabó", "Tanaka",
    "Tang", "Thompson", "Tran", "Van den Berg", "Vasquez", "Wagner", "Wang", "Watanabe", "Weber", "Wu",
    "Xu", "Yamamoto", "Yang", "Yilmaz", "Yu", "Yuan", "Zhang", "Zhao", "Zheng", "Zhou", "Zhu", "Żukowski",
)
SUFFIXES: tuple[str, ...] = ("Jr.", "III", "Sr.")

# TeX spellings of accented letters, as arXiv's author strings often carry them (``Bal\'azs``).
_TEX_ACCENTS = {
    "á": "\\'a", "é": "\\'e", "í": "\\'i", "ó": "\\'o", "ú": "\\'u", "à": "\\`a", "è": "\\`e", "ä": '\\"a',
    "ë": '\\"e', "ö": '\\"o', "ü": '\\"u', "ñ": "\\~n", "ç": "\\c{c}", "ø": "{\\o}", "ł": "{\\l}",
    "Ł": "{\\L}", "š": "\\v{s}", "ř": "\\v{r}", "ě": "\\v{e}", "č": "\\v{c}", "ş": "\\c{s}", "Ö": '\\"O',
    "É": "\\'E",
}


def tex_accents(name: str) -> str | None:
    """``name`` with accents spelled in TeX, or None when it has a letter we do not spell that way."""
    out = []
    changed = False
    for ch in name:
        if ch.isascii():
            out.append(ch)
        elif ch in _TEX_ACCENTS:
            out.append(_TEX_ACCENTS[ch])
            changed = True
        else:
            return None
    return "".join(out) if changed else None


@dataclass(slots=True, frozen=True)
class Person:
    """One synthetic author: how the arXiv author string spells them, and the parsed [last, first, suffix]."""

    display: str
    parsed: tuple[str, str, str]
    full_name: str


def _initials(first: str) -> str:
    """``Jean-Pierre`` → ``J.-P.``, ``Zhi-Qiang`` → ``Z.-Q.``, ``Ana`` → ``A.``."""
    return "-".join(part[:1] + "." for part in first.split("-"))


def person_pool(rng: random.Random, size: int) -> list[Person]:
    """``size`` distinct-looking authors: full or initialled given names, middle initials, rare suffixes.

    A pool (rather than a fresh name per paper) makes the same people author many papers, as on arXiv, so
    author pages and namesake handling get realistic load.
    """
    pool: list[Person] = []
    for _ in range(size):
        first = rng.choice(FIRST_NAMES)
        last = rng.choice(LAST_NAMES)
        middle = f" {rng.choice('ABCDEFGHJKLMNPRSTW')}." if rng.random() < 0.15 else ""
        given = (_initials(first) if rng.random() < 0.35 else first) + middle
        suffix = rng.choice(SUFFIXES) if rng.random() < 0.01 else ""
        display = f"{given} {last}" + (f" {suffix}" if suffix else "")
        if rng.random() < 0.3:
            display = tex_accents(display) or display
        pool.append(Person(display=display, parsed=(last, given, suffix), full_name=f"{first} {last}"))
    return pool
