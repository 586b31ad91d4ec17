"""Checks every claim passes before it is stored: counts in range, text free of control characters.

Why here and not in each store: the two backends differ in what they refuse (PostgreSQL ``text`` cannot hold
NUL, SQLite takes it; orjson, which serialises every claim, cannot write an integer beyond 64 bits), so a value
that one store keeps and the other rejects would make the same import succeed on one backend and crash on the
other. Counts outside ``0..2**31-1`` are refused with the field named (the caller adds file and line); control
characters are removed on both backends alike and the cleaned fields are reported, so nothing is lost
silently.
"""

from __future__ import annotations

import re
from typing import Any

from openpapers.core.records import PaperRecord

MAX_COUNT = 2**31 - 1
"""The largest count (upvotes, comments, stars, authors, version numbers) a claim may hold: a 32-bit integer,
which every store column and every JSON reader takes."""

# C0 controls except tab, newline and carriage return, and DEL: never meaningful in a title or an abstract,
# and NUL cannot be stored by PostgreSQL at all.
CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

_TEXT_FIELDS = ("title", "abstract", "project_page", "doi", "journal_ref", "comments", "license")
_LIST_FIELDS = ("authors", "categories", "code_urls", "orgs", "keywords")


class RecordProblem(ValueError):
    """A value no store can keep: ``field`` names it (``upvotes``, ``versions[2]``, ``extra.numComments``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field} {message}")
        self.field = field
        self.message = message


def count_problem(value: object, *, minimum: int = 0) -> str | None:
    """Why ``value`` is not a storable count (``minimum..MAX_COUNT``), or None when it is one."""
    if isinstance(value, bool) or not isinstance(value, int):
        return f"must be a whole number, not {type(value).__name__}"
    if value < minimum or value > MAX_COUNT:
        shown = str(value) if len(str(value)) <= 20 else f"a {len(str(value))}-digit number"
        return f"must be a whole number from {minimum} to {MAX_COUNT}, got {shown}"
    return None


def check_count(value: int, field: str, *, minimum: int = 0) -> int:
    """``value`` when it is a storable count; :class:`RecordProblem` naming ``field`` otherwise."""
    problem = count_problem(value, minimum=minimum)
    if problem is not None:
        raise RecordProblem(field, problem)
    return value


def record_problem(record: PaperRecord) -> RecordProblem | None:
    """The first value of ``record`` that no store can keep (a count out of range), or None.

    Sources check their own fields with exact positions; this is the net under all of them (and under sources
    added later), run by the importer on every claim before it is written.
    """
    for name in ("upvotes", "author_count"):
        value = getattr(record, name)
        if value is not None and (problem := count_problem(value)) is not None:
            return RecordProblem(name, problem)
    for i, version in enumerate(record.versions):
        if (problem := count_problem(version.version, minimum=1)) is not None:
            return RecordProblem(f"versions[{i}]", problem)
    for key, value in record.extra.items():
        if isinstance(value, int) and not isinstance(value, bool) and (problem := count_problem(value)):
            return RecordProblem(f"extra.{key}", problem)
    return None


def has_controls(text: str) -> bool:
    """Whether ``text`` holds a character :data:`CONTROL_CHARS` removes. ``isprintable`` (false for every control
    character, and for much else) scans about twice as fast as the regex, and almost all text passes it."""
    return not text.isprintable() and CONTROL_CHARS.search(text) is not None


def _scrub(text: str) -> str:
    out = CONTROL_CHARS.sub("", text)
    return " ".join(out.split()) if "  " in out else out


def scrub_record(record: PaperRecord) -> list[str]:
    """Remove control characters from every text field of ``record`` in place; the names of the fields changed.

    One regex search per field is the whole cost for clean text (the common case): this runs on every claim
    of a bulk import.
    """
    cleaned: list[str] = []
    search = has_controls
    for name in _TEXT_FIELDS:
        value = getattr(record, name)
        if value is not None and search(value):
            setattr(record, name, _scrub(value) or None)
            cleaned.append(name)
    for name in _LIST_FIELDS:
        values: list[str] = getattr(record, name)
        if any(search(v) for v in values):
            setattr(record, name, [s for v in values if (s := _scrub(v))])
            cleaned.append(name)
    for key, value in record.extra.items():
        scrubbed = _scrub_value(value)
        if scrubbed is not value:
            record.extra[key] = scrubbed
            cleaned.append(f"extra.{key}")
    return cleaned


def _scrub_value(value: Any) -> Any:
    """``value`` itself when it holds no control character, else a cleaned copy (strings inside lists too)."""
    if isinstance(value, str):
        return _scrub(value) if has_controls(value) else value
    if isinstance(value, list):
        items = [_scrub_value(v) for v in value]
        return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
    return value
