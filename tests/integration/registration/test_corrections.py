"""Correcting a registered case before screening, over HTTP, on a real database."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from db.uow import ServiceDatabase
from events.registration import CaseCorrected
from services.kit.definition import Runtime
from services.registration import store
from tests.integration.registration.conftest import Client
from tests.integration.registration.fakes import FakeVault
from tests.integration.registration.helpers import outbox
from tests.integration.registration.test_returning_people import close, returning
from tests.support import person_request

GIVEN, FAMILY, DOCUMENT = "Zyxqorveth", "Vandelquist-Ombu", "PQ9981726"
PHONE, EMAIL, ADDRESS = "+52 81 7777 0101", "zyxq@example.net", "Calle Sentinela 42"
BORN = "1979-06-15"
NEXT_YEAR = str(datetime.now(UTC).year + 1)  # the fixture knows funds for this year and the next


async def patch(
    client: Client, case_id: str, body: dict[str, Any], user: str = "cw"
) -> httpx.Response:
    return await client.http.patch(
        f"/api/cases/{case_id}", json=body, headers={"Authorization": f"Bearer {user}"}
    )


async def corrected(client: Client, case_id: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await patch(client, case_id, body)
    assert response.status_code == 200, response.text
    return response.json()


async def stored(db: ServiceDatabase) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the registration service holds, to compare before and after a refusal."""
    tables = (
        store.cases,
        store.people,
        store.personal_data,
        store.office_personal_data,
        store.cost_lines,
        store.transitions,
        store.corrections,
        store.messaging.outbox,
    )
    found = {}
    async with db.sessions() as session:
        for table in tables:
            rows = (await session.execute(select(table))).all()
            found[table.name] = sorted(tuple(str(v) for v in r) for r in rows)
    return found


async def corrections_emitted(db: ServiceDatabase) -> list[CaseCorrected]:
    return [e.parse(CaseCorrected) for e in await outbox(db) if e.type.endswith("case_corrected")]


async def test_case_fields_are_corrected_with_an_event_and_a_history_entry(
    client: Client, db: ServiceDatabase
) -> None:
    case = await client.register()
    ref = case["people"][0]["person_ref"]

    after = await corrected(
        client,
        case["case_id"],
        {
            "version": case["version"],
            "requester": {"type": "government_return", "name": "Consulado de Guatemala"},
            "fund_period": NEXT_YEAR,
            "departure_country": "US",
            "destination_country": "HN",
            "allow_partial": True,
            "requested": [
                {"person": ref, "category": "transport", "amount": "410.50", "currency": "USD"},
                {"person": "all", "category": "subsistence", "amount": "60", "currency": "USD"},
            ],
        },
    )

    assert case["version"] == 1 and after["version"] == 2
    assert after["status"] == "registered"
    assert (after["requester_type"], after["requester_name"]) == (
        "government_return",
        "Consulado de Guatemala",
    )
    assert (after["fund_period"], after["departure_country"], after["destination_country"]) == (
        NEXT_YEAR,
        "US",
        "HN",
    )
    assert after["allow_partial"] is True
    assert [(line["category"], line["amount_cents"]) for line in after["requested"]] == [
        ("transport", 41_050),
        ("subsistence", 6_000),
    ]
    entry = after["history"][-1]
    assert entry["kind"] == "correction" and entry["actor_id"] == "u-cw"
    assert entry["actor_role"] == "caseworker" and entry["at"]
    assert entry["corrected_fields"] == [
        "requester",
        "fund_period",
        "departure_country",
        "destination_country",
        "allow_partial",
        "requested",
    ]
    [event] = await corrections_emitted(db)
    assert str(event.case_id) == case["case_id"] and event.case_version == 2
    assert (event.fund_period, event.requester_type, event.allow_partial) == (
        NEXT_YEAR,
        "government_return",
        True,
    )
    assert (event.departure_country, event.destination_country) == ("US", "HN")
    assert [(line.person_ref, line.amount_cents) for line in event.requested] == [
        (ref, 41_050),
        (ref, 6_000),
    ]
    assert event.people == [] and event.personal_fields == []
    assert "Consulado" not in (await outbox(db))[-1].to_bytes().decode()
    assert str((await outbox(db))[-1].event_id) == entry["event_id"]
    assert (await client.get("cw", f"/api/cases/{case['case_id']}")).json() == after


