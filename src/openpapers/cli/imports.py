"""``openpapers import …`` and ``openpapers harvest …``: run a source into the store with a progress bar."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TransferSpeedColumn

from openpapers.cli.common import NoIndex, Quiet, SkipBad, app, cli_search, err, fail, open_cli_store, parse_date, state
from openpapers.core.errors import OpenPapersError
from openpapers.papers.ingest import ImportReport, run_import
from openpapers.sources.base import Source

import_app = typer.Typer(help="Import papers from files.", no_args_is_help=True)
harvest_app = typer.Typer(help="Harvest papers from remote services (polite: ≤ 1 request / 3 s).", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(harvest_app, name="harvest")


def _run(
    source: Source, *, skip_bad: bool, quiet: bool, detail: dict[str, Any] | None = None, index: bool = True
) -> ImportReport:
    """Import one source with a progress bar, print the summary and skipped entries, then update the indexes.

    A source or store error ends the command with its message (file/line/field) and a non-zero status.
    """
    try:
        return _import_and_index(source, skip_bad=skip_bad, quiet=quiet, detail=detail, index=index)
    except OpenPapersError as exc:
        fail(exc)


def _import_and_index(
    source: Source, *, skip_bad: bool, quiet: bool, detail: dict[str, Any] | None, index: bool
) -> ImportReport:
    total = getattr(source, "total_bytes", None)
    show = not quiet and err.is_terminal
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        *([TransferSpeedColumn()] if total else [MofNCompleteColumn()]),
        TextColumn("{task.fields[records]} papers"),
        TimeElapsedColumn(),
        console=err,
    )
    with open_cli_store() as store, bar if show else nullcontext():
        task = bar.add_task(source.name, total=total, records=0)

        def on_page(records: int, page_state: dict[str, Any]) -> None:
            bar.update(task, completed=page_state.get("offset", records), records=records)

        report = run_import(store, source, skip_bad=skip_bad, progress=on_page, detail=detail)
        _print_report(report, quiet)
        if index and report.records:
            update_indexes(store, quiet=quiet)
    return report


def update_indexes(store: Any, *, quiet: bool) -> None:
    """Keep search current after an import: keyword index fully, embeddings for up to
    ``OPENPAPERS_EMBED_ON_IMPORT`` papers (``Settings.search.embed_on_import``, default 2000; newest first;
    ``openpapers index`` embeds the rest, and keyword search covers them meanwhile)."""
    limit = state.settings.search.embed_on_import
    done = cli_search(store).sync(embed_limit=limit, semantic=limit > 0)
    if not quiet:
        pending = done.get("pending_embeddings", 0)
        tail = f"; {pending} papers await embedding: run `openpapers index`" if pending else ""
        err.print(f"indexed: {done.get('keyword', 0)} keyword, {done.get('embedded', 0)} embedded{tail}")


def _print_report(report: ImportReport, quiet: bool) -> None:
    if report.resumed_from:
        err.print(f"resumed from checkpoint {report.resumed_from}")
    if not quiet:
        err.print(
            f"{report.source}: {report.records} records → {report.created} new papers, "
            f"{report.updated} updated, {report.merged} merged; {len(report.skipped)} skipped"
        )
    for e in report.skipped[:50]:
        err.print(f"  skipped {e}", markup=False, highlight=False)
    if len(report.skipped) > 50:
        err.print(f"  … and {len(report.skipped) - 50} more (see `openpapers imports`)")


@import_app.command("listing")
def import_listing(
    files: Annotated[list[Path], typer.Argument(help="Saved listing pages (author, search or large search).")],
    captured: Annotated[
        str | None,
        typer.Option(help="Capture date YYYY-MM-DD for year-less dates [default: each file's modification date]."),
    ] = None,
    owner: Annotated[str | None, typer.Option(help="Owner of an author page [default: inferred].")] = None,
    kind: Annotated[str | None, typer.Option(help="author | search | large [default: detected].")] = None,
    skip_bad: SkipBad = False,
    quiet: Quiet = False,
    no_index: NoIndex = False,
) -> None:
    """Import saved Hugging Face-style listing pages."""
    from openpapers.sources.listing import ListingSource

    when = parse_date(captured, "--captured")
    for f in files:
        source = ListingSource(f, captured=when, owner=owner, kind=kind)
        _run(source, skip_bad=skip_bad, quiet=quiet, detail={"file": str(f), "owner": owner}, index=not no_index)


@import_app.command("arxiv-snapshot")
def import_snapshot(
    file: Annotated[Path, typer.Argument(help="arXiv metadata snapshot (JSON lines).")],
    batch_size: Annotated[int, typer.Option(min=1, help="Lines per transaction (and per checkpoint)")] = 5000,
    skip_bad: SkipBad = False,
    quiet: Quiet = False,
    no_index: NoIndex = False,
) -> None:
    """Import the arXiv bulk metadata snapshot, streamed and resumable."""
    from openpapers.sources.arxiv_snapshot import ArxivSnapshotSource

    _run(
        ArxivSnapshotSource(file, page_size=batch_size),
        skip_bad=skip_bad,
        quiet=quiet,
        detail={"file": str(file)},
        index=not no_index,
    )


@import_app.command("hf-daily")
def import_hf_daily(
    file: Annotated[Path, typer.Argument(help="JSON from Hugging Face /api/daily_papers.")],
    observed: Annotated[str | None, typer.Option(help="When the file was fetched [default: file mtime].")] = None,
    skip_bad: SkipBad = False,
    quiet: Quiet = False,
    no_index: NoIndex = False,
) -> None:
    """Import a Hugging Face daily-papers JSON file."""
    from openpapers.sources.hf_daily import HfDailySource

    _run(
        HfDailySource(file, observed=parse_date(observed, "--observed")),
        skip_bad=skip_bad,
        quiet=quiet,
        detail={"file": str(file)},
        index=not no_index,
    )


@import_app.command("demo")
def import_demo(quiet: Quiet = False, no_index: NoIndex = False) -> None:
    """Load the bundled demo corpus (the papers of the seed pages) and index it."""
    from openpapers.papers.demo import load_demo

    with open_cli_store() as store:
        report = load_demo(store)
        _print_report(report, quiet)
        if not no_index:
            update_indexes(store, quiet=quiet)


@harvest_app.command("arxiv")
def harvest_arxiv(
    via: Annotated[str, typer.Option(help="api (search queries) or oai (incremental OAI-PMH)")] = "oai",
    query: Annotated[str | None, typer.Option(help="API search_query, e.g. 'cat:cs.LG AND ti:diffusion'")] = None,
    ids: Annotated[str | None, typer.Option(help="API id_list, comma-separated arXiv ids")] = None,
    max_results: Annotated[int | None, typer.Option(help="API: stop after this many results")] = None,
    set_spec: Annotated[str | None, typer.Option("--set", help="OAI set, e.g. cs or physics:hep-th")] = None,
    from_date: Annotated[
        str | None, typer.Option("--from", help="OAI from date [default: where the last harvest of this set ended]")
    ] = None,
    until: Annotated[str | None, typer.Option(help="OAI until date")] = None,
    prefix: Annotated[str, typer.Option(help="OAI metadataPrefix: arXiv or arXivRaw")] = "arXiv",
    base_url: Annotated[str | None, typer.Option(help="Service URL (for mirrors and tests)")] = None,
    interval: Annotated[float, typer.Option(help="Seconds between requests (arXiv asks for ≥ 3)")] = 3.0,
    skip_bad: SkipBad = False,
    quiet: Quiet = False,
    no_index: NoIndex = False,
) -> None:
    """Harvest arXiv through its API or OAI-PMH; resumes an interrupted harvest from its checkpoint."""
    from openpapers.sources.arxiv_api import ArxivApiSource
    from openpapers.sources.arxiv_oai import ArxivOaiSource
    from openpapers.sources.http import PoliteClient

    if interval < 3.0 and base_url is None:
        raise typer.BadParameter("arXiv's terms allow at most one request every 3 seconds", param_hint="--interval")
    extra = {"base_url": base_url} if base_url else {}
    try:
        with PoliteClient(min_interval=interval) as client:
            source: Source
            if via == "api":
                source = ArxivApiSource(
                    search_query=query, id_list=ids, max_results=max_results, client=client, **extra
                )
            elif via == "oai":
                source = ArxivOaiSource(
                    metadata_prefix=prefix,
                    set_spec=set_spec,
                    from_date=parse_date(from_date, "--from"),
                    until=parse_date(until, "--until"),
                    client=client,
                    **extra,
                )
            else:
                raise typer.BadParameter("must be api or oai", param_hint="--via")
            _run(
                source,
                skip_bad=skip_bad,
                quiet=quiet,
                detail={"via": via, "query": query, "set": set_spec},
                index=not no_index,
            )
    except (OpenPapersError, ValueError) as exc:
        fail(exc)
