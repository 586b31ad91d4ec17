"""Measures of a topic build, shared by the tests and bench/topics.py: purity against hand-written themes, how
much of the corpus labelled topics cover, and the largest topic's share."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(slots=True)
class Quality:
    purity: float  # share of judged papers whose topic's majority theme is their own theme
    judged: int  # judged papers that have a topic
    labelled_topics: int  # topics with a label
    coverage: float  # share of papers in labelled topics
    largest_share: float


def purity(assignment: Mapping[str, int], themes: Mapping[str, str]) -> tuple[float, int]:
    """Cluster purity (Manning et al.): for each topic the count of its commonest theme among judged papers,
    summed, over the judged papers that have a topic. Papers themed "other" are left out (no theme to agree
    with)."""
    by_topic: dict[int, Counter[str]] = defaultdict(Counter)
    for pid, theme in themes.items():
        if theme != "other" and pid in assignment:
            by_topic[assignment[pid]][theme] += 1
    judged = sum(sum(c.values()) for c in by_topic.values())
    if judged == 0:
        return 0.0, 0
    return sum(c.most_common(1)[0][1] for c in by_topic.values()) / judged, judged


def measure(assignment: Mapping[str, int], labels: Mapping[int, str], themes: Mapping[str, str]) -> Quality:
    """``assignment`` paper -> topic id, ``labels`` topic id -> label, ``themes`` paper -> theme."""
    sizes = Counter(assignment.values())
    total = max(1, len(assignment))
    labelled = {tid for tid, label in labels.items() if label and label != "unlabelled"}
    value, judged = purity(assignment, themes)
    return Quality(purity=value, judged=judged, labelled_topics=len(labelled),
                   coverage=sum(n for tid, n in sizes.items() if tid in labelled) / total,
                   largest_share=max(sizes.values(), default=0) / total)
