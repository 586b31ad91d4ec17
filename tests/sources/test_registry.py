"""The source registry: names → lazily imported classes, with no import circle through base.py."""

from __future__ import annotations

import subprocess
import sys

import pytest

from openpapers.sources import registry
from openpapers.sources.base import Source
from openpapers.sources.registry import Command, SourceEntry, get_source, source_names


def loaded_modules(code: str) -> set[str]:
    """The ``openpapers.sources`` modules a fresh interpreter has imported after running ``code``."""
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in sys.modules if m.startswith('openpapers.sources.')))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_names() -> None:
    assert source_names() == ["arxiv-api", "arxiv-oai", "arxiv-snapshot", "hf-daily", "listing"]


def test_every_entry_loads_its_class_and_has_a_command() -> None:
    for entry in registry.SOURCES:
        cls = entry.load()
        assert issubclass(cls, Source) and cls.name == entry.name
        assert entry.command is not None
        assert "from_command" in vars(cls)  # its own, not the base's "no command"


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(KeyError, match="unknown source 'nope'; known: arxiv-api, arxiv-oai"):
        get_source("nope")


def test_base_imports_no_source_and_lookup_imports_only_the_one_asked_for() -> None:
    assert loaded_modules("import openpapers.sources.base") == {"openpapers.sources.base"}
    assert loaded_modules("import openpapers.sources.registry") == {"openpapers.sources.registry"}
    got = loaded_modules("from openpapers.sources.registry import get_source; get_source('hf-daily')")
    assert "openpapers.sources.hf_daily" in got
    assert not got & {"openpapers.sources.listing", "openpapers.sources.arxiv_api", "openpapers.sources.arxiv_oai",
                      "openpapers.sources.arxiv_snapshot"}


def test_a_misnamed_entry_is_refused() -> None:
    with pytest.raises(ValueError, match="is named 'listing', registered as 'other'"):
        SourceEntry("other", "openpapers.sources.listing", "ListingSource").load()


def test_sources_share_a_command_only_through_distinct_vias(monkeypatch: pytest.MonkeyPatch) -> None:
    twice = Command("import", "twice", "Twice.")
    monkeypatch.setattr(registry, "SOURCES", (SourceEntry("a", "m", "A", twice), SourceEntry("b", "m", "B", twice)))
    with pytest.raises(ValueError, match="share `import twice`"):
        list(registry.commands("import"))
