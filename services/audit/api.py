"""HTTP routes of the oversight audit: read-only, auditor role, never personal data."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.audit.domain.dates import DateRange, check_date_range
from services.audit.queries.cap import cap_compliance
from services.audit.queries.checkpoints import list_checkpoints
from services.audit.queries.events import events
from services.audit.queries.money import commitments_by, disbursements_by, member_use
from services.audit.queries.stages import case_stages
from services.audit.queries.summary import summary
from services.audit.schemas import (
    CapCompliance,
    CaseDimension,
    Checkpoint,
    CheckpointStatus,
    Dimension,
    EventFilter,
    EventRow,
    LogVerification,
    MemberUse,
    MoneyFilter,
    MoneyRow,
    PublicKey,
    StageRow,
    Summary,
)
from services.audit.usecases.keys import public_key
from services.audit.usecases.verify import verify_checkpoint, verify_log
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


def router() -> APIRouter:
    api = APIRouter(prefix="/api/audit", tags=["audit"])

    @api.get("/verify", response_model=LogVerification)
    async def verify_route(
        _: Principal = require(VERIFY), rt: Runtime = Depends(get_runtime)
    ) -> LogVerification:
        return await verify_log(rt)

    @api.post("/checkpoints/verify", response_model=CheckpointStatus)
    async def verify_checkpoint_route(
        checkpoint: Checkpoint, _: Principal = require(VERIFY), rt: Runtime = Depends(get_runtime)
    ) -> CheckpointStatus:
        return await verify_checkpoint(rt, checkpoint)

    @api.get("/checkpoints", response_model=list[Checkpoint])
    async def checkpoints_route(
        _: Principal = require(READ), rt: Runtime = Depends(get_runtime)
    ) -> list[Checkpoint]:
        return await list_checkpoints(rt)

    @api.get("/public-key", response_model=PublicKey)
    async def public_key_route(
        _: Principal = require(READ), rt: Runtime = Depends(get_runtime)
    ) -> PublicKey:
        return public_key(rt)

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
        return await events(rt, f)

    @api.get("/commitments", response_model=list[MoneyRow])
    async def commitments_route(
        by: list[Dimension] = Query(["fund_period"]),
        fund_period: str | None = Query(None, max_length=20, pattern=TEXT),
        _: Principal = require(READ),
        dates: DateRange = Depends(date_range),
        rt: Runtime = Depends(get_runtime),
    ) -> list[MoneyRow]:
        f = MoneyFilter(fund_period=fund_period, date_from=dates.date_from, date_to=dates.date_to)
        return await commitments_by(rt, by, f)

    @api.get("/disbursements", response_model=list[MoneyRow])
    async def disbursements_route(
        by: list[Dimension] = Query(["fund_period"]),
        fund_period: str | None = Query(None, max_length=20, pattern=TEXT),
        _: Principal = require(READ),
        dates: DateRange = Depends(date_range),
        rt: Runtime = Depends(get_runtime),
    ) -> list[MoneyRow]:
        f = MoneyFilter(fund_period=fund_period, date_from=dates.date_from, date_to=dates.date_to)
        return await disbursements_by(rt, by, f)

    @api.get("/cap-compliance", response_model=CapCompliance)
    async def cap_route(
        fund_period: str | None = Query(None, max_length=20, pattern=TEXT),
        _: Principal = require(READ),
        rt: Runtime = Depends(get_runtime),
    ) -> CapCompliance:
        return await cap_compliance(rt, fund_period)

    @api.get("/members", response_model=list[MemberUse])
    async def members_route(
        fund_period: str | None = Query(None, max_length=20, pattern=TEXT),
        _: Principal = require(READ),
        rt: Runtime = Depends(get_runtime),
    ) -> list[MemberUse]:
        return await member_use(rt, fund_period)

    @api.get("/cases/stages", response_model=list[StageRow])
    async def stages_route(
        by: CaseDimension | None = None,
        _: Principal = require(READ),
        dates: DateRange = Depends(date_range),
        rt: Runtime = Depends(get_runtime),
    ) -> list[StageRow]:
        return await case_stages(rt, by, dates.date_from, dates.date_to)

    @api.get("/summary", response_model=Summary)
    async def summary_route(
        half: str = Query(..., description="Half-year, e.g. 2026-H1", examples=["2026-H1"]),
        _: Principal = require(READ),
        rt: Runtime = Depends(get_runtime),
    ) -> Summary:
        return await summary(rt, half)

    return api
