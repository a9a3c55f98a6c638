"""Use cases the API and the CLI share: verify the log, sign and check checkpoints, read."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.audit import store
from services.audit.checkpoints import (
    Checkpoint,
    CheckpointStatus,
    check_checkpoint,
    checkpoint_message,
    first_rewrite,
)
from services.audit.domain import ChainProblem, VerifyResult, recompute, verify
from services.audit.log import load_head, load_records
from services.audit.queries import as_utc
from services.audit.signing import CheckpointSigner, signature_valid
from services.kit.definition import Runtime
from services.kit.errors import ConflictError

SERVICE_NAME = "audit"
SIGNER = "audit.signer"  # key of the CheckpointSigner in Runtime.parts
T = TypeVar("T")


def signer(rt: Runtime) -> CheckpointSigner:
    """The checkpoint signer, loaded (or created) from the data directory on first use."""
    found = rt.parts.get(SIGNER)
    if found is None:
        found = CheckpointSigner.load_or_create(rt.settings.data_dir)
        rt.parts[SIGNER] = found
    return found  # type: ignore[no-any-return]


async def read(rt: Runtime, query: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run a read-only query in one transaction of the audit database."""
    async with rt.db(SERVICE_NAME).reading() as session:
        return await query(session)


class LogVerification(BaseModel):
    intact: bool
    verified_at: datetime
    chain: VerifyResult
    checkpoints: list[CheckpointStatus]
    problem: ChainProblem | None = None


async def verify_log(rt: Runtime) -> LogVerification:
    """Recompute the chain, then hold every stored checkpoint against the recomputed hashes."""
    async with rt.db(SERVICE_NAME).reading() as session:
        records = await load_records(session)
        head = await load_head(session)
        stored = await _checkpoints(session)
    chain = verify(records, head)
    hashes = recompute(records)
    key = signer(rt)

    def ok(message: bytes, signature: str) -> bool:
        return signature_valid(key.public_key, message, signature)

    statuses = [check_checkpoint(cp, hashes.get(cp.position), ok, key.key_id) for cp in stored]
    problem = chain.problem or first_rewrite(statuses)
    return LogVerification(
        intact=problem is None,
        verified_at=rt.clock(),
        chain=chain,
        checkpoints=statuses,
        problem=problem,
    )


async def make_checkpoint(rt: Runtime, *, force: bool = False) -> Checkpoint | None:
    """Sign the head of a verified log; None when the log is empty or already checkpointed.

    A log that fails verification is never signed: that would vouch for the tampering.
    """
    verification = await verify_log(rt)
    if verification.problem is not None:
        raise ConflictError(
            f"The audit log is not intact ({verification.problem.detail}); no checkpoint was "
            "signed. Investigate with 'retorno audit verify'."
        )
    position, digest = verification.chain.head_position, verification.chain.head_hash
    latest = max((s.checkpoint.position for s in verification.checkpoints), default=0)
    if position == 0 or (position == latest and not force):
        return None
    key = signer(rt)
    signed_at = rt.clock()
    checkpoint = Checkpoint(
        position=position,
        hash=digest,
        signed_at=signed_at,
        key_id=key.key_id,
        signature=key.sign(checkpoint_message(position, digest, signed_at)),
    )
    async with rt.db(SERVICE_NAME).unit_of_work() as uow:
        await uow.session.execute(insert(store.checkpoints), [checkpoint.model_dump()])
        await uow.commit()
    return checkpoint


async def checkpoint_job(rt: Runtime) -> None:
    await make_checkpoint(rt)


async def list_checkpoints(rt: Runtime) -> list[Checkpoint]:
    return await read(rt, _checkpoints)


async def verify_checkpoint(rt: Runtime, checkpoint: Checkpoint) -> CheckpointStatus:
    """Check a checkpoint someone kept (e.g. exported months ago) against today's log."""
    async with rt.db(SERVICE_NAME).reading() as session:
        records = await load_records(session)
    key = signer(rt)

    def ok(message: bytes, signature: str) -> bool:
        return signature_valid(key.public_key, message, signature)

    return check_checkpoint(checkpoint, recompute(records).get(checkpoint.position), ok, key.key_id)


def public_key_pem(rt: Runtime) -> str:
    return signer(rt).public_key_pem()


async def _checkpoints(session: AsyncSession) -> list[Checkpoint]:
    c = store.checkpoints.c
    rows = await session.execute(
        select(c.position, c.hash, c.signed_at, c.key_id, c.signature).order_by(c.position, c.id)
    )
    return [
        Checkpoint.model_validate({**r._mapping, "signed_at": as_utc(r.signed_at)}) for r in rows
    ]
