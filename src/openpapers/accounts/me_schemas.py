"""Request and response shapes of the account API (``/api/me/…``), for the routes and the OpenAPI spec."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from openpapers.papers.schemas import PaperSummary

Frequency = Literal["off", "daily", "weekly"]
Section = Literal["follows", "recommendations", "trending"]
FollowKind = Literal["author", "org", "category", "search"]


class MeOut(BaseModel):
    id: int
    email: str
    display_name: str
    is_admin: bool
    digest_frequency: Frequency
    digest_sections: list[Section]
    counts: dict[str, int] = Field(description="votes, library, dismissals, follows")


class SettingsIn(BaseModel):
    """Fields left out are not changed."""

    display_name: str | None = Field(default=None, min_length=1, max_length=100)
    digest_frequency: Frequency | None = None
    digest_sections: list[Section] | None = None


class SettingsOut(BaseModel):
    display_name: str
    digest_frequency: Frequency
    digest_sections: list[Section]


class PasswordIn(BaseModel):
    password: str = Field(min_length=1, max_length=1024, description="The account's current password")


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="What will use the token")


class TokenOut(BaseModel):
    id: int
    name: str
    created_at: str
    last_used_at: str | None


class TokenCreated(TokenOut):
    token: str = Field(description="The token itself: shown this once, only its hash is kept")


class VoteOut(BaseModel):
    paper_id: str
    voted: bool
    upvotes: int | None = Field(description="Sources' upvotes plus this site's votes")


class LibraryIn(BaseModel):
    """Fields left out keep their value (a new item starts with no tags and an empty note)."""

    tags: list[str] | None = Field(default=None, max_length=50)
    note: str | None = Field(default=None, max_length=10_000)


class LibraryItemOut(BaseModel):
    paper_id: str
    tags: list[str]
    note: str
    saved_at: str
    updated_at: str
    paper: PaperSummary | None = Field(description="None when the paper is no longer in the store")


class LibraryOut(BaseModel):
    total: int
    tags: list[str] = Field(description="Every tag used in the library, sorted")
    items: list[LibraryItemOut]


class DismissalOut(BaseModel):
    paper_id: str
    dismissed: bool


class FollowIn(BaseModel):
    kind: FollowKind
    target: str | None = Field(default=None, max_length=200,
                               description="author id, org id or category code (not for kind=search)")
    q: str | None = Field(default=None, max_length=1000, description="kind=search: the query")
    category: list[str] = Field(default_factory=list, max_length=20, description="kind=search: filters")
    author: list[str] = Field(default_factory=list, max_length=20)
    org: list[str] = Field(default_factory=list, max_length=20)
    has_code: bool | None = None


class FollowOut(BaseModel):
    id: int
    kind: FollowKind
    target: str
    label: str
    url: str = Field(description="The page of what is followed")
    created_at: str


class FollowsOut(BaseModel):
    follows: list[FollowOut]


class FeatureOut(BaseModel):
    paper_id: str
    day: str
    featured: bool


class OkOut(BaseModel):
    ok: bool = True
    message: str | None = None
