"""The errors a client may act on, one class each: the edge renders each as a problem
whose type is ``urn:retorno:problem:<class name in kebab case without "Error">``."""

from __future__ import annotations

from services.kit.errors import ConflictError, ForbiddenError, NotFoundError


class CaseNotFoundError(NotFoundError):
    """No such case (or not one a service may see)."""


class PersonNotFoundError(NotFoundError):
    """No person with this person_ref was registered."""


class TransferNotFoundError(NotFoundError):
    """No such transfer."""


class IllegalTransitionError(ConflictError):
    """The case's status does not allow this move; ``allowed_next`` lists the legal ones."""


class CaseChangedMeanwhileError(ConflictError):
    """Another writer changed the case since it was read: reload it and retry."""


class EligibilityChecksFailedError(ConflictError):
    """A case failing automatic checks cannot be declared eligible (``failed_checks``)."""


class CaseNotCorrectableError(ConflictError):
    """Only a ``registered`` case is corrected; a screened one is withdrawn or cancelled and
    registered again."""


class PersonInOpenCaseError(ConflictError):
    """The person is in another open case; close, withdraw or cancel it first."""


class PersonErasedError(ConflictError):
    """The person's personal data was erased; it can neither be read nor written again."""


class EveryoneErasedError(ConflictError):
    """Every person of the case was erased: free text can no longer be stored for it."""


class AssistanceConsentWithdrawnError(ConflictError):
    """Return is voluntary: the person withdrew consent to 'assistance'; record a grant."""


class TransferNotNeededError(ConflictError):
    """The office asking is the owning office: it holds the record already."""


class TransferPendingError(ConflictError):
    """A transfer of the record to this office waits for a decision."""


class TransferAlreadyApprovedError(ConflictError):
    """A transfer of the record to this office was approved: read the record."""


class TransferAlreadyDecidedError(ConflictError):
    """A transfer's decision is final."""


class BreakGlassNotNeededError(ConflictError):
    """The office may read the record without breaking the glass."""


class TransferRequiredError(ForbiddenError):
    """The record belongs to another office: request a transfer and wait for its approval."""


class RecordOfAnotherOfficeError(ForbiddenError):
    """Only the owning office corrects its record of a person."""
