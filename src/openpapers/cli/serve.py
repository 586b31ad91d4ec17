"""``openpapers serve``: the web app (pages, JSON API, feeds) on uvicorn.

With ``--workers N`` uvicorn starts N processes that each import the app factory: they get this command's
:class:`~openpapers.core.settings.Settings` serialised as JSON in the one variable ``OPENPAPERS_SERVE_SETTINGS``
(read by :func:`openpapers.web.app.create_worker_app`), so what they serve is exactly what the flags and the
environment said here, and no other variable is rewritten.
"""

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

    from openpapers.core.settings import settings_for_workers
    from openpapers.web.app import create_app

    # Each worker opens its indexes and loads the query model as it starts, not on a reader's first search.
    settings = state.settings.model_copy(update={"web": state.settings.web.model_copy(update={"warm_up": True})})
    err.print(f"openpapers: serving {settings.data_dir} on http://{host}:{port}/ ({workers} "
              f"process{'es' if workers > 1 else ''})", markup=False, highlight=False)
    # uvicorn's own access log is off: the app writes a structured one. X-Forwarded-For/-Proto are believed only
    # from the proxies OPENPAPERS_FORWARDED_ALLOW_IPS names (default none): uvicorn's own default trusts every
    # loopback client, so any local script could pick the address the login limits count, and every request
    # a same-host proxy forwards would look like one client.
    trusted = settings.web.forwarded_allow_ips
    options: dict[str, object] = {"host": host, "port": port, "access_log": False, "log_level": "warning",
                                  "proxy_headers": bool(trusted)}
    if trusted:
        options["forwarded_allow_ips"] = trusted
    if workers == 1:
        uvicorn.run(create_app(settings), **options)  # type: ignore[arg-type]
        return
    # Worker processes are started by uvicorn and inherit this process's environment: one dedicated variable
    # carries the settings (the factory reads it), instead of rewriting the variables they came from.
    os.environ.update(settings_for_workers(settings))
    uvicorn.run("openpapers.web.app:create_worker_app", factory=True, workers=workers, **options)  # type: ignore[arg-type]
