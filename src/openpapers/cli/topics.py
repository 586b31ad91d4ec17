"""``openpapers topics rebuild | list``, and the topic step that follows every import's indexing."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
import typer

from openpapers.cli.common import Quiet, app, err, open_cli_store, out

topics_app = typer.Typer(help="Topics: clusters of the embedded papers (see docs/topics.md).", no_args_is_help=True)
app.add_typer(topics_app, name="topics")


def refresh_topics(store: Any, *, quiet: bool) -> None:
    """After indexing: place newly embedded papers in their nearest topic; the very first time (no build yet,
    enough papers embedded) build the topics, so an instance has a map as soon as it has papers."""
    from openpapers.topics import repository, service

    if repository.last_build(store.engine) is None:
        report = service.rebuild(store)
        if report is not None and not quiet:
            err.print(f"topics: {report.topics} topics over {report.papers} papers ({report.seconds:.1f} s)")
        return
    placed = service.assign_new(store)
    if placed and not quiet:
        err.print(f"topics: {placed} new papers placed in their nearest topic")


@topics_app.command("rebuild")
def rebuild(
    k: Annotated[list[int] | None, typer.Option("--k", help="Try only these numbers of topics (repeatable)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the build report as JSON")] = False,
    quiet: Quiet = False,
) -> None:
    """Recluster every embedded paper; topic ids are kept where membership mostly stays."""
    from openpapers.topics import service

    with open_cli_store() as store:
        report = service.rebuild(store, ks=k or None)
    if report is None:
        err.print(f"too few embedded papers for topics (at least {service.MIN_PAPERS}): run `openpapers index`")
        raise typer.Exit(1)
    if as_json:
        detail = {key: v for key, v in report.detail.items() if key != "mean"}
        out.print_json(orjson.dumps({"papers": report.papers, "topics": report.topics, "kept_ids": report.kept_ids,
                                     "silhouette": report.silhouette, "seconds": round(report.seconds, 3),
                                     "peak_rss_mb": report.peak_rss_mb, "detail": detail}).decode())
    elif not quiet:
        sil = f"{report.silhouette:.3f}" if report.silhouette is not None else "n/a"
        out.print(f"{report.topics} topics over {report.papers} papers, {report.kept_ids} ids kept, "
                  f"silhouette {sil}, {report.seconds:.1f} s, peak memory {report.peak_rss_mb:.0f} MB",
                  markup=False, highlight=False)


@topics_app.command("list")
def list_topics() -> None:
    """Every topic: id, size and label, largest first."""
    from openpapers.topics import repository

    with open_cli_store() as store:
        rows = repository.topics(store.engine)
    for row in rows:
        out.print(f"{row.id:>4}  {row.size:>6}  {row.label}", markup=False, highlight=False, soft_wrap=True)
