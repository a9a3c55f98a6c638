"""One handler for every event: chain it into the log, then update the read models."""

from __future__ import annotations

from collections.abc import Mapping

from db.uow import UnitOfWork
from events.envelope import Envelope
from services.audit.log import append
from services.audit.projections import project
from services.kit.definition import ANY_EVENT, Handler, Runtime


async def record_event(uow: UnitOfWork, event: Envelope) -> None:
    """Append in the order received; a redelivered event (same id) changes nothing."""
    position = await append(uow, event, uow.clock())
    if position is not None:
        await project(uow.session, event)


def handlers(rt: Runtime) -> Mapping[str, Handler]:
    """Every event on the stream, including types added after this service was written."""
    return {ANY_EVENT: record_event}
