"""c-TF-IDF labels (topics/labels.py): distinctive terms of a topic, phrases preferred, plural and case folded."""

from __future__ import annotations

from openpapers.topics import labels as lb

PDE = ["Fourier neural operators learn PDEs", "A physics-informed neural operator for PDEs",
       "Neural operators for parametric PDEs", "Neural operator learning of PDE solution maps",
       "Physics-informed networks for the heat equation", "Graph neural operator for physics-informed PDE solving"]
OPT = ["Stochastic gradient descent converges for convex losses", "Convergence rates of stochastic gradient descent",
       "Adaptive stochastic gradient methods: convergence", "Convex optimization with stochastic gradient descent",
       "Momentum and stochastic gradient descent rates", "Lower bounds for convex stochastic optimization"]


def test_phrases_win_and_words_inside_them_are_not_repeated() -> None:
    terms = lb.label_topics(PDE + OPT, [0] * len(PDE) + [1] * len(OPT), 2)
    assert terms[0][0] == "neural operator" or terms[0][0] == "neural operators"
    assert "physics-informed" in terms[0]  # a hyphenated word is one term
    assert "neural" not in terms[0] and "operator" not in terms[0]  # already inside the phrase
    assert terms[1][0] == "stochastic gradient descent"
    assert "PDEs" in terms[0] or "PDE" in terms[0]  # spelt as the papers spell it, plural folded with singular
    assert not set(terms[0]) & set(terms[1])  # distinctive: nothing shared by both
    assert lb.label_of(terms[0]).count(", ") == 2


def test_stop_words_and_filler_are_never_labels() -> None:
    texts = ["We propose a novel method and show results", "This paper presents a new approach, results show"] * 3
    assert lb.label_topics(texts, [0] * 6, 1) == [[]]
    assert lb.label_of([]) == "unlabelled"
    assert lb.label_topics([], [], 2) == [[], []]


def test_fold_keeps_words_that_only_look_plural() -> None:
    assert lb.fold("PDEs") == "pde" and lb.fold("operators") == "operator"
    assert [lb.fold(w) for w in ("loss", "analysis", "physics", "gas")] == ["loss", "analysis", "physics", "gas"]
