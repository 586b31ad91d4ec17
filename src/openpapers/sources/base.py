"""The one interface every source implements, and the registry that finds sources by name.

A source turns some input (a file, an HTTP API) into *pages*: a list of :class:`PaperRecord` claims, the
:class:`SourceError` s met while reading them, and a JSON-serialisable ``state`` that lets the source resume
right after that page. The ingest pipeline writes each page's records and its state in one transaction, which is
what makes every import resumable and safe to kill at any moment.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from openpapers.core.errors import SourceError
from openpapers.core.records import PaperRecord


@dataclass(slots=True)
class Page:
    """One unit of progress: records to store, errors met, and where to resume after it."""

    records: list[PaperRecord] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)


class Source(ABC):
    """A producer of paper records. Subclasses set ``name`` and implement :meth:`pages`.

    ``checkpoint_key`` names this particular input (file identity, query) so that a resumed run finds its
    own saved state and never another input's.
    """

    name: ClassVar[str]

    @property
    @abstractmethod
    def checkpoint_key(self) -> str:
        """Identity of this input for resuming (e.g. ``arxiv-snapshot:/path:size:mtime``)."""

    @abstractmethod
    def pages(self, state: dict[str, Any] | None = None) -> Iterator[Page]:
        """Yield pages in order, starting after ``state`` (a state from an earlier page) when given."""


_REGISTRY: dict[str, type[Source]] = {}


def register(cls: type[Source]) -> type[Source]:
    """Class decorator: make a source available by its ``name`` (used by the CLI)."""
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"two sources named {cls.name!r}")
    _REGISTRY[cls.name] = cls
    return cls


def get_source(name: str) -> type[Source]:
    _load_builtin()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown source {name!r}; known: {', '.join(sorted(_REGISTRY))}") from None


def source_names() -> list[str]:
    _load_builtin()
    return sorted(_REGISTRY)


def _load_builtin() -> None:
    # Importing the modules runs their @register decorators.
    from openpapers.sources import arxiv_api, arxiv_oai, arxiv_snapshot, hf_daily, listing  # noqa: F401


ProgressCallback = Callable[[int], None]
