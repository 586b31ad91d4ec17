"""The search-box syntax, parsed into a small engine-independent AST.

Why our own parser: user text must never reach an engine's query parser (tantivy's, PostgreSQL's
``to_tsquery``), whose syntax errors and operators (``field:[a TO b]``, ``^``, ``~``, ``*``) would either fail
on ordinary input or let a query do more than intended. Every backend compiles the same :class:`ParsedQuery`
into its own query objects instead, so the syntax is identical everywhere.

The syntax (documented for users too)::

    neural operator          words; all must match (see the retriever for its fallback to any-word)
    "neural operator"        exact phrase
    -survey  -"case study"   exclude a word or a phrase (also: !survey, NOT survey; -ti:x excludes by field)
    ti:diffusion             field prefixes: ti/title, abs/abstract, au/author, cat/category, org
    au:"Qi Meng"  cat:cs.LG  a prefix takes one word or one quoted phrase
    graph OR hypergraph      either term (also ``|``); AND is the default and may be written

Parsing never fails on odd input: parentheses are ignored, a quote without its partner runs to the end, lone
operators and prefixes are dropped, control characters, unpaired surrogates and other invisible characters become
spaces, and text is NFKC-normalised (full-width letters, ligatures). Words that contain no letter or digit
cannot match anything and are dropped. The only error is a query with nothing left to search for
(:class:`QueryError`). At most :data:`MAX_TERMS` terms are kept (``truncated`` says so) and each term is capped
at :data:`MAX_TERM_CHARS` characters, so a pasted page costs no more than a long query.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from openpapers.search.types import QueryError

MAX_TERMS = 64
MAX_TERM_CHARS = 200
MAX_QUERY_CHARS = 4096

# Prefix spelling -> field. The canonical names are what backends switch on.
FIELD_ALIASES: dict[str, str] = {
    "ti": "title",
    "title": "title",
    "abs": "abstract",
    "abstract": "abstract",
    "au": "author",
    "author": "author",
    "cat": "category",
    "category": "category",
    "org": "org",
}
TEXT_FIELDS = (None, "title", "abstract")  # fields whose terms are ranked text (and highlighted)

_PREFIX = re.compile(r"([A-Za-z]+):")
_SEPARATORS = frozenset("()")
_OR_WORDS = frozenset({"OR", "|", "||"})
_AND_WORDS = frozenset({"AND", "&", "&&", "+"})
_NOT_WORDS = frozenset({"NOT"})


@dataclass(frozen=True, slots=True)
class Term:
    """One word or phrase, optionally restricted to a field (``None``: title, abstract and authors)."""

    text: str
    field: str | None = None
    phrase: bool = False

    def __str__(self) -> str:
        body = f'"{self.text}"' if self.phrase else self.text
        return f"{_short(self.field)}:{body}" if self.field else body


@dataclass(frozen=True, slots=True)
class Clause:
    """Alternatives joined by OR (usually just one term); ``negated`` clauses exclude what they match."""

    alternatives: tuple[Term, ...]
    negated: bool = False

    def __str__(self) -> str:
        body = " OR ".join(str(t) for t in self.alternatives)
        return f"-{body}" if self.negated else body


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """A query as a list of clauses that all apply (AND); ``truncated`` is set when terms were dropped."""

    clauses: tuple[Clause, ...] = ()
    truncated: bool = False

    @property
    def positive(self) -> tuple[Clause, ...]:
        return tuple(c for c in self.clauses if not c.negated)

    @property
    def negative(self) -> tuple[Clause, ...]:
        return tuple(c for c in self.clauses if c.negated)

    def is_empty(self) -> bool:
        return not self.clauses

    def is_ranked(self) -> bool:
        """True when some positive term is free text (title/abstract), i.e. relevance ranking means something;
        otherwise (``au:``/``cat:``/``org:`` only) a backend should order by date instead."""
        return any(t.field in TEXT_FIELDS for c in self.positive for t in c.alternatives)

    def pins_text(self) -> bool:
        """True when a positive term is a quoted phrase or a ``ti:``/``abs:`` term: a paper must match it to be
        a result, so semantic neighbours (which need not contain it) may not join, only reorder."""
        return any(t.phrase or t.field in ("title", "abstract") for c in self.positive for t in c.alternatives)

    def without(self, words: frozenset[str]) -> ParsedQuery:
        """This query without free single-word clauses in ``words`` (stop words, for the any-word fallback,
        where "of" would match every paper); unchanged if nothing else would be left to rank by."""
        kept = tuple(c for c in self.clauses if c.negated or len(c.alternatives) > 1
                     or c.alternatives[0].field is not None or c.alternatives[0].phrase
                     or c.alternatives[0].text.lower() not in words)
        ranked = ParsedQuery(kept, self.truncated)
        return ranked if ranked.is_ranked() else self

    def highlight_terms(self) -> list[Term]:
        """Positive title/abstract terms: what a highlighter should mark."""
        return [t for c in self.positive for t in c.alternatives if t.field in TEXT_FIELDS]

    def __str__(self) -> str:
        """Canonical spelling; parsing it again gives the same query."""
        return " ".join(str(c) for c in self.clauses)


def _short(field: str | None) -> str:
    return {"title": "ti", "abstract": "abs", "author": "au", "category": "cat", "org": "org"}.get(field or "", "")


def clean_query_text(text: str) -> str:
    """NFKC-normalise and turn every control/format/surrogate/unassigned character into a space."""
    text = unicodedata.normalize("NFKC", text[: MAX_QUERY_CHARS * 2])[:MAX_QUERY_CHARS]
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == " " else " " for ch in text)


def _has_alnum(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


@dataclass(slots=True)
class _Token:
    text: str
    field: str | None
    phrase: bool
    negated: bool
    operator: str | None = None  # "OR" | "AND" | "NOT" for bare operator words


def _lex(text: str) -> list[_Token]:
    """Split cleaned text into tokens; never fails (see the module docstring for the leniency rules)."""
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace() or ch in _SEPARATORS:
            i += 1
            continue
        negated = False
        while i < n and text[i] in "-+!":  # signs: '-' and '!' exclude, '+' (required) is the default anyway
            negated = negated or text[i] != "+"
            i += 1
        field = None
        m = _PREFIX.match(text, i)
        if m and m.group(1).lower() in FIELD_ALIASES:
            field = FIELD_ALIASES[m.group(1).lower()]
            i = m.end()
        if i >= n or text[i].isspace() or text[i] in _SEPARATORS:
            continue  # a lone sign or prefix ("-", "ti:") has nothing to apply to
        if text[i] == '"':
            end = text.find('"', i + 1)
            end = n if end < 0 else end
            tokens.append(_Token(" ".join(text[i + 1 : end].split()), field, True, negated))
            i = end + 1
            continue
        start = i
        while i < n and not (text[i].isspace() or text[i] in _SEPARATORS or text[i] == '"'):
            i += 1
        word = text[start:i]
        if field is None and not negated:  # operators are case-sensitive: "or" is an ordinary word
            if word in _OR_WORDS:
                tokens.append(_Token("", None, False, False, operator="OR"))
                continue
            if word in _AND_WORDS:
                continue
            if word in _NOT_WORDS:
                tokens.append(_Token("", None, False, False, operator="NOT"))
                continue
        tokens.append(_Token(word, field, False, negated))
    return tokens


def _cap(text: str) -> str:
    """Cut a term at MAX_TERM_CHARS, at a space when there is one (phrases), so no half word is searched."""
    if len(text) <= MAX_TERM_CHARS:
        return text
    cut = text[:MAX_TERM_CHARS]
    space = cut.rfind(" ")
    return cut[:space] if space > 0 else cut


def parse_query(text: str, *, allow_empty: bool = False) -> ParsedQuery:
    """Parse search-box text. Raises :class:`QueryError` only when nothing searchable is left (unless
    ``allow_empty``, for callers that search by filters alone)."""
    if not isinstance(text, str):
        raise QueryError("the query must be text")
    cleaned = clean_query_text(text)
    if not cleaned.strip():
        if allow_empty:
            return ParsedQuery()
        raise QueryError("type something to search")
    clauses: list[Clause] = []
    seen: set[Clause] = set()
    count = 0
    truncated = False
    pending_or = pending_not = False
    for tok in _lex(cleaned):
        if tok.operator == "OR":
            pending_or = bool(clauses) and not clauses[-1].negated
            continue
        if tok.operator == "NOT":
            pending_not = True
            continue
        negated = tok.negated or pending_not
        join = pending_or and not negated
        pending_or = pending_not = False
        body = _cap(tok.text.strip())
        if not _has_alnum(body):
            continue
        if count >= MAX_TERMS:
            truncated = True
            break
        term = Term(body, tok.field, tok.phrase)
        count += 1
        if join:
            last = clauses[-1]
            if term not in last.alternatives:
                seen.discard(last)
                merged = Clause((*last.alternatives, term))
                clauses[-1] = merged
                seen.add(merged)
            continue
        clause = Clause((term,), negated)
        if clause not in seen:
            seen.add(clause)
            clauses.append(clause)
    query = ParsedQuery(tuple(clauses), truncated)
    if query.is_empty() and not allow_empty:
        raise QueryError(
            'nothing to search for: use words with letters or digits, "exact phrases", -exclusions, '
            "or the prefixes ti: abs: au: cat: org:"
        )
    return query


def quoted(label: str) -> str:
    """A saved search's label inside a sentence: in curly quotes, unless it already starts or ends with a quote
    of its own (``"neural operator"`` is not shown as “"neural operator"”)."""
    text = label.strip()
    if text[:1] in "\"“" or text[-1:] in "\"”":
        return text
    return f"“{text}”"
