"""The semi-annual summary the secretariat reports to the member states."""

from __future__ import annotations

import re
from datetime import date

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.audit import store
from services.audit.cap import CapCompliance, cap_compliance
from services.audit.checkpoints import Checkpoint
from services.audit.money import (
    MemberUse,
    MoneyFilter,
    MoneyRow,
    commitments_by,
    disbursements_by,
    member_use,
)
from services.audit.queries import end_of, start_of
from services.audit.usecases import list_checkpoints, read, verify_log
from services.kit.definition import Runtime
from services.kit.errors import InvalidInputError

ERASURE = "privacy.personal_data_erased"


def half_bounds(half: str) -> tuple[date, date]:
    """'2026-H1' -> 1 January to 30 June 2026; '2026-H2' -> 1 July to 31 December (inclusive)."""
    found = re.fullmatch(r"([1-9]\d{3})-H([12])", half)
    if found is None:
        raise InvalidInputError(
            f"'{half}' is not a half-year; write it like '2026-H1' or '2026-H2'"
        )
    year = int(found.group(1))
    if found.group(2) == "1":
        return date(year, 1, 1), date(year, 6, 30)
    return date(year, 7, 1), date(year, 12, 31)


class ActivityCounts(BaseModel):
    events_total: int
    events_by_type: dict[str, int]
    cases_registered: int
    people_registered: int
    stages_entered: dict[str, int]
    erasures: int


class Summary(BaseModel):
    half: str
    date_from: date
    date_to: date
    log_intact: bool
    log_head_position: int
    latest_checkpoint: Checkpoint | None
    activity: ActivityCounts
    commitments_by_category: list[MoneyRow]
    commitments_by_destination: list[MoneyRow]
    disbursements_by_category: list[MoneyRow]
    disbursements_by_destination: list[MoneyRow]
    disbursements_by_member: list[MoneyRow]
    members: list[MemberUse]
    cap_compliance: CapCompliance


async def activity(session: AsyncSession, date_from: date, date_to: date) -> ActivityCounts:
    since, until = start_of(date_from), end_of(date_to)
    log, cases, stages = store.log.c, store.cases.c, store.case_stages.c
    by_type = dict(
        (t, int(n))
        for t, n in await session.execute(
            select(log.type, func.count())
            .where(log.occurred_at >= since, log.occurred_at < until)
            .group_by(log.type)
        )
    )
    registered = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(cases.people_count), 0)).where(
                cases.registered_at >= since, cases.registered_at < until
            )
        )
    ).one()
    entered = dict(
        (s, int(n))
        for s, n in await session.execute(
            select(stages.stage, func.count())
            .where(stages.entered_at >= since, stages.entered_at < until)
            .group_by(stages.stage)
        )
    )
    return ActivityCounts(
        events_total=sum(by_type.values()),
        events_by_type=dict(sorted(by_type.items())),
        cases_registered=int(registered[0]),
        people_registered=int(registered[1]),
        stages_entered=dict(sorted(entered.items())),
        erasures=by_type.get(ERASURE, 0),
    )


async def summary(rt: Runtime, half: str) -> Summary:
    """Activity and money of the half-year; members and the cap check over each fund to date."""
    date_from, date_to = half_bounds(half)
    period = MoneyFilter(date_from=date_from, date_to=date_to)
    verification = await verify_log(rt)
    checkpoints = await list_checkpoints(rt)

    async def gather(session: AsyncSession) -> Summary:
        return Summary(
            half=half,
            date_from=date_from,
            date_to=date_to,
            log_intact=verification.intact,
            log_head_position=verification.chain.head_position,
            latest_checkpoint=checkpoints[-1] if checkpoints else None,
            activity=await activity(session, date_from, date_to),
            commitments_by_category=await commitments_by(session, ["category"], period),
            commitments_by_destination=await commitments_by(
                session, ["destination_country"], period
            ),
            disbursements_by_category=await disbursements_by(session, ["category"], period),
            disbursements_by_destination=await disbursements_by(
                session, ["destination_country"], period
            ),
            disbursements_by_member=await disbursements_by(session, ["member"], period),
            members=await member_use(session),
            cap_compliance=await cap_compliance(session),
        )

    return await read(rt, gather)