async def test_person_facts_are_corrected_and_the_age_is_computed_again_at_registration(
    client: Client, db: ServiceDatabase, runtime: Runtime
) -> None:
    case = await client.register(
        people=[
            person_request(),
            person_request(given_names="Luis", sex="male", date_of_birth="2000-01-01"),
        ]
    )
    first, second = (p["person_ref"] for p in case["people"])
    on = runtime.clock().date()
    born = on.replace(year=on.year - 72)  # 72 on the registration date

    after = await corrected(
        client,
        case["case_id"],
        {
            "version": 1,
            "people": [
                {
                    "person_ref": second,
                    "sex": "other",
                    "nationality": "SV",
                    "date_of_birth": born.isoformat(),
                    "vulnerability_categories": ["elderly_over_70", "disability"],
                }
            ],
        },
    )

    untouched, fixed = after["people"]
    assert untouched == case["people"][0]
    assert (fixed["sex"], fixed["nationality"], fixed["age_years"], fixed["age_band"]) == (
        "other",
        "SV",
        72,
        "60+",
    )
    assert fixed["vulnerability_categories"] == ["disability", "elderly_over_70"]
    assert fixed["personal"]["date_of_birth"] == born.isoformat()
    [event] = await corrections_emitted(db)
    [facts] = event.people
    assert facts.person_ref == second and (facts.age_years, facts.age_band) == (72, "60+")
    assert event.personal_fields[0].person_ref == second
    assert event.personal_fields[0].fields == ["date_of_birth"]
    assert event.vulnerability_categories == ["disability", "elderly_over_70", "woman_at_risk"]
    assert born.isoformat() not in (await outbox(db))[-1].to_bytes().decode()
    assert after["history"][-1]["corrected_fields"] == [
        f"{second}.sex",
        f"{second}.nationality",
        f"{second}.date_of_birth",
        f"{second}.vulnerability_categories",
    ]
    assert first not in str(event.people)


async def test_personal_fields_are_sealed_again_and_never_leave_as_values(
    client: Client, db: ServiceDatabase, vault: FakeVault
) -> None:
    case = await client.register()
    ref = case["people"][0]["person_ref"]
    async with db.sessions() as session:
        before = await store.ciphertexts(session, ref)

    after = await corrected(
        client,
        case["case_id"],
        {
            "version": 1,
            "people": [
                {
                    "person_ref": ref,
                    "given_names": GIVEN,
                    "family_name": FAMILY,
                    "travel_document": {"type": "national_id", "number": DOCUMENT},
                    "contact": {"phone": PHONE, "address": ADDRESS},
                }
            ],
        },
    )

    personal = after["people"][0]["personal"]
    assert (personal["given_names"], personal["family_name"]) == (GIVEN, FAMILY)
    assert (personal["travel_document_type"], personal["travel_document_number"]) == (
        "national_id",
        DOCUMENT,
    )
    assert (personal["phone"], personal["address"], personal["email"]) == (PHONE, ADDRESS, None)
    assert personal["date_of_birth"] == "1990-03-04"  # not corrected, kept
    async with db.sessions() as session:
        now = await store.ciphertexts(session, ref)
    assert set(now) == set(before) - {"email"} | {"address"}
    assert now["date_of_birth"] == before["date_of_birth"]
    assert now["given_names"] != before["given_names"]
    plain = await vault.decrypt_many(ref, now, actor_id="t", role="t", purpose="test")
    assert plain["given_names"] == GIVEN and plain["travel_document_number"] == DOCUMENT
    [event] = await corrections_emitted(db)
    assert event.people == []  # no fact changed
    assert [(p.person_ref, p.fields) for p in event.personal_fields] == [
        (ref, ["given_names", "family_name", "travel_document", "contact"])
    ]
    everything = b"".join(str(rows).encode() for rows in (await stored(db)).values())
    for sentinel in (GIVEN, FAMILY, DOCUMENT, PHONE, ADDRESS):
        assert sentinel.encode() not in everything, sentinel


async def test_a_document_or_contact_set_to_null_is_removed(
    client: Client, db: ServiceDatabase
) -> None:
    case = await client.register()
    ref = case["people"][0]["person_ref"]

    after = await corrected(
        client,
        case["case_id"],
        {"version": 1, "people": [{"person_ref": ref, "travel_document": None, "contact": None}]},
    )

    personal = after["people"][0]["personal"]
    assert [personal[f] for f in ("travel_document_number", "phone", "email")] == [None] * 3
    async with db.sessions() as session:
        left = await store.ciphertexts(session, ref)
    assert set(left) == {"given_names", "family_name", "date_of_birth"}


