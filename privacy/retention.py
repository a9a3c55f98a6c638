"""The retention job: erase the personal data of everyone whose cases all ended more than
``settings.retention_years_after_closure`` years ago, unless a legal hold is active.

Run periodically by the runtime and by ``retorno retention run``. Each erasure is its own
transaction, so one failure does not stop the others; the report says what happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from events.envelope import Actor
from privacy.domain import add_years, due_for_erasure
from privacy.erasure import erase_person, scrub_storage
from privacy.holds import hold_states
from privacy.store import case_people, cases, data_keys
from services.kit.definition import Runtime
from services.kit.errors import RetornoError

__all__ = ["RetentionReport", "due_for_erasure", "run_retention"]


@dataclass
class RetentionReport:
    ran_at: datetime
    today: date
    years: int
    erased: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


async def _candidates(rt: Runtime, cutoff: date) -> list[tuple[str, date]]:
    """People still holding a data key whose cases have all ended on or before ``cutoff``."""
    last_end = func.max(cases.c.ended_on)
    query = (
        select(case_people.c.person_ref, last_end)
        .join(cases, cases.c.case_id == case_people.c.case_id)
        .join(data_keys, data_keys.c.person_ref == case_people.c.person_ref)
        .group_by(case_people.c.person_ref)
        .having(func.count(cases.c.ended_on) == func.count())
        .having(last_end <= cutoff)
        .order_by(case_people.c.person_ref)
    )
    async with rt.db("privacy").unit_of_work() as uow:
        return [(r[0], r[1]) for r in await uow.session.execute(query)]


async def run_retention(rt: Runtime) -> RetentionReport:
    """Erase everyone due (see ``due_for_erasure``) and report who was erased, who is kept by
    a legal hold, and who could not be erased (with the reason)."""
    now = rt.clock()
    years = rt.settings.retention_years_after_closure
    report = RetentionReport(ran_at=now, today=now.date(), years=years)
    cutoff = add_years(report.today, -years) + timedelta(days=1)
    db = rt.db("privacy")
    for person_ref, closed_on in await _candidates(rt, cutoff):
        try:
            async with db.unit_of_work() as uow:
                holds = await hold_states(uow.session, person_ref)
                if not due_for_erasure(closed_on, years, holds, report.today):
                    if any(h.active for h in holds):
                        report.held.append(person_ref)
                    continue
                await erase_person(uow, person_ref, "retention", Actor.service("privacy"), now)
                await uow.commit()
            report.erased.append(person_ref)
        except RetornoError as exc:
            report.failed[person_ref] = exc.detail
    if report.erased:
        await scrub_storage(db)
    return report
