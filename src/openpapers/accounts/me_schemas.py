"""Request and response shapes of the account API (``/api/me``: profile, settings, tokens), for the routes and
the OpenAPI spec. What readers do to papers (votes, library, follows…) has its shapes in
:mod:`openpapers.signals.schemas`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from openpapers.core.url_keys import NOT_BLANK

Frequency = Literal["off", "daily", "weekly"]
Section = Literal["follows", "recommendations", "trending", "discussion"]


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

    display_name: str | None = Field(default=None, min_length=1, max_length=100, pattern=NOT_BLANK)
    digest_frequency: Frequency | None = None
    digest_sections: list[Section] | None = None


class SettingsOut(BaseModel):
    display_name: str
    digest_frequency: Frequency
    digest_sections: list[Section]


class PasswordIn(BaseModel):
    password: str = Field(min_length=1, max_length=1024, description="The account's current password")


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=100, pattern=NOT_BLANK, description="What will use the token")


class TokenOut(BaseModel):
    id: int
    name: str
    created_at: str
    last_used_at: str | None


class TokenCreated(TokenOut):
    token: str = Field(description="The token itself: shown this once, only its hash is kept")


class OkOut(BaseModel):
    ok: bool = True
    message: str | None = None
