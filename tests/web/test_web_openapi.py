"""The OpenAPI spec: valid, lists every JSON route the app serves (read from ``app.routes``, so a new twin is
covered without editing this file) and every feed with typed responses, and survives a fuzzing run.

The schemathesis runs (anonymous, and signed in with a bearer token on a writable store of their own) use every
check schemathesis has, positive_data_acceptance included: a request the spec allows must not be refused, one it
forbids must be. They are bounded (six examples per operation, no deadline) so they stay quick (~25 s a backend).
"""

from __future__ import annotations

import re
import typing
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from schemathesis.checks import load_all_checks
from schemathesis.specs.openapi.checks import positive_data_acceptance

from helpers.accountkit import PASSWORD, build_store, use_cheap_hashing
from openpapers.accounts import service as accounts
from openpapers.papers.store import open_store
from openpapers.web.app import create_app
from openpapers.web.pages import api_routes, twin

load_all_checks()
cheap = pytest.fixture(autouse=True, scope="module")(use_cheap_hashing)

FEEDS = ["/feeds/daily.atom", "/feeds/search.atom", "/feeds/author/{author_id}.atom", "/feeds/org/{org_id}.atom",
         "/feeds/category/{code}.atom", "/bibtex/{ref}"]


@pytest.fixture(scope="module")
def spec(client: TestClient) -> dict:  # type: ignore[type-arg]
    r = client.get("/openapi.json")
    assert r.status_code == 200
    return r.json()  # type: ignore[no-any-return]


def test_spec_is_valid_openapi(spec: dict) -> None:  # type: ignore[type-arg]
    validate(spec)
    assert spec["openapi"].startswith("3.")


def spec_path(path: str) -> str:
    """A route's path as the spec writes it (``{ref:path}`` → ``{ref}``)."""
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", path)


def json_routes(app: FastAPI) -> dict[tuple[str, str], Any]:
    """Every JSON route of the app, from ``app.routes``: (spec path, method) → its response model (or None)."""
    out: dict[tuple[str, str], Any] = {}
    for route in api_routes(app.routes):
        if route.path.startswith("/api") or route.path == "/healthz":  # hidden from the spec or not
            for method in (route.methods or set()) - {"HEAD"}:
                out[(spec_path(route.path), method.lower())] = route.response_model
    return out


def schema_of(model: Any) -> dict[str, Any]:
    if typing.get_origin(model) is list:
        return {"type": "array", "items": schema_of(typing.get_args(model)[0])}
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def test_spec_lists_every_json_route_with_its_model(app: FastAPI, spec: dict) -> None:  # type: ignore[type-arg]
    routes = json_routes(app)
    # the derivation itself: the twins a hand list once missed are found, aliases included
    assert {("/api/trending", "get"), ("/api/for-you", "get"), ("/api/latest", "get"), ("/api/", "get"),
            ("/api/me/library", "get"), ("/api/library", "get"), ("/healthz", "get")} <= set(routes)
    for (path, method), model in routes.items():
        assert method in spec["paths"].get(path, {}), f"{method.upper()} {path} is missing from the spec"
        if model is None:
            continue
        ok = spec["paths"][path][method]["responses"]
        status = next(s for s in ok if s.startswith("2"))
        schema = {k: v for k, v in ok[status]["content"]["application/json"]["schema"].items() if k != "title"}
        assert schema == schema_of(model), (path, method)
    for path in FEEDS:
        assert "get" in spec["paths"][path], path
    # HTML pages are not part of the API
    assert not any(p in spec["paths"] for p in ("/", "/search", "/paper/{ref}", "/day/{day}"))
    errors = spec["paths"]["/api/paper/{ref}"]["get"]["responses"]
    assert errors["404"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorOut"}


def test_every_page_has_its_twin_at_api_plus_its_path(app: FastAPI, spec: dict) -> None:  # type: ignore[type-arg]
    pages = [r for r in api_routes(app.routes) if r.name.endswith("_page") and not r.include_in_schema]
    assert {"/", "/search", "/library", "/trending", "/for-you", "/paper/{ref:path}"} <= {r.path for r in pages}
    for route in pages:
        ok = spec["paths"][spec_path(twin(route.path))]["get"]["responses"]["200"]
        assert set(ok["content"]["application/json"]["schema"]) == {"$ref"}, route.path  # a typed model


def test_spec_is_served_only_as_json(client: TestClient) -> None:
    assert client.get("/docs").status_code == 404  # Swagger UI would load scripts from a CDN: not offered


@pytest.fixture()
def api_schema(app: FastAPI):  # type: ignore[no-untyped-def]
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture(scope="module")
def signed_in(tmp_path_factory: pytest.TempPathFactory, backend: Any) -> Iterator[tuple[FastAPI, Callable[[], str]]]:
    """A writable app of its own with one reader, and a maker of fresh API tokens for that reader: the fuzzer
    may revoke the token it was given (DELETE /api/me/tokens/{id}), so every case gets a new one."""
    settings = build_store(tmp_path_factory.mktemp("fuzz-signed-in"), backend)
    app = create_app(settings)
    store = open_store(settings)
    user = accounts.sign_up(store.db, "fuzz@example.org", PASSWORD, "Fuzz")

    def fresh_token() -> str:
        return accounts.create_api_token(store.db, user, "fuzz")[1]

    try:
        yield app, fresh_token
    finally:
        store.close()
        app.state.web.close()


@pytest.fixture()
def signed_in_schema(signed_in: tuple[FastAPI, Callable[[], str]]):  # type: ignore[no-untyped-def]
    return schemathesis.openapi.from_asgi("/openapi.json", signed_in[0])


schema = schemathesis.pytest.from_fixture("api_schema")
signed_in_api = schemathesis.pytest.from_fixture("signed_in_schema")
FUZZ = settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                database=None)

