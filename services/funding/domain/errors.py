"""The funding service's named problems: each error a client may act on is its own class.

The edge renders each as RFC 9457 problem details whose ``type`` is
``urn:retorno:problem:<class name in kebab case without "Error">``: a client tells a cap
exhausted from a fund short of money by ``type``, never by parsing ``detail``.
"""

from __future__ import annotations

from services.kit.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError

# --- funds and contributions -------------------------------------------------------------


class FundAlreadyExistsError(ConflictError):
    """A fund is defined once per period; it cannot be redefined."""


class UnknownFundError(NotFoundError):
    """No fund for this period (create it first)."""


class CurrencyMismatchError(InvalidInputError):
    """The amount is stated in another currency than the fund is kept in."""


class NotAMemberError(InvalidInputError):
    """The member is not in the fund's contribution scale."""


class UnknownEntryError(NotFoundError):
    """The fund has no such pledge or receipt."""


class EntryDateInFutureError(InvalidInputError):
    """A receipt, pledge or payment dated in the future."""


class EntryDateTooOldError(InvalidInputError):
    """A receipt, pledge or payment dated more than about ten years back (a typing error)."""


class UnknownCategoryError(InvalidInputError):
    """A cost category that is not one of the configured categories."""


# --- cases and commitments ---------------------------------------------------------------


class CaseNotKnownError(ConflictError):
    """Funding has not seen the case's registration (yet)."""


class CaseNotEligibleError(ConflictError):
    """Only an eligible case (screened, funded or unfunded) can get a commitment."""


class NotInCaseError(InvalidInputError):
    """The person is not one of the case's people."""


class NoCostLinesError(InvalidInputError):
    """No cost lines given and none registered for the person."""


class CaseOfAnotherOfficeError(ForbiddenError):
    """The case belongs to an office that is not one of the principal's offices."""


class UnknownPersonError(NotFoundError):
    """Funding knows nothing about this person."""


class CommitmentRejectedError(ConflictError):
    """A commitment request was decided and rejected (the rejection is recorded)."""


class CapExhaustedError(CommitmentRejectedError):
    """Rejected: the person's remaining cap in the fund is short of the request."""


class InsufficientFundBalanceError(CommitmentRejectedError):
    """Rejected: the fund's available balance (received minus committed) is short."""


class UnknownCommitmentError(NotFoundError):
    """No such commitment."""


# --- payments ----------------------------------------------------------------------------


class CommitmentReleasedError(ConflictError):
    """The commitment was released (case withdrawn or cancelled): nothing more is paid."""


class OverDisbursementError(ConflictError):
    """A payment above the commitment's unspent part."""


class NoSuchLineError(ConflictError):
    """A payment under a cost category the commitment has no line for."""


class LineOverpaidError(ConflictError):
    """A payment above what the commitment's line has left."""


class UnknownPaymentError(NotFoundError):
    """No such payment."""


# --- reversals ---------------------------------------------------------------------------


class AlreadyReversedError(ConflictError):
    """An entry is reversed once; it was reversed already."""


class FundBalanceShortError(ConflictError):
    """Reversing the receipt would leave the fund's available balance below zero."""


class MemberOverAttributedError(ConflictError):
    """Reversing the receipt would leave the member's received money below what payments
    already attributed to it."""
