"""The paper page ``/paper/{id}``, its JSON twin ``/api/paper/{id}`` (one :mod:`openpapers.web.pages` page) and
its BibTeX.

``{id}`` is a paper id, a merged-away alias or an arXiv id in any spelling (``arXiv:2301.12345v2``); the HTML
page redirects those to the canonical URL. Similar papers come from the vector index; without one they come
from a keyword search on the title's words, and the page says which.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from typing import Annotated, Any

import bibtexparser
from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response

from openpapers.accounts.auth import current_user
from openpapers.collections import service as collections
from openpapers.core.records import Paper
from openpapers.discussion import service as discussion
from openpapers.papers import views
from openpapers.papers.export import bibtex_entry, bibtex_key
from openpapers.papers.links import arxiv_search
from openpapers.papers.schemas import PaperDetail, PaperLinks, PaperSummary, VersionOut
from openpapers.search.types import QueryError
from openpapers.signals import repository as signals
from openpapers.web import pages
from openpapers.web.context import ERRORS, Web, is_api, not_found, web
from openpapers.web.textfmt import path_part

log = logging.getLogger("openpapers.web")
router = APIRouter()
SIMILAR = 6
_WORD = re.compile(r"[^\W_]{3,}")
_STOP = frozenset({"the", "and", "for", "with", "from", "via", "towards", "toward", "using", "based", "into",
                   "over", "under", "its", "their", "our", "new"})
RefPath = Annotated[str, Path(max_length=200, description="Paper id, or arXiv id in any spelling (with or without "
                                                         "version)")]


def bibtex(paper: Paper) -> str:
    lib = bibtexparser.Library()
    lib.add(bibtex_entry(paper, bibtex_key(paper)))
    return bibtexparser.write_string(lib).strip() + "\n"


def similar(w: Web, paper: Paper) -> tuple[list[PaperSummary], str | None]:
    """Nearest papers by meaning; by title words when there is no vector index; never an error."""
    try:
        _, hits, papers = w.search.similar(paper.id, SIMILAR)
        return views.summaries(w.store, [papers[h.paper_id] for h in hits]), None
    except Exception as exc:  # no vectors (not built, model missing): fall back below
        log.info("similar papers by vectors unavailable: %s", exc)
    words = [t for t in dict.fromkeys(_WORD.findall(paper.title.lower())) if t not in _STOP][:12]
    if not words:
        return [], "no similar papers found"
    try:
        result = w.search.search(" OR ".join(words), mode="keyword", limit=SIMILAR + 1)
    except QueryError:
        return [], "no similar papers found"
    others = [result.papers[h.paper_id] for h in result.hits if h.paper_id != paper.id][:SIMILAR]
    found = views.summaries(w.store, others)
    return found, "found by title words (the semantic index is not available)"


def build(request: Request, w: Web, paper: Paper) -> PaperDetail:
    base = views.summaries(w.store, [paper])[0]
    related, note = similar(w, paper)
    arxiv = paper.arxiv_id
    return PaperDetail(
        **base.model_dump(exclude={"abstract"}),
        abstract=paper.abstract,
        updated=paper.updated,
        withdrawn=paper.withdrawn,
        versions=[VersionOut(version=v.version, created=v.created) for v in paper.versions],
        journal_ref=paper.journal_ref,
        comments=paper.comments,
        license=paper.license,
        keywords=paper.keywords,
        sources=paper.sources,
        links=PaperLinks(
            arxiv_abs=f"https://arxiv.org/abs/{arxiv}" if arxiv else None,
            arxiv_pdf=f"https://arxiv.org/pdf/{arxiv}" if arxiv else None,
            arxiv_search=None if arxiv else arxiv_search(paper.title),
            code=base.code_urls,
            project_page=base.project_page,
            doi=f"https://doi.org/{path_part(paper.doi)}" if paper.doi else None,
            bibtex=f"/bibtex/{path_part(paper.id)}",
        ),
        bibtex=bibtex(paper),
        similar=related,
        similar_note=note,
        editor_featured=sorted({date.fromisoformat(d) for d, _ in signals.featured_of(w.store.db, paper.id)}),
        discussion=discussion.thread(request, paper.id, current_user()),
    )


def _find(w: Web, ref: str) -> Paper:
    paper = w.store.get_paper(ref) if ref.strip() else None
    if paper is None:
        raise not_found(f"Paper {ref[:200]!r}")
    return paper


def _context(request: Request, view: PaperDetail, _args: dict[str, Any]) -> dict[str, Any]:
    user = current_user()
    shelves = collections.choices_for(request, user, view.id) if user else []
    return {"api_url": view.api_url, "canonical": view.url, "collections": shelves}


@pages.page(router, "/paper/{ref:path}", template="paper.html", context=_context, tags=["papers"],
            api_params={"ref": RefPath}, summary="One paper with abstract, links, BibTeX and similar papers")
def paper_page(request: Request, ref: str) -> PaperDetail | Response:
    """The page answers another spelling of the id with a redirect to the canonical URL; the twin answers it."""
    w = web(request)
    paper = _find(w, ref)
    if ref != paper.id and not is_api(request.url.path):
        return RedirectResponse(views.paper_url(paper.id), status_code=301)
    return build(request, w, paper)


@router.get("/bibtex/{ref:path}", responses={**ERRORS, 200: {"content": {"application/x-bibtex": {}}}},
            response_class=Response, tags=["papers"], summary="BibTeX entry of a paper")
def paper_bibtex(request: Request, ref: RefPath) -> Response:
    paper = _find(web(request), ref)
    return Response(bibtex(paper), media_type="application/x-bibtex; charset=utf-8",
                    headers={"Content-Disposition": f'inline; filename="{bibtex_key(paper)}.bib"'})
