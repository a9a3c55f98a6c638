"""The semi-annual summary the secretariat reports to the member states."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.audit import store
from services.audit.domain.dates import end_of, half_bounds, start_of
from services.audit.queries.cap import check_cap
from services.audit.queries.checkpoints import list_checkpoints
from services.audit.queries.money import sum_commitments, sum_disbursements, sum_member_use
from services.audit.schemas import ActivityCounts, MoneyFilter, Summary
from services.audit.usecases.verify import verify_log
from services.kit.definition import Runtime

ERASURE = "privacy.personal_data_erased"


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

    async with rt.db(store.NAME).reading() as session:
        return Summary(
            half=half,
            date_from=date_from,
            date_to=date_to,
            log_intact=verification.intact,
            log_head_position=verification.chain.head_position,
            latest_checkpoint=checkpoints[-1] if checkpoints else None,
            activity=await activity(session, date_from, date_to),
            commitments_by_category=await sum_commitments(session, ["category"], period),
            commitments_by_destination=await sum_commitments(
                session, ["destination_country"], period
            ),
            disbursements_by_category=await sum_disbursements(session, ["category"], period),
            disbursements_by_destination=await sum_disbursements(
                session, ["destination_country"], period
            ),
            disbursements_by_member=await sum_disbursements(session, ["member"], period),
            members=await sum_member_use(session),
            cap_compliance=await check_cap(session),
        )
