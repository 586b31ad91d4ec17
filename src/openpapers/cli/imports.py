"""``openpapers import …`` and ``openpapers harvest …``: run a source into the store with a progress bar.

The source commands are built from ``sources/registry.py`` (one command per registry command, its options
from the entry's parameters), so adding a source there adds its command here without editing this file.
``import demo`` is not a source and stays written out.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from contextlib import nullcontext
from datetime import date
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TransferSpeedColumn

from openpapers.cli.common import (
    NoIndex,
    Quiet,
    SkipBad,
    Strict,
    app,
    cli_search,
    err,
    fail,
    open_cli_store,
    parse_date,
    state,
)
from openpapers.cli.topics import refresh_topics
from openpapers.core.errors import OpenPapersError
from openpapers.papers.bulk_load import import_source
from openpapers.papers.ingest import ImportReport, identities_after, update_identities
from openpapers.sources.base import Source
from openpapers.sources.registry import Param, SourceEntry, commands

import_app = typer.Typer(help="Import papers from files.", no_args_is_help=True)
harvest_app = typer.Typer(help="Harvest papers from remote services (polite: ≤ 1 request / 3 s).", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(harvest_app, name="harvest")


def _run(
    source: Source, *, skip_bad: bool, quiet: bool, detail: dict[str, Any] | None = None, index: bool = True,
    strict: bool = False,
) -> ImportReport:
    """Import one source with a progress bar, print the summary and skipped entries, then update the indexes.

    A source or store error ends the command with its message (file/line/field) and a non-zero status.
    """
    try:
        return _import_and_index(source, skip_bad=skip_bad, quiet=quiet, detail=detail, index=index, strict=strict)
    except OpenPapersError as exc:
        fail(exc)


def _import_and_index(
    source: Source, *, skip_bad: bool, quiet: bool, detail: dict[str, Any] | None, index: bool, strict: bool
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

        report = import_source(store, source, skip_bad=skip_bad, strict=strict, progress=on_page, detail=detail,
                               people=False)
        _print_report(report, quiet)
        if index and report.records:
            update_indexes(store, quiet=quiet)
        if not identities_after(store, report) and not quiet:  # after embedding: topic similarity uses them
            typer.echo("author identities: run `openpapers authors rebuild` (left to it after a bulk load)",
                       err=True)
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
    if done.get("embedded"):
        refresh_topics(store, quiet=quiet)


def _print_report(report: ImportReport, quiet: bool) -> None:
    if report.resumed_from:
        err.print(f"resumed from checkpoint {report.resumed_from}")
    if not quiet:
        err.print(
            f"{report.source}: {report.records} records → {report.created} new papers, "
            f"{report.updated} updated, {report.merged} merged; {len(report.skipped)} skipped"
        )
    for w in report.warnings[:50]:
        err.print(f"  warning {w}", markup=False, highlight=False)
    if len(report.warnings) > 50:
        err.print(f"  … and {len(report.warnings) - 50} more warnings (see `openpapers imports`)")
    for e in report.skipped[:50]:
        err.print(f"  skipped {e}", markup=False, highlight=False)
    if len(report.skipped) > 50:
        err.print(f"  … and {len(report.skipped) - 50} more (see `openpapers imports`)")


def _typer_parameter(param: Param) -> inspect.Parameter:
    """A registry parameter as the annotated function parameter Typer reads its option or argument from."""
    hint: Any = str if param.kind is date else param.kind  # dates are typed as text, parsed by parse_date
    if param.many:
        hint = list[hint]
    info: Any
    if param.argument:
        info = typer.Argument(help=param.help)
    else:
        info = typer.Option(*([param.flag] if param.flag else []), help=param.help, min=param.min)
    required = param.argument and param.default is None
    if not required and param.default is None:
        hint = hint | None
    default = inspect.Parameter.empty if required else param.default
    return inspect.Parameter(param.name, inspect.Parameter.KEYWORD_ONLY, default=default,
                             annotation=Annotated[hint, info])


_COMMON = [
    inspect.Parameter("skip_bad", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=SkipBad),
    inspect.Parameter("strict", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=Strict),
    inspect.Parameter("quiet", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=Quiet),
    inspect.Parameter("no_index", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=NoIndex),
]
_NETWORK = [
    inspect.Parameter("base_url", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[
        str | None, typer.Option(help="Service URL (for mirrors and tests)")]),
    inspect.Parameter("interval", inspect.Parameter.KEYWORD_ONLY, default=3.0, annotation=Annotated[
        float, typer.Option(help="Seconds between requests (arXiv asks for ≥ 3)")]),
]


def _via_parameter(entries: list[SourceEntry]) -> inspect.Parameter:
    vias = [(e.command.via, e.command.via_help, e.command.default_via) for e in entries if e.command]
    default = next((v for v, _, is_default in vias if is_default), vias[0][0])
    help_text = " or ".join(f"{v} ({h})" for v, h, _ in vias)
    return inspect.Parameter("via", inspect.Parameter.KEYWORD_ONLY, default=default,
                             annotation=Annotated[str, typer.Option(help=help_text)])


def _command_parameters(entries: list[SourceEntry], network: bool) -> list[inspect.Parameter]:
    """The command's parameters: ``--via`` when sources share it, theirs in registry order, then the common ones."""
    params: list[inspect.Parameter] = [_via_parameter(entries)] if len(entries) > 1 else []
    seen: set[str] = set()
    for entry in entries:
        for param in entry.command.params if entry.command else ():
            if param.name not in seen:
                seen.add(param.name)
                params.append(_typer_parameter(param))
    return [*params, *(_NETWORK if network else []), *_COMMON]


