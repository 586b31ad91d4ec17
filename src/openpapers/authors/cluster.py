"""Split one block of same-named mentions into people: co-author chains first, then attachment by confidence.

Stage 1 unites mentions that share a co-author (transitively: a person's papers chain through their
collaborators even where two papers share nobody), as long as the names can be one person and no correction
forbids it. Stage 2 is the rule for what has no such evidence: a group joins the *largest* compatible group only
when the score (:func:`openpapers.authors.evidence.score`: topic, categories, years, organisations, name form)
gives it at least :data:`ATTACH` probability; otherwise it stays a person of its own, remembered as "possibly the
same person as" that group when the probability is at least :data:`NEAR`. Corrections are constraints: mentions
pinned to one identity start together, a mention kept away from an identity never joins the group holding it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from openpapers.authors.evidence import (
    WEIGHTS,
    Group,
    Mention,
    Weights,
    names_compatible,
    probability,
    score,
    topic_matrix,
)

ATTACH = 0.3  # chosen on the labelled Qi Meng page (bench/author_identities.py): see docs/authors.md
NEAR = 0.1
CHAINED = 0.95  # confidence of a mention tied to its group by shared co-authors


@dataclass(slots=True)
class Constraints:
    """Corrections for one block, by mention index: ``pins`` (mention -> identity it must belong to) and ``bans``
    (mention -> identities it must not belong to)."""

    pins: dict[int, str] = field(default_factory=dict)
    bans: dict[int, set[str]] = field(default_factory=dict)


@dataclass(slots=True)
class Person:
    """One person found in a block: mention indices, each mention's confidence, the group it may be."""

    members: list[int]
    confidence: dict[int, float]
    near: int | None = None  # index into the block's result list
    near_probability: float = 0.0
    pin: str | None = None


class _Groups:
    def __init__(self, mentions: list[Mention], constraints: Constraints) -> None:
        self.mentions = mentions
        self.groups: dict[int, Group] = {}
        self.pins: dict[int, set[str]] = {}
        self.bans: dict[int, set[str]] = {}
        self.of: dict[int, int] = {}
        for i, m in enumerate(mentions):
            g = Group(members=[])
            g.add(i, m, CHAINED)
            self.groups[i] = g
            self.pins[i] = {constraints.pins[i]} if i in constraints.pins else set()
            self.bans[i] = set(constraints.bans.get(i, ()))
            self.of[i] = i

    def allowed(self, a: int, b: int) -> bool:
        pins = self.pins[a] | self.pins[b]
        if len(pins) > 1 or pins & (self.bans[a] | self.bans[b]):
            return False
        return names_compatible(self.groups[a], self.groups[b])[0]

    def merge(self, keep: int, gone: int, confidence: float) -> None:
        self.groups[keep].absorb(self.groups.pop(gone), confidence)
        self.pins[keep] |= self.pins.pop(gone)
        self.bans[keep] |= self.bans.pop(gone)
        for i in self.groups[keep].members:
            self.of[i] = keep


def cluster_block(mentions: list[Mention], constraints: Constraints | None = None,
                  weights: Weights = WEIGHTS, attach: float = ATTACH) -> list[Person]:
    """The people of one block, largest first."""
    constraints = constraints or Constraints()
    gs = _Groups(mentions, constraints)
    by_pin: dict[str, list[int]] = defaultdict(list)
    for i, pin in constraints.pins.items():
        by_pin[pin].append(i)
    for members in by_pin.values():
        for i in members[1:]:
            a, b = gs.of[members[0]], gs.of[i]
            if a != b:
                gs.merge(a, b, 1.0)
    _chain(gs)
    sim = topic_matrix(mentions)
    _attach(gs, sim, weights, attach)
    return _people(gs, sim, weights)


def _chain(gs: _Groups) -> None:
    """Stage 1: unite groups that share a co-author, until nothing changes."""
    changed = True
    while changed:
        changed = False
        holders: dict[str, list[int]] = defaultdict(list)
        for gid, g in gs.groups.items():
            for name in g.coauthors:
                holders[name].append(gid)
        for gids in holders.values():
            live = sorted({gs.of[g] for g in gids})
            for other in live[1:]:
                a, b = gs.of[live[0]], gs.of[other]
                if a != b and a in gs.groups and b in gs.groups and gs.allowed(a, b):
                    keep, gone = (a, b) if len(gs.groups[a].members) >= len(gs.groups[b].members) else (b, a)
                    gs.merge(keep, gone, CHAINED)
                    changed = True


def _largest_compatible(gs: _Groups, gid: int) -> int | None:
    size = len(gs.groups[gid].members)
    best = None
    for other, g in gs.groups.items():
        if other == gid or len(g.members) < size or not gs.allowed(gid, other):
            continue
        if len(g.members) == size and other > gid:
            continue  # of two equal groups, the later one is attached to the earlier
        if best is None or len(g.members) > len(gs.groups[best].members):
            best = other
    return best


def _attach(gs: _Groups, sim: np.ndarray, weights: Weights, attach: float) -> None:
    """Stage 2: smaller groups join the largest compatible group when confident enough."""
    changed = True
    while changed:
        changed = False
        for gid in sorted(gs.groups, key=lambda g: len(gs.groups[g].members)):
            if gid not in gs.groups:
                continue
            target = _largest_compatible(gs, gid)
            if target is None:
                continue
            p = probability(score(gs.groups[gid], gs.groups[target], sim, weights))
            if p >= attach:
                gs.merge(target, gid, p)
                changed = True


def _people(gs: _Groups, sim: np.ndarray, weights: Weights) -> list[Person]:
    order = sorted(gs.groups, key=lambda g: (-len(gs.groups[g].members), min(gs.groups[g].members)))
    index = {gid: n for n, gid in enumerate(order)}
    out: list[Person] = []
    for gid in order:
        g = gs.groups[gid]
        pin = next(iter(gs.pins[gid]), None)
        person = Person(members=sorted(g.members), confidence=dict(g.joined), pin=pin)
        target = _largest_compatible(gs, gid)
        if target is not None:
            p = probability(score(g, gs.groups[target], sim, weights))
            if p >= NEAR:
                person.near, person.near_probability = index[target], p
            for i in g.members:  # kept apart: as sure as the attachment was unlikely
                person.confidence[i] = min(person.confidence[i], 1.0 - p) if len(g.members) == 1 else \
                    person.confidence[i]
        out.append(person)
    return out
