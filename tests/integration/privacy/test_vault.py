from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from db.engine import statement_counter
from events.envelope import Actor, Envelope
from privacy.domain import PersonKeyNotFoundError
from privacy.domain.crypto import CryptoError
from privacy.store import messaging
from privacy.usecases.erasure import erase_person
from privacy.usecases.vault import Vault
from services.kit.errors import ForbiddenError, InvalidInputError

SENTINEL_NAME = "Zyxwvu Sentinelname"
SENTINEL_DOC = "DOC-SENTINEL-4242"


def new_ref() -> str:
    return f"p_{secrets.token_hex(16)}"


async def read(vault: Vault, ref: str, tokens: dict[str, bytes]) -> dict[str, str | None]:
    return await vault.decrypt_many(
        ref, tokens, actor_id="u_case", role="caseworker", purpose="case_work"
    )


async def outbox(vault: Vault) -> list[Envelope]:
    async with vault.db.unit_of_work() as uow:
        bodies = await uow.session.scalars(select(messaging.outbox.c.body))
        return [Envelope.from_bytes(b) for b in bodies]


async def test_values_round_trip_through_the_vault(vault: Vault, person_ref: str) -> None:
    await vault.new_person(person_ref)
    await vault.new_person(person_ref)

    tokens = await vault.encrypt_many(person_ref, {"name": "Ana", "document_number": "X1"})

    assert await read(vault, person_ref, tokens) == {"name": "Ana", "document_number": "X1"}


async def test_encrypting_makes_the_data_key_when_absent(vault: Vault, person_ref: str) -> None:
    token = await vault.encrypt(person_ref, "name", "Ana")

    assert (
        await vault.decrypt(
            person_ref, "name", token, actor_id="u", role="caseworker", purpose="case_work"
        )
        == "Ana"
    )


async def test_a_value_moved_to_another_person_fails(vault: Vault, person_ref: str) -> None:
    other = new_ref()
    token = await vault.encrypt(person_ref, "name", "Ana")
    await vault.new_person(other)

    with pytest.raises(CryptoError):
        await read(vault, other, {"name": token})


async def test_a_value_moved_to_another_field_fails(vault: Vault, person_ref: str) -> None:
    token = await vault.encrypt(person_ref, "document_number", "X1")

    with pytest.raises(CryptoError):
        await read(vault, person_ref, {"name": token})


async def test_a_tampered_value_is_detected(vault: Vault, person_ref: str) -> None:
    token = bytearray(await vault.encrypt(person_ref, "name", "Ana"))
    token[-5] ^= 0xFF

    with pytest.raises(CryptoError, match="tampered"):
        await read(vault, person_ref, {"name": bytes(token)})


async def test_reading_an_unknown_person_is_not_found(vault: Vault) -> None:
    with pytest.raises(PersonKeyNotFoundError):
        await read(vault, new_ref(), {"name": b"x" * 40})


async def test_each_read_writes_one_access_log_row_without_values(
    vault: Vault, person_ref: str
) -> None:
    tokens = await vault.encrypt_many(person_ref, {"name": SENTINEL_NAME, "doc": SENTINEL_DOC})

    await read(vault, person_ref, tokens)

    [entry] = await vault.access_log(person_ref)
    assert (entry.actor_id, entry.role, entry.purpose) == ("u_case", "caseworker", "case_work")
    assert entry.fields == ("name", "doc")
    assert SENTINEL_NAME not in repr(entry) and SENTINEL_DOC not in repr(entry)


