"""Signing checkpoints of a verified log, and the periodic verify-and-checkpoint job."""

from __future__ import annotations

import logging

from events.audit import CheckpointSigned
from services.audit import store
from services.audit.domain import AuditLogNotIntactError
from services.audit.domain.checkpoints import Checkpoint
from services.audit.domain.signing import sign
from services.audit.schemas import LogVerification
from services.audit.store import chain as sql
from services.audit.usecases.keys import signer
from services.audit.usecases.verify import verify_log
from services.kit.definition import Runtime

log = logging.getLogger("retorno.audit")


async def make_checkpoint(rt: Runtime, *, force: bool = False) -> Checkpoint | None:
    """Sign the head of a verified log, store it and publish it on the stream (through the
    outbox); None when the log is empty or already checkpointed.

    A log that fails verification is never signed: that would vouch for the tampering.
    """
    verification = await verify_log(rt, incremental=True)
    return await _checkpoint_verified(rt, verification, force=force)


async def _checkpoint_verified(
    rt: Runtime, verification: LogVerification, *, force: bool = False
) -> Checkpoint | None:
    if verification.problem is not None:
        raise AuditLogNotIntactError(
            f"The audit log is not intact ({verification.problem.detail}); no checkpoint was "
            "signed. Investigate with 'retorno audit verify'."
        )
    position, digest = verification.chain.head_position, verification.chain.head_hash
    latest = max((s.checkpoint.position for s in verification.checkpoints), default=0)
    if position == 0 or (position == latest and not force):
        return None
    checkpoint = sign(signer(rt), position, digest, rt.clock())
    async with rt.db(store.NAME).unit_of_work() as uow:
        await sql.insert_checkpoint(uow.session, checkpoint)
        uow.emit(CheckpointSigned(**checkpoint.model_dump()))
        await uow.commit()
    return checkpoint


async def checkpoint_job(rt: Runtime) -> None:
    """The audit service's periodic job: verify from where this process last verified,
    store the outcome (for /health), and sign a checkpoint if the log grew."""
    verification = await verify_log(rt, incremental=True)
    await _store_outcome(rt, verification)
    if verification.intact:
        await _checkpoint_verified(rt, verification)
    else:
        assert verification.problem is not None
        log.error("audit log verification failed: %s", verification.problem.detail)


async def _store_outcome(rt: Runtime, verification: LogVerification) -> None:
    problem = verification.problem
    row = {
        "ok": verification.intact,
        "position": verification.chain.head_position,
        "verified_at": verification.verified_at,
        "problem_position": problem.position if problem else None,
        "problem_kind": problem.kind if problem else None,
        "detail": problem.detail if problem else None,
        "broker_checked": verification.broker_checked,
    }
    async with rt.db(store.NAME).unit_of_work() as uow:
        await sql.save_verification(uow.session, row)
        await uow.commit()
