"""The evaluation service's named errors: each is its own problem type at the edge."""

from __future__ import annotations

from services.kit.errors import ConflictError, InvalidInputError, NotFoundError


class InvalidPeriodError(InvalidInputError):
    """The period (a preset such as ``2026-H1``, or ``from``/``to``) cannot be read."""


class UnknownTableError(InvalidInputError):
    """A table name that the export does not offer."""


class OverlappingReleaseRefusedError(ConflictError):
    """The differencing guard: with earlier releases of overlapping months, this export
    would reveal a protected cell, or repeat a published period with other figures."""


class TableNotProtectableError(ConflictError):
    """No suppression pattern protects every sensitive cell within the rounds allowed."""


class ExportNotFoundError(NotFoundError):
    """No export with this id."""


class ExportFileNotFoundError(NotFoundError):
    """The export has no file of this name."""
