"""Master-key rotation, online: a new active master key, then every data key re-wrapped under it
in batches (each its own short transaction) while the system keeps running. Data is never
re-encrypted. Old master keys keep working until retired, which is refused while any data key
still depends on them.

CLI: ``retorno keys rotate`` -> ``rotate_master_key(rt)``; ``retorno keys retire KEY_ID`` ->
``retire_master_key(rt, key_id)``; ``retorno keys list`` -> ``queries.master_key_usage(rt)``.
"""

from __future__ import annotations

from db.uow import ServiceDatabase
from privacy.domain import MasterKeyInUseError, crypto
from privacy.schemas import RotationReport
from privacy.store import datakeys
from privacy.store.keyring import Keyring, keyring_of
from services.kit.definition import Runtime


async def rewrap_data_keys(
    db: ServiceDatabase, keyring: Keyring, *, batch_size: int = 500
) -> RotationReport:
    """Re-wrap every data key not under the active master key, ``batch_size`` per transaction."""
    rewrapped = batches = 0
    while True:
        active = keyring.active
        async with db.unit_of_work() as uow:
            rows = await datakeys.rows_not_under(uow.session, active.key_id, batch_size)
            if not rows:
                return RotationReport(
                    active_key_id=active.key_id, rewrapped=rewrapped, batches=batches
                )
            now = db.clock()
            for row in rows:
                key = datakeys.unwrap(keyring, row)
                wrapped = crypto.wrap_data_key(active.secret, active.key_id, row.person_ref, key)
                await datakeys.rewrap(uow.session, row.person_ref, active.key_id, wrapped, now)
            await uow.commit()
        rewrapped += len(rows)
        batches += 1


async def rotate_master_key(
    rt: Runtime, *, batch_size: int = 500, new_key: bool = True
) -> RotationReport:
    """Make a new master key active (key file only; with ``new_key=False`` keep the active one,
    e.g. after putting a new key first in RETORNO_MASTER_KEY), then re-wrap every data key."""
    keyring = keyring_of(rt)
    if new_key:
        keyring.add_active_key()
    return await rewrap_data_keys(rt.db("privacy"), keyring, batch_size=batch_size)


async def retire_master_key(rt: Runtime, key_id: str) -> None:
    """Remove a master key from the key file; refused while data keys are wrapped by it."""
    keyring = keyring_of(rt)
    async with rt.db("privacy").reading() as session:
        still = await datakeys.count_wrapped_by(session, key_id)
    if still:
        raise MasterKeyInUseError(
            f"{still} data keys are still wrapped by master key '{key_id}'; run "
            "'retorno keys rotate' (or re-wrap) first"
        )
    keyring.remove(key_id)