async def test_corrections_follow_each_other_by_version(
    client: Client, db: ServiceDatabase
) -> None:
    case = await client.register()
    one = await corrected(client, case["case_id"], {"version": 1, "fund_period": NEXT_YEAR})
    two = await corrected(client, case["case_id"], {"version": 2, "allow_partial": True})

    assert (one["version"], two["version"]) == (2, 3)
    assert (two["fund_period"], two["allow_partial"]) == (NEXT_YEAR, True)
    assert [h["kind"] for h in two["history"]] == ["transition", "correction", "correction"]
    assert [e.case_version for e in await corrections_emitted(db)] == [2, 3]


REFUSALS: list[tuple[str, dict[str, Any], str]] = [
    (
        "unaccompanied_minor for an adult",
        {"people": [{"vulnerability_categories": ["unaccompanied_minor"]}]},
        "people[0].vulnerability_categories",
    ),
    (
        "a date of birth that makes the elderly category wrong",
        {
            "people": [{"date_of_birth": "1960-01-01"}],
            "_person": {
                "vulnerability_categories": ["elderly_over_70"],
                "date_of_birth": "1940-01-01",
            },
        },
        "people[0].date_of_birth",
    ),
    (
        "no category",
        {"people": [{"vulnerability_categories": []}]},
        "people[0].vulnerability_categories",
    ),
    (
        "an unknown category",
        {"people": [{"vulnerability_categories": ["tall"]}]},
        "people[0].vulnerability_categories",
    ),
    (
        "a date of birth after the registration",
        {"people": [{"date_of_birth": "2999-01-01"}]},
        "people[0].date_of_birth",
    ),
    (
        "a date of birth 130 years back",
        {"people": [{"date_of_birth": "1890-01-01"}]},
        "people[0].date_of_birth",
    ),
    ("departure = destination", {"destination_country": "MX"}, "destination_country"),
    ("destination = departure", {"departure_country": "GT"}, "departure_country"),
    (
        "an unknown cost category",
        {"requested": [{"person": "all", "category": "yacht", "amount": "1", "currency": "USD"}]},
        "requested[0].category",
    ),
    (
        "a line for a person not in the case",
        {
            "requested": [
                {
                    "person": "p_" + "0" * 32,
                    "category": "transport",
                    "amount": "1",
                    "currency": "USD",
                }
            ]
        },
        "requested[0].person",
    ),
    ("a person not in the case", {"people": [{"person_ref": "p_" + "1" * 32, "sex": "male"}]}, ""),
    ("a period without a fund", {"fund_period": "2099"}, "fund_period"),
    (
        "a cost line in another currency than the fund's",
        {
            "requested": [
                {"person": "all", "category": "transport", "amount": "1", "currency": "EUR"}
            ]
        },
        "requested[0].currency",
    ),
]
SHAPE_REFUSALS: list[tuple[str, dict[str, Any], str]] = [
    (
        "Arabic-Indic digits",
        {
            "requested": [
                {"person": "all", "category": "transport", "amount": "١٠٠", "currency": "USD"}
            ]
        },
        "amount",
    ),
    (
        "three decimals",
        {
            "requested": [
                {"person": "all", "category": "transport", "amount": "1.005", "currency": "USD"}
            ]
        },
        "amount",
    ),
    (
        "an exponent",
        {
            "requested": [
                {"person": "all", "category": "transport", "amount": "1e3", "currency": "USD"}
            ]
        },
        "amount",
    ),
    ("sex removed", {"people": [{"sex": None}]}, "sex"),
    ("an unknown field", {"office": "GT-GUA"}, "office"),
    ("a bad country", {"destination_country": "XX"}, "destination_country"),
    ("nothing to correct", {}, ""),
    ("a person with nothing to correct", {"people": [{}]}, ""),
    ("no version", {"version": None, "fund_period": NEXT_YEAR}, "version"),
]


def _body(ref: str, changes: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"version": 1}
    for key, value in changes.items():
        if key == "people":
            value = [{"person_ref": ref, **p} for p in value]
        if key != "_person":
            body[key] = value
    return {k: v for k, v in body.items() if v is not None}