def _parse_dates(entry: SourceEntry, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with the chosen source's date parameters parsed (a bad one names its option)."""
    out = dict(values)
    for param in entry.command.params if entry.command else ():
        if param.kind is date:
            out[param.name] = parse_date(values[param.name], param.flag or "--" + param.name.replace("_", "-"))
    return out


def _import_command(entry: SourceEntry) -> Callable[..., None]:
    def command(*, skip_bad: bool, strict: bool, quiet: bool, no_index: bool, **values: Any) -> None:
        parsed = _parse_dates(entry, values)
        try:
            sources = list(entry.load().from_command(parsed))
        except OpenPapersError as exc:
            fail(exc)
        for source, detail in sources:
            _run(source, skip_bad=skip_bad, quiet=quiet, detail=detail, index=not no_index, strict=strict)

    # Typer reads the parameters from the signature, so the options are exactly the entry's.
    command.__dict__["__signature__"] = inspect.Signature(_command_parameters([entry], network=False))
    return command


def _harvest_command(entries: list[SourceEntry]) -> Callable[..., None]:
    by_via = {e.command.via: e for e in entries if e.command and e.command.via}
    names = list(by_via)
    choices = " or ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + " or " + names[-1]

    def command(
        *, base_url: str | None, interval: float, skip_bad: bool, strict: bool, quiet: bool, no_index: bool,
        **values: Any
    ) -> None:
        if interval < 3.0 and base_url is None:
            raise typer.BadParameter("arXiv's terms allow at most one request every 3 seconds",
                                     param_hint="--interval")
        from openpapers.sources.http import PoliteClient  # httpx only when harvesting: keeps start-up quick

        try:
            # A server's Retry-After can hold a harvest for minutes: say so, and until when, even with --quiet.
            def notify(message: str) -> None:
                err.print(f"waiting: {message}", markup=False, highlight=False)

            with PoliteClient(min_interval=interval, notify=notify) as client:
                entry = by_via.get(values["via"]) if len(entries) > 1 else entries[0]
                if entry is None:
                    raise typer.BadParameter(f"must be {choices}", param_hint="--via")
                parsed = _parse_dates(entry, {**values, "base_url": base_url, "client": client})
                for source, detail in entry.load().from_command(parsed):
                    _run(source, skip_bad=skip_bad, quiet=quiet, detail=detail, index=not no_index,
                         strict=strict)
        except (OpenPapersError, ValueError) as exc:
            fail(exc)

    command.__dict__["__signature__"] = inspect.Signature(_command_parameters(entries, network=True))
    return command


def add_source_commands(imports: typer.Typer, harvests: typer.Typer) -> None:
    """One command per registry command: ``import <name>`` for files, ``harvest <name>`` for services."""
    for name, entries in commands("import"):
        imports.command(name, help=_help(entries))(_import_command(entries[0]))
    for name, entries in commands("harvest"):
        harvests.command(name, help=_help(entries))(_harvest_command(entries))


def _help(entries: list[SourceEntry]) -> str | None:
    return entries[0].command.help if entries[0].command else None


add_source_commands(import_app, harvest_app)


@import_app.command("demo")
def import_demo(quiet: Quiet = False, no_index: NoIndex = False) -> None:
    """Load the bundled demo corpus (the papers of the seed pages) and index it."""
    from openpapers.papers.demo import load_demo

    with open_cli_store() as store:
        report = load_demo(store, people=False)
        _print_report(report, quiet)
        if not no_index:
            update_indexes(store, quiet=quiet)
        update_identities(store, report.author_names)
