from __future__ import annotations

import shutil
import sqlite3
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from events.envelope import Actor, Envelope, new_envelope
from events.registration import CaseClosed, CaseScreened, ReturnRegistered
from privacy.domain import LegalHoldActiveError, PersonInOpenCaseError, crypto
from privacy.service import SERVICE
from privacy.store import data_keys, messaging
from privacy.usecases.erasure import erase_on_request
from privacy.usecases.holds import lift_legal_hold, place_legal_hold
from privacy.usecases.retention import run_retention
from privacy.usecases.vault import Vault
from services.kit.definition import Runtime
from services.kit.identity import Principal
from tests.support import deliver, person_facts

SENTINEL = "Sentinel Qwertyuiop"


def registration_like_db(path: Path, person_ref: str, tokens: dict[str, bytes]) -> None:
    """Another service's database holding only ciphertexts, like registration's."""
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE people (person_ref TEXT, field TEXT, token BLOB)")
        connection.executemany(
            "INSERT INTO people VALUES (?, ?, ?)",
            [(person_ref, f, t) for f, t in tokens.items()],
        )
    connection.close()


def tokens_in(path: Path) -> dict[str, bytes]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT field, token FROM people").fetchall()
    connection.close()
    return dict(rows)


async def remaining_data_keys(vault: Vault) -> list[bytes]:
    """Every data key that can still be unwrapped with every master key left."""
    found = []
    async with vault.db.unit_of_work() as uow:
        rows = (await uow.session.execute(select(data_keys))).all()
    for row in rows:
        for key_id in vault.keyring.key_ids():
            try:
                secret = vault.keyring.get(key_id).secret
                found.append(
                    crypto.unwrap_data_key(secret, key_id, row.person_ref, row.wrapped_key)
                )
            except crypto.CryptoError:
                pass
    return found


async def events(vault: Vault) -> list[Envelope]:
    async with vault.db.unit_of_work() as uow:
        return [
            Envelope.from_bytes(b)
            for b in await uow.session.scalars(select(messaging.outbox.c.body))
        ]


async def test_after_erasure_data_reads_as_erased(
    rt: Runtime, vault: Vault, person_ref: str, dpo: Principal
) -> None:
    tokens = await vault.encrypt_many(person_ref, {"name": SENTINEL})
    await vault.record_consent(person_ref, "assistance", True, recorded_by="u")

    erasure = await erase_on_request(rt, person_ref, dpo)

    assert await vault.is_erased(person_ref)
    assert await vault.decrypt_many(
        person_ref, tokens, actor_id="u", role="dpo", purpose="subject_access"
    ) == {"name": None}
    assert not await vault.has_consent(person_ref, "assistance")
    proof = [e for e in await events(vault) if e.type == "privacy.personal_data_erased"]
    assert [e.payload["key_fingerprint"] for e in proof] == [erasure.key_fingerprint]
    assert proof[0].payload["trigger"] == "request" and SENTINEL not in proof[0].model_dump_json()


async def test_erasing_twice_returns_the_first_erasure(
    rt: Runtime, vault: Vault, person_ref: str, dpo: Principal
) -> None:
    await vault.new_person(person_ref)

    first = await erase_on_request(rt, person_ref, dpo)

    assert await erase_on_request(rt, person_ref, dpo) == first


async def test_a_copy_taken_before_erasure_cannot_be_decrypted_with_the_keys_that_remain(
    rt: Runtime, vault: Vault, person_ref: str, dpo: Principal, tmp_path: Path
) -> None:
    tokens = await vault.encrypt_many(person_ref, {"name": SENTINEL, "doc": "D-1"})
    registration_like_db(tmp_path / "registration.db", person_ref, tokens)
    shutil.copy(tmp_path / "registration.db", tmp_path / "backup.db")
    await vault.new_person(f"p_{uuid.uuid4().hex}")

    await erase_on_request(rt, person_ref, dpo)

    old_tokens = tokens_in(tmp_path / "backup.db")
    assert await vault.decrypt_many(
        person_ref, old_tokens, actor_id="u", role="dpo", purpose="audit"
    ) == {"name": None, "doc": None}
    keys = await remaining_data_keys(vault)
    assert len(keys) == 1
    for key in keys:
        for field, token in old_tokens.items():
            with pytest.raises(crypto.CryptoError):
                crypto.decrypt_field(key, person_ref, field, token)


