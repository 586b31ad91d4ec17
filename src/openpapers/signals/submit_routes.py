"""``/submit``: a signed-in reader pastes an arXiv id or URL; openpapers fetches the paper through the polite
arXiv API client (:mod:`openpapers.signals.submissions`) and puts it on today's feed as "submitted by" them.

The page (twin ``/api/submit``: your submissions) posts its form to ``/submit``; scripts use
``POST /api/me/submissions`` with ``{"arxiv": "…"}``. Both run :func:`submit`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from openpapers.accounts import auth
from openpapers.accounts.service import User
from openpapers.papers import views
from openpapers.signals import submissions
from openpapers.signals.schemas import SubmissionOut, SubmitIn, SubmitPage
from openpapers.web import pages
from openpapers.web.context import json, wants_json, web
from openpapers.web.textfmt import card_anchor

router = APIRouter()
Me = Annotated[User, Depends(auth.require_user)]


def submit(request: Request, user: User, text: str) -> SubmissionOut:
    w = web(request)
    arxiv_id = submissions.parse_arxiv_ref(text)
    paper = submissions.fetch(w.store, arxiv_id, w.settings.web.arxiv_api_url)
    today = date.today()
    new = submissions.add(w.store.db, today, paper.id, user.id)
    card = views.summaries(w.store, [paper])[0]
    return SubmissionOut(day=today.isoformat(), day_url=f"/day/{today.isoformat()}", paper=card, new=new)


def _context(_request: Request, _view: SubmitPage, _args: dict[str, Any]) -> dict[str, Any]:
    return {"nav": "submit"}


@pages.page(router, "/submit", template="submit.html", context=_context, private=True, tags=["me"],
            responses=auth.AUTH_ERRORS, summary="Submit a paper by arXiv id: your submissions, newest first")
def submit_page(request: Request, user: Me) -> SubmitPage:
    w = web(request)
    rows = submissions.of_user(w.store.db, user.id)
    papers = {p.id: p for p in w.store.get_papers(dict.fromkeys(pid for _, pid in rows))}
    cards = {c.id: c for c in views.summaries(w.store, list(papers.values()))}
    return SubmitPage(submissions=[SubmissionOut(day=d, day_url=f"/day/{d}", paper=cards[pid])
                                   for d, pid in rows if pid in cards])


@router.post("/submit", include_in_schema=False, dependencies=[Depends(auth.csrf_protect)])
def submit_form(request: Request, user: Me, arxiv: Annotated[str, Form(min_length=1, max_length=300)]) -> Response:
    answer = submit(request, user, arxiv)
    if wants_json(request):
        return auth.private(json(answer))
    anchor = card_anchor(answer.paper.id)  # the card macro's id
    return Response(status_code=303, headers={"Location": f"{answer.day_url}#{anchor}"})


@router.post("/api/me/submissions", response_model=SubmissionOut, status_code=201, tags=["me"],
             responses=auth.AUTH_ERRORS, summary="Submit a paper by arXiv id or URL (fetched from arXiv)")
def post_submission(request: Request, user: Me, body: SubmitIn) -> Response:
    answer = submit(request, user, body.arxiv)
    return auth.private(json(answer, 201 if answer.new else 200))
