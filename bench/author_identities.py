"""Author identities on labelled pages: B3 precision/recall/F1, namesakes kept apart, main person kept whole.

    python bench/author_identities.py [--tfidf] [--json]

Sets: (1) the Qi Meng seed author page, labelled by hand in tests/authors/labels/qi_meng.tsv (a reason per
paper); (2) synthetic namesakes: for every two real co-authors on that page with at least three papers each,
no paper in common and no shared co-author other than the page owner, both renamed to one made-up name on their
papers (their own papers chain through co-authors as in real life; the page owner, who sits on every paper, is
dropped from the co-author lists of the renamed sets, else every pair would be one lab and trivially merged).
The baseline is one identity per name. Topic similarity uses the shipped embedding model (``--tfidf``: the
TF-IDF fallback used when papers have no stored vectors).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np

from openpapers.authors.cluster import cluster_block
from openpapers.authors.evidence import Mention
from openpapers.authors.mentions import blocks_of
from openpapers.authors.names import parses
from openpapers.core.records import Paper, name_key, title_key
from openpapers.papers.demo import load_demo
from openpapers.papers.store import Store

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "tests" / "authors" / "labels" / "qi_meng.tsv"
OWNER = "Qi Meng"
SYNTH = "Synthetic Person"


def load_labels(path: Path = LABELS) -> dict[str, tuple[str, str]]:
    """title key -> (person, why)."""
    out = {}
    for line in path.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        title, person, why = line.split("\t")
        out[title_key(title)] = (person, why)
    return out


def b3(truth: list[str], pred: list[int]) -> tuple[float, float, float]:
    """B-cubed precision, recall, F1 of a clustering ``pred`` against labels ``truth`` (one per item)."""
    n = len(truth)
    p = r = 0.0
    for i in range(n):
        same_pred = [j for j in range(n) if pred[j] == pred[i]]
        same_true = [j for j in range(n) if truth[j] == truth[i]]
        both = sum(1 for j in same_pred if truth[j] == truth[i])
        p += both / len(same_pred)
        r += both / len(same_true)
    p, r = p / n, r / n
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def figures(truth: list[str], pred: list[int], main: str) -> dict[str, float]:
    """B3 plus the issue's two shares: namesake papers not in the main person's largest identity, and the main
    person's papers in that one identity."""
    p, r, f = b3(truth, pred)
    main_ids = [pred[i] for i in range(len(truth)) if truth[i] == main]
    biggest = max(set(main_ids), key=main_ids.count)
    namesakes = [i for i in range(len(truth)) if truth[i] != main]
    apart = sum(1 for i in namesakes if pred[i] != biggest) / len(namesakes) if namesakes else 1.0
    return {"b3_precision": p, "b3_recall": r, "b3_f1": f, "namesakes_apart": apart,
            "main_in_one": main_ids.count(biggest) / len(main_ids), "papers": len(truth)}


def run(mentions: list[Mention], truth: list[str], main: str) -> dict[str, dict[str, float]]:
    people = cluster_block(mentions)
    pred = [0] * len(mentions)
    for n, person in enumerate(people):
        for i in person.members:
            pred[i] = n
    return {"identities": figures(truth, pred, main), "one_per_name": figures(truth, [0] * len(truth), main)}


def demo_papers() -> list[Paper]:
    store = Store("sqlite://")
    load_demo(store)
    papers = [p for p in store.iter_papers() if p.authors]
    store.close()
    return papers


def embed(papers: list[Paper]) -> dict[str, np.ndarray]:
    from openpapers.search.embed import Embedder, paper_text

    embedder = Embedder.load()
    vecs = embedder.embed([paper_text(p) for p in papers])
    embedder.close()
    return {p.id: vecs[i] for i, p in enumerate(papers)}


def labelled_page(papers: list[Paper], vectors: dict[str, np.ndarray]) -> tuple[list[Mention], list[str]]:
    labels = load_labels()
    block = parses(OWNER)[0].block
    mentions = [m for m in blocks_of(papers, vectors, only={block})[block] if m.name == OWNER]
    by_id = {p.id: p for p in papers}
    truth = [labels[title_key(by_id[m.paper_id].title)][0] for m in mentions]
    return mentions, truth


