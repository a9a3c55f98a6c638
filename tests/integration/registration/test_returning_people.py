"""A person registered again in a later case keeps their person_ref, facts and personal data."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from db.uow import ServiceDatabase
from events.envelope import Actor, new_envelope
from events.privacy import PersonalDataErased
from events.registration import ReturnRegistered
from services.kit.definition import Runtime
from services.registration.service import SERVICE
from tests.integration.registration.conftest import Client, case_body
from tests.integration.registration.fakes import FakeVault
from tests.integration.registration.helpers import counts, outbox
from tests.integration.registration.test_lifecycle_api import funding_decided
from tests.support import deliver, person_request


def returning(ref: str, **changes: Any) -> dict[str, Any]:
    return {"person_ref": ref, "vulnerability_categories": ["woman_at_risk"], **changes}


async def close(client: Client, runtime: Runtime, db: ServiceDatabase, case_id: str) -> None:
    assert (await client.move(case_id, "eligible", reason_code="meets_criteria")).is_success
    await funding_decided(runtime, db, case_id, approved=True)
    for to in ("documents_ready", "departed", "arrived", "closed"):
        assert (await client.move(case_id, to)).is_success


async def registered_events(db: ServiceDatabase) -> list[ReturnRegistered]:
    return [
        e.parse(ReturnRegistered) for e in await outbox(db) if e.type.endswith("return_registered")
    ]


async def test_a_returning_person_keeps_their_ref_facts_and_data_with_their_current_age(
    client: Client, runtime: Runtime, db: ServiceDatabase, vault: FakeVault
) -> None:
    today = runtime.clock().date()
    born = today.replace(year=today.year - 30) - timedelta(days=1)  # 30 today, 31 in a year
    first = await client.register(
        people=[person_request(date_of_birth=born.isoformat(), sex="male", nationality="GT")]
    )
    ref = first["people"][0]["person_ref"]
    await close(client, runtime, db, first["case_id"])
    later = runtime.clock() + timedelta(days=366)
    runtime.clock = lambda: later  # type: ignore[method-assign]

    second = await client.register(
        people=[returning(ref, vulnerability_categories=["trafficking_victim"])],
        requested=[{"person": 0, "category": "transport", "amount": "300", "currency": "USD"}],
    )

    [_, again] = await registered_events(db)
    [facts] = again.people
    assert str(again.case_id) == second["case_id"]
    assert facts.person_ref == ref
    assert (facts.sex, facts.nationality, facts.age_years) == ("male", "GT", 31)
    assert facts.vulnerability_categories == ["trafficking_victim"]
    assert [line.person_ref for line in again.requested] == [ref]
    assert second["people"][0]["personal"]["given_names"] == "Ana Maria"  # kept, not re-sent
    reads = await vault.access_log(ref)
    assert any(
        a.purpose == "registration_returning_person"
        and a.fields == ("date_of_birth",)
        and a.actor_id == "u-cw"
        for a in reads
    )
    stored = await counts(db)
    assert stored["registration_people"] == 2
    assert stored["registration_personal_data"] == len(first["people"][0]["personal"]) - 1


async def test_new_consents_of_a_returning_person_are_recorded_again(
    client: Client, runtime: Runtime, db: ServiceDatabase, vault: FakeVault
) -> None:
    first = await client.register()
    ref = first["people"][0]["person_ref"]
    await client.move(first["case_id"], "withdrawn", reason_code="changed_mind")
    consents = [
        {"purpose": "assistance", "granted": True},
        {"purpose": "follow_up_contact", "granted": False},
    ]

    await client.register(people=[returning(ref, consents=consents)])

    assert [(c.purpose, c.granted) for c in await vault.consents(ref)][-2:] == [
        ("assistance", True),
        ("follow_up_contact", False),
    ]


async def test_a_person_still_in_an_open_case_is_refused_naming_it(
    client: Client, db: ServiceDatabase
) -> None:
    first = await client.register()
    ref = first["people"][0]["person_ref"]
    before = await counts(db)

    response = await client.post("cw", "/api/cases", case_body(people=[returning(ref)]))

    assert response.status_code == 409, response.text
    assert first["case_id"] in response.json()["detail"]
    assert "open case" in response.json()["detail"]
    assert response.json()["type"] == "urn:retorno:problem:person-in-open-case"
    assert await counts(db) == before


async def test_an_unknown_person_ref_is_404_and_nothing_is_stored(
    client: Client, db: ServiceDatabase, vault: FakeVault
) -> None:
    ref = "p_" + uuid.uuid4().hex

    response = await client.post("cw", "/api/cases", case_body(people=[returning(ref)]))

    assert response.status_code == 404, response.text
    assert ref in response.json()["detail"]
    assert "new person" in response.json()["detail"]
    assert all(n == 0 for n in (await counts(db)).values())
    assert vault.keys == {} and vault.consent_log == {}


async def test_an_erased_person_is_409_and_nothing_is_stored(
    client: Client, runtime: Runtime, db: ServiceDatabase, vault: FakeVault
) -> None:
    first = await client.register()
    ref = first["people"][0]["person_ref"]
    await client.move(first["case_id"], "withdrawn", reason_code="changed_mind")
    await vault.erase(ref)
    erased = PersonalDataErased(
        person_ref=ref, erased_at=datetime.now(UTC), trigger="request", key_fingerprint="ab"
    )
    await deliver(runtime, SERVICE, new_envelope(erased, actor=Actor.service("privacy")))
    before = await counts(db)

    response = await client.post("cw", "/api/cases", case_body(people=[returning(ref)]))

    assert response.status_code == 409, response.text
    assert "erased" in response.json()["detail"]
    assert response.json()["type"] == "urn:retorno:problem:person-erased"
    assert await counts(db) == before


async def test_erasure_not_yet_applied_here_still_refuses(
    client: Client, db: ServiceDatabase, vault: FakeVault
) -> None:
    first = await client.register()
    ref = first["people"][0]["person_ref"]
    await client.move(first["case_id"], "withdrawn", reason_code="changed_mind")
    await vault.erase(ref)  # the vault knows; the event has not reached registration yet

    response = await client.post("cw", "/api/cases", case_body(people=[returning(ref)]))

    assert response.status_code == 409, response.text
    assert "erased" in response.json()["detail"]


async def test_a_withdrawn_assistance_consent_must_be_granted_again(
    client: Client, vault: FakeVault
) -> None:
    first = await client.register()
    ref = first["people"][0]["person_ref"]
    await client.move(first["case_id"], "withdrawn", reason_code="changed_mind")
    await vault.record_consent(ref, "assistance", False, recorded_by="u-cw")

    refused = await client.post("cw", "/api/cases", case_body(people=[returning(ref)]))
    granted = [{"purpose": "assistance", "granted": True}]
    accepted = await client.post(
        "cw", "/api/cases", case_body(people=[returning(ref, consents=granted)])
    )

    assert refused.status_code == 409 and "voluntary" in refused.json()["detail"]
    assert accepted.status_code == 201, accepted.text


async def test_a_returning_person_is_accepted_while_privacy_has_not_applied_their_registration(
    client: Client, vault: FakeVault
) -> None:
    first = await client.register()
    ref = first["people"][0]["person_ref"]
    await client.move(first["case_id"], "withdrawn", reason_code="changed_mind")
    vault.consent_log.clear()  # privacy's consumer lags (killed): no decision recorded yet

    again = await client.post("cw", "/api/cases", case_body(people=[returning(ref)]))

    assert again.status_code == 201, again.text


BAD_KNOWN = {
    "malformed ref": (returning("p_123"), "people.0.person_ref"),
    "personal data beside a ref": (returning("p_" + "a" * 32, sex="male"), "people.0.sex"),
    "assistance refused": (
        returning("p_" + "a" * 32, consents=[{"purpose": "assistance", "granted": False}]),
        "people.0",
    ),
}


@pytest.mark.parametrize("case", list(BAD_KNOWN))
async def test_bad_returning_person_gets_a_clear_422(
    case: str, client: Client, db: ServiceDatabase
) -> None:
    entry, field = BAD_KNOWN[case]

    response = await client.post("cw", "/api/cases", case_body(people=[entry]))

    assert response.status_code == 422, response.text
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields == [f"body.{field}"], response.json()
    assert all(n == 0 for n in (await counts(db)).values())


async def test_the_same_person_twice_in_one_case_is_422(client: Client) -> None:
    ref = "p_" + "b" * 32

    response = await client.post("cw", "/api/cases", case_body(people=[returning(ref)] * 2))

    assert response.status_code == 422
    assert "more than once" in response.text


async def test_subject_access_lists_every_case_of_the_person(
    client: Client, runtime: Runtime, db: ServiceDatabase
) -> None:
    first = await client.register()
    ref = first["people"][0]["person_ref"]
    await client.move(first["case_id"], "withdrawn", reason_code="changed_mind", reason_detail="a")
    second = await client.register(people=[returning(ref)])
    await client.move(second["case_id"], "cancelled", reason_code="duplicate_request")

    report = (await client.get("dpo", f"/api/people/{ref}/data")).json()

    assert [c["case"]["case_id"] for c in report["cases"]] == [
        first["case_id"],
        second["case_id"],
    ]
    assert [c["case"]["status"] for c in report["cases"]] == ["withdrawn", "cancelled"]
    assert report["cases"][0]["history"][-1]["reason_detail"] == "a"
    assert all(c["person"]["personal"]["family_name"] == "Lopez" for c in report["cases"])
    assert report["case"]["case_id"] == second["case_id"]
    assert report["person"]["person_ref"] == ref


async def test_two_simultaneous_registrations_of_one_returning_person_let_one_through(
    client: Client, runtime: Runtime, db: ServiceDatabase
) -> None:
    first = await client.register()
    ref = first["people"][0]["person_ref"]
    await close(client, runtime, db, first["case_id"])

    responses = await asyncio.gather(
        *(client.post("cw", "/api/cases", case_body(people=[returning(ref)])) for _ in range(6))
    )

    assert sorted(r.status_code for r in responses) == [201] + [409] * 5
    assert len(await registered_events(db)) == 2
