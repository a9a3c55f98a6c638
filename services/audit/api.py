"""HTTP routes of the oversight audit: read-only, auditor role, never personal data."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from services.audit import usecases
from services.audit.cap import CapCompliance, cap_compliance
from services.audit.checkpoints import (
    MESSAGE_FORMAT,
    Checkpoint,
    CheckpointStatus,
    checkpoint_message,
)
from services.audit.dates import DateRange, check_date_range
from services.audit.money import (
    Dimension,
    MemberUse,
    MoneyFilter,
    MoneyRow,
    commitments_by,
    disbursements_by,
    member_use,
)
from services.audit.queries import (
    CaseDimension,
    EventFilter,
    EventRow,
    StageRow,
    case_stages,
    events,
)
from services.audit.summary import Summary, summary
from services.audit.usecases import LogVerification
from services.kit.definition import Runtime
from services.kit.identity import Principal
from services.kit.routes import get_runtime, require

MAX_POSITION = 2**62
TEXT = r"^[^\x00-\x1f\x7f]+$"  # no control characters (PostgreSQL refuses NUL)
READ = "audit.read"
VERIFY = "audit.verify"


DateParam = Annotated[
    str | None,
    Query(
        description="YYYY-MM-DD, inclusive, from 2000-01-01 to the end of next year",
        json_schema_extra={"format": "date"},
    ),
]


def date_range(
    date_from: DateParam = None, date_to: DateParam = None, rt: Runtime = Depends(get_runtime)
) -> DateRange:
    """``date_from`` and ``date_to`` as dates, or a 422 naming the parameter."""
    return check_date_range(date_from, date_to, today=rt.clock().date())


class PublicKey(BaseModel):
    algorithm: Literal["Ed25519"] = "Ed25519"
    key_id: str
    pem: str
    signed_message: str = MESSAGE_FORMAT
    example_message: str


def router() -> APIRouter:
    api = APIRouter(prefix="/api/audit", tags=["audit"])

    @api.get("/verify", response_model=LogVerification)
    async def verify_route(
        _: Principal = require(VERIFY), rt: Runtime = Depends(get_runtime)
    ) -> LogVerification:
        return await usecases.verify_log(rt)

    @api.post("/checkpoints/verify", response_model=CheckpointStatus)
    async def verify_checkpoint_route(
        checkpoint: Checkpoint, _: Principal = require(VERIFY), rt: Runtime = Depends(get_runtime)
    ) -> CheckpointStatus:
        return await usecases.verify_checkpoint(rt, checkpoint)

    @api.get("/checkpoints", response_model=list[Checkpoint])
    async def checkpoints_route(
        _: Principal = require(READ), rt: Runtime = Depends(get_runtime)
    ) -> list[Checkpoint]:
        return await usecases.list_checkpoints(rt)

    @api.get("/public-key", response_model=PublicKey)
    async def public_key_route(
        _: Principal = require(READ), rt: Runtime = Depends(get_runtime)
    ) -> PublicKey:
        key = usecases.signer(rt)
        return PublicKey(
            key_id=key.key_id,
            pem=key.public_key_pem(),
            example_message=checkpoint_message(1, "0" * 64, rt.clock()).decode(),
        )

    @api.get("/events", response_model=list[EventRow])
    async def events_route(
        case_id: uuid.UUID | None = None,
        actor_id: str | None = Query(None, max_length=120, pattern=TEXT),
        type: str | None = Query(None, max_length=120, pattern=r"^[a-z_]+\.[a-z_]+$"),
        after_position: int = Query(0, ge=0, le=MAX_POSITION),
        limit: int = Query(100, ge=1, le=1000),
        _: Principal = require(READ),
        dates: DateRange = Depends(date_range),
        rt: Runtime = Depends(get_runtime),
    ) -> list[EventRow]:
        f = EventFilter(
            case_id=case_id,
            actor_id=actor_id,
            type=type,
            date_from=dates.date_from,
            date_to=dates.date_to,
            after_position=after_position,
            limit=limit,
        )
        return await usecases.read(rt, lambda s: events(s, f))

    @api.get("/commitments", response_model=list[MoneyRow])
    async def commitments_route(
        by: list[Dimension] = Query(["fund_period"]),
        fund_period: str | None = Query(None, max_length=20, pattern=TEXT),
        _: Principal = require(READ),
        dates: DateRange = Depends(date_range),
        rt: Runtime = Depends(get_runtime),
    ) -> list[MoneyRow]:
        f = MoneyFilter(fund_period=fund_period, date_from=dates.date_from, date_to=dates.date_to)
        return await usecases.read(rt, lambda s: commitments_by(s, by, f))

    @api.get("/disbursements", response_model=list[MoneyRow])
    async def disbursements_route(
        by: list[Dimension] = Query(["fund_period"]),
        fund_period: str | None = Query(None, max_length=20, pattern=TEXT),
        _: Principal = require(READ),
        dates: DateRange = Depends(date_range),
        rt: Runtime = Depends(get_runtime),
    ) -> list[MoneyRow]:
        f = MoneyFilter(fund_period=fund_period, date_from=dates.date_from, date_to=dates.date_to)
        return await usecases.read(rt, lambda s: disbursements_by(s, by, f))

    @api.get("/cap-compliance", response_model=CapCompliance)
    async def cap_route(
        fund_period: str | None = Query(None, max_length=20, pattern=TEXT),
        _: Principal = require(READ),
        rt: Runtime = Depends(get_runtime),
    ) -> CapCompliance:
        return await usecases.read(rt, lambda s: cap_compliance(s, fund_period))

    @api.get("/members", response_model=list[MemberUse])
    async def members_route(
        fund_period: str | None = Query(None, max_length=20, pattern=TEXT),
        _: Principal = require(READ),
        rt: Runtime = Depends(get_runtime),
    ) -> list[MemberUse]:
        return await usecases.read(rt, lambda s: member_use(s, fund_period))

    @api.get("/cases/stages", response_model=list[StageRow])
    async def stages_route(
        by: CaseDimension | None = None,
        _: Principal = require(READ),
        dates: DateRange = Depends(date_range),
        rt: Runtime = Depends(get_runtime),
    ) -> list[StageRow]:
        return await usecases.read(rt, lambda s: case_stages(s, by, dates.date_from, dates.date_to))

    @api.get("/summary", response_model=Summary)
    async def summary_route(
        half: str = Query(..., description="Half-year, e.g. 2026-H1", examples=["2026-H1"]),
        _: Principal = require(READ),
        rt: Runtime = Depends(get_runtime),
    ) -> Summary:
        return await summary(rt, half)

    return api