# What no JSON Schema can state, so a request the spec allows may still be refused: with the documented 422
# (UnprocessableOut *without* FastAPI's ``detail`` list, which would mean the request broke the spec) and one of
# these messages. Only these operations may answer it, each only for these reasons; any other refusal of a
# spec-valid request is a mismatch (a "has_code must be true or false" would fail the run).
_QUERY = r"type something to search|nothing to search for|add a word to search for|from is after to"
SEMANTIC_REFUSALS = {
    "GET /api/week/{week}": r"is not a valid week",  # a week 53 in a year of 52 weeks
    "GET /api/search": _QUERY,  # the query's own syntax; a from after the to
    "GET /feeds/search.atom": _QUERY,
    "POST /api/me/follows": r"a saved search needs a query or a filter|bad query: |a category is an arXiv code",
    "DELETE /api/me/follows": r"give the follow's id, or kind and target",  # a rule between parameters
    "PATCH /api/me/follows/{follow_id}": r"bad query: |a saved search needs a query or a filter|only a saved search"
                                         r"|you already follow that search|a name needs a letter",
    "POST /api/me/submissions": r"is not an arXiv id or URL",  # every spelling of an id, and abs/pdf URLs
}


def semantic_refusal(label: str, status: int, body: Any) -> bool:
    """A documented 422 for one of the reasons :data:`SEMANTIC_REFUSALS` allows this operation."""
    reasons = SEMANTIC_REFUSALS.get(label)
    return (status == 422 and reasons is not None and isinstance(body, dict) and "detail" not in body
            and re.search(reasons, str(body.get("error", ""))) is not None)


def accepts_valid_requests(ctx, response, case):  # type: ignore[no-untyped-def]
    """positive_data_acceptance, but for the documented semantic refusals above."""
    label = case.operation.label
    if semantic_refusal(label, response.status_code, response.json() if response.status_code == 422 else None):
        return None
    return positive_data_acceptance(ctx, response, case)


@schema.parametrize()
@FUZZ
def test_api_anonymous_has_no_server_errors_and_matches_the_spec(case) -> None:  # type: ignore[no-untyped-def]
    """Every check schemathesis has, positive_data_acceptance included: a request the spec allows is answered
    (2xx, 401, 403, 404 ...), not refused as malformed (400/422); one the spec forbids is refused."""
    case.call_and_validate(excluded_checks=[positive_data_acceptance], additional_checks=[accepts_valid_requests])


@signed_in_api.parametrize()
@FUZZ
def test_api_signed_in_has_no_server_errors_and_matches_the_spec(case, signed_in) -> None:  # type: ignore[no-untyped-def]
    """The same with a bearer token: the account and reader routes run instead of answering 401."""
    case.call_and_validate(headers={"Authorization": f"Bearer {signed_in[1]()}"},
                           excluded_checks=[positive_data_acceptance], additional_checks=[accepts_valid_requests])
