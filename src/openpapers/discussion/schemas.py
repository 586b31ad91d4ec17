"""Response shapes of comments (in the paper page's JSON twin and the forms' JSON answers)."""

from __future__ import annotations

from pydantic import BaseModel, Field

MAX_BODY = 10_000


class CommentOut(BaseModel):
    id: int
    paper_id: str
    author: str = Field(description="The writer's display name")
    body: str | None = Field(description="The Markdown as written; None for a hidden comment (except for its "
                                         "writer and moderators)")
    html: str | None = Field(description="The body rendered from Markdown and sanitised (nh3); None when hidden")
    created_at: str
    updated_at: str | None = Field(description="Set when the writer edited it")
    hidden: bool = Field(description="Hidden by a moderator")
    mine: bool | None = Field(default=None, description="For a signed-in reader: whether they wrote it")


class CommentStateOut(BaseModel):
    """What a comment form did (answered to ``Accept: application/json``)."""

    comment_id: int
    paper_id: str
    deleted: bool = False
    hidden: bool | None = None
    comment: CommentOut | None = None