@pytest.mark.parametrize(("what", "changes", "field"), REFUSALS + SHAPE_REFUSALS)
async def test_a_bad_correction_is_422_naming_the_field_and_stores_nothing(
    client: Client, db: ServiceDatabase, what: str, changes: dict[str, Any], field: str
) -> None:
    case = await client.register(people=[person_request(**changes.get("_person", {}))])
    ref = case["people"][0]["person_ref"]
    before = await stored(db)

    response = await patch(client, case["case_id"], _body(ref, changes))

    assert response.status_code == 422, (what, response.text)
    assert field in response.text, (what, response.text)
    assert await stored(db) == before, what
    if (what, changes, field) in REFUSALS:
        assert "was not corrected" in response.json()["detail"]
        assert field in {e["field"] for e in response.json()["errors"]} or not field


async def test_a_screened_case_is_409_naming_its_status_and_stores_nothing(
    client: Client, db: ServiceDatabase
) -> None:
    case = await client.register()
    assert (
        await client.move(case["case_id"], "ineligible", reason_code="no_vulnerability")
    ).is_success
    seen = (await client.get("cw", f"/api/cases/{case['case_id']}")).json()
    before = await stored(db)

    response = await patch(
        client, case["case_id"], {"version": seen["version"], "destination_country": "HN"}
    )

    assert response.status_code == 409
    problem = response.json()
    assert problem["type"] == "urn:retorno:problem:case-not-correctable"
    assert problem["current_status"] == "ineligible"
    assert "'ineligible'" in problem["detail"] and "only before screening" in problem["detail"]
    assert "register the return again" in problem["detail"]
    assert await stored(db) == before


async def test_a_stale_version_is_409_saying_the_case_changed_and_stores_nothing(
    client: Client, db: ServiceDatabase
) -> None:
    case = await client.register()
    await corrected(client, case["case_id"], {"version": 1, "fund_period": NEXT_YEAR})
    before = await stored(db)

    response = await patch(client, case["case_id"], {"version": 1, "allow_partial": True})

    assert response.status_code == 409
    assert "changed meanwhile" in response.json()["detail"]
    assert response.json()["type"] == "urn:retorno:problem:case-changed-meanwhile"
    assert response.json()["current_version"] == 2
    assert await stored(db) == before


async def test_two_corrections_of_one_version_at_once_store_one(
    client: Client, db: ServiceDatabase
) -> None:
    case = await client.register()

    answers = await asyncio.gather(
        *(
            patch(
                client,
                case["case_id"],
                {"version": 1, "fund_period": NEXT_YEAR, "allow_partial": n},
            )
            for n in (True, False, True)
        )
    )

    assert sorted(a.status_code for a in answers) == [200, 409, 409]
    assert len(await corrections_emitted(db)) == 1
    async with db.sessions() as session:
        assert len(await store.corrections_of(session, uuid.UUID(case["case_id"]))) == 1


@pytest.mark.parametrize("user", ["cw-other", "sup-gt"])
async def test_another_offices_staff_get_403_and_nothing_is_stored(
    client: Client, db: ServiceDatabase, user: str
) -> None:
    case = await client.register()
    ref = case["people"][0]["person_ref"]
    before = await stored(db)

    response = await patch(
        client,
        case["case_id"],
        {"version": 1, "people": [{"person_ref": ref, "given_names": GIVEN}]},
        user=user,
    )

    assert response.status_code == 403
    assert "MX-TAP" in response.json()["detail"]
    assert "Ana Maria" not in response.text
    assert await stored(db) == before


async def test_an_unknown_case_is_404_and_roles_without_cases_create_are_403(
    client: Client, db: ServiceDatabase
) -> None:
    case = await client.register()
    before = await stored(db)

    unknown = await patch(
        client, "00000000-0000-4000-8000-000000000000", {"version": 1, "fund_period": NEXT_YEAR}
    )
    auditor = await patch(
        client, case["case_id"], {"version": 1, "fund_period": NEXT_YEAR}, user="auditor"
    )
    dpo = await patch(client, case["case_id"], {"version": 1, "fund_period": NEXT_YEAR}, user="dpo")

    assert unknown.status_code == 404
    assert (auditor.status_code, dpo.status_code) == (403, 403)
    assert await stored(db) == before


async def _returning_in_other_office(
    client: Client, runtime: Runtime, db: ServiceDatabase, **entry: Any
) -> tuple[str, str]:
    """A person first registered by MX-TAP (their owning office), back through GT-GUA."""
    first = await client.register(people=[person_request(given_names="Ana Maria")])
    ref = first["people"][0]["person_ref"]
    await close(client, runtime, db, first["case_id"])
    again = await client.register(
        "cw-other", office="GT-GUA", people=[returning(ref, **entry)], requested=[]
    )
    return again["case_id"], ref


