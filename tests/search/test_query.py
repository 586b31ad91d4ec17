"""The search-box syntax parser: words, phrases, exclusions, field prefixes, OR, and hostile input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openpapers.search.query import MAX_TERM_CHARS, MAX_TERMS, Clause, ParsedQuery, Term, parse_query
from openpapers.search.types import QueryError


def terms(q: ParsedQuery) -> list[tuple[str, str | None, bool, bool]]:
    """(text, field, phrase, negated) for single-term clauses, to compare compactly."""
    out = []
    for c in q.clauses:
        assert len(c.alternatives) == 1, c
        t = c.alternatives[0]
        out.append((t.text, t.field, t.phrase, c.negated))
    return out


def test_plain_words_are_separate_required_terms() -> None:
    q = parse_query("neural PDE  solver")
    assert terms(q) == [("neural", None, False, False), ("PDE", None, False, False), ("solver", None, False, False)]
    assert q.is_ranked() and not q.negative


def test_phrase_versus_words() -> None:
    assert terms(parse_query('"neural operator" learning')) == [
        ("neural operator", None, True, False),
        ("learning", None, False, False),
    ]
    # inner whitespace of a phrase is normalised
    assert parse_query('"  a \t  b "').clauses[0].alternatives[0].text == "a b"


def test_exclusions_of_words_and_phrases() -> None:
    q = parse_query('diffusion -survey -"case study" NOT video')
    assert terms(q) == [
        ("diffusion", None, False, False),
        ("survey", None, False, True),
        ("case study", None, True, True),
        ("video", None, False, True),
    ]
    assert [c.alternatives[0].text for c in q.negative] == ["survey", "case study", "video"]


@pytest.mark.parametrize(
    ("text", "field", "value", "phrase"),
    [
        ("ti:diffusion", "title", "diffusion", False),
        ("title:diffusion", "title", "diffusion", False),
        ("abs:operator", "abstract", "operator", False),
        ('au:"Qi Meng"', "author", "Qi Meng", True),
        ("AU:meng", "author", "meng", False),
        ("cat:cs.LG", "category", "cs.LG", False),
        ("category:hep-th", "category", "hep-th", False),
        ("org:pku", "org", "pku", False),
        ('org:"Microsoft Research"', "org", "Microsoft Research", True),
    ],
)
def test_field_prefixes(text: str, field: str, value: str, phrase: bool) -> None:
    assert terms(parse_query(text)) == [(value, field, phrase, False)]


def test_negated_field_term_and_unknown_prefix_is_text() -> None:
    assert terms(parse_query("-cat:math.AG foo:bar")) == [
        ("math.AG", "category", False, True),
        ("foo:bar", None, False, False),
    ]
    assert terms(parse_query("https://arxiv.org/abs/2301.1"))[0][1] is None


def test_or_joins_neighbouring_terms() -> None:
    q = parse_query("graph OR hypergraph | network model")
    assert q.clauses[0] == Clause((Term("graph"), Term("hypergraph"), Term("network")))
    assert q.clauses[1] == Clause((Term("model"),))
    # lowercase "or" is a word; dangling or leading OR and AND are ignored
    assert terms(parse_query("this or that")) == [("this", None, False, False), ("or", None, False, False),
                                                   ("that", None, False, False)]
    assert str(parse_query("OR a AND b OR")) == "a b"
    # OR never joins an exclusion
    assert str(parse_query("-a OR b")) == "-a b"


def test_field_only_queries_are_not_ranked() -> None:
    assert not parse_query('au:"Qi Meng" cat:cs').is_ranked()
    assert parse_query("ti:diffusion").is_ranked()
    assert [t.text for t in parse_query('x -y au:z "p q" abs:w').highlight_terms()] == ["x", "p q", "w"]


def test_canonical_string_round_trips() -> None:
    q = parse_query('ti:"graph nets" -survey a OR "b c" cat:cs.LG')
    assert str(q) == 'ti:"graph nets" -survey a OR "b c" cat:cs.LG'
    assert parse_query(str(q)) == q


def test_duplicates_are_dropped() -> None:
    assert str(parse_query("deep deep learning deep")) == "deep learning"


@pytest.mark.parametrize("text", ["", "   ", "\t\n", "\x00", "\u200b"])
def test_empty_query_asks_for_text(text: str) -> None:
    with pytest.raises(QueryError, match="type something to search"):
        parse_query(text)
    assert parse_query(text, allow_empty=True).is_empty()


@pytest.mark.parametrize("text", ['"', '""', "-", "- : OR AND NOT", "( ) [ ] { } ^ ~ * \\ + ! &&", "ti:", "😀🎉", '-"'])
def test_only_syntax_is_a_helpful_error(text: str) -> None:
    with pytest.raises(QueryError, match="nothing to search for"):
        parse_query(text)


def test_lenient_forms() -> None:
    assert terms(parse_query('"unbalanced quote')) == [("unbalanced quote", None, True, False)]
    assert terms(parse_query("(graph neural) networks")) == [
        ("graph", None, False, False), ("neural", None, False, False), ("networks", None, False, False)]
    assert terms(parse_query("a\x00b\x07c\u202e")) == [("a", None, False, False), ("b", None, False, False),
                                                       ("c", None, False, False)]
    # full-width letters are NFKC-folded; CJK, Arabic and emoji-adorned words survive
    assert terms(parse_query("ｄｉｆｆｕｓｉｏｎ"))[0][0] == "diffusion"
    assert [t[0] for t in terms(parse_query("深度学习 مرحبا 😀robot"))] == ["深度学习", "مرحبا", "😀robot"]
    # tantivy syntax stays plain text inside words
    assert terms(parse_query("title:[a TO b]^2"))[0] == ("[a", "title", False, False)


def test_long_input_is_capped() -> None:
    q = parse_query(" ".join(f"w{i}" for i in range(1000)))
    assert len(q.clauses) == MAX_TERMS and q.truncated
    assert not parse_query("a b").truncated
    long_word = parse_query("x" * 10_000).clauses[0].alternatives[0].text
    assert len(long_word) == MAX_TERM_CHARS
    phrase = parse_query('"' + "word " * 5000 + '"').clauses[0].alternatives[0].text
    assert len(phrase) <= MAX_TERM_CHARS and phrase.endswith("word")


def test_non_text_is_refused() -> None:
    with pytest.raises(QueryError):
        parse_query(None)  # type: ignore[arg-type]


_ALPHABET = st.sampled_from(list('abc XYZ"-:()[]{}^~*\\+!|&/.\'ti:au:cat:org:abs:OR AND NOT\x00\x1f\u200b\ud800é深😀'))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.text(_ALPHABET)))
def test_any_text_parses_or_raises_query_error(text: str) -> None:
    try:
        q = parse_query(text)
    except QueryError as exc:
        assert str(exc)
        return
    assert q.clauses and sum(len(c.alternatives) for c in q.clauses) <= MAX_TERMS
    for c in q.clauses:
        for t in c.alternatives:
            assert t.text and t.text == t.text.strip() and len(t.text) <= MAX_TERM_CHARS
            assert t.text.isprintable() and '"' not in t.text
            t.text.encode("utf-8")  # no lone surrogates reach an engine
    assert parse_query(str(q)) == ParsedQuery(q.clauses)
