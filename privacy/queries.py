"""Privacy's reads on ``db.reading()``: master keys in use, a person's legal holds."""

from __future__ import annotations

from privacy.schemas import LegalHold
from privacy.store import as_utc, datakeys, records
from privacy.store.keyring import keyring_of
from services.kit.definition import Runtime


async def master_key_usage(rt: Runtime) -> dict[str, int]:
    """Data keys wrapped by each master key id in the keyring (0 for unused ones)."""
    keyring = keyring_of(rt)
    async with rt.db("privacy").reading() as session:
        counts = await datakeys.count_by_master_key(session)
    return {key_id: counts.pop(key_id, 0) for key_id in keyring.key_ids()} | counts


async def legal_holds_of(rt: Runtime, person_ref: str) -> list[LegalHold]:
    """The person's holds, without their (encrypted) reasons."""
    async with rt.db("privacy").reading() as session:
        rows = await records.hold_rows(session, person_ref)
    return [
        LegalHold(
            hold_id=r.hold_id,
            person_ref=r.person_ref,
            placed_by=r.placed_by,
            placed_at=as_utc(r.placed_at),
            lifted_by=r.lifted_by,
            lifted_at=as_utc(r.lifted_at) if r.lifted_at is not None else None,
        )
        for r in rows
    ]
