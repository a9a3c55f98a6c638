"""What the UI says when a use case refuses: by the error's class, in the user's language.

The API's problem ``detail`` is English and may hold values; the UI shows instead the message
kept here for that error, translated through the catalog. An error without one here falls back
to a message for its kind (invalid input, not found, forbidden, conflict)."""

from __future__ import annotations

from services.kit.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    RetornoError,
)
from services.web import i18n


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "translate later"
    return message


BY_ERROR: dict[str, str] = {
    "SignInRefusedError": N_("The user name or the password is not right. Try again."),
    "AccountLockedError": N_(
        "Too many failed sign-ins: this account is locked for 15 minutes. Try again later, "
        "or ask an administrator to set a new password."
    ),
    "CurrentPasswordWrongError": N_(
        "The current password is not right. Type the password you signed in with."
    ),
    "PasswordRejectedError": N_(
        "Choose another password: at least 12 characters, without your user name."
    ),
    # privacy and subject access (the data protection officer's pages)
    "LegalHoldActiveError": N_(
        "A legal hold is active: nothing was erased. Lift the hold first if it no longer applies."
    ),
    "PersonInOpenCaseError": N_(
        "The person is in a case that is still open: nothing was erased. Close, withdraw or "
        "cancel the case first, or give a reason code for erasing anyway."
    ),
    "PersonErasedError": N_("This person's data was erased: nothing more can be recorded."),
    "UnknownPersonError": N_("No person has this reference. Check it and try again."),
    "PersonNotFoundError": N_("No person has this reference. Check it and try again."),
    "PersonKeyNotFoundError": N_("No personal data of this person is held: nothing to erase."),
    "PersonOfficeNotKnownYetError": N_(
        "The person's registration has not arrived here yet. Try again in a few seconds."
    ),
    "LegalHoldNotFoundError": N_("This legal hold does not exist. Reload the page."),
    "LegalHoldAlreadyLiftedError": N_("This legal hold was lifted already. Reload the page."),
    # the audit's queries (the auditor's pages)
    "InvalidDateRangeError": N_(
        "Check the dates: write them as YYYY-MM-DD, from 2000 to the end of next year, the "
        "first not after the second."
    ),
    "InvalidHalfYearError": N_("Write the half-year as the year, -H1 or -H2: e.g. 2026-H1."),
    "NotAttributedToMembersError": N_(
        "Commitments are not attributed to members: group disbursements by member instead."
    ),
    "UnknownCaseGroupingError": N_("Group cases by office or by category."),
    "OidcSignInRefusedError": N_(
        "The sign-in with your organisation's account did not complete. Start it again."
    ),
    "OidcUnknownUserError": N_(
        "Your organisation's account is not a Retorno user yet. Ask an administrator to add you."
    ),
    "OidcProviderUnavailableError": N_(
        "The sign-in service of your organisation cannot be reached. Try again later, or sign "
        "in with your password."
    ),
    "OidcNotConfiguredError": N_("Sign-in with an organisation's account is not set up here."),
    "SearchTextInvalidError": N_(
        "Type a name or a document number to search for: at most 8 words and 200 characters."
    ),
    # funding (supervisor pages)
    "FundAlreadyExistsError": N_("A fund for this period exists already; funds are not redefined."),
    "UnknownFundError": N_("There is no fund for this period. Check the period, or create it."),
    "CurrencyMismatchError": N_("The fund is kept in another currency. Enter the amount in it."),
    "NotAMemberError": N_(
        "This member is not in the fund's contribution scale. Choose one listed."
    ),
    "UnknownEntryError": N_("The fund has no such pledge or receipt. Reload the page."),
    "EntryDateInFutureError": N_("The date is in the future. Give the day it happened."),
    "EntryDateTooOldError": N_("The date is more than ten years ago. Check the year."),
    "UnknownCategoryError": N_("This cost category is not one of the configured ones."),
    "CaseNotKnownError": N_(
        "Funding has not seen this case's registration yet. Try again in a few seconds."
    ),
    "CaseNotEligibleError": N_("Only an eligible case can get a commitment. Screen it first."),
    "NotInCaseError": N_("This person is not one of the case's people."),
    "NoCostLinesError": N_("No costs were registered for this person; there is nothing to commit."),
    "CaseOfAnotherOfficeError": N_("This case belongs to an office that is not one of yours."),
    "CommitmentRejectedError": N_("The commitment was refused; the refusal is recorded."),
    "CapExhaustedError": N_(
        "Refused: the person's remaining cap in the fund is short of the request. "
        "The refusal is recorded."
    ),
    "InsufficientFundBalanceError": N_(
        "Refused: the fund has not received enough money for this. Record the receipts "
        "first. The refusal is recorded."
    ),
    "UnknownCommitmentError": N_("There is no such commitment. Reload the page."),
    "CommitmentReleasedError": N_(
        "This commitment was released (the case was withdrawn or cancelled): nothing more is paid."
    ),
    "OverDisbursementError": N_("This is more than the commitment has left to pay."),
    "NoSuchLineError": N_("The commitment has no line of this cost category."),
    "LineOverpaidError": N_("This is more than the commitment's line has left. Lower the amount."),
    "UnknownPaymentError": N_("There is no such payment. Reload the page."),
    "AlreadyReversedError": N_("This entry was reversed already; an entry is reversed once."),
    "FundBalanceShortError": N_(
        "Refused: without this receipt the fund would have committed more than it received."
    ),
    "MemberOverAttributedError": N_(
        "Refused: payments already used this member's money; without this receipt the member "
        "would have paid more than it gave."
    ),
    # evaluation (evaluator pages)
    "InvalidPeriodError": N_(
        "Write a year (2026), a half-year (2026-H1), a quarter (2026-Q3) or a month "
        "(2026-05), or give the first and last day."
    ),
    "UnknownTableError": N_("Choose tables from the list."),
    "OverlappingReleaseRefusedError": N_(
        "Refused: with the exports already released for overlapping months, this one would "
        "reveal a protected cell or change published figures. Choose another period."
    ),
    "TableNotProtectableError": N_(
        "Refused: the tables cannot be protected for this period (too few people). Choose "
        "a longer period or fewer tables."
    ),
    "ExportNotFoundError": N_("There is no such export."),
    "ExportFileNotFoundError": N_("This export has no such file (or it was removed)."),
}
BY_KIND: list[tuple[type[RetornoError], str]] = [
    (
        InvalidInputError,
        N_("Some of what you entered is not valid. Check the fields and send again."),
    ),
    (NotFoundError, N_("That record does not exist, or it is not yours to see.")),
    (ForbiddenError, N_("Your role or office may not do this. Ask a supervisor.")),
    (ConflictError, N_("The record changed meanwhile. Reload the page and try again.")),
]
GENERIC = N_("That did not work. Try again, or ask an administrator.")


