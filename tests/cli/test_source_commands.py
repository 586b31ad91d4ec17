"""``openpapers import …`` / ``harvest …`` are built from the source registry: a source added there (here: fake
ones, registered for the test) gets its command, options and ``--via`` choice without any change to cli/."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import click
import pytest
import typer
from typer.main import get_command
from typer.testing import CliRunner

from openpapers.cli import app
from openpapers.cli.imports import add_source_commands
from openpapers.sources import registry
from openpapers.sources.base import Page, Source
from openpapers.sources.registry import Command, Param, SourceEntry

calls: list[tuple[str, dict[str, Any]]] = []


class FakeSource(Source):
    """Records what its command handed over and yields no sources, so nothing touches a store."""

    name: ClassVar[str] = "fake-file"

    @property
    def checkpoint_key(self) -> str:
        return self.name

    def pages(self, state: dict[str, Any] | None = None) -> Iterator[Page]:
        yield Page()

    @classmethod
    def from_command(cls, values: Mapping[str, Any]) -> Iterator[tuple[Source, dict[str, Any]]]:
        calls.append((cls.name, dict(values)))
        yield from ()


class FakeA(FakeSource):
    name: ClassVar[str] = "fake-a"


class FakeB(FakeSource):
    name: ClassVar[str] = "fake-b"


FAKES = (
    SourceEntry("fake-file", __name__, "FakeSource", Command("import", "fake-file", "Import fake files.", (
        Param("path", "A fake file.", Path, argument=True),
        Param("when", "A date.", date),
        Param("count", "A number.", int, 7, min=1),
    ))),
    SourceEntry("fake-a", __name__, "FakeA", Command("harvest", "fake", "Harvest fakes.", (
        Param("query", "A's query."),), via="a", via_help="first")),
    SourceEntry("fake-b", __name__, "FakeB", Command("harvest", "fake", "Harvest fakes.", (
        Param("since", "B's date.", date, flag="--from"),), via="b", via_help="second", default_via=True)),
)


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    """A fresh command line built from the registry plus the fakes."""
    monkeypatch.setattr(registry, "SOURCES", (*registry.SOURCES, *FAKES))
    calls.clear()
    root, imports, harvests = typer.Typer(), typer.Typer(), typer.Typer()
    root.add_typer(imports, name="import")
    root.add_typer(harvests, name="harvest")
    add_source_commands(imports, harvests)
    return root


def subcommands(group: click.Command, name: str) -> list[str]:
    assert isinstance(group, click.Group)
    sub = group.commands[name]
    assert isinstance(sub, click.Group)
    return list(sub.commands)


def test_the_real_commands_are_the_registry_commands() -> None:
    root = get_command(app)
    assert subcommands(root, "import") == ["listing", "arxiv-snapshot", "hf-daily", "demo"]
    assert subcommands(root, "harvest") == ["arxiv"]


def test_a_registered_import_source_gets_its_command(cli: typer.Typer) -> None:
    result = CliRunner().invoke(cli, ["import", "fake-file", "f.txt", "--when", "2024-01-02", "--skip-bad"])
    assert result.exit_code == 0, result.output
    assert calls == [("fake-file", {"path": Path("f.txt"), "when": date(2024, 1, 2), "count": 7})]
    help_text = CliRunner().invoke(cli, ["import", "fake-file", "--help"]).output
    assert "Import fake files." in help_text and "--count" in help_text and "--no-index" in help_text


def test_a_bad_date_names_its_option(cli: typer.Typer) -> None:
    result = CliRunner().invoke(cli, ["import", "fake-file", "f.txt", "--when", "2024-02-30"])
    assert result.exit_code == 2 and "--when" in result.output and "YYYY-MM-DD" in result.output
    assert calls == []


def test_harvest_sources_sharing_a_command_are_chosen_by_via(cli: typer.Typer) -> None:
    runner = CliRunner()
    ok = runner.invoke(cli, ["harvest", "fake", "--from", "2024-03-01", "--base-url", "http://x", "--interval", "0"])
    assert ok.exit_code == 0, ok.output
    ((name, values),) = calls
    assert name == "fake-b"  # the default via
    assert values["since"] == date(2024, 3, 1) and values["base_url"] == "http://x" and values["via"] == "b"
    assert values["query"] is None and values["client"] is not None
    calls.clear()
    via_a = runner.invoke(cli, ["harvest", "fake", "--via", "a", "--query", "q", "--base-url", "http://x"])
    assert via_a.exit_code == 0, via_a.output
    assert [(n, v["query"]) for n, v in calls] == [("fake-a", "q")]
    refused = runner.invoke(cli, ["harvest", "fake", "--via", "c", "--base-url", "http://x"])
    assert refused.exit_code == 2 and "must be a or b" in refused.output
    assert "a (first) or b (second)" in runner.invoke(cli, ["harvest", "fake", "--help"]).output
