"""Generate a synthetic arXiv bulk-metadata snapshot (JSON lines) for import and search benchmarks.

    python bench/gen_snapshot.py --out /tmp/snap.jsonl --n 1000000 [--seed 0] [--workers 2]

Each line has exactly the fields of the real snapshot, in the real order and with the real quirks (abstracts
with a two-space lead-in, hard-wrapped lines and a trailing newline; long titles wrapped with ``"\\n  "``;
TeX accents in some author strings but not in ``authors_parsed``; ``versions`` dates in RFC 822 form).
Text comes from a model learned from the seed pages (see ``vocab.py``) so that word statistics resemble the
demo corpus.

Design for speed and constant memory: everything expensive (abstract fragments, the author pool, category
sets) is precomputed once; papers are then produced in fixed-size blocks, each from its own RNG seeded by
``(seed, block number)``, so the output is identical whatever the number of worker processes, and only a
bounded number of blocks is ever in flight.
"""

from __future__ import annotations

import argparse
import bisect
import calendar
import multiprocessing
import os
import random
import re
import sys
import time
from collections import deque
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
import vocab  # bench/ is not a package

FIRST_MONTH = (2007, 4)  # new-style ids start at 0704
LAST_MONTH = (2025, 12)
LAST_DAY = date(2025, 12, 31)
BLOCK = 2000
FRAGMENTS = 20_000  # per pool; combining 2–3 pieces makes repeats (and title clashes) rare
PEOPLE = 60_000
WITHDRAWN_RATE = 0.01
WITHDRAWN_COMMENT = "This paper has been withdrawn by the author"

# Greedy hard wrap in one C-level pass: a line is up to 78 characters ending at a space (or one over-long
# word); findall gives the lines without their trailing spaces (much faster than re.sub's templates).
_WRAP = re.compile(r"(.{1,78}|\S+)(?: +|$)")
CHUNKS = 100_000  # pairs of sentences, each sentence an opener + closer drawn independently
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Category sets: a primary and plausible cross-lists. Weighted towards ML because the seed text is ML.
_CATEGORY_GROUPS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (30, ("cs.LG", "stat.ML", "cs.AI", "cs.NE", "math.OC")),
    (14, ("cs.CV", "cs.LG", "cs.AI", "eess.IV", "cs.GR")),
    (14, ("cs.CL", "cs.AI", "cs.LG", "cs.IR")),
    (6, ("math.OC", "cs.LG", "math.NA", "stat.ML")),
    (5, ("cs.RO", "cs.AI", "cs.LG", "eess.SY")),
    (5, ("physics.flu-dyn", "physics.comp-ph", "cs.LG", "math.NA")),
    (4, ("quant-ph", "cs.LG", "cond-mat.stat-mech")),
    (4, ("hep-th", "hep-ph", "gr-qc")),
    (4, ("astro-ph.CO", "astro-ph.GA", "gr-qc")),
    (4, ("cond-mat.mtrl-sci", "cond-mat.stat-mech", "physics.comp-ph")),
    (4, ("math.PR", "math.ST", "stat.TH")),
    (3, ("q-bio.NC", "cs.NE", "cs.LG")),
    (3, ("econ.EM", "stat.ME", "stat.AP")),
)
_JOURNALS: tuple[tuple[str, str], ...] = (
    ("Phys. Rev. D {vol}, {page:06d} ({year})", "10.1103/PhysRevD.{vol}.{page:06d}"),
    ("Phys. Rev. Lett. {vol}, {page:06d} ({year})", "10.1103/PhysRevLett.{vol}.{page:06d}"),
    ("J. Comput. Phys. {vol} ({year}) {page}", "10.1016/j.jcp.{year}.{page}"),
    ("IEEE Trans. Pattern Anal. Mach. Intell. {vol} ({year}) {page}", "10.1109/TPAMI.{year}.{page}"),
    ("Nature Communications {vol}, {page} ({year})", "10.1038/s41467-{yy}-{page:05d}-x"),
    ("Proceedings of the AAAI Conference on Artificial Intelligence {vol} ({year})", ""),
    ("J. Mach. Learn. Res. {vol} ({year}) 1-{page}", ""),
)
_LICENSES: tuple[str, ...] = (
    "http://arxiv.org/licenses/nonexclusive-distrib/1.0/",
    "http://creativecommons.org/licenses/by/4.0/",
    "http://creativecommons.org/licenses/by-sa/4.0/",
    "http://creativecommons.org/licenses/by-nc-sa/4.0/",
    "http://creativecommons.org/licenses/by-nc-nd/4.0/",
    "http://creativecommons.org/publicdomain/zero/1.0/",
)
_VENUES = ("NeurIPS", "ICML", "ICLR", "CVPR", "ACL", "EMNLP", "AAAI", "AISTATS", "COLT", "UAI")
_MATH = ("$O(n \\log n)$", "$\\epsilon$-optimal", "$\\mathcal{O}(1/\\sqrt{T})$", "$d \\gg n$", "$L^2$",
         "$k$-means", "$\\ell_1$-regularized")