def synthetic_sets(papers: list[Paper], vectors: dict[str, np.ndarray]) -> list[tuple[str, list[Mention], list[str]]]:
    """Pairs of real people of the labelled page merged under one name (see the module docstring)."""
    labels = load_labels()
    page = [p for p in papers if title_key(p.title) in labels]
    owner = name_key(OWNER)
    papers_of: dict[str, list[Paper]] = defaultdict(list)
    for p in page:
        for a in p.authors:
            if name_key(a) != owner:
                papers_of[a].append(p)
    people = sorted(a for a, ps in papers_of.items() if len(ps) >= 3)
    out = []
    for a, b in itertools.combinations(people, 2):
        pa, pb = papers_of[a], papers_of[b]
        if {p.id for p in pa} & {p.id for p in pb}:
            continue
        co_a = {name_key(x) for p in pa for x in p.authors} - {name_key(a), owner}
        co_b = {name_key(x) for p in pb for x in p.authors} - {name_key(b), owner}
        if co_a & co_b:
            continue
        mixed = [replace(p, authors=[SYNTH if x == who else x for x in p.authors if name_key(x) != owner])
                 for who, ps in ((a, pa), (b, pb)) for p in ps]
        block = parses(SYNTH)[0].block
        mentions = blocks_of(mixed, vectors, only={block})[block]
        truth_of = {p.id: (a if p in pa else b) for p in pa + pb}
        truth = [truth_of[m.paper_id] for m in mentions]
        main = a if len(pa) >= len(pb) else b
        out.append((f"{a} + {b}", mentions, [t if t == main else "other" for t in truth]))
    return out


def store_path(tfidf: bool) -> dict[str, float]:
    """The same page through the real path: demo import into a SQLite store, embeddings stored (unless
    ``tfidf``), ``authors rebuild``, then the stored identities of the page's papers scored against the labels."""
    from openpapers.authors import repository as repo
    from openpapers.authors import service
    from openpapers.search.embed import Embedder, paper_text

    labels = load_labels()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/bench.db")
        load_demo(store)
        papers = [p for p in store.iter_papers() if p.authors]
        if not tfidf:
            embedder = Embedder.load()
            vecs = embedder.embed([paper_text(p) for p in papers])
            store.put_embeddings([(p.id, embedder.model_id, "bench", np.asarray(vecs[i], dtype="<f4").tobytes())
                                  for i, p in enumerate(papers)])
            embedder.close()
        service.rebuild(store)
        page = [p for p in papers if title_key(p.title) in labels and OWNER in p.authors]
        assigned = repo.identities_of_papers(store.db, [p.id for p in page])
        store.close()
    ids = sorted({assigned[(p.id, "qi-meng")] for p in page})
    truth = [labels[title_key(p.title)][0] for p in page]
    return figures(truth, [ids.index(assigned[(p.id, "qi-meng")]) for p in page], "main")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tfidf", action="store_true", help="topic similarity from TF-IDF, not embeddings")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    papers = demo_papers()
    labels = load_labels()
    page = [p for p in papers if title_key(p.title) in labels]
    vectors = {} if args.tfidf else embed(page)
    mentions, truth = labelled_page(papers, vectors)
    result: dict[str, object] = {"qi_meng_page": run(mentions, truth, "main"), "store_path": store_path(args.tfidf)}
    synth = {name: run(ms, tr, next(t for t in tr if t != "other")) for name, ms, tr in synthetic_sets(page, vectors)}
    result["synthetic"] = synth
    if synth:
        keys = ["b3_precision", "b3_recall", "b3_f1", "namesakes_apart", "main_in_one"]
        result["synthetic_mean"] = {k: float(np.mean([s["identities"][k] for s in synth.values()])) for k in keys}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    q = result["qi_meng_page"]
    assert isinstance(q, dict)
    print(f"topic similarity: {'TF-IDF' if args.tfidf else 'embeddings (minilm-l6-v2)'}")
    rows = (("Qi Meng page, identities", q["identities"]), ("Qi Meng page, one per name", q["one_per_name"]))
    for label, fig in rows:
        print(f"{label:32s} P {fig['b3_precision']:.3f}  R {fig['b3_recall']:.3f}  F1 {fig['b3_f1']:.3f}  "
              f"namesakes apart {fig['namesakes_apart']:.0%}  main in one {fig['main_in_one']:.0%}  "
              f"({fig['papers']:.0f} papers)")
    fig = result["store_path"]
    assert isinstance(fig, dict)
    print(f"{'Qi Meng page, store + rebuild':32s} P {fig['b3_precision']:.3f}  R {fig['b3_recall']:.3f}  "
          f"F1 {fig['b3_f1']:.3f}  namesakes apart {fig['namesakes_apart']:.0%}  main in one {fig['main_in_one']:.0%}")
    for name, s in synth.items():
        fig = s["identities"]
        print(f"synthetic {name:40s} F1 {fig['b3_f1']:.3f}  other apart {fig['namesakes_apart']:.0%}  "
              f"main in one {fig['main_in_one']:.0%}  (baseline F1 {s['one_per_name']['b3_f1']:.3f})")
    if synth:
        m = result["synthetic_mean"]
        assert isinstance(m, dict)
        print(f"synthetic mean ({len(synth)} sets): F1 {m['b3_f1']:.3f}  apart {m['namesakes_apart']:.0%}  "
              f"main in one {m['main_in_one']:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
