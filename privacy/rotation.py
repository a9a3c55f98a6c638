"""Master-key rotation, online: a new active master key, then every data key re-wrapped under it
in batches (each its own short transaction) while the system keeps running. Data is never
re-encrypted. Old master keys keep working until retired, which is refused while any data key
still depends on them.

CLI: ``retorno keys rotate`` -> ``rotate_master_key(rt)``; ``retorno keys retire KEY_ID`` ->
``retire_master_key(rt, key_id)``; ``retorno keys list`` -> ``master_key_usage(rt)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update

from db.uow import ServiceDatabase
from privacy import crypto, datakeys
from privacy.keyring import Keyring
from privacy.store import data_keys
from privacy.wiring import vault_of
from services.kit.definition import Runtime
from services.kit.errors import ConflictError


@dataclass(frozen=True)
class RotationReport:
    active_key_id: str
    rewrapped: int
    batches: int


async def rewrap_data_keys(
    db: ServiceDatabase, keyring: Keyring, *, batch_size: int = 500
) -> RotationReport:
    """Re-wrap every data key not under the active master key, ``batch_size`` per transaction."""
    rewrapped = batches = 0
    while True:
        active = keyring.active
        async with db.unit_of_work() as uow:
            query = (
                select(data_keys)
                .where(data_keys.c.key_id != active.key_id)
                .order_by(data_keys.c.person_ref)
                .limit(batch_size)
                .with_for_update()
            )
            rows = (await uow.session.execute(query)).all()
            if not rows:
                return RotationReport(active.key_id, rewrapped, batches)
            now = db.clock()
            for row in rows:
                key = datakeys.unwrap(keyring, row)
                wrapped = crypto.wrap_data_key(active.secret, active.key_id, row.person_ref, key)
                await uow.session.execute(
                    update(data_keys)
                    .where(data_keys.c.person_ref == row.person_ref)
                    .values(key_id=active.key_id, wrapped_key=wrapped, wrapped_at=now)
                )
            await uow.commit()
        rewrapped += len(rows)
        batches += 1


async def rotate_master_key(
    rt: Runtime, *, batch_size: int = 500, new_key: bool = True
) -> RotationReport:
    """Make a new master key active (key file only; with ``new_key=False`` keep the active one,
    e.g. after putting a new key first in RETORNO_MASTER_KEY), then re-wrap every data key."""
    keyring = vault_of(rt).keyring
    if new_key:
        keyring.add_active_key()
    return await rewrap_data_keys(rt.db("privacy"), keyring, batch_size=batch_size)


async def master_key_usage(rt: Runtime) -> dict[str, int]:
    """Data keys wrapped by each master key id in the keyring (0 for unused ones)."""
    keyring = vault_of(rt).keyring
    query = select(data_keys.c.key_id, func.count()).group_by(data_keys.c.key_id)
    async with rt.db("privacy").unit_of_work() as uow:
        counts = {r[0]: r[1] for r in await uow.session.execute(query)}
    return {key_id: counts.pop(key_id, 0) for key_id in keyring.key_ids()} | counts


async def retire_master_key(rt: Runtime, key_id: str) -> None:
    """Remove a master key from the key file; refused while data keys are wrapped by it."""
    keyring = vault_of(rt).keyring
    query = select(func.count()).where(data_keys.c.key_id == key_id)
    async with rt.db("privacy").unit_of_work() as uow:
        still = await uow.session.scalar(query.select_from(data_keys)) or 0
    if still:
        raise ConflictError(
            f"{still} data keys are still wrapped by master key '{key_id}'; run "
            "'retorno keys rotate' (or re-wrap) first"
        )
    keyring.remove(key_id)