async def test_the_destroyed_wrapped_key_is_gone_from_the_sqlite_files(
    rt: Runtime, vault: Vault, person_ref: str, dpo: Principal, database_url: str
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("inspects SQLite files")
    await vault.new_person(person_ref)
    async with vault.db.unit_of_work() as uow:
        wrapped = await uow.session.scalar(select(data_keys.c.wrapped_key))
    assert wrapped

    await erase_on_request(rt, person_ref, dpo)

    path = Path(database_url.split("///", 1)[1])
    for file in path.parent.glob(path.name + "*"):
        assert wrapped not in file.read_bytes(), file.name


async def test_a_legal_hold_blocks_erasure_on_request(
    rt: Runtime, vault: Vault, person_ref: str, dpo: Principal
) -> None:
    await vault.new_person(person_ref)
    await place_legal_hold(rt, person_ref, "Court order 12/2030", dpo)

    with pytest.raises(LegalHoldActiveError, match="legal hold"):
        await erase_on_request(rt, person_ref, dpo)

    assert not await vault.is_erased(person_ref)


async def apply(
    rt: Runtime, payload: ReturnRegistered | CaseClosed | CaseScreened, at: datetime | None = None
) -> None:
    """Privacy's consumer applies registration's event through its inbox."""
    envelope = new_envelope(payload, actor=Actor.service("registration"), occurred_at=at)
    await deliver(rt, SERVICE, envelope)


async def register(rt: Runtime, refs: list[str]) -> uuid.UUID:
    case_id = uuid.uuid4()
    people = [person_facts(r) for r in refs]
    registered = ReturnRegistered(
        case_id=case_id,
        fund_period="2030",
        office="GT-01",
        requester_type="international_organisation",
        departure_country="MX",
        destination_country="GT",
        registered_on=date(2030, 1, 1),
        people=people,
    )
    await apply(rt, registered)
    await apply(rt, registered)  # redelivered: no effect
    return case_id


async def register_and_close(rt: Runtime, refs: list[str], closed_on: date) -> None:
    case_id = await register(rt, refs)
    await apply(
        rt,
        CaseClosed(
            case_id=case_id,
            office="GT-01",
            from_status="monitoring",
            to_status="closed",
            closed_on=closed_on,
        ),
    )


async def test_the_retention_job_erases_people_closed_long_enough_ago(
    rt: Runtime, vault: Vault, clock
) -> None:
    old, recent, unclosed = (f"p_{uuid.uuid4().hex}" for _ in range(3))
    for ref in (old, recent, unclosed):
        await vault.new_person(ref)
    today = clock().date()
    await register_and_close(rt, [old], date(today.year - 5, today.month, today.day))
    await register_and_close(rt, [recent], date(today.year - 4, today.month, today.day))

    report = await run_retention(rt)

    assert report.erased == [old] and report.held == [] and report.failed == {}
    assert await vault.is_erased(old)
    assert not await vault.is_erased(recent) and not await vault.is_erased(unclosed)


async def test_lifting_a_legal_hold_lets_the_retention_job_erase(
    rt: Runtime, vault: Vault, person_ref: str, dpo: Principal
) -> None:
    await vault.new_person(person_ref)
    await register_and_close(rt, [person_ref], date(2020, 1, 1))
    hold = await place_legal_hold(rt, person_ref, "Pending appeal", dpo)

    held = await run_retention(rt)
    await lift_legal_hold(rt, person_ref, hold.hold_id, dpo)
    released = await run_retention(rt)

    assert held.erased == [] and held.held == [person_ref]
    assert released.erased == [person_ref]
    assert await vault.is_erased(person_ref)
    kinds = [(e.type, e.payload.get("active")) for e in await events(vault)]
    assert ("privacy.legal_hold_changed", True) in kinds
    assert ("privacy.legal_hold_changed", False) in kinds


async def test_a_case_screened_ineligible_long_ago_is_erased_by_the_retention_job(
    rt: Runtime, vault: Vault, person_ref: str, clock
) -> None:
    await vault.new_person(person_ref)
    case_id = await register(rt, [person_ref])
    screened = CaseScreened(
        case_id=case_id,
        office="GT-01",
        from_status="registered",
        to_status="ineligible",
        reason_code="no_vulnerability",
        eligible=False,
    )
    await apply(rt, screened, at=clock() - timedelta(days=366 * 5 + 2))

    report = await run_retention(rt)

    assert report.erased == [person_ref]


async def test_erasing_a_person_in_an_open_case_needs_a_reason(
    rt: Runtime, vault: Vault, person_ref: str, dpo: Principal
) -> None:
    await vault.new_person(person_ref)
    case_id = await register(rt, [person_ref])

    with pytest.raises(PersonInOpenCaseError, match="still open") as refused:
        await erase_on_request(rt, person_ref, dpo)
    assert refused.value.extra["open_cases"] == [str(case_id)]
    assert not await vault.is_erased(person_ref)

    await erase_on_request(rt, person_ref, dpo, override_reason="data_subject_objection")

    assert await vault.is_erased(person_ref)
    [proof] = [e for e in await events(vault) if e.type == "privacy.personal_data_erased"]
    assert proof.payload["override_reason"] == "data_subject_objection"


async def test_a_person_whose_cases_ended_is_erased_on_request_without_a_reason(
    rt: Runtime, vault: Vault, person_ref: str, dpo: Principal
) -> None:
    await vault.new_person(person_ref)
    await register_and_close(rt, [person_ref], date(2030, 6, 1))

    await erase_on_request(rt, person_ref, dpo)

    assert await vault.is_erased(person_ref)
