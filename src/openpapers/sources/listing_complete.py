"""Does a listing page look cut off? A saved page that was truncated (a download or copy stopped early) still
parses: the entries before the cut are whole, and the last one just ends early. Nothing about it is an error,
so without this check such a page imports with exit 0 and a last abstract that stops mid-sentence.

Two signs, both about the last entry only (an earlier entry is followed by another, so it was not cut):

* **The file ends mid-entry**: the last entry lacks a part the other entries of the page have (its abstract on
  any layout, its ``• N authors · date`` footer on a search page).
* **The last abstract ends mid-sentence**: an abstract ends with a full stop, a question or exclamation mark, a
  closing bracket or quote (or a formula's ``$``); one that stops on a letter, a comma or a space was cut.

Either gives a warning (reported, kept in the import log, fatal under ``--strict``), not an error: a page
may genuinely end so, and the entries before it are good.
"""

from __future__ import annotations

import re

from openpapers.core.errors import SourceError
from openpapers.sources.listing_formats import SEARCH, Layout, Line

_SENTENCE_END = re.compile(r"[.!?…)\]}\"'”’»$]$")


def truncation_warnings(layout: Layout, lines: list[Line], fname: str) -> list[SourceError]:
    """The warnings saying ``layout`` (cut from ``lines`` of ``fname``) looks cut off: none for a whole page."""
    if not layout.entries:
        return []
    last = layout.entries[-1]
    others = layout.entries[:-1]
    end_line = next((ln.no for ln in reversed(lines) if ln.text.strip()), last.line)
    if last.abstract is None and any(e.abstract is not None for e in others):
        return [SourceError(f"file ends mid-entry: the last entry (line {last.line}) has no abstract, unlike "
                            "the others; was the page saved whole?", file=fname, line=end_line, field="abstract")]
    if (layout.kind == SEARCH and last.date_line is None and last.author_count is None
            and any(e.date_line is not None or e.author_count is not None for e in others)):
        return [SourceError(f"file ends mid-entry: the last entry (line {last.line}) has no authors/date footer, "
                            "unlike the others; was the page saved whole?", file=fname, line=end_line,
                            field="footer")]
    abstract = (last.abstract or "").rstrip()
    if abstract and not _SENTENCE_END.search(abstract):
        tail = abstract[-30:]
        return [SourceError(f"the last abstract ends mid-sentence (…{tail!r}); was the page saved whole?",
                            file=fname, line=end_line, field="abstract")]
    return []
