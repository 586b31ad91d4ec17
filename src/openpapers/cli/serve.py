"""``openpapers serve``: the web app (pages, JSON API, feeds) on uvicorn."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from openpapers.cli.common import app, err, state


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0 for every interface)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Server processes (one per CPU core for the most "
                                                            "throughput; each loads its own search model)")] = 1,
) -> None:
    """Serve the web app: daily feed, search, paper/author/org/category pages, JSON API (/openapi.json), feeds.

    Requests are logged one JSON line each on stderr; the store and indexes are the data dir's.
    """
    import uvicorn

    from openpapers.web.app import WARM_UP_ENV, create_app

    settings = state.settings
    err.print(f"openpapers: serving {settings.data_dir} on http://{host}:{port}/ ({workers} "
              f"process{'es' if workers > 1 else ''})", markup=False, highlight=False)
    # uvicorn's own access log is off: the app writes a structured one. proxy_headers trusts X-Forwarded-* from
    # loopback only (uvicorn's default forwarded_allow_ips), so feeds get the right host name behind a proxy.
    options = {"host": host, "port": port, "access_log": False, "log_level": "warning", "proxy_headers": True}
    # Each worker opens its indexes and loads the query model as it starts, not on a reader's first search.
    os.environ.setdefault(WARM_UP_ENV, "1")
    if workers == 1:
        uvicorn.run(create_app(settings), **options)  # type: ignore[arg-type]
        return
    # Worker processes build their own app from the environment: hand them this command's settings that way.
    os.environ["OPENPAPERS_DATA_DIR"] = str(settings.data_dir)
    os.environ["OPENPAPERS_DATABASE_URL"] = settings.database_url
    uvicorn.run("openpapers.web.app:create_app", factory=True, workers=workers, **options)  # type: ignore[arg-type]
