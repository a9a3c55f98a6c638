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
