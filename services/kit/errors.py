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


class WaitingForEvent(Exception):  # noqa: N818 - a state, not a failure
    """An event handler cannot apply its event yet: it depends on an earlier event that this
    service has not applied (e.g. a case's screening redelivered before its registration,
    after a crash). The runner parks the event under ``key`` and applies it as soon as an
    event carrying that key (``case_id``, ``person_ref`` or ``period``) has been applied.
    Waiting is not a failed delivery: it never counts towards the dead-letter limit."""

    def __init__(self, field: str, value: object, detail: str) -> None:
        super().__init__(detail)
        self.key = waiting_key(field, value)
        self.detail = detail


def waiting_key(field: str, value: object) -> str:
    """The key an event is ordered and waited on by: ``case_id:<uuid>``, ``person_ref:<ref>``."""
    return f"{field}:{value}"
