"""The stored checkpoints, and the chain's health as the periodic verification left it."""

from __future__ import annotations

from typing import Any

from services.audit import store
from services.audit.domain.dates import as_utc
from services.audit.schemas import Checkpoint
from services.audit.store import chain
from services.kit.definition import Runtime


async def list_checkpoints(rt: Runtime) -> list[Checkpoint]:
    async with rt.db(store.NAME).reading() as session:
        return await chain.load_checkpoints(session)


async def chain_health(rt: Runtime) -> dict[str, Any]:
    """For /health (the node's report, merged with the other checks): the periodic
    verification's last outcome and the last checkpoint's age. Not ok when verification
    failed; nothing personal."""
    async with rt.db(store.NAME).reading() as session:
        row = await chain.load_verification(session)
        last = await chain.last_checkpoint_at(session)
    now = rt.clock()
    report: dict[str, Any] = {
        "ok": row is None or bool(row.ok),
        "verified_position": row.position if row else None,
        "verified_at": as_utc(row.verified_at).isoformat() if row else None,
        "broker_checked": bool(row.broker_checked) if row else None,
        "last_checkpoint_age_seconds": (
            round((now - last).total_seconds(), 1) if last is not None else None
        ),
    }
    if row is not None and not row.ok:
        report["problem"] = {"position": row.problem_position, "kind": row.problem_kind}
    return report
