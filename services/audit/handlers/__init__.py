"""One handler for every event: chain it into the log, then update the read models."""

from __future__ import annotations

from collections.abc import Mapping

from db.uow import UnitOfWork
from events.envelope import Envelope
from services.audit.domain.signing import Signing
from services.audit.handlers.appending import append
from services.audit.handlers.projections import project
from services.audit.settings import AuditSettings
from services.audit.usecases.keys import signer
from services.kit.definition import ANY_EVENT, Handler, Runtime


async def record_event(uow: UnitOfWork, event: Envelope, signing: Signing | None = None) -> None:
    """Append in the order received; a redelivered event (same id) changes nothing."""
    position = await append(uow, event, uow.clock(), signing)
    if position is not None:
        await project(uow.session, event, alone=len(uow.batch) <= 1)


def handlers(rt: Runtime) -> Mapping[str, Handler]:
    """Every event on the stream, including types added after this service was written.

    Each batch signs the head it leaves, and every ``checkpoint_every_events`` events (``AuditSettings``)
    a checkpoint is signed, stored and published on the stream.
    """
    signing = Signing(signer(rt), rt.settings_for(AuditSettings).checkpoint_every_events)

    async def handle(uow: UnitOfWork, event: Envelope) -> None:
        await record_event(uow, event, signing)

    return {ANY_EVENT: handle}
