"""Read models built from events, for the secretariat's queries (the rows; their SQL is in
``store.projections``).

Payloads are read as plain dicts, tolerating fields added later; an event whose fields cannot be
read is still in the log, only left out of the read models (and logged).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from events.envelope import Envelope
from events.registration import TRANSITION_EVENTS
from services.audit.store import projections as sql
from services.kit.errors import WaitingForEvent

log = logging.getLogger("retorno.audit")

Projector = Callable[[AsyncSession, Envelope, dict[str, Any]], Awaitable[None]]


async def project(session: AsyncSession, envelope: Envelope, *, alone: bool = True) -> None:
    """Update the read models for one event.

    ``alone``: the event is the only one of its unit of work. Then a savepoint keeps an
    event whose fields cannot be read out of the read models (logged) while it still enters
    the log. In a consumer's batch the savepoint (two statements an event) is left out and
    such a failure fails the batch: the consumer then applies its events one by one, each
    alone, so the event is logged and left out of the read models in the same way.
    """
    projector = PROJECTORS.get(envelope.type)
    if projector is None or envelope.version != 1:
        return
    if not alone:
        await projector(session, envelope, envelope.payload)
        return
    try:
        async with session.begin_nested():  # a bad event leaves no half-written rows
            await projector(session, envelope, envelope.payload)
    except (KeyError, TypeError, ValueError, IntegrityError) as exc:
        log.warning(
            "audit: %s %s left out of the read models: %s: %s",
            envelope.type,
            envelope.event_id,
            type(exc).__name__,
            exc,
        )


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


async def _return_registered(session: AsyncSession, env: Envelope, p: dict[str, Any]) -> None:
    case_id = _uuid(p["case_id"])
    people = list(p["people"])
    case = {
        "case_id": case_id,
        "fund_period": str(p["fund_period"]),
        "office": str(p["office"]),
        "requester_type": str(p["requester_type"]),
        "departure_country": str(p["departure_country"]),
        "destination_country": str(p["destination_country"]),
        "registered_on": _date(p["registered_on"]),
        "registered_at": env.occurred_at,
        "people_count": len(people),
        "status": "registered",
        "status_at": env.occurred_at,
    }
    categories = sorted(
        {str(c) for person in people for c in person.get("vulnerability_categories", [])}
    )
    await sql.add_case(session, case, categories)
    await _enter_stage(session, env, case_id, "registered", str(p["office"]))


async def _transition(session: AsyncSession, env: Envelope, p: dict[str, Any]) -> None:
    case_id = _uuid(p["case_id"])
    stage, office = str(p["to_status"]), str(p["office"])
    if not await sql.move_case(session, case_id, stage, office, env.occurred_at):
        # Redelivered late after a crash: the registration is still to come. The event waits
        # (log entry and read models together) and is applied right after it.
        raise WaitingForEvent("case_id", case_id, f"case {case_id} {stage} before its registration")
    await _enter_stage(session, env, case_id, stage, office)


async def _case_corrected(session: AsyncSession, env: Envelope, p: dict[str, Any]) -> None:
    """A case corrected before screening: its facts and categories as they are now."""
    case_id = _uuid(p["case_id"])
    facts = {
        "fund_period": str(p["fund_period"]),
        "requester_type": str(p["requester_type"]),
        "departure_country": str(p["departure_country"]),
        "destination_country": str(p["destination_country"]),
    }
    categories = sorted({str(c) for c in p["vulnerability_categories"]})
    if not await sql.correct_case(session, case_id, facts, categories):
        raise WaitingForEvent(
            "case_id", case_id, f"case {case_id} corrected before its registration"
        )


async def _enter_stage(
    session: AsyncSession, env: Envelope, case_id: uuid.UUID, stage: str, office: str
) -> None:
    row = {
        "event_id": env.event_id,
        "case_id": case_id,
        "stage": stage,
        "office": office,
        "entered_at": env.occurred_at,
        "left_at": None,
    }
    await sql.enter_stage(session, row)


async def _fund_created(session: AsyncSession, env: Envelope, p: dict[str, Any]) -> None:
    period = str(p["period"])
    fund = {
        "period": period,
        "currency": str(p["currency"]),
        "per_person_cap_cents": int(p["per_person_cap_cents"]),
        "target_cents": int(p["target_cents"]),
        "created_at": env.occurred_at,
    }
    shares = [
        {
            "period": period,
            "member": str(s["member"]),
            "share_percent": str(s["share_percent"]),
            "expected_cents": int(s["expected_cents"]),
        }
        for s in p.get("shares", [])
    ]
    await sql.add_fund(session, fund, shares)


def _contribution(kind: str) -> Projector:
    async def apply(session: AsyncSession, env: Envelope, p: dict[str, Any]) -> None:
        row = {
            "event_id": env.event_id,
            "period": str(p["period"]),
            "member": str(p["member"]),
            "kind": kind,
            "amount_cents": int(p["amount_cents"]),
            "on_date": _date(p["on"]),
            "entry_id": _uuid(p["entry_id"]) if p.get("entry_id") else None,
        }
        await sql.add_contribution(session, row)

    return apply


async def _contribution_reversed(session: AsyncSession, env: Envelope, p: dict[str, Any]) -> None:
    """A reversed pledge or receipt: a negative row of the same kind, dated the reversal's day,
    so every sum of contributions is net of reversals."""
    kinds = {"pledge": "pledged", "receipt": "received"}
    row = {
        "event_id": env.event_id,
        "period": str(p["period"]),
        "member": str(p["member"]),
        "kind": kinds[str(p["kind"])],
        "amount_cents": -int(p["amount_cents"]),
        "on_date": _date(p["reversed_on"]),
        "entry_id": _uuid(p["reversal_id"]),
        "reversal_of": _uuid(p["entry_id"]),
        "reason_code": str(p["reason_code"])[:60],
    }
    await sql.add_contribution(session, row)


async def _commitment_approved(session: AsyncSession, env: Envelope, p: dict[str, Any]) -> None:
    commitment_id = _uuid(p["commitment_id"])
    row = {
        "commitment_id": commitment_id,
        "period": str(p["period"]),
        "case_id": _uuid(p["case_id"]),
        "person_ref": str(p["person_ref"]),
        "requested_cents": int(p["requested_cents"]),
        "amount_cents": int(p["amount_cents"]),
        "partial": bool(p.get("partial", False)),
        "approved_at": env.occurred_at,
    }
    lines = [
        {
            "commitment_id": commitment_id,
            "line_no": n,
            "category": str(line["category"]),
            "amount_cents": int(line["amount_cents"]),
        }
        for n, line in enumerate(p.get("lines", []), start=1)
    ]
    await sql.add_commitment(session, row, lines)


async def _commitment_released(session: AsyncSession, env: Envelope, p: dict[str, Any]) -> None:
    row = {
        "event_id": env.event_id,
        "commitment_id": _uuid(p["commitment_id"]),
        "period": str(p["period"]),
        "case_id": _uuid(p["case_id"]),
        "person_ref": str(p["person_ref"]),
        "released_cents": int(p["released_cents"]),
        "reason_code": str(p.get("reason_code", ""))[:60],
        "released_at": env.occurred_at,
    }
    await sql.add_release(session, row)


def _payment(reversal: bool) -> Projector:
    """A payment (``disbursement_made``), or a reversed one (``disbursement_reversed``): a
    negative payment row of the reversal's id, dated the day of the reversal, with the
    payment's attributions negated, so disbursed totals, the members' use and the cap check
    are all net of it."""
    sign = -1 if reversal else 1

    async def apply(session: AsyncSession, env: Envelope, p: dict[str, Any]) -> None:
        row = {
            "disbursement_id": _uuid(p["reversal_id" if reversal else "disbursement_id"]),
            "commitment_id": _uuid(p["commitment_id"]),
            "period": str(p["period"]),
            "case_id": _uuid(p["case_id"]),
            "person_ref": str(p["person_ref"]),
            "category": str(p["category"]),
            "amount_cents": sign * int(p["amount_cents"]),
            "paid_on": _date(p["reversed_on" if reversal else "paid_on"]),
        }
        if reversal:
            row["reversal_of"] = _uuid(p["disbursement_id"])
            row["reason_code"] = str(p["reason_code"])[:60]
        parts = [
            {
                "disbursement_id": row["disbursement_id"],
                "member": str(a["member"]),
                "amount_cents": sign * int(a["amount_cents"]),
            }
            for a in p.get("attributions", [])
        ]
        await sql.add_payment(session, row, parts)

    return apply


PROJECTORS: dict[str, Projector] = {
    "registration.return_registered": _return_registered,
    **{model.type_name(): _transition for model in TRANSITION_EVENTS.values()},
    "registration.case_corrected": _case_corrected,
    "funding.fund_created": _fund_created,
    "funding.contribution_pledged": _contribution("pledged"),
    "funding.contribution_received": _contribution("received"),
    "funding.commitment_approved": _commitment_approved,
    "funding.commitment_released": _commitment_released,
    "funding.disbursement_made": _payment(reversal=False),
    "funding.contribution_reversed": _contribution_reversed,
    "funding.disbursement_reversed": _payment(reversal=True),
}
