"""The documentation covers what a user can set, run and open: every setting, every command and every page.

Why: the docs are the only place an operator learns that a variable, a subcommand or a page exists, and each of
those is added in code first. These tests list them from the code itself (the Settings model, the Typer/click
app, the web app's routes) and fail naming what README.md and docs/*.md do not mention yet.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
import typer.main

from openpapers.cli import app as cli_app
from openpapers.core.settings import env_names, resolve_settings

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
WEB_DOC = ROOT / "docs" / "web.md"
NOT_PAGES = ("/api/", "/feeds/", "/static", "/healthz", "/favicon.ico", "/openapi.json")


def docs_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in DOCS)


def test_every_setting_is_documented() -> None:
    text = docs_text()
    missing = [name for name in env_names() if not re.search(rf"\b{name}\b", text)]
    assert not missing, f"settings not mentioned in README.md or docs/*.md: {', '.join(missing)}"


def command_paths(command: click.Command, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command and subcommand as the words after ``openpapers`` (hidden ones left out)."""
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            if not sub.hidden:
                yield (*prefix, name)
                yield from command_paths(sub, (*prefix, name))


def test_every_command_is_documented() -> None:
    text = re.sub(r"[ \t]+", " ", docs_text())
    paths = list(command_paths(typer.main.get_command(cli_app)))
    assert len(paths) > 10  # the walk found the app's commands
    # "openpapers user create", also after global options ("openpapers --data-dir DIR serve")
    missing = [" ".join(p) for p in paths
               if not re.search(r"\bopenpapers (?:--?[\w-]+(?: [^\s-]\S*)? )*" + re.escape(" ".join(p)) + r"\b", text)]
    assert not missing, f"commands not shown as `openpapers …` in README.md or docs/*.md: {', '.join(missing)}"


def routes(items: list[Any]) -> Iterator[Any]:
    """Every route of the app, looking inside included routers (FastAPI wraps them)."""
    for route in items:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from routes(inner.routes)
        else:
            yield route


def page_paths(app: Any) -> list[str]:
    """GET routes that render HTML pages: left out of the OpenAPI spec (the JSON API and feeds are in it)."""
    out = []
    for route in routes(app.routes):
        path = getattr(route, "path", "")
        if ("GET" in (getattr(route, "methods", None) or ()) and not getattr(route, "include_in_schema", True)
                and not path.startswith(NOT_PAGES)):
            out.append(path)
    return sorted(set(out))


def mention(path: str) -> re.Pattern[str]:
    """``/paper/{ref:path}`` is mentioned as ``/paper/{id}`` or ``/paper/2301.12345``; ``/`` as itself."""
    parts = re.split(r"\{[^}]+\}", path)
    body = r"[^\s`/|)]+".join(re.escape(p) for p in parts)
    return re.compile(rf"(?<![\w./-]){body}(?![\w/-])")


@pytest.fixture(scope="module")
def web_app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from openpapers.web.app import create_app

    data_dir = tmp_path_factory.mktemp("docs")
    return create_app(resolve_settings(data_dir, database_url=f"sqlite:///{data_dir}/openpapers.db"))


def test_every_page_is_in_the_web_doc(web_app: Any) -> None:
    text = WEB_DOC.read_text(encoding="utf-8")
    pages = page_paths(web_app)
    assert "/" in pages and "/search" in pages  # the walk found the app's pages
    missing = [p for p in pages if not mention(p).search(text)]
    assert not missing, f"pages not mentioned in docs/web.md: {', '.join(missing)}"
