"""Errors a user may see. Pure Python: domain modules raise them, the API edge renders
them as RFC 9457 problem details. The message says what was wrong and what to do."""

from __future__ import annotations

from typing import Any


class RetornoError(Exception):
    status_code = 400
    title = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class InvalidInputError(RetornoError):
    status_code = 422
    title = "Invalid input"


class NotFoundError(RetornoError):
    status_code = 404
    title = "Not found"


class ConflictError(RetornoError):
    """The request is valid but the current state does not allow it (e.g. illegal transition)."""

    status_code = 409
    title = "Conflict with the current state"


class ForbiddenError(RetornoError):
    status_code = 403
    title = "Forbidden"


class StorageError(RetornoError):
    status_code = 503
    title = "Storage unavailable"
