"""The retention job: erase the personal data of everyone whose cases all ended more than
``PrivacySettings.retention_years_after_closure`` years ago, unless a legal hold is active.

Run periodically by the runtime and by ``retorno retention run``. Each erasure is its own
transaction, so one failure does not stop the others; the report says what happened.
"""

from __future__ import annotations

from datetime import timedelta

from events.envelope import Actor
from privacy.domain import add_years, due_for_erasure
from privacy.schemas import RetentionReport
from privacy.settings import PrivacySettings
from privacy.store import datakeys, records, registrations
from privacy.usecases.erasure import erase_person
from services.kit.definition import Runtime
from services.kit.errors import RetornoError


async def run_retention(rt: Runtime) -> RetentionReport:
    """Erase everyone due (see ``due_for_erasure``) and report who was erased, who is kept by
    a legal hold, and who could not be erased (with the reason)."""
    now = rt.clock()
    years = rt.settings_for(PrivacySettings).retention_years_after_closure
    report = RetentionReport(ran_at=now, today=now.date(), years=years)
    cutoff = add_years(report.today, -years) + timedelta(days=1)
    db = rt.db("privacy")
    async with db.reading() as session:
        candidates = await registrations.retention_candidates(session, cutoff)
    for person_ref, closed_on in candidates:
        try:
            async with db.unit_of_work() as uow:
                holds = await records.hold_states(uow.session, person_ref)
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
        await datakeys.scrub_storage(db)
    return report
