"""The follow-up's stored facts read as domain values: a plan's slots and attempts, its
states on a day, and who may see it. Pure: over mappings (rows), no storage."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from services.kit.identity import Principal, ensure_some_office
from services.reintegration.domain.errors import PlanNotFoundError
from services.reintegration.domain.schedule import (
    Attempt,
    ScheduleRules,
    Slot,
    SlotState,
    slot_state,
)

CONSENT_PURPOSE = "follow_up_contact"
NOTE_FIELD = "contact_note"

Row = Mapping[Any, Any]


def slot_of(row: Row) -> Slot:
    return Slot(row["slot"], row["offset_months"], row["due_on"], row["opens_on"], row["closes_on"])


def attempts_of(contacts: Sequence[Row]) -> list[Attempt]:
    return [Attempt(c["slot"], c["contacted_on"], c["outcome"]) for c in contacts]


def states_of(
    slot_rows: Sequence[Row], contacts: Sequence[Row], today: date, rules: ScheduleRules
) -> tuple[SlotState, ...]:
    attempts = attempts_of(contacts)
    return tuple(slot_state(slot_of(r), attempts, today, rules) for r in slot_rows)


def ensure_visible(
    principal: Principal, plan: Row | None, granted: Sequence[str], plan_id: uuid.UUID
) -> Row:
    """The plan, if it exists (404) and the principal is of its office or of an office an
    approved transfer lets follow the person up (403 otherwise)."""
    if plan is None:
        raise PlanNotFoundError(
            f"no follow-up plan {plan_id}; a plan is made when the person's case arrives"
        )
    ensure_some_office(principal, [plan["office"], *granted], f"follow-up plan {plan_id}")
    return plan
