"""How author, organisation and category ids are read from a URL: shared by their pages, twins and feeds, so
each refuses the same malformed ids the same way (before any lookup: a slug that does not match cannot exist).
"""

from __future__ import annotations

from fastapi import Path

from openpapers.core.taxonomy import canonical_category
from openpapers.papers import views
from openpapers.web.context import CATEGORY, SLUG

AuthorId = Path(pattern=SLUG, description="Author id (slug of the name, e.g. qi-meng)")
OrgId = Path(pattern=SLUG, description="Organisation id (slug, e.g. microsoft-research)")
CategoryCode = Path(pattern=CATEGORY, description="arXiv category (cs.LG) or archive (cs)")


def normalize_category(code: str) -> str:
    """``CS.lg`` → ``cs.LG`` (arXiv's aliases folded); unknown but well-formed codes are kept as typed."""
    return canonical_category(code) or (code.lower() if views.is_archive(code.lower()) else code)