# Author-count distribution: mostly small teams, a tail of large collaborations.
_AUTHOR_COUNTS = [1] * 12 + [2] * 18 + [3] * 20 + [4] * 16 + [5] * 11 + [6] * 8 + [7] * 5 + [8] * 4 + [
    9, 10, 11, 12, 14, 16, 20, 25, 40, 120]
_VERSION_COUNTS = [1] * 55 + [2] * 28 + [3] * 11 + [4] * 4 + [5, 6]


@dataclass(slots=True)
class Tables:
    """The precomputed pieces every block draws from (built once per process, identical for a seed)."""

    title_openers: list[str]
    title_pieces: list[str]
    chunks: list[tuple[str, int]]  # two sentences each, with word counts to fill abstracts to a drawn length
    people: list[vocab.Person]
    category_sets: list[str]
    months: list[tuple[int, int]]
    month_starts: list[int]
    month_counts: list[int]
    month_first_day: list[int]  # ordinal of the 1st of each month
    month_days: list[int]
    n: int
    seed: int


def month_counts(n: int) -> tuple[list[tuple[int, int]], list[int]]:
    """Spread ``n`` ids over the months, growing over time like arXiv's submission rate.

    Counts are capped by the id width (4 digits before 2015, 5 after); the remainder goes to later months.
    """
    months = []
    y, m = FIRST_MONTH
    while (y, m) <= LAST_MONTH:
        months.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    caps = [9999 if y < 2015 else 99999 for y, _ in months]
    if n > sum(caps):
        raise ValueError(f"--n {n} is more than new-style ids can number ({sum(caps)})")
    weights = [3000 + 21000 * i / (len(months) - 1) for i in range(len(months))]
    total = sum(weights)
    counts = [min(cap, int(n * w / total)) for w, cap in zip(weights, caps, strict=True)]
    i = len(months) - 1
    while sum(counts) < n:  # hand out what rounding and caps left, latest months first
        if counts[i] < caps[i]:
            counts[i] += 1
        i = i - 1 if i > 0 else len(months) - 1
    return months, counts


def build_tables(seed: int, n: int) -> Tables:
    """Precompute the fragment pool, author pool and category sets for ``seed`` (about a second)."""
    rng = random.Random(f"tables:{seed}")
    voc = vocab.load_vocabulary()
    title_openers = voc.fragments(rng, voc.titles, FRAGMENTS, 3, 5)
    title_pieces = voc.fragments(rng, voc.titles, FRAGMENTS, 2, 5, opening=False)
    title_pieces = [p.rstrip(".,;:") for p in title_pieces]
    openers = voc.fragments(rng, voc.abstracts, FRAGMENTS, 3, 8)
    closers = voc.fragments(rng, voc.abstracts, FRAGMENTS, 3, 14, opening=False)
    closers = [c if c.endswith((".", "?", "!")) else c.rstrip(",;:") + "." for c in closers]
    people = vocab.person_pool(rng, PEOPLE)
    weights = [w for w, _ in _CATEGORY_GROUPS]
    category_sets = []
    for _ in range(5000):
        group = rng.choices(_CATEGORY_GROUPS, weights)[0][1]
        cats = [group[0] if rng.random() < 0.7 else _pick(rng, group)]
        for _ in range(_pick(rng, (0, 0, 1, 1, 1, 2, 3))):
            extra = _pick(rng, group)
            if extra not in cats:
                cats.append(extra)
        category_sets.append(" ".join(cats))
    months, counts = month_counts(n)
    starts = [0]
    for c in counts:
        starts.append(starts[-1] + c)
    first_days = [date(y, m, 1).toordinal() for y, m in months]
    month_days = [calendar.monthrange(y, m)[1] for y, m in months]
    chunks = []
    for _ in range(CHUNKS):
        o1, o2 = rng.choices(openers, k=2)
        c1, c2 = rng.choices(closers, k=2)
        text = f"{o1} {c1} {o2} {c2}"
        chunks.append((text, text.count(" ") + 1))
    return Tables(
        title_openers, title_pieces, chunks, people, category_sets, months, starts, counts, first_days,
        month_days, n, seed,
    )


