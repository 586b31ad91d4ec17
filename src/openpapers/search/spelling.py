"""Spelling suggestions from the corpus's own vocabulary: "Did you mean neural operator?".

Why the corpus and not an English word list: the words people search for here (``hypergraph``, ``tokenizer``,
``diffusion``) are the words of the papers, and a general dictionary would both miss them and "correct" them.
The vocabulary is every word of the stored papers' titles and abstracts, counted; symspellpy (symmetric-delete
look-ups, edit distance ≤ 2) finds the nearest frequent word for a word the corpus does not know.

Rules (see docs/search.md, "Spelling"):

* a word seen at least :data:`MIN_COUNT` times is known and never corrected; a rarer one is corrected only to a
  word at least :data:`RATIO` times as frequent (a typo that slipped into one abstract is still a typo);
* only free-text words are checked: ``au:``/``cat:``/``org:`` values, ``-exclusions`` (a misspelt exclusion
  cannot hide a result), words with digits and words shorter than :data:`MIN_LENGTH` letters are left as
  typed; the query's prefixes, quotes, signs and operators stay where they are;
* :func:`spelled_search`: when the query as typed finds nothing by keyword and the suggestion finds something,
  the suggestion's results are shown (``corrected``); otherwise the suggestion is only offered.

Cost: the dictionary is built lazily, once, on the first search that needs it (``openpapers serve`` builds it
while warming up), and brought up to date with only the papers changed since (``iter_papers(after_seq=...)``)
when the keyword index's seq moves -- never per query. A full build reads at most :data:`MAX_BUILD_PAPERS`
papers and each update at most as many; the dictionary holds at most :data:`MAX_WORDS` words.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from symspellpy import SymSpell, Verbosity

from openpapers.core.records import fold
from openpapers.papers.store import Store
from openpapers.search.query import FIELD_ALIASES, clean_query_text

MIN_COUNT = 2  # seen this often: a word of the corpus, never corrected (a single sighting may be a typo)
RATIO = 10  # a rarer word is corrected only to a word this many times as frequent
MIN_LENGTH = 4  # shorter words have too many neighbours within two edits to guess from
MAX_DISTANCE = 2  # edits; words shorter than LONG letters get one ("stripes" is two from "series")
LONG = 8
MAX_WORDS = 50_000  # dictionary cap: ~0.8 KB per word with its deletes and count (measured), so ~40 MB at most
MAX_TRACKED = 300_000  # counted words (dictionary and rare ones, ~0.1 KB each); past it, words seen once go
MAX_BUILD_PAPERS = 200_000  # papers read by one build or update (bounds the first search on a huge corpus)
PREFIX_LENGTH = 5  # symspell's prefix: 5 has a third of 7's deletes and looks up as fast (measured)

_WORD = re.compile(r"[a-z]+")  # words as counted: ASCII letters of the folded text (digits split words)
_TOKEN = re.compile(r'(?P<sign>[-+!]*)(?:(?P<prefix>[A-Za-z]+):)?(?P<body>"[^"]*"?|[^\s()"]+)')
_LETTERS = re.compile(r"[A-Za-z0-9]+")
_OPERATORS = frozenset({"OR", "AND", "NOT"})
_TEXT_FIELDS = frozenset({None, "title", "abstract"})


def words_of(text: str) -> Iterable[str]:
    """The counted words of a text: folded (case and accents), letters only, 3–30 letters long."""
    return (w for w in _WORD.findall(fold(text)) if 3 <= len(w) <= 30)


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A corrected query (the user's syntax kept), the words it changed as (typed, suggested) pairs, and whether
    it left no unknown word behind (``complete``): only then may its results replace the query's."""

    text: str
    changes: tuple[tuple[str, str], ...]
    complete: bool = True


