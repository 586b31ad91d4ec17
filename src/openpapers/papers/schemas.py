"""The JSON API's response shapes (pydantic), which also feed the HTML templates.

Each page is built once as one of these models; the HTML route renders it and its JSON twin serialises it, so
the two can never disagree, and FastAPI's OpenAPI spec describes exactly what the JSON routes return.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from openpapers.discussion.schemas import CommentOut


class AuthorRef(BaseModel):
    id: str = Field(description="The name's slug (its page lists every person of that name)")
    name: str
    url: str = Field(description="The person's HTML page when the name is resolved to one, else the name's")
    person: str | None = Field(default=None, description="Identity id of the person behind this name")


class TopicRef(BaseModel):
    id: int
    label: str
    url: str = Field(description="The topic's HTML page")


class OrgRef(BaseModel):
    id: str
    name: str
    url: str


class CategoryRef(BaseModel):
    code: str = Field(description="arXiv category code, e.g. cs.LG")
    name: str | None = Field(description="Human-readable name, None for codes outside arXiv's taxonomy")
    url: str


class PaperSummary(BaseModel):
    """What a paper card shows."""

    id: str
    arxiv_id: str | None
    title: str
    url: str = Field(description="HTML page of the paper")
    api_url: str = Field(description="JSON twin of the paper page")
    authors: list[AuthorRef]
    authors_complete: bool = Field(description="True when the author list is known to be complete")
    author_count: int | None = Field(description="Number of authors when known")
    categories: list[CategoryRef] = Field(description="Primary category first")
    published: date | None
    featured_on: date | None = Field(description="Day the paper was featured on Hugging Face daily papers")
    has_code: bool
    code_url: str | None = Field(description="First code repository link (http/https only)")
    code_urls: list[str] = Field(default=[], description="Every code link: the sources' and those the abstract "
                                                        "or comments name (http/https only)")
    project_page: str | None
    orgs: list[OrgRef]
    upvotes: int | None = Field(description="source_upvotes + local_upvotes; None when neither is known")
    source_upvotes: int | None = Field(default=None, description="Upvotes reported by the sources (Hugging Face)")
    local_upvotes: int = Field(default=0, description="Upvotes of this site's users")
    viewer: list[str] | None = Field(
        default=None, description='For a signed-in reader: which of "voted", "saved", "dismissed" apply')
    curated: bool = Field(default=False, description="Featured on this day's feed by an administrator")
    comment_count: int = Field(default=0, description="Visible comments of this site's readers")
    topic: TopicRef | None = Field(default=None, description="The paper's topic (docs/topics.md); None before the "
                                                             "first topic build or without an embedding")
    abstract: str | None = Field(default=None, description="The abstract (cards show its first lines)")
    submitted_by: str | None = Field(default=None, description="On a day's feed: the reader who submitted it "
                                                               "that day (display name)")


class VersionOut(BaseModel):
    version: int
    created: datetime | None


class PaperLinks(BaseModel):
    arxiv_abs: str | None
    arxiv_pdf: str | None
    arxiv_search: str | None = Field(description="A title search on arXiv, when the arXiv id is not known")
    code: list[str]
    project_page: str | None
    doi: str | None
    bibtex: str = Field(description="URL of the BibTeX entry (text/x-bibtex)")


class PaperDetail(PaperSummary):
    abstract: str | None
    updated: date | None
    withdrawn: bool
    versions: list[VersionOut]
    journal_ref: str | None
    comments: str | None
    license: str | None
    keywords: list[str]
    sources: list[str]
    links: PaperLinks
    bibtex: str = Field(description="The BibTeX entry")
    similar: list[PaperSummary]
    similar_note: str | None = Field(description="Why similar papers are missing or how they were found")
    editor_featured: list[date] = Field(default=[], description="Days on whose feed an administrator featured it")
    discussion: list[CommentOut] = Field(default=[], description="Readers' comments, oldest first")


class PeriodRef(BaseModel):
    kind: str = Field(description="day | week | month")
    key: str = Field(description="2025-12-11 | 2025-W50 | 2025-12")
    label: str
    url: str
    api_url: str


class OverviewOut(BaseModel):
    """What openpapers holds: the home page's introduction."""

    papers: int
    undated: int = Field(description="Papers without a publication date (in no daily feed; see /papers)")
    sources: list[str] = Field(description="Sources imported from (arxiv-api, hf-daily, listing, …)")
    latest_import: datetime | None = Field(description="When the latest import or harvest finished")