def _pick(rng: random.Random, seq: list[Any] | tuple[Any, ...]) -> Any:
    """``rng.choice`` without its per-call overhead (it dominated the profile)."""
    return seq[int(rng.random() * len(seq))]


_DAY_NAMES: dict[int, str] = {}
_LAST_ORDINAL = LAST_DAY.toordinal()
_END_STAMP = (_LAST_ORDINAL + 1) * 86400


def _rfc822(stamp: int) -> str:
    """``Mon, 2 Apr 2007 19:18:42 GMT`` for ordinal-day seconds; day names are cached (date() is slow)."""
    ordinal, seconds = divmod(stamp, 86400)
    prefix = _DAY_NAMES.get(ordinal)
    if prefix is None:
        day = date.fromordinal(ordinal)
        prefix = f"{_WEEKDAYS[day.weekday()]}, {day.day} {_MONTHS[day.month]} {day.year}"
        _DAY_NAMES[ordinal] = prefix
    minutes, sec = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return f"{prefix} {hour:02d}:{minute:02d}:{sec:02d} GMT"


_ISO: dict[int, str] = {}


def _iso(ordinal: int) -> str:
    text = _ISO.get(ordinal)
    if text is None:
        text = _ISO[ordinal] = date.fromordinal(ordinal).isoformat()
    return text


def _title(rng: random.Random, t: Tables) -> str:
    text = f"{_pick(rng, t.title_openers)} {_pick(rng, t.title_pieces)} {_pick(rng, t.title_pieces)}"
    if len(text) > 75:
        return "\n  ".join(_WRAP.findall(text))
    return text


def _abstract(rng: random.Random, t: Tables) -> str:
    target = 120 + int(rng.random() * 110)  # words; sentences of ~15 words end within 120–250
    parts = []
    words = 0
    chunks = t.chunks
    size = len(chunks)
    rand = rng.random
    while words < target:
        text, count = chunks[int(rand() * size)]
        parts.append(text)
        words += count
    if rng.random() < 0.05:
        parts.insert(int(rng.random() * len(parts)), _pick(rng, _MATH))
    text = " ".join(parts)
    return "  " + "\n".join(_WRAP.findall(text)) + "\n"


def _comments(rng: random.Random, year: int) -> str | None:
    r = rng.random()
    if r < 0.35:
        return None
    pages, figs = rng.randint(4, 60), rng.randint(1, 20)
    if r < 0.6:
        return f"{pages} pages, {figs} figures"
    if r < 0.75:
        return f"{pages} pages"
    if r < 0.88:
        return f"{pages} pages, {figs} figures, {rng.randint(1, 8)} tables"
    return f"Accepted at {_pick(rng, _VENUES)} {year}; {pages} pages"


