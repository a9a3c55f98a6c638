"""Following registration's corrections of a case before screening.

The funding service keeps, per case, what screening will commit against: the fund period,
the destination, ``allow_partial`` and the requested lines. A correction replaces them, so
the screening that follows commits the corrected lines.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, update

from db.uow import UnitOfWork
from events.envelope import Envelope
from events.registration import CaseCorrected, RequestedLine
from services.funding import store
from services.kit.errors import WaitingForEvent

log = logging.getLogger(__name__)


async def on_case_corrected(uow: UnitOfWork, event: Envelope) -> None:
    """Replace the case's period, destination, ``allow_partial`` and requested lines."""
    if event.version != CaseCorrected.version:
        log.warning("ignoring %s version %s", event.type, event.version)
        return
    p = event.parse(CaseCorrected)
    case = await store.case(uow.session, p.case_id)
    if case is None:  # redelivered before its registration after a crash: wait for it
        raise WaitingForEvent(
            "case_id", p.case_id, f"case {p.case_id} corrected before its registration"
        )
    if case.status != "registered":
        # Registration corrects only cases not yet screened; this one was decided already.
        log.warning("correction of case %s in funding status %s ignored", p.case_id, case.status)
        return
    cases, lines = store.cases, store.case_lines
    await uow.session.execute(
        update(cases)
        .where(cases.c.case_id == p.case_id)
        .values(
            period=p.fund_period,
            destination_country=p.destination_country,
            allow_partial=p.allow_partial,
            updated_at=uow.clock(),
        )
    )
    await uow.session.execute(delete(lines).where(lines.c.case_id == p.case_id))
    await store.insert_rows(uow.session, lines, line_rows(p.case_id, p.requested))


def line_rows(case_id: uuid.UUID, requested: Sequence[RequestedLine]) -> list[dict[str, Any]]:
    """The rows of ``funding_case_lines`` for a case's requested lines, in order."""
    return [
        {
            "case_id": case_id,
            "position": i,
            "person_ref": line.person_ref,
            "category": line.category,
            "amount_cents": line.amount_cents,
            "currency": line.currency,
        }
        for i, line in enumerate(requested)
    ]
