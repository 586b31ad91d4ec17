"""Response shapes of the administrators' pages (``/api/admin/users``, ``/api/admin/orgs``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class AdminUserOut(BaseModel):
    id: int
    email: str
    display_name: str
    is_admin: bool
    disabled: bool
    digest_frequency: str
    created_at: str


class AdminUsersPage(BaseModel):
    total: int
    users: list[AdminUserOut]


class AdminUserStateOut(BaseModel):
    """What a users-page form did (answered to ``Accept: application/json``)."""

    user: AdminUserOut


class AdminOrgOut(BaseModel):
    id: str
    stored_name: str = Field(description="The name the sources gave")
    display_name: str = Field(description="What pages show: the administrators' name, else the bundled table's, "
                                          "else the stored name")
    override: str | None = Field(description="The name an administrator set, if any")
    papers: int


class AdminOrgsPage(BaseModel):
    prefix: str
    page: int
    pages: int
    total: int
    orgs: list[AdminOrgOut]