def for_error(error: RetornoError, language: str) -> str:
    translate = i18n.translations(language).gettext
    message = BY_ERROR.get(type(error).__name__)
    if message is None:
        message = next((m for kind, m in BY_KIND if isinstance(error, kind)), GENERIC)
    return translate(message)


ROLE_NAMES: dict[str, str] = {
    "caseworker": N_("caseworker"),
    "supervisor": N_("supervisor"),
    "auditor": N_("auditor"),
    "evaluator": N_("evaluator"),
    "data_protection_officer": N_("data protection officer"),
    "admin": N_("administrator"),
}


def role_names(language: str) -> dict[str, str]:
    translate = i18n.translations(language).gettext
    return {role: translate(name) for role, name in ROLE_NAMES.items()}


STATUS_NAMES: dict[str, str] = {
    "requested": N_("requested"),
    "registered": N_("registered"),
    "eligible": N_("eligible"),
    "ineligible": N_("ineligible"),
    "funding_approved": N_("funding approved"),
    "documents_ready": N_("documents ready"),
    "departed": N_("departed"),
    "arrived": N_("arrived"),
    "monitoring": N_("in follow-up"),
    "closed": N_("closed"),
    "withdrawn": N_("withdrawn"),
    "cancelled": N_("cancelled"),
}


def status_names(language: str) -> dict[str, str]:
    translate = i18n.translations(language).gettext
    return {status: translate(name) for status, name in STATUS_NAMES.items()}
