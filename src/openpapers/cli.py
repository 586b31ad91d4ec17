"""The ``openpapers`` command line: import, harvest, export and inspect a store.

Errors a user can cause (bad files, bad options, unreachable services) print one clear line and exit non-zero;
tracebacks are for bugs only.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TransferSpeedColumn
from rich.table import Table

from openpapers import __version__
from openpapers.config import Settings, resolve_settings
from openpapers.errors import OpenPapersError, SourceError
from openpapers.exporting import write_bibtex, write_jsonl
from openpapers.ingest import BadInput, ImportReport, run_import
from openpapers.sources.base import Source
from openpapers.store import Store, open_store

app = typer.Typer(
    help="openpapers: self-hostable research-paper discovery.", no_args_is_help=True, pretty_exceptions_enable=False
)
import_app = typer.Typer(help="Import papers from files.", no_args_is_help=True)
harvest_app = typer.Typer(help="Harvest papers from remote services (polite: ≤ 1 request / 3 s).", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(harvest_app, name="harvest")

err = Console(stderr=True, soft_wrap=True)  # one error per line, never folded mid-path
out = Console()


class _State:
    settings: Settings


state = _State()


@app.callback()
def _main(
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Data directory (env OPENPAPERS_DATA_DIR).", envvar="OPENPAPERS_DATA_DIR"),
    ] = None,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        out.print(f"openpapers {__version__}")
        raise typer.Exit()
    state.settings = resolve_settings(data_dir)


def _store() -> Store:
    return open_store(state.settings)


def _parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a YYYY-MM-DD date", param_hint=option) from None


def _run(source: Source, *, skip_bad: bool, quiet: bool, detail: dict[str, Any] | None = None) -> ImportReport:
    """Import one source with a progress bar; print the summary and the skipped entries."""
    total = getattr(source, "total_bytes", None)
    with (
        _store() as store,
        Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            *([TransferSpeedColumn()] if total else [MofNCompleteColumn()]),
            TextColumn("{task.fields[records]} papers"),
            TimeElapsedColumn(),
            console=err,
            disable=quiet or not err.is_terminal,
            transient=False,
        ) as progress,
    ):
        task = progress.add_task(f"{source.name}", total=total, records=0)

        def on_page(records: int, page_state: dict[str, Any]) -> None:
            progress.update(task, completed=page_state.get("offset", records), records=records)

        report = run_import(store, source, skip_bad=skip_bad, progress=on_page, detail=detail)
    _print_report(report, quiet)
    return report


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


def _fail(exc: Exception) -> None:
    if isinstance(exc, BadInput):
        err.print(f"error: {exc}", markup=False, highlight=False)
        err.print(
            f"{exc.imported} records before it were imported; fix the input or pass --skip-bad to import "
            "the rest and report what was skipped."
        )
    else:
        err.print(f"error: {exc}", markup=False, highlight=False)
    raise typer.Exit(2)


SkipBad = Annotated[bool, typer.Option("--skip-bad", help="Import good entries, report and skip bad ones.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary.")]


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
) -> None:
    """Import saved Hugging Face-style listing pages."""
    from openpapers.sources.listing import ListingSource

    when = _parse_date(captured, "--captured")
    try:
        for f in files:
            source = ListingSource(f, captured=when, owner=owner, kind=kind)
            _run(source, skip_bad=skip_bad, quiet=quiet, detail={"file": str(f), "owner": owner})
    except OpenPapersError as exc:
        _fail(exc)


@import_app.command("arxiv-snapshot")
def import_snapshot(
    file: Annotated[Path, typer.Argument(help="arXiv metadata snapshot (JSON lines).")],
    batch_size: Annotated[int, typer.Option(min=1, help="Lines per transaction (and per checkpoint)")] = 5000,
    skip_bad: SkipBad = False,
    quiet: Quiet = False,
) -> None:
    """Import the arXiv bulk metadata snapshot, streamed and resumable."""
    from openpapers.sources.arxiv_snapshot import ArxivSnapshotSource

    try:
        _run(
            ArxivSnapshotSource(file, page_size=batch_size), skip_bad=skip_bad, quiet=quiet, detail={"file": str(file)}
        )
    except OpenPapersError as exc:
        _fail(exc)


@import_app.command("hf-daily")
def import_hf_daily(
    file: Annotated[Path, typer.Argument(help="JSON from Hugging Face /api/daily_papers.")],
    observed: Annotated[str | None, typer.Option(help="When the file was fetched [default: file mtime].")] = None,
    skip_bad: SkipBad = False,
    quiet: Quiet = False,
) -> None:
    """Import a Hugging Face daily-papers JSON file."""
    from openpapers.sources.hf_daily import HfDailySource

    try:
        _run(
            HfDailySource(file, observed=_parse_date(observed, "--observed")),
            skip_bad=skip_bad,
            quiet=quiet,
            detail={"file": str(file)},
        )
    except OpenPapersError as exc:
        _fail(exc)


@import_app.command("demo")
def import_demo(quiet: Quiet = False) -> None:
    """Load the bundled demo corpus (the papers of the seed pages)."""
    from openpapers.demo import load_demo

    with _store() as store:
        report = load_demo(store)
    _print_report(report, quiet)


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
                    from_date=_parse_date(from_date, "--from"),
                    until=_parse_date(until, "--until"),
                    client=client,
                    **extra,
                )
            else:
                raise typer.BadParameter("must be api or oai", param_hint="--via")
            _run(source, skip_bad=skip_bad, quiet=quiet, detail={"via": via, "query": query, "set": set_spec})
    except (OpenPapersError, ValueError) as exc:
        _fail(exc)


@app.command("export")
def export(
    fmt: Annotated[str, typer.Option("--format", help="jsonl or bibtex")] = "jsonl",
    output: Annotated[Path | None, typer.Option("--out", "-o", help="File to write [default: stdout]")] = None,
) -> None:
    """Export every paper (JSON lines: one object per paper; or BibTeX)."""
    writers = {"jsonl": write_jsonl, "bibtex": write_bibtex}
    if fmt not in writers:
        raise typer.BadParameter("must be jsonl or bibtex", param_hint="--format")
    with _store() as store:
        papers = store.iter_papers()
        if output is None:
            writers[fmt](papers, sys.stdout.buffer)
            sys.stdout.flush()
        else:
            with output.open("wb") as fh:
                writers[fmt](papers, fh)


@app.command("show")
def show(
    ref: Annotated[str, typer.Argument(help="Paper id or arXiv id")],
    claims: Annotated[bool, typer.Option(help="Also print every source's claim")] = False,
) -> None:
    """Print one paper as JSON (with provenance)."""
    with _store() as store:
        paper = store.get_paper(ref)
        if paper is None:
            err.print(f"error: no paper {ref!r}", markup=False)
            raise typer.Exit(1)
        data: dict[str, Any] = paper.to_export()
        if claims:
            data["claims"] = [c.to_json() for c in store.claims_for(paper.id)]
    sys.stdout.buffer.write(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")


@app.command("stats")
def stats(as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False) -> None:
    """Counts of papers, authors, organisations and claims per source."""
    with _store() as store:
        data = store.stats()
    if as_json:
        sys.stdout.buffer.write(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
        return
    table = Table(title="openpapers store", show_header=False)
    for key, value in data.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k}: {v}" for k, v in sorted(value.items())) or "-"
        table.add_row(key, str(value))
    out.print(table)


@app.command("imports")
def imports(limit: Annotated[int, typer.Option(help="How many")] = 20) -> None:
    """The import log: what ran, when, how many records and which entries were skipped."""
    with _store() as store:
        rows = store.imports(limit)
    sys.stdout.buffer.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2) + b"\n")


def main() -> None:
    try:
        app()
    except SourceError as exc:  # raised while a source is built
        err.print(f"error: {exc}", markup=False, highlight=False)
        sys.exit(2)
    except OpenPapersError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
