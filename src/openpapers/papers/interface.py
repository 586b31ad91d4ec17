"""The store interface: everything above the store (ingest, search, web, CLI) talks to this and nothing else.

One implementation (:class:`openpapers.papers.store.SqlStore`) serves SQLite today and PostgreSQL later; callers
never see SQL. Writes go through :meth:`Store.apply`, which is atomic per batch together with the caller's
resume checkpoint, so a killed import can neither half-write a batch nor lose its place.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from openpapers.core.records import Paper, PaperRecord


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


@dataclass(slots=True)
class OrgInfo:
    id: str
    name: str
    paper_count: int


@dataclass(slots=True)
class PaperScope:
    """Which papers a listing means (all given conditions must hold).

    ``category`` is a full code (``cs.LG``) or an archive (``cs``: every cs.* code). ``day_from``/``day_to``
    (inclusive) match a paper *published* in the range or *featured* (Hugging Face daily) in it, because a daily
    feed shows both.
    """

    author_id: str | None = None
    org_id: str | None = None
    category: str | None = None
    day_from: date | None = None
    day_to: date | None = None


@dataclass(slots=True)
class PaperSlice:
    """One page of a listing and how many papers the whole listing has."""

    papers: list[Paper]
    total: int


@dataclass(slots=True)
class Facet:
    """A value shared by papers of a scope (an author, an organisation, a category) and on how many it is."""

    id: str
    name: str
    count: int


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

    # -- browsing (the web pages); not abstract so that other stores can add them later --------------------------
    def list_papers(
        self, scope: PaperScope, *, order: str = "newest", limit: int = 50, offset: int = 0
    ) -> PaperSlice:
        """Papers in ``scope``: ``order="newest"`` (published date) or ``"upvotes"`` (then newest)."""
        raise NotImplementedError

    def facets(self, scope: PaperScope, kind: str, *, limit: int = 10, window: int = 5000) -> list[Facet]:
        """The most frequent ``kind`` ("author" | "org" | "category") among the newest ``window`` papers of
        ``scope``, most frequent first. The window bounds the cost on a large corpus ("most active lately");
        the scope's own author is left out of an author's co-authors."""
        raise NotImplementedError

    def adjacent_days(self, start: date, end: date) -> tuple[date | None, date | None]:
        """The latest day before ``start`` and the earliest day after ``end`` with a paper published or featured
        on it (None where there is none): the links an empty day or the prev/next buttons point to."""
        raise NotImplementedError

    def latest_day(self) -> date | None:
        """The newest day with a paper published or featured on it (None for an empty store)."""
        raise NotImplementedError

    def get_org(self, org_id: str) -> OrgInfo | None:
        raise NotImplementedError

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

    # -- embeddings (search/backends/faiss.py); not abstract so that other stores can add them later ------------------
    # A row is (label, paper_id, model, text_hash, vector): ``label`` is a stable integer id for the vector
    # index (kept when the paper is re-embedded, never reused), ``vector`` float32 little-endian bytes.
    def embedding_state(self, paper_ids: Iterable[str]) -> dict[str, tuple[int, str, str]]:
        """``{paper_id: (label, model, text_hash)}`` for those of ``paper_ids`` that have a vector."""
        raise NotImplementedError

    def put_embeddings(self, rows: Sequence[tuple[str, str, str, bytes]]) -> dict[str, int]:
        """Store ``(paper_id, model, text_hash, vector)`` rows atomically; returns ``{paper_id: label}``.

        A paper that already has a vector is updated in place (its label stays), others get a new label."""
        raise NotImplementedError

    def iter_embeddings(
        self, *, after_label: int = 0, batch_size: int = 2000
    ) -> Iterator[tuple[int, str, str, str, bytes]]:
        """Every stored vector with a label above ``after_label``, in label order."""
        raise NotImplementedError

    def delete_embeddings(self, paper_ids: Iterable[str]) -> list[int]:
        """Drop the vectors of ``paper_ids``; returns the labels that were removed."""
        raise NotImplementedError

    def prune_embeddings(self) -> list[int]:
        """Drop vectors whose paper no longer exists (merged into another); returns their labels."""
        raise NotImplementedError

    def embedding_labels(
        self,
        *,
        date_from: date | None = None,
        date_to: date | None = None,
        categories: Sequence[str] = (),
        author_ids: Sequence[str] = (),
        org_ids: Sequence[str] = (),
        has_code: bool | None = None,
    ) -> list[int]:
        """Labels of the vectors whose paper passes every given filter: ``published`` within the (inclusive)
        dates, any of ``categories`` (a full code, or an archive like ``cs`` for all of it), any of the author
        ids, any of the org ids, ``has_code``. Lets the vector index filter inside the search."""
        raise NotImplementedError
