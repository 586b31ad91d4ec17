"""Relevance on the demo corpus: recall@10 and MRR of each search mode over the judged queries.

    python bench/judged_eval.py                       # every mode the installed search layer supports
    python bench/judged_eval.py --modes keyword --verbose

The judgments (``tests/search/judged_queries.json``) were written by reading the demo papers: each query lists
title substrings of the papers that must be in its top 10. Latency benches say nothing about whether the right
papers come back; this does, and it is what fusion weights are tuned against. Scores are macro-averaged over
the queries judged for a mode (a paraphrase query is judged only for semantic/hybrid, see its ``modes``).

recall@10: share of a query's relevant papers found in its first 10 hits. MRR: 1 / rank of the first relevant
hit (0 when none is in the first ``--depth`` hits).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
JUDGED = ROOT / "tests" / "search" / "judged_queries.json"
MODES = ("keyword", "semantic", "hybrid")

# search(query, mode, limit) -> ranked paper ids
SearchFn = Callable[[str, str, int], list[str]]


@dataclass(slots=True)
class Judged:
    query: str
    relevant: list[str]  # title substrings, as written in the file
    modes: list[str]
    note: str = ""
    ids: list[str] = field(default_factory=list)  # resolved paper ids, same order as ``relevant``


@dataclass(slots=True)
class ModeScore:
    mode: str
    queries: int
    recall_at_10: float
    mrr: float
    misses: list[tuple[str, list[str]]]  # (query, relevant titles not in the top 10)


def load_judged(path: Path = JUDGED) -> list[Judged]:
    data = orjson.loads(path.read_bytes())
    return [Judged(q["query"], list(q["relevant"]), list(q.get("modes") or MODES), q.get("note", ""))
            for q in data["queries"]]


def resolve(judged: Sequence[Judged], titles: dict[str, str]) -> None:
    """Fill each query's ``ids`` from ``titles`` (paper id -> title); every substring must name one paper.

    Raises ValueError listing every substring that matches no paper or several, so a corpus change that makes
    a judgment ambiguous fails loudly instead of silently judging against the wrong paper.
    """
    folded = {pid: t.casefold() for pid, t in titles.items()}
    problems = []
    for j in judged:
        j.ids = []
        for sub in j.relevant:
            found = [pid for pid, t in folded.items() if sub.casefold() in t]
            if len(found) != 1:
                problems.append(f"{j.query!r}: {sub!r} matches {len(found)} papers")
            else:
                j.ids.append(found[0])
    if problems:
        raise ValueError("judged queries do not resolve on this corpus:\n  " + "\n  ".join(problems))


def score_mode(mode: str, judged: Sequence[Judged], search: SearchFn, titles: dict[str, str],
               depth: int = 100) -> ModeScore:
    """Run every query judged for ``mode`` and average recall@10 and MRR over them."""
    recalls, rrs, misses = [], [], []
    for j in judged:
        if mode not in j.modes:
            continue
        ranked = search(j.query, mode, depth)
        top10 = set(ranked[:10])
        found = [pid for pid in j.ids if pid in top10]
        recalls.append(len(found) / len(j.ids))
        rank = next((i for i, pid in enumerate(ranked, 1) if pid in set(j.ids)), None)
        rrs.append(1.0 / rank if rank else 0.0)
        missing = [titles[pid] for pid in j.ids if pid not in top10]
        if missing:
            misses.append((j.query, missing))
    n = len(recalls)
    return ModeScore(mode, n, sum(recalls) / n if n else 0.0, sum(rrs) / n if n else 0.0, misses)


def demo_service(data_dir: Path, modes: Sequence[str]) -> tuple[SearchFn, dict[str, str], list[str]]:
    """A store with the demo corpus and its indexes in ``data_dir``; returns (search, titles, usable modes).

    Semantic and hybrid need the embedding model; when it cannot be loaded those modes are left out (and the
    caller says so) rather than failing the keyword evaluation.
    """
    from openpapers.core.settings import resolve_settings
    from openpapers.papers.demo import load_demo
    from openpapers.papers.store import open_store
    from openpapers.search.service import SearchService
    from openpapers.search.types import Filters

    store = open_store(resolve_settings(data_dir))
    load_demo(store)
    service = SearchService(store, data_dir)
    usable = list(modes)
    semantic = any(m != "keyword" for m in modes)
    try:
        service.sync(semantic=semantic)
    except (ImportError, OSError) as exc:  # no vector module or no model: keyword only
        print(f"note: semantic indexing unavailable ({type(exc).__name__}: {exc}); evaluating keyword only")
        usable = [m for m in usable if m == "keyword"]
        service.sync(semantic=False)
    titles = {p.id: p.title for p in store.iter_papers()}

    def search(query: str, mode: str, limit: int) -> list[str]:
        result = service.search(query, mode=mode, filters=Filters(), limit=limit)
        hits = result[0] if isinstance(result, tuple) else getattr(result, "hits", result)
        return [h.paper_id for h in hits]

    return search, titles, usable


def print_scores(scores: Sequence[ModeScore], verbose: bool = False) -> None:
    print(f"{'mode':<10}{'queries':>8}{'recall@10':>11}{'MRR':>8}")
    for s in scores:
        print(f"{s.mode:<10}{s.queries:>8}{s.recall_at_10:>11.3f}{s.mrr:>8.3f}")
    if verbose:
        for s in scores:
            for query, missing in s.misses:
                print(f"  [{s.mode}] {query!r} misses: " + "; ".join(t[:60] for t in missing))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    ap.add_argument("--judged", type=Path, default=JUDGED)
    ap.add_argument("--data-dir", type=Path, help="where to build the demo store [default: a temp dir]")
    ap.add_argument("--verbose", "-v", action="store_true", help="list the relevant papers each mode missed")
    args = ap.parse_args(argv)
    judged = load_judged(args.judged)
    if args.data_dir is None:
        with tempfile.TemporaryDirectory(prefix="openpapers-judged-") as tmp:
            return evaluate(judged, Path(tmp), args)
    return evaluate(judged, args.data_dir, args)


def evaluate(judged: list[Judged], data_dir: Path, args: argparse.Namespace) -> int:
    search, titles, usable = demo_service(data_dir, args.modes)
    resolve(judged, titles)
    skipped = [m for m in args.modes if m not in usable]
    if skipped:
        print(f"not evaluated (semantic indexing unavailable): {', '.join(skipped)}")
    print(f"{len(judged)} judged queries on the demo corpus ({len(titles)} papers)")
    print_scores([score_mode(m, judged, search, titles) for m in usable], args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
