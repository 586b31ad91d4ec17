"""The account errors, in a module of their own so that every account module (service, throttle, sign-up) can
raise them without importing one another."""

from __future__ import annotations

from openpapers.core.errors import OpenPapersError


class AccountError(OpenPapersError):
    """Something the user can fix (a bad email, a short password, a wrong current password): say what."""


class RateLimited(AccountError):
    """Too many attempts: ``retry_after`` seconds until the next one is allowed."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)
