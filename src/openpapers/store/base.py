"""The store interface: everything above the store (ingest, search, web, CLI) talks to this and nothing else.

One implementation (:class:`openpapers.store.sql.SqlStore`) serves SQLite today and PostgreSQL later; callers
never see SQL. Writes go through :meth:`Store.apply`, which is atomic per batch together with the caller's
resume checkpoint, so a killed import can neither half-write a batch nor lose its place.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from openpapers.model import Paper, PaperRecord


@dataclass(slots=True)
class ApplyResult:
    """What one batch did: papers created, papers changed, papers merged into others, claims written."""

    created: int = 0
    updated: int = 0
    merged: int = 0
    claims: int = 0
    paper_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class AuthorInfo:
    id: str
    name: str
    paper_count: int


class Store(ABC):
    """Abstract store. Implementations must make :meth:`apply` all-or-nothing."""

    url: str

    # -- writing ---------------------------------------------------------------------------------------------
    @abstractmethod
    def apply(
        self, records: Sequence[PaperRecord], *, checkpoint: tuple[str, dict[str, Any]] | None = None
    ) -> ApplyResult:
        """Store claims, dedup them into papers and re-merge every touched paper, atomically.

        When ``checkpoint=(key, state)`` is given it is saved in the same transaction.
        """

    # -- resume state and import log ----------------------------------------------------------------------------
    @abstractmethod
    def get_checkpoint(self, key: str) -> dict[str, Any] | None: ...

    @abstractmethod
    def set_checkpoint(self, key: str, state: dict[str, Any]) -> None: ...

    @abstractmethod
    def start_import(self, source: str, checkpoint_key: str, detail: dict[str, Any]) -> int: ...

    @abstractmethod
    def finish_import(self, import_id: int, records: int, skipped: int, detail: dict[str, Any]) -> None: ...

    @abstractmethod
    def imports(self, limit: int = 20) -> list[dict[str, Any]]: ...

    # -- reading -----------------------------------------------------------------------------------------------
    @abstractmethod
    def get_paper(self, ref: str) -> Paper | None:
        """Find a paper by id, merged-away alias or arXiv id (any spelling, with or without version)."""

    @abstractmethod
    def get_papers(self, ids: Iterable[str]) -> list[Paper]:
        """Papers for ids, in the given order, missing ones skipped."""

    @abstractmethod
    def iter_papers(self, *, batch_size: int = 1000, after_seq: int = 0) -> Iterator[Paper]:
        """Every paper, in change order (``seq``); ``after_seq`` gives only papers changed since."""

    @abstractmethod
    def current_seq(self) -> int:
        """The newest change number handed out (0 for an empty store): the high-water mark an index records
        after syncing, so that its next ``iter_papers(after_seq=...)`` picks up exactly what changed since."""

    @abstractmethod
    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` are current paper ids (not aliases): lets an index drop papers merged away."""

    @abstractmethod
    def claims_for(self, paper_id: str) -> list[PaperRecord]: ...

    @abstractmethod
    def papers_by_author(self, author_id: str, limit: int = 100) -> list[Paper]: ...

    @abstractmethod
    def get_author(self, author_id: str) -> AuthorInfo | None: ...

    @abstractmethod
    def count_papers(self) -> int: ...

    @abstractmethod
    def stats(self) -> dict[str, Any]: ...

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