async def test_another_offices_returning_person_gets_only_this_cases_data_corrected(
    client: Client, runtime: Runtime, db: ServiceDatabase, vault: FakeVault
) -> None:
    case_id, ref = await _returning_in_other_office(client, runtime, db)
    async with db.sessions() as session:
        owners = await store.ciphertexts(session, ref)
    reads = len(await vault.access_log(ref))
    before = await stored(db)

    refused = await patch(
        client,
        case_id,
        {"version": 1, "people": [{"person_ref": ref, "given_names": GIVEN}]},
        user="cw-other",
    )

    assert refused.status_code == 403
    assert "'MX-TAP'" in refused.json()["detail"]
    assert await stored(db) == before
    assert len(await vault.access_log(ref)) == reads  # the owner's record was not read

    response = await patch(
        client,
        case_id,
        {
            "version": 1,
            "people": [
                {"person_ref": ref, "vulnerability_categories": ["disability"], "sex": "other"}
            ],
        },
        user="cw-other",
    )

    assert response.status_code == 200, response.text
    [view] = response.json()["people"]
    assert view["record_access"] == "withheld" and view["personal"] is None
    assert (view["sex"], view["vulnerability_categories"]) == ("other", ["disability"])
    async with db.sessions() as session:
        assert await store.ciphertexts(session, ref) == owners
        rows = await store.person_cases(session, ref)
    assert [r["sex"] for r in rows] == ["female", "other"]  # the first case's row is kept
    assert len(await vault.access_log(ref)) == reads + 0


async def test_an_offices_own_record_of_a_returning_person_is_the_one_corrected(
    client: Client, runtime: Runtime, db: ServiceDatabase
) -> None:
    own = {"given_names": "Ana", "family_name": "Lopez", "date_of_birth": "1990-03-04"}
    case_id, ref = await _returning_in_other_office(client, runtime, db, personal=own)
    async with db.sessions() as session:
        owners = await store.ciphertexts(session, ref)

    response = await patch(
        client,
        case_id,
        {"version": 1, "people": [{"person_ref": ref, "family_name": FAMILY}]},
        user="cw-other",
    )

    assert response.status_code == 200, response.text
    [view] = response.json()["people"]
    assert (view["record_access"], view["record_office"]) == ("own", "GT-GUA")
    assert view["personal"]["family_name"] == FAMILY
    async with db.sessions() as session:
        assert await store.ciphertexts(session, ref) == owners
    first = (await client.get("cw", f"/api/people/{ref}/record")).json()
    assert first["personal"]["family_name"] == "Lopez"  # the owning office's record is kept


async def test_the_owning_office_corrects_the_record_of_a_person_returning_to_it(
    client: Client, runtime: Runtime, db: ServiceDatabase
) -> None:
    first = await client.register()
    ref = first["people"][0]["person_ref"]
    await close(client, runtime, db, first["case_id"])
    again = await client.register(people=[returning(ref)])

    after = await corrected(
        client,
        again["case_id"],
        {"version": 1, "people": [{"person_ref": ref, "given_names": GIVEN}]},
    )

    assert after["people"][0]["personal"]["given_names"] == GIVEN
    record = (await client.get("cw", f"/api/people/{ref}/record")).json()
    assert record["personal"]["given_names"] == GIVEN


async def test_a_person_erased_meanwhile_cannot_have_personal_data_corrected(
    client: Client, db: ServiceDatabase, vault: FakeVault
) -> None:
    case = await client.register()
    ref = case["people"][0]["person_ref"]
    await vault.erase(ref)
    before = await stored(db)

    response = await patch(
        client,
        case["case_id"],
        {"version": 1, "people": [{"person_ref": ref, "given_names": GIVEN}]},
    )

    assert response.status_code == 409
    assert "erased" in response.json()["detail"]
    assert await stored(db) == before


async def test_the_subject_access_report_lists_the_corrections_of_each_case(
    client: Client,
) -> None:
    case = await client.register()
    ref = case["people"][0]["person_ref"]
    await corrected(
        client,
        case["case_id"],
        {"version": 1, "people": [{"person_ref": ref, "family_name": FAMILY}]},
    )

    report = (await client.get("dpo", f"/api/people/{ref}/data")).json()

    assert report["person"]["personal"]["family_name"] == FAMILY
    [entry] = [h for h in report["history"] if h["kind"] == "correction"]
    assert entry["corrected_fields"] == [f"{ref}.family_name"] and entry["actor_id"] == "u-cw"
    assert report["cases"][0]["history"] == report["history"]
