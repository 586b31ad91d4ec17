"""The one interface every source implements (the registry that finds sources by name is ``registry.py``).

A source turns some input (a file, an HTTP API) into *pages*: a list of :class:`PaperRecord` claims, the
:class:`SourceError` s met while reading them, and a JSON-serialisable ``state`` that lets the source resume
right after that page. The ingest pipeline writes each page's records and its state in one transaction, which is
what makes every import resumable and safe to kill at any moment.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from openpapers.core.errors import SourceError
from openpapers.core.records import PaperRecord


@dataclass(slots=True)
class Page:
    """One unit of progress: records to store, errors met, and where to resume after it.

    ``warnings`` are doubts that do not stop an import (a listing page that looks cut off): reported and kept
    in the import log, and fatal only under ``strict``.
    """

    records: list[PaperRecord] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)
    warnings: list[SourceError] = field(default_factory=list)
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

    @classmethod
    def from_command(cls, values: Mapping[str, Any]) -> Iterator[tuple[Source, dict[str, Any]]]:
        """The configured sources one run of this source's CLI command stands for, each with the ``detail``
        the import log keeps. ``values`` holds the command's parameters by name (see ``registry.Param``),
        dates already parsed; harvest commands add ``client`` (the shared PoliteClient) and ``base_url``.
        """
        raise NotImplementedError(f"source {cls.name!r} has no command")


ProgressCallback = Callable[[int], None]
