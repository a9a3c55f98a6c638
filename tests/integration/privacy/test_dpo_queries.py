"""The data protection officer's reads (``privacy.queries``) on a real database: what privacy
holds about a person without any personal data, and everyone's access log, filtered and
paged, newest first."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest

from privacy import queries
from privacy.domain import UnknownPersonError
from privacy.schemas import AccessFilter
from privacy.usecases import erasure, holds
from privacy.usecases.vault import Vault
from services.kit.definition import Runtime
from services.kit.identity import Principal
from tests.support import FakeClock


async def read(vault: Vault, ref: str, token: bytes, actor: str, purpose: str) -> None:
    await vault.decrypt_many(
        ref, {"family_name": token}, actor_id=actor, role="caseworker", purpose=purpose
    )


async def test_the_standing_of_a_person_follows_holds_and_erasure_and_names_no_one(
    rt: Runtime, vault: Vault, dpo: Principal, person_ref: str
) -> None:
    await vault.encrypt_many(person_ref, {"family_name": "Zzyzxquonk"})
    hold = await holds.place_legal_hold(rt, person_ref, "court order", dpo)

    held = await queries.person_standing(rt, person_ref)
    assert held.key_held and held.on_hold and held.erasure is None
    assert (
        "Zzyzxquonk" not in held.model_dump_json() and "court order" not in held.model_dump_json()
    )

    await holds.lift_legal_hold(rt, person_ref, hold.hold_id, dpo)
    await erasure.erase_on_request(rt, person_ref, dpo)
    erased = await queries.person_standing(rt, person_ref)
    assert not erased.key_held and not erased.on_hold
    assert erased.erasure is not None and erased.erasure.trigger == "request"

    with pytest.raises(UnknownPersonError):
        await queries.person_standing(rt, f"p_{secrets.token_hex(16)}")


async def test_the_access_log_is_filtered_and_paged_newest_first(
    rt: Runtime, vault: Vault, clock: FakeClock
) -> None:
    first, second = f"p_{secrets.token_hex(16)}", f"p_{secrets.token_hex(16)}"
    one = (await vault.encrypt_many(first, {"family_name": "A"}))["family_name"]
    two = (await vault.encrypt_many(second, {"family_name": "B"}))["family_name"]
    await read(vault, first, one, "ana", "case_management")
    clock.advance(days=2)
    await read(vault, second, two, "ana", "break_the_glass:medical")
    await read(vault, first, one, "luis", "subject_access")
    today = clock().date()

    everything = await queries.access_log(rt, AccessFilter(), page=1, size=2)
    rest = await queries.access_log(rt, AccessFilter(), page=2, size=2)
    by_ana = await queries.access_log(rt, AccessFilter(actor_id="ana"), page=1, size=10)
    glass = await queries.access_log(rt, AccessFilter(purpose="break_the_glass"), page=1, size=10)
    of_first = await queries.access_log(rt, AccessFilter(person_ref=first), page=1, size=10)
    earlier = await queries.access_log(
        rt, AccessFilter(date_to=today - timedelta(days=1)), page=1, size=10
    )
    underscore = await queries.access_log(rt, AccessFilter(purpose="case%"), page=1, size=10)

    assert everything.total == 3 and [e.actor_id for e in everything.items] == ["luis", "ana"]
    assert [e.purpose for e in rest.items] == ["case_management"]
    assert by_ana.total == 2 and glass.total == 1 and glass.items[0].person_ref == second
    assert [e.actor_id for e in of_first.items] == ["luis", "ana"]
    assert [e.purpose for e in earlier.items] == ["case_management"]
    assert underscore.total == 0  # the filter is a prefix, not a pattern
    assert everything.items[0].fields == ["family_name"]
