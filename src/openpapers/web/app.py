"""The web application: ``create_app(settings)`` gives an ASGI app serving the pages, the JSON API and feeds.

Routes live with their feature (papers/: feed, paper, entity pages and Atom feeds; search/; signals/: trending,
for-you, library and reader actions; accounts/; digests/: unsubscribe), each page registered together with its
JSON twin by :mod:`openpapers.web.pages`. This module is the shell: it mounts the feature routers (in an order
that matters where paths overlap), the static files, the error pages and the outer middleware. HTML routes are
left out of the OpenAPI spec (``/openapi.json``), which describes the JSON API and the feeds.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import Scope

from openpapers import __version__
from openpapers.accounts import admin_routes as admin
from openpapers.accounts import auth
from openpapers.accounts import me_routes as account_api
from openpapers.accounts import routes as account
from openpapers.accounts import signup_routes as account_signup
from openpapers.authors import admin_routes as people_admin
from openpapers.authors import routes as people
from openpapers.collections import routes as collections
from openpapers.core.settings import Settings, resolve_settings, worker_settings
from openpapers.digests import unsubscribe_routes
from openpapers.discussion import routes as discussion
from openpapers.papers import all_routes as all_papers
from openpapers.papers import atom
from openpapers.papers import daily_routes as daily
from openpapers.papers import entity_routes as entities
from openpapers.papers import paper_routes as paper
from openpapers.papers.schemas import ErrorOut, Health
from openpapers.search import routes as search
from openpapers.signals import action_routes as actions
from openpapers.signals import featured_routes as featured
from openpapers.signals import following_routes as following
from openpapers.signals import foryou_routes as foryou
from openpapers.signals import library_routes as library
from openpapers.signals import me_routes as signals_api
from openpapers.signals import submit_routes as submit
from openpapers.signals import trending_routes as trending
from openpapers.topics import routes as topics
from openpapers.web.context import STATIC_DIR, Web, is_api, json
from openpapers.web.middleware import Guard, configure_access_log
from openpapers.web.pages import api_routes

DESCRIPTION = """Every HTML page of openpapers has a JSON twin under `/api/…` (same path, same query
parameters), described here, plus Atom feeds under `/feeds/…`. See docs/web.md."""

_ERROR_TITLES = {400: "Bad request", 401: "Log in needed", 403: "Forbidden", 404: "Not found",
                 405: "Method not allowed", 413: "Too large", 422: "Cannot be done", 429: "Too many tries",
                 500: "Something went wrong"}


def create_app(settings: Settings | None = None, *, data_dir: str | Path | None = None) -> FastAPI:
    """Build the app on the store and indexes of ``settings`` (default: built from ``data_dir`` and the
    environment, :func:`~openpapers.core.settings.resolve_settings`)."""
    settings = settings or resolve_settings(data_dir)
    state = Web(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if settings.web.warm_up:  # set by `openpapers serve`; tests build apps by the hundred
            threading.Thread(target=state.search.warm_up, name="search-warm-up", daemon=True).start()
        yield
        state.close()

    app = FastAPI(title="openpapers", version=__version__, description=DESCRIPTION, docs_url=None,
                  redoc_url=None, openapi_url="/openapi.json", lifespan=lifespan)
    app.state.web = state
    for module in (daily, all_papers, paper, search, people, entities, atom, trending, foryou, featured,
                   topics):  # people before entities
        app.include_router(module.router)
    # accounts and what signed-in readers do
    for module in (account, account_signup, actions, library, following, account_api, signals_api, collections,
                   discussion, admin, submit):
        app.include_router(module.router)
    app.include_router(people_admin.api)
    app.include_router(people_admin.forms)
    app.include_router(unsubscribe_routes.router)  # RFC 8058 one-click unsubscribe (digest emails)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/healthz", response_model=Health, tags=["service"], summary="Liveness and store check")
    def healthz() -> Response:
        return json(Health(status="ok", papers=state.paper_count(), version=__version__))

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:  # asked for by browsers on pages without <link rel=icon> (feeds, JSON)
        return Response(status_code=301, headers={"Location": "/static/favicon.svg"})

    def error_page(path: str, status: int, message: str) -> Response:
        if is_api(path):
            return json(ErrorOut(error=message, status=status), status=status)
        return state.render("error.html", status=status, code=status, title=_ERROR_TITLES.get(status, "Error"),
                            message=message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        response = error_page(request.url.path, exc.status_code, str(exc.detail))
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        if exc.status_code == 405:  # Starlette lists the first matching route's methods only; a path like
            # /api/me/follows has one route per method, so list them all
            methods = {m for r in api_routes(app.routes) if r.matches(request.scope)[0] != Match.NONE
                       for m in (r.methods or ()) if m != "HEAD"}
            if methods:
                response.headers["Allow"] = ", ".join(sorted(methods))
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'request'}: {e.get('msg')}" for e in exc.errors()
        )
        if is_api(request.url.path):  # FastAPI's documented 422 shape, plus a readable summary
            return JSONResponse({"detail": jsonable_encoder(exc.errors()), "error": problems, "status": 422},
                                status_code=422)
        return error_page(request.url.path, 400, problems)

    def crashed(scope: Scope) -> Response:
        path = str(scope.get("path", ""))
        if is_api(path):
            return json(ErrorOut(error="internal error (logged on the server)", status=500), status=500)
        try:
            return error_page(path, 500, "The server hit an error. It has been logged; please try again later.")
        except Exception:  # the templates themselves failed: plain text still tells the reader
            return HTMLResponse("<!doctype html><title>Error</title><h1>Something went wrong</h1>", 500)

    def refused(scope: Scope, status: int, message: str) -> Response:
        """An answer given before any route runs (the body limit): JSON or page, like every other error."""
        return error_page(str(scope.get("path", "")), status, message)

    configure_access_log()
    auth.install(app)  # inside Guard: its headers and log line cover what the auth layer answers
    app.add_middleware(Guard, error_response=crashed, cache=settings.web.cache,
                       max_body=settings.web.max_body_bytes, refusal=refused)
    return app


def create_worker_app() -> FastAPI:
    """uvicorn's factory for ``serve --workers N``: the app on the settings the ``serve`` command serialised for
    its worker processes (:func:`~openpapers.core.settings.worker_settings`)."""
    return create_app(worker_settings())
