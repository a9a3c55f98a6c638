"""What the caseworker's pages call things, in the user's language: codes of the services
(categories, transitions, reasons, follow-up outcomes) and the messages shown next to a field
of a refused form. Every string is marked with ``N_`` and translated through the catalog."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from services.web import i18n
from services.web.messages import N_

CATEGORY_NAMES = {
    "woman_at_risk": N_("woman at risk"),
    "unaccompanied_minor": N_("unaccompanied minor"),
    "disability": N_("disability"),
    "elderly_over_70": N_("elderly, over 70"),
    "injury_or_illness": N_("injury or illness"),
    "trafficking_victim": N_("victim of trafficking"),
}
COST_NAMES = {
    "transport": N_("transport"),
    "travel_documents": N_("travel documents"),
    "escort": N_("escort"),
    "subsistence": N_("subsistence"),
    "medical": N_("medical"),
    "reception": N_("reception"),
    "reintegration_grant": N_("reintegration grant"),
    "other": N_("other"),
}
REQUESTER_NAMES = {
    "government_departure": N_("government of the departure country"),
    "government_return": N_("government of the return country"),
    "international_organisation": N_("international organisation"),
    "civil_society_organisation": N_("civil society organisation"),
}
SEX_NAMES = {
    "female": N_("female"),
    "male": N_("male"),
    "other": N_("other"),
    "unknown": N_("unknown"),
}
DOCUMENT_NAMES = {
    "passport": N_("passport"),
    "national_id": N_("national identity card"),
    "travel_document": N_("travel document"),
    "birth_certificate": N_("birth certificate"),
    "other": N_("other document"),
}
# The purposes the privacy service knows (events.privacy.Purpose): why personal data is opened.
PURPOSE_NAMES = {
    "assistance": N_("return assistance (managing the case)"),
    "follow_up_contact": N_("follow-up contact"),
    "partner_sharing": N_("sharing with a partner organisation"),
}
ACTION_NAMES = {
    "eligible": N_("Declare eligible"),
    "ineligible": N_("Declare ineligible"),
    "documents_ready": N_("Travel documents are ready"),
    "departed": N_("The person departed"),
    "arrived": N_("The person arrived"),
    "monitoring": N_("Start the follow-up"),
    "closed": N_("Close the case"),
    "withdrawn": N_("Withdrawn: the person's choice"),
    "cancelled": N_("Cancel: the agency's decision"),
}
REASONS: dict[str, dict[str, str]] = {
    "eligible": {"meets_criteria": N_("meets the criteria")},
    "ineligible": {
        "does_not_meet_criteria": N_("does not meet the criteria"),
        "not_vulnerable": N_("no vulnerability found"),
    },
    "withdrawn": {
        "changed_mind": N_("the person changed their mind"),
        "stays_in_host_country": N_("the person stays in the host country"),
    },
    "cancelled": {
        "duplicate_request": N_("duplicate request"),
        "person_unreachable": N_("the person cannot be reached"),
        "fund_closed": N_("the fund is closed"),
    },
}
# Reason codes the system records on its own steps (the timeline shows them too).
SYSTEM_REASONS = {
    "funds_committed": N_("funds committed"),
    "case_corrected": N_("data corrected"),
    "follow_up_completed": N_("follow-up completed"),
    "follow_up_closed": N_("follow-up closed"),
}
REASON_NAMES = {
    **{code: name for reasons in REASONS.values() for code, name in reasons.items()},
    **SYSTEM_REASONS,
}
FAILED_CHECK_NAMES = {
    "no_vulnerability_category": N_("someone has no vulnerability category"),
    "unknown_vulnerability_category": N_("a category is not in the list"),
    "unaccompanied_minor_not_under_18": N_("an unaccompanied minor is not under 18"),
    "elderly_over_70_not_over_70": N_("a person marked elderly is not over 70"),
    "departure_equals_destination": N_("departure and destination are the same country"),
    "destination_not_nationality": N_("someone returns to a country not their nationality"),
}
FUNDING_REASON_NAMES = {
    "cap_exhausted": N_("the person's cap is used up"),
    "insufficient_fund_balance": N_("the fund has too little available"),
    "case_not_eligible": N_("the case was not eligible when funding decided"),
    "unknown_fund": N_("no fund is known for the case's period"),
    "currency_mismatch": N_("the cost lines are not in the fund's currency"),
}
PLAN_STATUS_NAMES = {
    "not_due": N_("not due yet"),
    "due": N_("due"),
    "overdue": N_("overdue"),
    "drawn_up": N_("drawn up"),
}
SLOT_STATUS_NAMES = {
    "upcoming": N_("upcoming"),
    "due": N_("due"),
    "overdue": N_("overdue"),
    "done": N_("done"),
    "not_reached": N_("not reached"),
    "no_consent": N_("no consent"),
}
METHOD_NAMES = {"call": N_("call"), "visit": N_("visit"), "partner": N_("through a partner")}
OUTCOME_NAMES = {
    "reached": N_("reached"),
    "not_reached": N_("not reached"),
    "no_consent": N_("no consent"),
}
RESIDENCE_NAMES = {
    "same_community": N_("same community"),
    "other_community": N_("another community"),
    "urban_centre": N_("an urban centre"),
    "abroad_again": N_("abroad again"),
}
INTENTION_NAMES = {
    "none": N_("none"),
    "considering": N_("considering it"),
    "planning": N_("planning it"),
    "declined_to_answer": N_("declined to answer"),
}
DUE_NAMES = {
    "plan_missing": N_("Plans missing"),
    "overdue": N_("Follow-ups overdue"),
    "due_this_week": N_("Follow-ups due this week"),
}

NAME_TABLES: dict[str, Mapping[str, str]] = {
    "category": CATEGORY_NAMES,
    "cost": COST_NAMES,
    "requester": REQUESTER_NAMES,
    "sex": SEX_NAMES,
    "document": DOCUMENT_NAMES,
    "purpose": PURPOSE_NAMES,
    "action": ACTION_NAMES,
    "reason": REASON_NAMES,
    "failed_check": FAILED_CHECK_NAMES,
    "funding_reason": FUNDING_REASON_NAMES,
    "plan_status": PLAN_STATUS_NAMES,
    "slot_status": SLOT_STATUS_NAMES,
    "method": METHOD_NAMES,
    "outcome": OUTCOME_NAMES,
    "residence": RESIDENCE_NAMES,
    "intention": INTENTION_NAMES,
    "due": DUE_NAMES,
}


def names(language: str) -> dict[str, dict[str, str]]:
    """Every table of names, translated: ``names["category"]["woman_at_risk"]``."""
    translate = i18n.translations(language).gettext
    return {
        table: {code: translate(name) for code, name in entries.items()}
        for table, entries in NAME_TABLES.items()
    }


# --- messages next to the field of a refused form --------------------------------------------

REQUIRED = N_("Fill this in.")
NOT_VALID = N_("This value is not valid.")
BY_LEAF = {
    "date_of_birth": N_("Enter the date of birth as year-month-day."),
    "on": N_("Enter the day as year-month-day."),
    "nationality": N_("Enter a two-letter country code, e.g. GT or MX."),
    "departure_country": N_("Enter a two-letter country code, e.g. GT or MX."),
    "destination_country": N_("Enter a two-letter country code, e.g. GT or MX."),
    "currency": N_("Enter a three-letter currency code, e.g. USD."),
    "amount": N_("Enter an amount above zero with a point and at most two decimals, e.g. 250.00."),
    "email": N_("Enter an e-mail address like name@example.org."),
    "phone": N_("Enter a phone number: digits, spaces, +, ( ) or -."),
}
# (field leaf, start of the service's problem) -> the message; the service's text is English.
BY_PROBLEM: list[tuple[str, str, str]] = [
    ("date_of_birth", "is in the future", N_("The date of birth is in the future.")),
    (
        "date_of_birth",
        "is more than",
        N_("The date of birth is over 120 years ago: check the year."),
    ),
    ("vulnerability_categories", "is empty", N_("Choose at least one category.")),
    (
        "vulnerability_categories",
        "unaccompanied_minor needs",
        N_("Unaccompanied minor: by the date of birth the person is not under 18."),
    ),
    (
        "vulnerability_categories",
        "elderly_over_70 needs",
        N_("Elderly, over 70: by the date of birth the person is not over 70."),
    ),
    (
        "destination_country",
        "is the departure country",
        N_("The destination must be another country than the departure."),
    ),
    (
        "fund_period",
        "no fund is known",
        N_("No fund is known for this period: a supervisor creates it first."),
    ),
    ("currency", "is ", N_("Request the amount in the fund's currency.")),
    (
        "assistance",
        "",
        N_("Return is voluntary: the person must consent to return assistance."),
    ),
    ("on", "is in the future", N_("The day of the contact is in the future.")),
    ("on", "is before the arrival", N_("The day of the contact is before the arrival.")),
    ("residence", "is required", N_("Choose where the person lives now.")),
    ("outcome", "only no_consent", N_("Without consent to follow-up, record “no consent”.")),
]
NOT_FOR_OUTCOME = N_("Leave this empty for this outcome.")

INDEX = re.compile(r"\[(\d+)\]")


def dotted(field: str) -> str:
    """A service's field name (``people[0].date_of_birth``) as a form's (``people.0.date_of_birth``)."""
    return INDEX.sub(r".\1", field)


def field_message(field: str, problem: str, kind: str, gettext: Callable[[str], str]) -> str:
    """The message for one refused field, from the service's problem text or pydantic's
    error ``kind`` (``missing``, ``date_from_datetime_parsing``...)."""
    leaf = field.rsplit(".", 1)[-1]
    if problem.startswith("not allowed when"):
        return gettext(NOT_FOR_OUTCOME)
    for wanted, start, message in BY_PROBLEM:
        if leaf == wanted and problem.startswith(start):
            return gettext(message)
    if kind == "missing":
        return gettext(REQUIRED)
    return gettext(BY_LEAF.get(leaf, NOT_VALID))
