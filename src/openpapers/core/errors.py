"""Typed errors. Every error a user can trigger names where it happened (file, line, field) in plain words."""

from __future__ import annotations


class OpenPapersError(Exception):
    """Base class: the CLI prints these as one clear line instead of a traceback."""


class SourceError(OpenPapersError):
    """Input that a source could not understand: names the file (or URL), the line and the field."""

    def __init__(
        self, message: str, *, file: str | None = None, line: int | None = None, field: str | None = None
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        what = f" [{self.field}]" if self.field else ""
        return f"{where}:{what} {self.message}"

    def to_json(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "field": self.field, "message": self.message}


class FetchError(OpenPapersError):
    """A remote service kept failing (after polite retries) or answered something that is not its format."""


class StoreError(OpenPapersError):
    """The store cannot do what was asked (missing database, schema too new, bad URL)."""


class TooManyErrors(OpenPapersError):
    """Raised when ``--skip-bad`` is off and an entry is bad; wraps the first :class:`SourceError`."""
