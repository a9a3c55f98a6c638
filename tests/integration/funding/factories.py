"""Builders for funding tests: random identifiers, registration events, funded funds."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from db.uow import ServiceDatabase
from events.envelope import Actor, Envelope, Payload, new_envelope
from events.registration import (
    CaseCancelled,
    CaseScreened,
    CaseWithdrawn,
    RequestedLine,
    ReturnRegistered,
)
from services.funding.domain.money import contribution_scale
from services.funding.service import SERVICE
from services.funding.usecases import funds
from services.kit.definition import Runtime
from services.kit.identity import Principal
from services.kit.settings import Settings
from tests.support import db_outbox, db_parked, make_runtime, person_facts
from tests.support import deliver as deliver_event

ADMIN = Actor.user("u_manager", "supervisor")
OFFICE = "GT-01"
CASEWORKER = Principal("u_caseworker", "caseworker", frozenset({OFFICE}))
SUPERVISOR = Principal("u_supervisor", "supervisor", frozenset({OFFICE}))


def person_ref() -> str:
    return f"p_{uuid.uuid4().hex}"


def period() -> str:
    return f"P{uuid.uuid4().hex[:10]}"


def envelope(payload: Payload) -> Envelope:
    return new_envelope(payload, actor=Actor.service("registration"))


def registered(
    fund_period: str,
    lines: dict[str, list[tuple[str, int]]],
    *,
    allow_partial: bool = False,
    currency: str = "USD",
    case_id: uuid.UUID | None = None,
) -> Envelope:
    people = [person_facts(ref) for ref in lines]
    requested = [
        RequestedLine(person_ref=ref, category=cat, amount_cents=cents, currency=currency)
        for ref, person_lines in lines.items()
        for cat, cents in person_lines
    ]
    return envelope(
        ReturnRegistered(
            case_id=case_id or uuid.uuid4(),
            fund_period=fund_period,
            office=OFFICE,
            requester_type="international_organisation",
            departure_country="MX",
            destination_country="GT",
            registered_on=date(2026, 3, 1),
            people=people,
            requested=requested,
            allow_partial=allow_partial,
        )
    )


def screened(case_id: uuid.UUID, *, eligible: bool = True) -> Envelope:
    return envelope(
        CaseScreened(
            case_id=case_id,
            office=OFFICE,
            from_status="registered",
            to_status="eligible" if eligible else "ineligible",
            eligible=eligible,
        )
    )


def withdrawn(case_id: uuid.UUID, *, cancelled: bool = False) -> Envelope:
    model = CaseCancelled if cancelled else CaseWithdrawn
    return envelope(
        model(
            case_id=case_id,
            office=OFFICE,
            from_status="funding_approved",
            to_status="cancelled" if cancelled else "withdrawn",
            reason_code="person_request",
        )
    )


def runtime(db: ServiceDatabase) -> Runtime:
    """A runtime over the funding database (the composition root, as the node builds it)."""
    return make_runtime(Settings(), {"funding": db}, clock=db.clock)


async def deliver(db: ServiceDatabase, event: Envelope) -> list[Envelope]:
    """Funding's consumer applies one event through the real inbox path
    (``tests.support.deliver``: dedup, parking, release); returns what that emitted."""
    rt = runtime(db)
    before = len(await outbox(db))
    await deliver_event(rt, SERVICE, event)
    return (await outbox(db))[before:]


async def make_fund(
    db: ServiceDatabase,
    *,
    received: int = 0,
    cap: int = 100_000,
    target: int = 6_000_000,
    shares: tuple[tuple[str, str], ...] = (("CA", "25"), ("MX", "25"), ("US", "50")),
    currency: str = "USD",
) -> str:
    name = period()
    async with db.unit_of_work() as uow:
        await funds.add_fund(
            uow, funds.NewFund(name, currency, cap, target, contribution_scale(shares)), ADMIN
        )
        if received:
            await funds.add_contribution(
                uow, "receipt", name, shares[0][0], received, date(2026, 1, 5), None, ADMIN
            )
        await uow.commit()
    return name


# What funding emitted and what its runner parked: the harness's readers (tests.support).
outbox = db_outbox
parked = db_parked


def of_type(events: list[Envelope], type_name: str) -> list[dict[str, Any]]:
    return [e.payload for e in events if e.type == type_name]
