"""What the funding service does when registration tells it about a case: thin handlers that
parse the event and call the step of ``usecases.cases`` in the runner's unit of work."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Literal

from db.uow import UnitOfWork
from events.envelope import Envelope
from events.registration import (
    CaseCancelled,
    CaseCorrected,
    CaseScreened,
    CaseWithdrawn,
    ReturnRegistered,
)
from events.reintegration import AssistanceRecorded
from services.funding.usecases import cases
from services.kit.definition import Handler, Runtime

log = logging.getLogger(__name__)


async def on_return_registered(uow: UnitOfWork, event: Envelope) -> None:
    if event.version != ReturnRegistered.version:
        return
    await cases.learn_case(uow, event.parse(ReturnRegistered))


async def on_case_corrected(uow: UnitOfWork, event: Envelope) -> None:
    if event.version != CaseCorrected.version:
        log.warning("ignoring %s version %s", event.type, event.version)
        return
    await cases.correct_case(uow, event.parse(CaseCorrected))


async def on_case_screened(uow: UnitOfWork, event: Envelope) -> None:
    if event.version != CaseScreened.version:
        return
    await cases.screen_case(uow, event.parse(CaseScreened))


def _release_on(
    step: Literal["withdrawn", "cancelled"], model: type[CaseWithdrawn] | type[CaseCancelled]
) -> Handler:
    async def handle(uow: UnitOfWork, event: Envelope) -> None:
        if event.version != model.version:
            return
        await cases.close_case(uow, event.parse(model).case_id, step)

    return handle


async def on_assistance_recorded(uow: UnitOfWork, event: Envelope) -> None:
    if event.version != AssistanceRecorded.version:
        log.warning("ignoring %s version %s", event.type, event.version)
        return
    await cases.commit_reintegration_grants(uow, event.parse(AssistanceRecorded))


def handlers(rt: Runtime) -> Mapping[str, Handler]:
    return {
        AssistanceRecorded.type_name(): on_assistance_recorded,
        ReturnRegistered.type_name(): on_return_registered,
        CaseCorrected.type_name(): on_case_corrected,
        CaseScreened.type_name(): on_case_screened,
        CaseWithdrawn.type_name(): _release_on("withdrawn", CaseWithdrawn),
        CaseCancelled.type_name(): _release_on("cancelled", CaseCancelled),
    }
