"""``openpapers serve``: the web app (pages, JSON API, feeds) on uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from openpapers.cli.common import app, err, state


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0 for every interface)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on")] = 8000,
) -> None:
    """Serve the web app: daily feed, search, paper/author/org/category pages, JSON API (/openapi.json), feeds.

    Requests are logged one JSON line each on stderr; the store and indexes are the data dir's.
    """
    import uvicorn

    from openpapers.web import create_app

    web_app = create_app(state.settings)
    err.print(f"openpapers: serving {state.settings.data_dir} on http://{host}:{port}/", markup=False,
              highlight=False)
    # uvicorn's own access log is off: the app writes a structured one. proxy_headers trusts X-Forwarded-* from
    # loopback only (uvicorn's default forwarded_allow_ips), so feeds get the right host name behind a proxy.
    uvicorn.run(web_app, host=host, port=port, access_log=False, log_level="warning", proxy_headers=True)
