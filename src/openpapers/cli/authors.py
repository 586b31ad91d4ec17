"""``openpapers authors …``: the people behind author names, for scripts and administrators.

``openpapers authors --name NAME --json`` prints every person of that name (the same objects as
``/api/authors?name=``); ``rebuild`` re-clusters every block keeping ids stable; ``merge``, ``split`` and ``undo``
are the recorded, reversible corrections (the web's admin forms do the same); ``events`` lists them.
"""

from __future__ import annotations

from typing import Annotated

import orjson
import typer

from openpapers.authors import admin, profiles, service
from openpapers.authors import repository as repo
from openpapers.cli.common import app, fail, open_cli_store, out

authors = typer.Typer(help="People behind author names: look up, rebuild, merge, split, undo.",
                      invoke_without_command=True)
app.add_typer(authors, name="authors")


def _print(data: object) -> None:
    out.print(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode(), markup=False, highlight=False, soft_wrap=True)


@authors.callback()
def lookup(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Option("--name", help="An author name: list its people")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (a list of identities)")] = False,
) -> None:
    """List the people who published under ``--name`` (largest first)."""
    if ctx.invoked_subcommand is not None:
        return
    if not name:
        out.print(ctx.get_help())
        raise typer.Exit(2)
    with open_cli_store() as store:
        found = profiles.by_name(store, name)
    if as_json:
        _print(found)
        return
    if not found:
        out.print(f"nobody named {name!r}", markup=False)
    for p in found:
        near = p["possibly_same_as"]
        out.print(f"{p['id']}\t{p['paper_count']} papers\tconfidence {p['confidence']:.2f}\t"
                  f"{'-'.join(map(str, p['years']))}\t{', '.join(c['name'] for c in p['coauthors'][:3])}"
                  + (f"\tpossibly the same person as {near['id']}" if near else ""), markup=False, highlight=False)


@authors.command("rebuild")
def rebuild() -> None:
    """Re-cluster every author block (ids survive: each person keeps the id holding most of its papers)."""
    with open_cli_store() as store:
        report = service.rebuild(store)
    _print(report.to_json())


@authors.command("show")
def show(identity: Annotated[str, typer.Argument(help="Identity id, e.g. qi-meng--1")]) -> None:
    """One person as JSON (what /api/author/{id} returns)."""
    with open_cli_store() as store:
        live = profiles.resolve(store, identity)
        found = profiles.profile(store, live) if live else None
    if found is None:
        fail(admin.IdentityError(f"no identity {identity!r}"))
    _print(found)


@authors.command("merge")
def merge(a: Annotated[str, typer.Argument(help="Identity id")],
          b: Annotated[str, typer.Argument(help="Identity id")]) -> None:
    """Make two identities one person (the larger keeps its id; the other redirects)."""
    with open_cli_store() as store:
        try:
            _print(admin.merge(store, a, b))
        except admin.IdentityError as exc:
            fail(exc)


@authors.command("split")
def split(identity: Annotated[str, typer.Argument(help="Identity id")],
          papers: Annotated[list[str], typer.Argument(help="Paper ids to move into a new identity")]) -> None:
    """Move papers out of an identity into a new one."""
    with open_cli_store() as store:
        try:
            _print(admin.split(store, identity, papers))
        except admin.IdentityError as exc:
            fail(exc)


@authors.command("undo")
def undo(event: Annotated[int, typer.Argument(help="Event id (see `openpapers authors events`)")]) -> None:
    """Undo a merge or split."""
    with open_cli_store() as store:
        try:
            _print(admin.undo(store, event))
        except admin.IdentityError as exc:
            fail(exc)


@authors.command("events")
def events(limit: Annotated[int, typer.Option(help="How many, newest first")] = 50) -> None:
    """The record of merges, splits, undos and claim decisions."""
    with open_cli_store() as store:
        _print(repo.events(store.db, limit=limit))
