from __future__ import annotations

import secrets

import pytest
from sqlalchemy import select

from privacy.domain import crypto
from privacy.queries import master_key_usage
from privacy.store import data_keys
from privacy.store.keyring import load_keyring
from privacy.usecases.rotation import retire_master_key, rotate_master_key
from privacy.usecases.vault import Vault
from services.kit.definition import Runtime
from services.kit.errors import ConflictError


def new_ref() -> str:
    return f"p_{secrets.token_hex(16)}"


async def wrapped_rows(vault: Vault) -> list:
    async with vault.db.unit_of_work() as uow:
        return list((await uow.session.execute(select(data_keys))).all())


async def encrypt_people(vault: Vault, count: int) -> dict[str, bytes]:
    return {
        ref: await vault.encrypt(ref, "name", f"N{i}")
        for i, ref in enumerate(new_ref() for _ in range(count))
    }


async def test_after_rotation_everything_still_reads(rt: Runtime, vault: Vault) -> None:
    tokens = await encrypt_people(vault, 7)
    old_id = vault.keyring.active.key_id

    report = await rotate_master_key(rt, batch_size=3)

    assert report.rewrapped == 7 and report.batches == 3
    assert report.active_key_id != old_id
    assert {r.key_id for r in await wrapped_rows(vault)} == {report.active_key_id}
    for ref, token in tokens.items():
        assert await vault.decrypt(ref, "name", token, actor_id="u", role="r", purpose="p")


async def test_the_old_master_key_alone_cannot_unwrap_the_new_data_keys(
    rt: Runtime, vault: Vault
) -> None:
    await encrypt_people(vault, 3)
    old = vault.keyring.active

    await rotate_master_key(rt)

    for row in await wrapped_rows(vault):
        for key_id in (old.key_id, row.key_id):
            with pytest.raises(crypto.KeyUnwrapError):
                crypto.unwrap_data_key(old.secret, key_id, row.person_ref, row.wrapped_key)


async def test_a_running_vault_follows_a_rotation_made_by_another_process(
    rt: Runtime, vault: Vault
) -> None:
    tokens = await encrypt_people(vault, 2)
    cli_keyring = load_keyring(rt.settings.data_dir)

    new = cli_keyring.add_active_key()
    late = new_ref()
    late_token = await vault.encrypt(late, "name", "late")

    assert vault.keyring.active.key_id == new.key_id
    assert {r.key_id for r in await wrapped_rows(vault) if r.person_ref == late} == {new.key_id}
    await rotate_master_key(rt, new_key=False)
    for ref, token in {**tokens, late: late_token}.items():
        assert await vault.decrypt(ref, "name", token, actor_id="u", role="r", purpose="p")


async def test_an_old_master_key_can_be_retired_only_once_unused(rt: Runtime, vault: Vault) -> None:
    tokens = await encrypt_people(vault, 2)
    old_id = vault.keyring.active.key_id
    vault.keyring.add_active_key()

    with pytest.raises(ConflictError, match="still wrapped"):
        await retire_master_key(rt, old_id)
    await rotate_master_key(rt, new_key=False)
    await retire_master_key(rt, old_id)

    assert old_id not in await master_key_usage(rt)
    assert list((await master_key_usage(rt)).values()) == [2]
    for ref, token in tokens.items():
        assert await vault.decrypt(ref, "name", token, actor_id="u", role="r", purpose="p")
