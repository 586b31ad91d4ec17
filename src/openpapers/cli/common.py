"""Shared pieces of the command line: the Typer app, the consoles, the data-dir option and error printing.

Errors a user can cause (bad files, bad options, unreachable services) print one clear line and exit non-zero;
tracebacks are for bugs only.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from openpapers import __version__
from openpapers.core.settings import Settings, SettingsError, resolve_settings
from openpapers.papers.ingest import BadInput, StrictWarning
from openpapers.papers.store import Store, open_store

app = typer.Typer(
    help="openpapers: self-hostable research-paper discovery.", no_args_is_help=True, pretty_exceptions_enable=False
)
err = Console(stderr=True, soft_wrap=True)  # one error per line, never folded mid-path
out = Console()


class _State:
    settings: Settings


state = _State()


def _version(value: bool) -> None:
    if value:
        out.print(f"openpapers {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Data directory (env OPENPAPERS_DATA_DIR)."),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", help="Print the version and exit.", callback=_version, is_eager=True)
    ] = False,
) -> None:
    """Build the process's one Settings from the flags and the environment; every command reads ``state.settings``."""
    try:
        state.settings = resolve_settings(data_dir)
    except SettingsError as exc:
        fail(exc)


def open_cli_store() -> Store:
    return open_store(state.settings)


def cli_search(store: Store) -> Any:
    """The search service over ``store`` with this process's search settings (a SearchService)."""
    from openpapers.search.service import SearchService

    return SearchService(store, state.settings.data_dir, settings=state.settings.search)


def parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a YYYY-MM-DD date", param_hint=option) from None


def fail(exc: Exception) -> NoReturn:
    """Print a user-caused error as one line (plus what to do about a bad entry) and exit 2."""
    err.print(f"error: {exc}", markup=False, highlight=False)
    if isinstance(exc, StrictWarning):
        err.print(f"{exc.imported} records before it were imported; --strict stops at warnings: check the input, "
                  "or import it without --strict.")
    elif isinstance(exc, BadInput):
        err.print(
            f"{exc.imported} records before it were imported; fix the input or pass --skip-bad to import "
            "the rest and report what was skipped."
        )
    raise typer.Exit(2)


SkipBad = Annotated[bool, typer.Option("--skip-bad", help="Import good entries, report and skip bad ones.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary.")]
Strict = Annotated[bool, typer.Option("--strict", help="Treat warnings (a listing page that looks cut off, removed "
                                      "control characters) as errors.")]
NoIndex = Annotated[bool, typer.Option("--no-index", help="Do not update the search indexes afterwards.")]
