"""``openpapers export | show | stats | imports``: read what the store holds."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.table import Table

from openpapers.cli.common import app, err, open_cli_store, out
from openpapers.papers.export import write_bibtex, write_jsonl


@app.command("export")
def export(
    fmt: Annotated[str, typer.Option("--format", help="jsonl or bibtex")] = "jsonl",
    output: Annotated[Path | None, typer.Option("--out", "-o", help="File to write [default: stdout]")] = None,
) -> None:
    """Export every paper (JSON lines: one object per paper; or BibTeX)."""
    writers = {"jsonl": write_jsonl, "bibtex": write_bibtex}
    if fmt not in writers:
        raise typer.BadParameter("must be jsonl or bibtex", param_hint="--format")
    with open_cli_store() as store:
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
    with open_cli_store() as store:
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
    with open_cli_store() as store:
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
    with open_cli_store() as store:
        rows = store.imports(limit)
    sys.stdout.buffer.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2) + b"\n")
