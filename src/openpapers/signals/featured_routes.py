"""``/featured/{day}``: the papers the editors featured on a day, in featuring order, with its JSON twin
``/api/featured/{day}`` (a GET listing beside the admins' ``POST``/``DELETE /api/featured/{day}/{paper}``).
Administrators get an *Unfeature* button per paper and a form to feature another one on the day."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Request
from fastapi.routing import APIRouter

from openpapers.core.url_keys import DAY_KEY
from openpapers.papers import views
from openpapers.signals import actions
from openpapers.signals import repository as signals
from openpapers.signals.schemas import FeaturedDayOut
from openpapers.web import pages
from openpapers.web.context import bad_request, database, web

router = APIRouter()
DayKey = Annotated[str, Path(pattern=DAY_KEY, description="YYYY-MM-DD")]


def _context(_request: Request, view: FeaturedDayOut, _args: dict[str, Any]) -> dict[str, Any]:
    return {"nav": "day"}


@pages.page(router, "/featured/{day}", template="featured.html", context=_context, tags=["feed"],
            summary="Papers the editors featured on a day", api_params={"day": DayKey})
def featured_day(request: Request, day: str) -> FeaturedDayOut:
    try:
        when = actions.parse_day(day)
    except Exception:
        raise bad_request(f"{day!r} is not a date (YYYY-MM-DD)") from None
    ids = [pid for _, pid in signals.featured_between(database(request), when, when)]
    store = web(request).store
    cards = views.summaries(store, store.get_papers(dict.fromkeys(ids)))
    for card in cards:
        card.curated = True
    return FeaturedDayOut(day=when, day_url=f"/day/{when}", total=len(cards), papers=cards)
