"""From store objects to the API models: one place that decides what a paper card, a facet or a link is."""

from __future__ import annotations

from collections.abc import Iterable

from openpapers.authors.repository import identities_of_papers
from openpapers.core.records import Paper, author_id, org_id
from openpapers.core.taxonomy import CATEGORIES, category_name
from openpapers.discussion import repository as comments
from openpapers.papers import links, org_names
from openpapers.papers.feed_periods import Period
from openpapers.papers.schemas import (
    AuthorRef,
    CategoryRef,
    FacetOut,
    OrgRef,
    PaperSummary,
    PeriodRef,
    TopicRef,
)
from openpapers.papers.store import Store
from openpapers.papers.types import Facet
from openpapers.signals import repository as signals
from openpapers.topics import repository as topics
from openpapers.web.textfmt import path_part, safe_url

ARCHIVES = frozenset(code.split(".", 1)[0] for code in CATEGORIES)


def is_archive(code: str) -> bool:
    """``cs``, ``math``, ``hep-th``: a whole archive (a category page may list all of it)."""
    return code in ARCHIVES


def paper_url(pid: str) -> str:
    return f"/paper/{path_part(pid)}"


def author_url(aid: str) -> str:
    return f"/author/{path_part(aid)}"


def org_url(oid: str) -> str:
    return f"/org/{path_part(oid)}"


def category_url(code: str) -> str:
    return f"/category/{path_part(code)}"


def api(url: str) -> str:
    """The JSON twin of an HTML page URL."""
    return "/api" + url


def pages(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def category_ref(code: str) -> CategoryRef:
    return CategoryRef(code=code, name=category_name(code), url=category_url(code))


def summary(paper: Paper) -> PaperSummary:
    """The card view of a paper. Links that are not http(s) are dropped here, once, for every page and API."""
    found_code, found_pages = links.extract(paper.abstract, paper.comments)  # links the text names
    codes = list(dict.fromkeys(u for u in (safe_url(c) for c in [*paper.code_urls, *found_code]) if u))
    project = safe_url(paper.project_page) or next((u for u in map(safe_url, found_pages) if u), None)
    names = org_names.bundled()
    # A count only when it is known: three names then "et al." is not "3 authors".
    known = paper.author_count or (len(paper.authors) if paper.authors_complete and paper.authors else None)
    return PaperSummary(
        id=paper.id,
        arxiv_id=paper.arxiv_id,
        title=paper.title,
        url=paper_url(paper.id),
        api_url=api(paper_url(paper.id)),
        authors=[AuthorRef(id=author_id(a), name=a, url=author_url(author_id(a))) for a in paper.authors],
        authors_complete=paper.authors_complete,
        author_count=known,
        categories=[category_ref(c) for c in paper.categories],
        published=paper.published,
        featured_on=paper.featured_on,
        has_code=paper.has_code or bool(codes),
        code_url=codes[0] if codes else None,
        code_urls=codes,
        project_page=project,
        orgs=[OrgRef(id=org_id(o), name=org_names.display(o, names), url=org_url(org_id(o))) for o in paper.orgs],
        upvotes=paper.upvotes,
        source_upvotes=paper.upvotes,
        abstract=paper.abstract,
    )


def total_upvotes(source: int | None, local: int) -> int | None:
    """What a card shows: the sources' count (Hugging Face) plus this site's votes; None if neither exists."""
    if source is None and not local:
        return None
    return (source or 0) + local


def summaries(store: Store, papers: Iterable[Paper]) -> list[PaperSummary]:
    """Cards for ``papers`` with this site's votes added (one query) and, for a signed-in reader, whether they
    voted, saved or dismissed each (one query per kind). Every listing builds its cards here."""
    from openpapers.accounts.auth import current_user  # the viewer of the request being served, if any

    cards = [summary(p) for p in papers]
    if not cards:
        return cards
    ids = [c.id for c in cards]
    people = identities_of_papers(store.db, ids)  # each name to its person, where identities are built
    for card in cards:
        for ref in card.authors:
            ref.person = people.get((card.id, ref.id))
            if ref.person:
                ref.url = author_url(ref.person)
    counts = signals.vote_counts(store.db, ids)
    talk = comments.counts(store.db, ids)
    table = org_names.names(store.db)
    user = current_user()
    flags = signals.viewer_state(store.db, user.id, ids) if user is not None else {}
    placed = topics.topic_of(store.engine, ids)
    for card in cards:
        if card.id in placed:
            tid, label = placed[card.id]
            card.topic = TopicRef(id=tid, label=label, url=topic_url(tid))
        card.local_upvotes = counts.get(card.id, 0)
        card.upvotes = total_upvotes(card.source_upvotes, card.local_upvotes)
        card.comment_count = talk.get(card.id, 0)
        for org in card.orgs:
            org.name = table.get(org.id) or org.name
        if user is not None:
            card.viewer = sorted(flags.get(card.id, ()))
    return cards


def topic_url(topic_id: int) -> str:
    return f"/topic/{topic_id}"


def facet(kind: str, f: Facet) -> FacetOut:
    if kind == "author":
        url = author_url(f.id)
    elif kind == "org":
        url = org_url(f.id)
    else:
        url = category_url(f.id)
    name = (category_name(f.id) and f"{f.id} · {category_name(f.id)}") if kind == "category" else f.name
    return FacetOut(id=f.id, name=name or f.name, count=f.count, url=url)


def period_ref(period: Period) -> PeriodRef:
    return PeriodRef(kind=period.kind, key=period.key, label=period.label, url=period.path, api_url=api(period.path))
