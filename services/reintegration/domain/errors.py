"""The reintegration follow-up's named errors: each one a client may act on is its own class
(its problem type is ``urn:retorno:problem:<kebab name>``)."""

from __future__ import annotations

from services.kit.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError


class PlanNotFoundError(NotFoundError):
    """No follow-up plan has this id (or the case has not arrived yet)."""


class PlanClosedError(ConflictError):
    """The person's follow-up is closed: nothing more is recorded on it."""


class PlanAlreadyDrawnUpError(ConflictError):
    """The plan's assistance was already planned; record received assistance instead."""


class NoFollowUpConsentError(ForbiddenError):
    """The person has not consented to follow-up contact: only "no consent" may be recorded."""


class UnknownSlotError(InvalidInputError):
    """The schedule has no such contact."""


class SlotAlreadySettledError(ConflictError):
    """That scheduled contact is already done, not reached or settled without consent."""


class ScheduleCompleteError(ConflictError):
    """Every scheduled contact is settled."""


class ContactDateInFutureError(InvalidInputError):
    """A contact's date is after today."""


class ContactBeforeArrivalError(InvalidInputError):
    """A contact's date is before the person arrived."""


class UnknownInstrumentError(InvalidInputError):
    """No instrument of that version is loaded."""


class SurveyAnswersInvalidError(InvalidInputError):
    """A survey answer names no indicator of the instrument or is outside its scale."""


class NotApplicableForOutcomeError(InvalidInputError):
    """A field was sent that the contact's outcome does not allow (e.g. a survey when the
    person was not reached)."""


class NoSurveyToRescoreError(ConflictError):
    """The person has no survey yet to score again."""


class AlreadyScoredUnderVersionError(ConflictError):
    """The survey already has a score under that instrument version."""


class DateOutOfRangeError(InvalidInputError):
    """A closure or assistance date is in the future or before the arrival."""


class NoteNotFoundError(NotFoundError):
    """The plan has no such contact, or the contact has no note."""