async def test_no_plaintext_reaches_the_privacy_database_file(
    vault: Vault, person_ref: str, database_url: str
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("greps the SQLite files")
    tokens = await vault.encrypt_many(person_ref, {"name": SENTINEL_NAME, "doc": SENTINEL_DOC})
    await read(vault, person_ref, tokens)
    await vault.record_consent(person_ref, "assistance", True, recorded_by="u_case")

    path = Path(database_url.split("///", 1)[1])
    for file in path.parent.glob(path.name + "*"):
        content = file.read_bytes()
        assert SENTINEL_NAME.encode() not in content
        assert SENTINEL_DOC.encode() not in content


async def test_consent_is_per_purpose_and_can_be_withdrawn(vault: Vault, person_ref: str) -> None:
    await vault.record_consent(person_ref, "follow_up_contact", True, recorded_by="u_case")

    assert await vault.has_consent(person_ref, "follow_up_contact")
    assert not await vault.has_consent(person_ref, "assistance")

    await vault.record_consent(person_ref, "follow_up_contact", False, recorded_by="u_case")

    assert not await vault.has_consent(person_ref, "follow_up_contact")
    with pytest.raises(ForbiddenError, match="follow-up contact"):
        await vault.require_consent(person_ref, "follow_up_contact")
    history = await vault.consents(person_ref)
    assert [(c.purpose, c.granted, c.recorded_by) for c in history] == [
        ("follow_up_contact", True, "u_case"),
        ("follow_up_contact", False, "u_case"),
    ]


async def test_sharing_consent_covers_only_the_named_partner(vault: Vault, person_ref: str) -> None:
    await vault.record_consent(
        person_ref, "partner_sharing", True, recorded_by="u_case", partner="Cruz Roja"
    )

    await vault.require_consent(person_ref, "partner_sharing", "Cruz Roja")
    assert not await vault.has_consent(person_ref, "partner_sharing", "Other NGO")
    with pytest.raises(InvalidInputError):
        await vault.has_consent(person_ref, "partner_sharing")


async def test_a_consent_change_is_emitted_through_the_outbox(
    vault: Vault, person_ref: str
) -> None:
    await vault.record_consent(
        person_ref, "assistance", True, recorded_by="u_case", role="caseworker"
    )

    [event] = await outbox(vault)
    assert event.type == "privacy.consent_changed"
    assert event.payload == {
        "person_ref": person_ref,
        "purpose": "assistance",
        "partner": None,
        "granted": True,
    }
    assert (event.actor.id, event.actor.role) == ("u_case", "caseworker")


async def test_encrypting_several_people_makes_their_missing_keys_in_one_commit(
    vault: Vault, person_ref: str
) -> None:
    earlier = await vault.encrypt_many(person_ref, {"name": "Ana"})
    fresh = [new_ref(), new_ref()]
    commits = statement_counter(vault.db.engine).commits

    sealed = await vault.encrypt_people(
        {person_ref: {"name": "Ana B"}, fresh[0]: {"name": "Luis"}, fresh[1]: {"name": "Eva"}}
    )

    assert statement_counter(vault.db.engine).commits == commits + 1
    assert await read(vault, person_ref, earlier) == {"name": "Ana"}  # the key was kept
    assert await read(vault, person_ref, dict(sealed[person_ref])) == {"name": "Ana B"}
    assert await read(vault, fresh[1], dict(sealed[fresh[1]])) == {"name": "Eva"}
    again = await vault.encrypt_people({ref: {"name": "x"} for ref in fresh})
    # three logged reads commit; existing keys are read without a commit
    assert statement_counter(vault.db.engine).commits == commits + 1 + 3
    assert await read(vault, fresh[0], dict(again[fresh[0]])) == {"name": "x"}


async def test_decrypt_people_reads_several_people_in_one_commit_and_logs_each(
    vault: Vault, person_ref: str
) -> None:
    other, erased = new_ref(), new_ref()
    sealed = await vault.encrypt_people(
        {person_ref: {"name": "Ana", "doc": "X1"}, other: {"name": "Luis"}, erased: {"name": "Eva"}}
    )
    async with vault.db.unit_of_work() as uow:
        await erase_person(uow, erased, "request", Actor.service("privacy"), datetime.now(UTC))
        await uow.commit()
    commits = statement_counter(vault.db.engine).commits

    opened = await vault.decrypt_people(
        {**sealed, new_ref(): {}},
        actor_id="u_case",
        role="caseworker",
        purpose="case_work",
        purposes={other: "case_work:transfer"},
    )

    assert statement_counter(vault.db.engine).commits == commits + 1
    assert opened[person_ref] == {"name": "Ana", "doc": "X1"}
    assert opened[other] == {"name": "Luis"}
    assert opened[erased] == {"name": None}
    [mine] = await vault.access_log(person_ref)
    [theirs] = await vault.access_log(other)
    assert (mine.purpose, mine.fields) == ("case_work", ("name", "doc"))
    assert (theirs.purpose, theirs.fields) == ("case_work:transfer", ("name",))
    assert len(await vault.access_log(erased)) == 1  # the attempt is logged, nothing shown
    with pytest.raises(PersonKeyNotFoundError):  # nothing is logged for a refused read
        await vault.decrypt_people(
            {person_ref: sealed[person_ref], new_ref(): {"name": b"x" * 40}},
            actor_id="u_case",
            role="caseworker",
            purpose="case_work",
        )
    assert len(await vault.access_log(person_ref)) == 1
