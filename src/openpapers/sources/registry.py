"""Which sources exist, where each one lives, and how the command line offers it.

Sources used to register themselves by decorator when imported, so finding one meant importing all of them
(from base.py, which every source imports: a circle). Here each source is one entry naming its module and
class; :func:`get_source` imports only the module it needs, and nothing in this file imports a source at
import time. The CLI (``openpapers import …`` / ``openpapers harvest …``) builds its commands from these
entries, so a new source appears on the command line by adding its entry here; the source class turns the
parsed command-line values into configured sources with :meth:`Source.from_command`.

Several network sources may share one harvest command (``harvest arxiv``); ``via`` names each one and the
CLI adds a ``--via`` option choosing between them.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from openpapers.sources.base import Source


@dataclass(frozen=True, slots=True)
class Param:
    """One command-line argument or option of a source's command.

    ``name`` is the key of the value handed to :meth:`Source.from_command` (and the CLI parameter's name);
    ``kind`` is ``str``, ``int``, ``float``, ``Path`` or ``date`` (typed as YYYY-MM-DD, handed over as a
    :class:`~datetime.date`). ``flag`` spells the option where it is not ``--<name with dashes>``.
    """

    name: str
    help: str
    kind: type = str
    default: Any = None
    flag: str | None = None
    argument: bool = False
    many: bool = False
    min: int | None = None


@dataclass(frozen=True, slots=True)
class Command:
    """Where a source sits on the command line: ``openpapers <group> <name>``."""

    group: Literal["import", "harvest"]
    name: str
    help: str
    params: tuple[Param, ...] = ()
    via: str | None = None
    via_help: str = ""
    default_via: bool = False


@dataclass(frozen=True, slots=True)
class SourceEntry:
    """A source by name: the module and class that implement it, and its command (if it has one)."""

    name: str
    module: str
    cls: str
    command: Command | None = None

    def load(self) -> type[Source]:
        """Import the source's module (only that one) and return its class."""
        cls: type[Source] = getattr(importlib.import_module(self.module), self.cls)
        if cls.name != self.name:
            raise ValueError(f"{self.module}.{self.cls} is named {cls.name!r}, registered as {self.name!r}")
        return cls


_ARXIV_HARVEST = "Harvest arXiv through its API or OAI-PMH; resumes an interrupted harvest from its checkpoint."

SOURCES: tuple[SourceEntry, ...] = (
    SourceEntry("listing", "openpapers.sources.listing", "ListingSource", Command(
        "import", "listing", "Import saved Hugging Face-style listing pages.", (
            Param("files", "Saved listing pages (author, search or large search).", Path, argument=True,
                  many=True),
            Param("captured", "Capture date YYYY-MM-DD for year-less dates [default: each file's modification "
                  "date].", date),
            Param("owner", "Owner of an author page [default: inferred]."),
            Param("kind", "author | search | large [default: detected]."),
        ))),
    SourceEntry("arxiv-snapshot", "openpapers.sources.arxiv_snapshot", "ArxivSnapshotSource", Command(
        "import", "arxiv-snapshot", "Import the arXiv bulk metadata snapshot, streamed and resumable.", (
            Param("file", "arXiv metadata snapshot (JSON lines).", Path, argument=True),
            Param("batch_size", "Lines per transaction (and per checkpoint)", int, 5000, min=1),
        ))),
    SourceEntry("hf-daily", "openpapers.sources.hf_daily", "HfDailySource", Command(
        "import", "hf-daily", "Import a Hugging Face daily-papers JSON file.", (
            Param("file", "JSON from Hugging Face /api/daily_papers.", Path, argument=True),
            Param("observed", "When the file was fetched [default: file mtime].", date),
        ))),
    SourceEntry("arxiv-api", "openpapers.sources.arxiv_api", "ArxivApiSource", Command(
        "harvest", "arxiv", _ARXIV_HARVEST, (
            Param("query", "API search_query, e.g. 'cat:cs.LG AND ti:diffusion'"),
            Param("ids", "API id_list, comma-separated arXiv ids"),
            Param("max_results", "API: stop after this many results", int),
        ), via="api", via_help="search queries")),
    SourceEntry("arxiv-oai", "openpapers.sources.arxiv_oai", "ArxivOaiSource", Command(
        "harvest", "arxiv", _ARXIV_HARVEST, (
            Param("set_spec", "OAI set, e.g. cs or physics:hep-th", flag="--set"),
            Param("from_date", "OAI from date [default: where the last harvest of this set ended]", date,
                  flag="--from"),
            Param("until", "OAI until date", date),
            Param("prefix", "OAI metadataPrefix: arXiv, arXivRaw or oai_dc", default="arXiv"),
            Param("id", "OAI: fetch this one arXiv id with GetRecord (no --set/--from/--until)"),
        ), via="oai", via_help="incremental OAI-PMH", default_via=True)),
)


def _by_name() -> dict[str, SourceEntry]:
    entries: dict[str, SourceEntry] = {}
    for entry in SOURCES:
        if entry.name in entries:
            raise ValueError(f"two sources named {entry.name!r}")
        entries[entry.name] = entry
    return entries


def get_source(name: str) -> type[Source]:
    """The source class registered as ``name``; KeyError listing the known names otherwise."""
    entries = _by_name()
    try:
        entry = entries[name]
    except KeyError:
        raise KeyError(f"unknown source {name!r}; known: {', '.join(sorted(entries))}") from None
    return entry.load()


def source_names() -> list[str]:
    return sorted(_by_name())


def commands(group: str) -> Iterator[tuple[str, list[SourceEntry]]]:
    """The commands of one CLI group in registry order, each with the sources it runs (several: ``--via``).

    Sources may share a command only as harvests that each name a different ``via``.
    """
    grouped: dict[str, list[SourceEntry]] = {}
    for entry in SOURCES:
        if entry.command is not None and entry.command.group == group:
            grouped.setdefault(entry.command.name, []).append(entry)
    for name, entries in grouped.items():
        vias = [e.command.via for e in entries if e.command]
        if len(entries) > 1 and (group != "harvest" or None in vias or len(set(vias)) < len(vias)):
            raise ValueError(f"sources {', '.join(e.name for e in entries)} share `{group} {name}` "
                             "without each naming its own via")
    yield from grouped.items()
