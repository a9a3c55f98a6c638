"""The cap check: nobody's exposure in a fund may exceed that fund's per-person cap."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.audit import store
from services.audit.schemas import CapCompliance, CapViolation
from services.kit.definition import Runtime

RATIO = Decimal("0.0001")


async def cap_compliance(rt: Runtime, fund_period: str | None = None) -> CapCompliance:
    async with rt.db(store.NAME).reading() as session:
        return await check_cap(session, fund_period)


async def check_cap(session: AsyncSession, fund_period: str | None = None) -> CapCompliance:
    caps = {
        r.period: int(r.per_person_cap_cents)
        for r in await session.execute(
            select(store.funds.c.period, store.funds.c.per_person_cap_cents)
        )
    }
    sums: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for name, table, column in (
        ("committed", store.commitments, "amount_cents"),
        ("released", store.releases, "released_cents"),
        ("disbursed", store.disbursements, "amount_cents"),
    ):
        c = table.c
        query = select(c.period, c.person_ref, func.sum(c[column])).group_by(c.period, c.person_ref)
        if fund_period is not None:
            query = query.where(c.period == fund_period)
        for period, person_ref, amount in await session.execute(query):
            sums[(period, person_ref)][name] = int(amount)
    violations: list[CapViolation] = []
    unknown = 0
    max_ratio = Decimal(0)
    for (period, person_ref), s in sorted(sums.items()):
        cap = caps.get(period)
        if cap is None:
            unknown += 1
            continue
        exposure = max(s["committed"] - s["released"], s["disbursed"])
        max_ratio = max(max_ratio, Decimal(exposure) / cap)
        if exposure > cap:
            violations.append(
                CapViolation(
                    fund_period=period,
                    person_ref=person_ref,
                    cap_cents=cap,
                    committed_cents=s["committed"],
                    released_cents=s["released"],
                    disbursed_cents=s["disbursed"],
                )
            )
    return CapCompliance(
        compliant=not violations and unknown == 0,
        funds_checked=len({p for p, _ in sums if p in caps}),
        people_checked=len({ref for (p, ref) in sums if p in caps}),
        people_above_cap=len(violations),
        people_without_known_cap=unknown,
        max_ratio=str(max_ratio.quantize(RATIO)),
        violations=violations,
    )