class Vocabulary:
    """Word counts of the papers' titles and abstracts, and the symspell dictionary of the frequent ones.

    Kept current by store seq: :meth:`update` reads only the papers changed since the last call. A changed paper
    is counted again (its old words are not subtracted): counts only rank candidate corrections, and an update
    stays proportional to the import instead of the corpus."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.symspell = SymSpell(max_dictionary_edit_distance=MAX_DISTANCE, prefix_length=PREFIX_LENGTH)
        self.seq: int | None = None  # the store seq the counts are complete up to (None: not built)
        self.papers = 0

    def update(self, store: Store, seq: int) -> int:
        """Count the papers changed after the last update (all of them, the first time); returns how many."""
        after = self.seq or 0
        added: Counter[str] = Counter()
        read = 0
        for paper in store.iter_papers(after_seq=after):
            added.update(words_of(f"{paper.title} {paper.abstract or ''}"))
            read += 1
            if read >= MAX_BUILD_PAPERS:
                break  # a sample of the rest: the frequent words are in it (see the module docstring)
        self._add(added)
        self.seq, self.papers = seq, self.papers + read
        return read

    def _add(self, added: Counter[str]) -> None:
        counts, words = self.counts, self.symspell.words
        counts.update(added)
        room = MAX_WORDS - len(words)
        for word, delta in added.items():
            if word in words:
                self.symspell.create_dictionary_entry(word, delta)
        fresh = sorted((w for w in added if w not in words and counts[w] >= MIN_COUNT), key=lambda w: -counts[w])
        for word in fresh[:max(room, 0)]:
            self.symspell.create_dictionary_entry(word, counts[word])
        if len(counts) > MAX_TRACKED:
            for word in [w for w, n in counts.items() if n < MIN_COUNT]:
                del counts[word]

    def known(self, word: str) -> bool:
        """A word of the corpus, or too short to judge: never corrected."""
        return len(word) < MIN_LENGTH or self.counts.get(word, 0) >= MIN_COUNT

    def correction(self, word: str) -> str | None:
        """The corrected spelling of one lower-case word, or None (known, too short, or nothing close)."""
        if self.known(word):
            return None
        seen = self.counts.get(word, 0)
        distance = MAX_DISTANCE if len(word) >= LONG else 1
        for item in self.symspell.lookup(word, Verbosity.TOP, max_edit_distance=distance):
            if item.term != word and item.count >= RATIO * seen:
                return str(item.term)
        return None


def _cased(like: str, word: str) -> str:
    """``word`` written the way ``like`` was: NUERAL -> NEURAL, Nueral -> Neural."""
    if like.isupper() and len(like) > 1:
        return word.upper()
    if like[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def suggest(vocabulary: Vocabulary, query: str) -> Suggestion | None:
    """The query with its misspelt free-text words corrected in place, or None when nothing changes."""
    text = clean_query_text(query)
    out: list[str] = []
    changes: list[tuple[str, str]] = []
    unresolved = 0
    last = 0
    for token in _TOKEN.finditer(text):
        prefix = token["prefix"]
        field = FIELD_ALIASES.get(prefix.lower()) if prefix else None
        body = token["body"]
        if ("-" in token["sign"] or "!" in token["sign"]) or field not in _TEXT_FIELDS or body in _OPERATORS:
            continue
        start = token.start("body")
        for word in _LETTERS.finditer(body):
            typed = word.group()
            if not typed.isalpha():
                continue  # "gpt4", "3d": names and numbers, not words to spell
            fixed = vocabulary.correction(typed.lower())
            if fixed is None:
                unresolved += not vocabulary.known(typed.lower())
                continue
            out.append(text[last:start + word.start()])
            out.append(_cased(typed, fixed))
            last = start + word.end()
            changes.append((typed, fixed))
    if not changes:
        return None
    out.append(text[last:])
    return Suggestion("".join(out).strip(), tuple(changes), complete=not unresolved)


class Speller:
    """One vocabulary per search service, built on first use and updated when ``seq()`` (the keyword index's
    store seq) moves. One lock: a look-up never sees the dictionary half-updated, and two first searches do
    not both build it."""

    def __init__(self, store: Store, seq: Callable[[], int]) -> None:
        self.store = store
        self.seq = seq
        self._vocabulary = Vocabulary()
        self._lock = threading.Lock()

    def prepare(self) -> Vocabulary:
        """The vocabulary, current with the index (built or updated now if the index moved)."""
        seq = self.seq()
        with self._lock:
            vocabulary = self._vocabulary
            if vocabulary.seq is not None and seq < vocabulary.seq:  # the store was reset or replaced
                vocabulary = self._vocabulary = Vocabulary()
            if vocabulary.seq != seq:
                vocabulary.update(self.store, seq)
            return vocabulary

    def suggest(self, query: str) -> Suggestion | None:
        vocabulary = self.prepare()
        with self._lock:
            return suggest(vocabulary, query)


class Spelled(Protocol):
    """What :func:`spelled_search` needs of a search result (:class:`~openpapers.search.service.SearchResult`)."""

    total: int
    notes: list[str]
    suggestion: str | None
    corrected: bool


R = TypeVar("R", bound=Spelled)


def spelled_search(speller: Speller, query: str, run: Callable[[str], R], keyword_total: Callable[[str], int]
                   ) -> R:
    """Run ``query``; with a suggestion, offer it, or -- when the query finds nothing by keyword (``keyword_total``),
    the suggestion left no unknown word behind and it finds something -- show its results instead and say so.
    (``zebrafish stripes`` on a corpus without zebrafish is not a typo of ``zebrafish series``.)"""
    result = run(query)
    suggestion = speller.suggest(query) if query.strip() else None
    if suggestion is not None and suggestion.complete and keyword_total(query) == 0:
        corrected = run(suggestion.text)
        if corrected.total:
            corrected.suggestion, corrected.corrected = suggestion.text, True
            corrected.notes.insert(0, f"showing results for {suggestion.text}; no results for {query.strip()}")
            return corrected
        suggestion = None  # the correction finds nothing either: do not send anyone there
    result.suggestion = suggestion.text if suggestion else None
    return result  # a search that matches nothing already says so (service.NO_MATCH)
