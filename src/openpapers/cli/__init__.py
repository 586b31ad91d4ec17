"""The ``openpapers`` command line. Each submodule registers its commands on the one Typer app."""

from __future__ import annotations

import sys

from openpapers.cli import (  # noqa: F401  (registers the commands)
    authors,
    data,
    db,
    digest,
    imports,
    search,
    serve,
    topics,
    users,
    worker,
)
from openpapers.cli.common import app, err
from openpapers.core.errors import OpenPapersError


def main() -> None:
    try:
        app()
    except OpenPapersError as exc:  # e.g. a source that cannot even open its input
        err.print(f"error: {exc}", markup=False, highlight=False)
        sys.exit(2)


__all__ = ["app", "main"]
