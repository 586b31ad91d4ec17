"""``openpapers search | similar | index``: the search service from the command line."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import orjson
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from openpapers.cli.common import Quiet, app, cli_search, err, open_cli_store, out, parse_date
from openpapers.cli.topics import refresh_topics
from openpapers.papers.store import Store


def _service(store: Store) -> Any:
    return cli_search(store)


def _filters(
    date_from: str | None,
    date_to: str | None,
    category: list[str] | None,
    author: list[str] | None,
    org: list[str] | None,
    has_code: bool | None,
) -> Any:
    from openpapers.search.types import Filters

    return Filters(
        date_from=parse_date(date_from, "--from"),
        date_to=parse_date(date_to, "--to"),
        categories=category or [],
        authors=author or [],
        orgs=org or [],
        has_code=has_code,
    )


@app.command("search")
def search(
    query: Annotated[str, typer.Argument(help='Words, "phrases", -excluded, ti: abs: au: cat: org: prefixes')] = "",
    mode: Annotated[str, typer.Option(help="hybrid | keyword | semantic")] = "hybrid",
    limit: Annotated[int, typer.Option(min=1, max=200, help="How many results")] = 10,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many results (paging)")] = 0,
    date_from: Annotated[str | None, typer.Option("--from", help="Published on or after YYYY-MM-DD")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Published on or before YYYY-MM-DD")] = None,
    category: Annotated[list[str] | None, typer.Option(help="Category (cs.LG, or an archive: cs); repeatable")] = None,
    author: Annotated[list[str] | None, typer.Option(help="Author name or id; repeatable")] = None,
    org: Annotated[list[str] | None, typer.Option(help="Organisation; repeatable")] = None,
    has_code: Annotated[bool | None, typer.Option("--has-code/--no-code", help="With (without) code only")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list of results")] = False,
) -> None:
    """Search papers: hybrid (keyword + semantic) by default."""
    from openpapers.search.types import QueryError

    filters = _filters(date_from, date_to, category, author, org, has_code)
    with open_cli_store() as store:
        try:
            result = _service(store).search(query, mode=mode, filters=filters, limit=limit, offset=offset)
        except QueryError as exc:
            err.print(f"error: {exc}", markup=False, highlight=False)
            raise typer.Exit(2) from None
    if as_json:
        rows = result.to_json()["results"]
        sys.stdout.buffer.write(
            orjson.dumps(
                [
                    {k: r[k] for k in ("id", "title", "score", "ranks")}
                    | {
                        "published": r["paper"]["published"] if r["paper"] else None,
                        "authors": r["paper"]["authors"] if r["paper"] else [],
                    }
                    for r in rows
                ],
                option=orjson.OPT_INDENT_2,
            )
            + b"\n"
        )
        return
    _print_hits(result.hits, result.papers)
    err.print(
        f"{result.total} results ({result.mode}, {result.took_ms:.0f} ms)" + "".join(f"; {n}" for n in result.notes)
        + (f"; did you mean: {result.suggestion}" if result.suggestion and not result.corrected else ""),
        markup=False, highlight=False,
    )


def _print_hits(hits: list[Any], papers: dict[str, Any]) -> None:
    import html
    import re

    def plain(marked: str | None) -> str:
        text = html.unescape(re.sub(r"</?mark>", "", marked or ""))
        return text

    for i, hit in enumerate(hits, start=1):
        p = papers[hit.paper_id]
        who = ", ".join(p.authors[:3]) + (" et al." if len(p.authors) > 3 or not p.authors_complete else "")
        when = p.published.isoformat() if p.published else "undated"
        out.print(f"[bold]{i:>2}. {plain(hit.title_html) or p.title}[/bold]", highlight=False)
        out.print(f"    {p.id} · {when} · {' '.join(p.categories[:3])} · {who}", markup=False, highlight=False)
        if hit.snippet_html:
            out.print(f"    {plain(hit.snippet_html)}", markup=False, highlight=False)


@app.command("similar")
def similar(
    ref: Annotated[str, typer.Argument(help="Paper id or arXiv id")],
    limit: Annotated[int, typer.Option(min=1, max=100)] = 10,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Papers most similar to one paper (nearest neighbours by embedding)."""
    from openpapers.search.types import QueryError

    with open_cli_store() as store:
        try:
            _paper, hits, papers = _service(store).similar(ref, limit)
        except QueryError as exc:
            err.print(f"error: {exc}", markup=False, highlight=False)
            raise typer.Exit(1) from None
    if as_json:
        sys.stdout.buffer.write(
            orjson.dumps(
                [{"id": h.paper_id, "title": papers[h.paper_id].title, "score": round(h.score, 6)} for h in hits],
                option=orjson.OPT_INDENT_2,
            )
            + b"\n"
        )
        return
    _print_hits(hits, papers)


@app.command("index")
def index(
    embed_limit: Annotated[int | None, typer.Option(help="Embed at most this many papers (newest first)")] = None,
    no_semantic: Annotated[bool, typer.Option("--keyword-only", help="Only the keyword index")] = False,
    quiet: Quiet = False,
) -> None:
    """Build or update the search indexes: whatever is missing, newest papers first."""
    with (
        open_cli_store() as store,
        Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            disable=quiet or not err.is_terminal,
        ) as bar,
    ):
        tasks: dict[str, Any] = {}

        def on_progress(kind: str, n: int) -> None:
            if kind not in tasks:
                tasks[kind] = bar.add_task(kind, total=None)
            bar.update(tasks[kind], completed=n)

        done = _service(store).sync(embed_limit=embed_limit, semantic=not no_semantic, progress=on_progress)
        if done.get("embedded"):
            refresh_topics(store, quiet=quiet)
    if not quiet:
        err.print(", ".join(f"{k}: {v}" for k, v in done.items()))