def paper(index: int, rng: random.Random, t: Tables) -> dict[str, Any]:
    """The ``index``-th paper of the snapshot (ids are assigned in order, month by month)."""
    mi = bisect.bisect_right(t.month_starts, index) - 1
    y, m = t.months[mi]
    number = index - t.month_starts[mi] + 1
    arxiv_id = f"{y % 100:02d}{m:02d}.{number:04d}" if y < 2015 else f"{y % 100:02d}{m:02d}.{number:05d}"
    # Submissions move through the month as numbers grow, as real ids do.
    day = t.month_first_day[mi] + (number - 1) * t.month_days[mi] // t.month_counts[mi]

    withdrawn = rng.random() < WITHDRAWN_RATE
    n_versions = max(2, _pick(rng, _VERSION_COUNTS)) if withdrawn else _pick(rng, _VERSION_COUNTS)
    # Version times in seconds (day ordinal * 86400 + time of day) so that they stay strictly increasing
    # even when the end of the range squeezes several versions into its last day.
    stamp = day * 86400 + int(rng.random() * 86400)
    versions = [{"version": "v1", "created": _rfc822(stamp)}]
    for v in range(2, n_versions + 1):
        later = stamp + 3600 + int(rng.random() * 300 * 86400)
        stamp = later if later < _END_STAMP else stamp + 60 + int(rng.random() * 600)
        versions.append({"version": f"v{v}", "created": _rfc822(stamp)})
    last_day = stamp // 86400
    update = max(last_day, min(_LAST_ORDINAL, last_day + _pick(rng, (0, 0, 0, 1, 2, 7, 30, 200))))

    people = rng.choices(t.people, k=_pick(rng, _AUTHOR_COUNTS))
    names = [p.display for p in people]
    # Most author strings put " and " before the last name; some use commas only.
    and_last = len(names) > 1 and rng.random() < 0.7
    authors = ", ".join(names[:-1]) + " and " + names[-1] if and_last else ", ".join(names)
    submitter = people[0].full_name if rng.random() < 0.8 else _pick(rng, t.people).full_name

    journal_ref = doi = None
    if rng.random() < 0.22:
        jref, jdoi = _pick(rng, _JOURNALS)
        year = min(LAST_DAY.year, y + _pick(rng, (0, 1, 1, 2)))
        fmt = {"vol": rng.randint(1, 140), "page": rng.randint(1, 99999), "year": year,
               "yy": f"{year % 100:02d}"}
        journal_ref = jref.format(**fmt)
        doi = jdoi.format(**fmt) or None
        if rng.random() < 0.2:  # some papers give the DOI but no journal reference
            journal_ref = None

    if y < 2010:
        license_ = None if rng.random() < 0.9 else _LICENSES[0]
    else:
        license_ = _pick(rng, _LICENSES) if rng.random() < 0.85 else None

    return {
        "id": arxiv_id,
        "submitter": submitter,
        "authors": authors,
        "title": _title(rng, t),
        "comments": WITHDRAWN_COMMENT if withdrawn else _comments(rng, y),
        "journal-ref": journal_ref,
        "doi": doi,
        "report-no": None,
        "categories": _pick(rng, t.category_sets),
        "license": license_,
        "abstract": _abstract(rng, t),
        "versions": versions,
        "update_date": _iso(update),
        "authors_parsed": [p.parsed for p in people],  # orjson writes tuples as arrays
    }


_TABLES: Tables | None = None


def _init_worker(seed: int, n: int) -> None:
    global _TABLES
    if _TABLES is None or (_TABLES.seed, _TABLES.n) != (seed, n):  # inherited through fork when possible
        _TABLES = build_tables(seed, n)


def make_block(seed: int, block: int, start: int, stop: int) -> bytes:
    """Lines ``start``..``stop`` as one bytes blob; depends only on (seed, block), never on the worker."""
    assert _TABLES is not None
    rng = random.Random(f"{seed}:{block}")
    dumps = orjson.dumps
    return b"".join(dumps(paper(i, rng, _TABLES)) + b"\n" for i in range(start, stop))


def generate(out: BinaryIO, n: int, seed: int = 0, workers: int = 1, block: int = BLOCK) -> None:
    """Write ``n`` lines to ``out``; at most ``2 * workers`` blocks are held in memory at once."""
    global _TABLES
    _TABLES = build_tables(seed, n)
    jobs = ((seed, b, s, min(n, s + block)) for b, s in enumerate(range(0, n, block)))
    if workers <= 1:
        for job in jobs:
            out.write(make_block(*job))
        return
    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
    with ctx.Pool(workers, initializer=_init_worker, initargs=(seed, n)) as pool:
        pending: deque[Any] = deque()
        for job in jobs:
            pending.append(pool.apply_async(make_block, job))
            if len(pending) >= 2 * workers:
                out.write(pending.popleft().get())
        while pending:
            out.write(pending.popleft().get())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="output file ('-' for stdout)")
    parser.add_argument("--n", type=int, default=1000, help="number of papers")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1),
                        help="processes (default: up to 2); the output does not depend on it")
    args = parser.parse_args(argv)
    if args.n < 0:
        parser.error("--n must be >= 0")
    try:
        month_counts(args.n)
    except ValueError as exc:
        parser.error(str(exc))
    began = time.perf_counter()
    if args.out == "-":
        generate(sys.stdout.buffer, args.n, args.seed, args.workers)
        sys.stdout.buffer.flush()
    else:
        with open(args.out, "wb", buffering=1 << 20) as fh:
            generate(fh, args.n, args.seed, args.workers)
    took = time.perf_counter() - began
    print(f"wrote {args.n} papers in {took:.1f}s ({args.n / max(took, 1e-9):,.0f}/s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