class FeedPage(BaseModel):
    """Papers of a day, week or month: published in it or featured on Hugging Face in it."""

    period: PeriodRef
    start: date
    end: date
    sort: str = Field(description="upvotes | newest")
    page: int
    per_page: int
    pages: int
    total: int
    papers: list[PaperSummary]
    prev: PeriodRef | None = Field(description="Nearest earlier period of the same kind that has papers")
    next: PeriodRef | None = Field(description="Nearest later period of the same kind that has papers")
    nearest_before: PeriodRef | None = Field(description="Latest day before this period with papers")
    nearest_after: PeriodRef | None = Field(description="Earliest day after this period with papers")
    feed_url: str
    overview: OverviewOut | None = Field(default=None, description="Home only: what the site holds")
    recent: list[PaperSummary] = Field(default=[], description="Home only, when the latest day is thin: the "
                                                              "newest papers of the days before it")


class AllPapersPage(BaseModel):
    """Every paper, newest first (undated ones last, or alone with ``undated=true``), filtered."""

    category: str | None
    org: str | None
    has_code: bool | None
    undated: bool
    page: int
    per_page: int
    pages: int
    total: int
    undated_total: int = Field(description="How many papers of the whole store have no date")
    papers: list[PaperSummary]


class SearchFilters(BaseModel):
    categories: list[str]
    authors: list[str]
    orgs: list[str]
    date_from: date | None
    date_to: date | None
    has_code: bool | None


class ExplainOut(BaseModel):
    """Why a result is there (``explain=true``): what each side said of it; null where a side did not return it."""

    keyword_rank: int | None = Field(description="Rank in the keyword list (after feedback reordering)")
    keyword_score: float | None = Field(description="BM25 score of the query's own words")
    semantic_rank: int | None = Field(description="Rank among the semantic neighbours")
    similarity: float | None = Field(description="Cosine similarity of query and paper embeddings")
    fused: float = Field(description="The score results are ordered by")


class SearchHitOut(BaseModel):
    paper: PaperSummary
    score: float = Field(description="Comparable only within one result list")
    ranks: dict[str, int] = Field(description="Rank each retriever gave the paper (1-based)")
    title_html: str | None = Field(description="HTML-escaped title, matched words in <mark>")
    snippet_html: str | None = Field(description="HTML-escaped abstract excerpt, matched words in <mark>")
    explain: ExplainOut | None = Field(default=None, description="Only with explain=true")


class SearchPage(BaseModel):
    query: str
    mode: str = Field(description="Mode asked for: hybrid | keyword | semantic")
    used_mode: str = Field(description="Mode that ran (hybrid falls back to keyword without a semantic index)")
    filters: SearchFilters
    total: int
    page: int
    per_page: int
    pages: int
    took_ms: float
    notes: list[str]
    suggestion: str | None = Field(description="The query with misspelt words corrected from the corpus's "
                                               "vocabulary (prefixes, quotes and exclusions kept); null: none")
    corrected: bool = Field(description="True: the query as typed found nothing, these are the suggestion's "
                                        "results")
    results: list[SearchHitOut]
    feed_url: str


class FacetOut(BaseModel):
    id: str
    name: str
    count: int = Field(description="Papers (among the newest 5000 of the page's scope)")
    url: str


class Listing(BaseModel):
    page: int
    per_page: int
    pages: int
    total: int
    papers: list[PaperSummary] = Field(description="Newest first")
    feed_url: str


class PersonBrief(BaseModel):
    """One person of a name, as a disambiguation page lists them."""

    id: str
    name: str
    url: str
    paper_count: int
    coauthors: list[str]
    orgs: list[str]
    topics: list[str]
    years: list[int]
    possibly_same_as: str | None = None


class AuthorPage(Listing):
    id: str
    name: str
    people: list[PersonBrief] = Field(default_factory=list, description="The people who published under this "
                                      "name, largest first (more than one: the page disambiguates)")
    coauthors: list[FacetOut]
    orgs: list[FacetOut]
    categories: list[FacetOut]


class OrgPage(Listing):
    id: str
    name: str
    top_authors: list[FacetOut]
    categories: list[FacetOut]


class CategoryPage(Listing):
    code: str
    name: str | None
    top_authors: list[FacetOut]
    related_categories: list[FacetOut] = Field(description="Other categories its papers are cross-listed in")


class ErrorOut(BaseModel):
    error: str
    status: int


class ValidationItemOut(BaseModel):
    """One thing FastAPI's request validation found wrong (its own shape: where, what, which rule)."""

    loc: list[str | int]
    msg: str
    type: str


class UnprocessableOut(BaseModel):
    """A 422. With ``detail``: the request does not match this spec (FastAPI's list of what failed). Without: it
    matches, but asks for something that cannot be (a week 53 in a year of 52 weeks, a search query made only of
    exclusions); ``error`` says why in words either way."""

    error: str
    status: int = 422
    detail: list[ValidationItemOut] | None = None


class Health(BaseModel):
    status: str
    papers: int
    version: str
