"""The page registrar: one call mounts a page and its JSON twin, so no page can lack one or drift from it.

``@page(router, "/day/{day}", template="period.html", ...)`` on a *builder* (a function taking the request and
the page's parameters and returning the page's pydantic model) registers

* the HTML page at ``/day/{day}``: the builder's model rendered with the template (``view`` in the template),
  left out of the OpenAPI spec;
* its JSON twin at :func:`twin` of the path, ``/api/day/{day}``: the same model as JSON, in the spec with the
  model, the error bodies, tags and summary;
* any ``aliases``: older JSON URLs of the same twin (``/api/latest`` for ``/api/``), kept working and listed.

The rule is mechanical: **the twin of a page is ``/api`` + its path** (``/`` → ``/api/``, ``/library`` →
``/api/library``). Both routes take the same query parameters, validated by the same annotations; a path
parameter that the JSON twin checks more strictly (a pattern shown in the spec) while the page explains the
mistake in words is given in ``api_params`` (its default, if any, stays the builder's; the page and the twin may also
read a parameter differently, e.g. the search's typed twin parameters). A builder may return a ``Response``
instead of its model (a redirect to the canonical URL, a page with nothing to show): it is answered as it is.
``context`` adds template variables beyond ``view`` (it gets the request, the model and the builder's
arguments); ``api_url`` defaults to the twin of the requested URL. ``private`` marks both answers
``Cache-Control: private, no-store`` (one reader's view).
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from pydantic import BaseModel

from openpapers.accounts.auth import PRIVATE
from openpapers.web.context import ERRORS, json, web

B = TypeVar("B", bound=Callable[..., Any])
Context = Callable[[Request, Any, dict[str, Any]], dict[str, Any]]


def twin(path: str) -> str:
    """The JSON twin of a page path: the same path under ``/api``."""
    return "/api" + path


def twin_url(request: Request) -> str:
    """The JSON twin of the requested URL, query string included."""
    query = request.url.query
    return twin(request.url.path) + (f"?{query}" if query else "")


def page(router: APIRouter, path: str, *, template: str, summary: str, tags: list[str],
         responses: Mapping[int | str, dict[str, Any]] = ERRORS, aliases: Sequence[str] = (),
         context: Context | None = None, private: bool = False, api_params: Mapping[str, Any] | None = None
         ) -> Callable[[B], B]:
    """Register a builder as the page at ``path`` and its JSON twin (see the module docstring)."""

    def register(builder: B) -> B:
        signature = _resolved_signature(builder)
        model = _model_of(signature.return_annotation, builder)

        def answer(response: Response) -> Response:
            if private:
                response.headers["Cache-Control"] = PRIVATE
            return response

        def as_page(**kwargs: Any) -> Response:
            request: Request = kwargs["request"]
            view = builder(**kwargs)
            if isinstance(view, Response):
                return answer(view)
            extra = context(request, view, kwargs) if context else {}
            return answer(web(request).render(template, **{"view": view, "api_url": twin_url(request), **extra}))

        def as_json(**kwargs: Any) -> Response:
            view = builder(**kwargs)
            return answer(view if isinstance(view, Response) else json(view))

        name = builder.__name__
        router.add_api_route(path, _Endpoint(as_page, signature.replace(return_annotation=Response)),
                             methods=["GET"], include_in_schema=False, response_model=None, name=f"{name}_page")
        api = _Endpoint(as_json, _with_params(signature, api_params or {}))
        for i, url in enumerate((twin(path), *aliases)):
            note = "" if i == 0 else f" (alias of {twin(path)})"
            router.add_api_route(url, api, methods=["GET"], response_model=model, responses=dict(responses),
                                 tags=list(tags), summary=summary + note, name=f"{name}_json{i or ''}")
        return builder

    return register


class _Endpoint:
    # A route endpoint with the builder's parameters: FastAPI reads what to inject from ``__signature__``.
    # (No docstring: FastAPI would put it in the spec as the operation's description.)

    def __init__(self, call: Callable[..., Response], signature: inspect.Signature) -> None:
        self._call = call
        self.__signature__ = signature

    def __call__(self, **kwargs: Any) -> Response:
        return self._call(**kwargs)


def _resolved_signature(builder: Callable[..., Any]) -> inspect.Signature:
    """The builder's signature with its annotations evaluated (FastAPI would evaluate string annotations in the
    wrapper's module, where the builder's names do not exist)."""
    hints = typing.get_type_hints(builder, include_extras=True)
    signature = inspect.signature(builder)
    params = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in signature.parameters.values()]
    if not params or params[0].name != "request":
        raise TypeError(f"{builder.__name__}: a page builder takes the request first")
    return signature.replace(parameters=params, return_annotation=hints.get("return", inspect.Signature.empty))


def _with_params(signature: inspect.Signature, overrides: Mapping[str, Any]) -> inspect.Signature:
    # Only the annotation changes: a query parameter keeps its default (a path parameter has none).
    params = [p.replace(annotation=overrides[p.name]) if p.name in overrides else p
              for p in signature.parameters.values()]
    return signature.replace(parameters=params, return_annotation=Response)


def _model_of(annotation: Any, builder: Callable[..., Any]) -> type[BaseModel]:
    """The pydantic model among a builder's return types (``FeedPage | Response`` → ``FeedPage``)."""
    union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    for candidate in typing.get_args(annotation) if union else (annotation,):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    raise TypeError(f"{builder.__name__}: a page builder returns a pydantic model")


def api_routes(routes: Sequence[Any]) -> list[APIRoute]:
    """Every APIRoute of an app (``app.routes``), looking inside included routers (FastAPI wraps them)."""
    out: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            out.append(route)
        elif hasattr(route, "original_router"):
            out.extend(api_routes(route.original_router.routes))
    return out
