"""The audit service's pure rules (``chain``, ``checkpoints``, ``signing``, ``dates``) and
its named errors: each problem a client may act on is its own class, so the edge renders a
distinct problem ``type`` (``urn:retorno:problem:<kebab name>``)."""

from __future__ import annotations

from services.kit.errors import ConflictError, InvalidInputError


class AuditLogNotIntactError(ConflictError):
    """The log failed verification: no checkpoint is signed over it."""


class InvalidDateRangeError(InvalidInputError):
    """``date_from``/``date_to`` are not dates in the accepted range, or are in the wrong order."""


class InvalidHalfYearError(InvalidInputError):
    """A half-year is written ``YYYY-H1`` or ``YYYY-H2``."""


class NotAttributedToMembersError(InvalidInputError):
    """Commitments are not split by member; only disbursements are."""


class UnknownCaseGroupingError(InvalidInputError):
    """Cases are grouped by office or vulnerability category only."""
