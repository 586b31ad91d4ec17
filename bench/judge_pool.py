"""The judging pool: the top 30 of every variant :mod:`relevance` evaluates, minus what is judged already.

    python bench/judge_pool.py --queries Q.jsonl --judgments J.jsonl --show     # print what is left to judge
    python bench/judge_pool.py --data-dir DIR ...                              # an existing demo data dir

Judging a pool (not just the top 10 of today's default) is what keeps a new variant from looking bad only
because the papers it finds were never judged. Run it again after adding a variant: it lists only the papers
the new variant brings in.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from relevance import demo_service, variants
from relevance_kit import load_judgments, load_queries


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--queries", type=Path, nargs="*")
    ap.add_argument("--judgments", type=Path, nargs="*")
    ap.add_argument("--data-dir", type=Path)
    ap.add_argument("--database-url")
    ap.add_argument("--depth", type=int, default=30)
    ap.add_argument("--show", action="store_true", help="print titles and abstracts (else only counts)")
    args = ap.parse_args()
    queries = load_queries(args.queries)
    judged = load_judgments(args.judgments)
    left = 0
    with demo_service(args.data_dir, args.database_url) as service:
        rankers = variants(service, depth=args.depth)
        papers = {p.id: p for p in service.store.iter_papers()}  # type: ignore[attr-defined]
        for q in queries:
            pool: dict[str, None] = {}
            for rank in rankers.values():
                pool.update(dict.fromkeys(rank(q.query)[: args.depth]))
            if q.target:
                pool[q.target] = None
            todo = [pid for pid in pool if pid not in judged.get(q.qid, {})]
            left += len(todo)
            if not todo:
                continue
            print(f"\n=== {q.qid} [{q.kind}] {q.query!r}: {len(todo)} to judge")
            if args.show:
                for pid in todo:
                    p = papers[pid]
                    abstract = textwrap.shorten(p.abstract or "", 400)
                    print(f"- {pid} | {p.title}\n    {abstract}")
    print(f"\n{left} papers left to judge over {len(queries)} queries", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
