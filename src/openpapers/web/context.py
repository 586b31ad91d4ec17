"""What every route needs: the store, the search service, the templates, and how to answer in HTML or JSON."""

from __future__ import annotations

import hashlib
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined
from pydantic import BaseModel

from openpapers import __version__
from openpapers.core.settings import Settings
from openpapers.db.database import Database
from openpapers.papers.schemas import ErrorOut, UnprocessableOut
from openpapers.papers.store import Store, open_store
from openpapers.search.service import SearchService
from openpapers.web import textfmt

STATIC_DIR = Path(str(resources.files("openpapers.web").joinpath("static")))

# Query parameters shared by the listing pages (documented in the OpenAPI spec through these annotations).
PageParam = Annotated[int, Query(ge=1, le=10_000, description="1-based page number")]
SortParam = Annotated[str, Query(pattern="^(upvotes|newest)$", description="upvotes (default) or newest")]
# Ids are slugs (see openpapers.core.records.slugify); anything else cannot exist, so it is refused before any lookup.
SLUG = r"^[a-z0-9][a-z0-9-]{0,199}$"
CATEGORY = r"^[A-Za-z][A-Za-z-]{0,19}(\.[A-Za-z][A-Za-z-]{0,19})?$"

# Error bodies of the JSON routes, for the spec.
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "Bad request (the message says why)"},
    404: {"model": ErrorOut, "description": "Not found"},
    422: {"model": UnprocessableOut, "description": "The request does not match this spec (``detail`` lists what "
                                                    "failed), or matches it but cannot be answered (the message "
                                                    "says why)"},
}


def _asset_version() -> str:
    digest = hashlib.sha256()
    for name in sorted(p.name for p in STATIC_DIR.iterdir() if p.is_file()):
        digest.update((STATIC_DIR / name).read_bytes())
    return digest.hexdigest()[:10]


def make_env() -> Environment:
    env = Environment(
        loader=PackageLoader("openpapers.web", "templates"),
        autoescape=True,  # every template, whatever its name: stored text is untrusted
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # templates ship with the package: no stat() of every template on every render
    )
    env.filters.update(
        short_date=textfmt.short_date,
        long_date=textfmt.long_date,
        math=textfmt.math_markup,
        paragraphs=textfmt.paragraphs,
        lead=textfmt.lead,
        card_anchor=textfmt.card_anchor,
        marked=textfmt.marked,
    )
    env.globals.update(version=__version__, asset_version=_asset_version(), today=date.today)
    # Reader-specific globals; web.auth.install replaces them with the real ones (these keep templates
    # renderable outside a request: anonymous, no forms).
    env.globals.update(current_user=lambda request=None: None, current_path=lambda: "/",
                       is_following=lambda kind, target: False)
    return env


class Web:
    """Long-lived state of one app: opened once at start, shared by every request (all thread-safe)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store: Store = open_store(settings)
        self.search = SearchService(self.store, settings.data_dir, settings=settings.search)
        self.env = make_env()
        self._paper_count: tuple[int, int] | None = None  # (store seq, papers) for /healthz

    def paper_count(self) -> int:
        """The number of papers, counted once per store seq (every change to papers advances it): exact, and a
        health probe no longer counts a million rows each time (a sequential scan on PostgreSQL). Reading the
        seq is itself the store check."""
        seq = self.store.current_seq()
        cached = self._paper_count
        if cached is None or cached[0] != seq:
            cached = self._paper_count = (seq, self.store.count_papers())
        return cached[1]

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        base = {"feed_url": None, "feed_title": None, "api_url": None, "canonical": None, "nav": None}
        html = self.env.get_template(template).render({**base, **context})
        return HTMLResponse(html, status_code=status)

    def close(self) -> None:
        self.store.close()


def web(request: Request) -> Web:
    return request.app.state.web  # type: ignore[no-any-return]


def database(request: Request) -> Database:
    """The app store's database, for the repositories the routes call."""
    return web(request).store.db


def json(model: BaseModel, status: int = 200) -> Response:
    """Serialise straight with pydantic-core: the model was built by our own code, re-validating it is waste."""
    return Response(model.model_dump_json(), status_code=status, media_type="application/json")


def not_found(what: str) -> HTTPException:
    return HTTPException(404, f"{what} was not found")


def bad_request(message: str) -> HTTPException:
    return HTTPException(400, message)


def unprocessable(message: str) -> HTTPException:
    """The one way a JSON route refuses a request that matches its spec but cannot be answered (what a schema
    cannot express: a week 53 of a 52-week year, a query of exclusions only). 422, not 400: the spec's promise
    held (the request is well formed), its meaning did not; the body is :class:`UnprocessableOut` without
    ``detail``, declared in :data:`ERRORS`."""
    return HTTPException(422, message)


def is_api(path: str) -> bool:
    """JSON (and feed) routes answer errors in JSON; pages answer with an HTML page."""
    return path.startswith(("/api/", "/feeds/", "/bibtex/")) or path in ("/api", "/healthz", "/openapi.json")


def wants_json(request: Request) -> bool:
    """A JSON answer is wanted: the request is for an ``/api`` route, or a script asked for JSON (``Accept``)."""
    return is_api(request.url.path) or "application/json" in request.headers.get("accept", "")
