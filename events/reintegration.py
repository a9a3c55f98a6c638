"""Vocabulary of the reintegration follow-up: the codes its events and requests carry.

Codes only: a contact's free-text note is personal data and travels encrypted through the
vault, never in an event.
"""

from __future__ import annotations

from typing import Literal

ContactMethod = Literal["phone", "visit", "partner"]

Residence = Literal["same_community", "other_community", "urban_centre", "abroad_again"]
"""Where the person lives at a contact. "Abroad again" is an outcome (re-migration), not an
error; "urban centre" is asked for by the source (panel 3: returnees settling in cities)."""

RemigrationIntention = Literal["none", "considering", "planning", "declined_to_answer"]

AssistanceCategory = Literal[
    "business_start_up",
    "training",
    "housing",
    "medical",
    "psychosocial",
    "education",
    "referral",
]
AssistanceKind = Literal["in_kind", "cash"]

ContactOutcome = Literal["reached", "not_reached", "no_consent"]
"""One attempt's outcome. "no_consent": the person has not consented to follow-up contact,
so nobody called; the slot is settled without a survey."""

SlotStatus = Literal["upcoming", "due", "overdue", "done", "not_reached", "no_consent"]
PlanStatus = Literal["not_due", "due", "overdue", "drawn_up"]

ClosureReason = Literal[
    "completed",
    "lost_contact",
    "re_migrated",
    "deceased",
    "declined",
    "transferred",
    "no_longer_eligible",
    "funding_lost",
    "security",
]
"""Why a reintegration case closes (IOM Reintegration Handbook 2019, module 2.7): support
has run its course, the person cannot be reached, re-migrated, died, chose to stop, moved to
another office's area, no longer meets the criteria, funding was lost, or for security."""

Dimension = Literal["economic", "social", "psychosocial"]
