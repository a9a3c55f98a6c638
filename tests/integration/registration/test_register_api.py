"""POST /api/cases and the reads: validation, encryption, who sees what."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from db.uow import ServiceDatabase
from events.registration import ReturnRegistered
from services.kit.definition import Runtime
from services.kit.identity import Principal
from services.registration.queries import cases as case_queries
from tests.integration.registration.conftest import Client, case_body
from tests.integration.registration.fakes import FakeVault
from tests.integration.registration.helpers import counts, outbox
from tests.support import person_request


async def test_registers_a_family_case_and_emits_return_registered(
    client: Client, db: ServiceDatabase
) -> None:
    child = person_request(
        given_names="Luis",
        date_of_birth="2019-01-01",
        sex="male",
        vulnerability_categories=["unaccompanied_minor"],
        contact=None,
        travel_document=None,
    )

    case = await client.register(people=[person_request(), child], allow_partial=True)

    assert case["status"] == "registered"
    assert case["allowed_next"] == ["eligible", "ineligible", "withdrawn", "cancelled"]
    [event] = await outbox(db)
    registered = event.parse(ReturnRegistered)
    assert event.actor.id == "u-cw" and event.actor.role == "caseworker"
    assert str(registered.case_id) == case["case_id"]
    assert [p.age_band for p in registered.people][1] in ("5-11", "0-4")
    assert len(registered.requested) == 2  # 'all' -> one line per person
    assert {line.amount_cents for line in registered.requested} == {25_000}
    assert registered.allow_partial is True
    assert registered.fund_period == str(registered.registered_on.year)


async def test_the_answer_to_a_registration_shows_what_was_sent_without_a_read(
    client: Client, vault: FakeVault
) -> None:
    case = await client.register()

    ref = case["people"][0]["person_ref"]
    assert case["people"][0]["personal"]["given_names"] == "Ana Maria"
    assert case["people"][0]["personal"]["travel_document_number"] == "P1234567"
    assert await vault.access_log(ref) == []  # nothing stored was read to answer
    seen = (await client.get("cw", f"/api/cases/{case['case_id']}")).json()
    assert seen["people"] == case["people"]
    assert len(await vault.access_log(ref)) == 1


async def test_caseworker_reads_personal_data_and_the_read_is_logged(
    client: Client, vault: FakeVault
) -> None:
    case = await client.register()

    seen = (await client.get("cw", f"/api/cases/{case['case_id']}")).json()

    personal = seen["people"][0]["personal"]
    assert personal["given_names"] == "Ana Maria"
    assert personal["travel_document_number"] == "P1234567"
    ref = seen["people"][0]["person_ref"]
    assert [a.actor_id for a in await vault.access_log(ref)][-1] == "u-cw"
    assert (await vault.access_log(ref))[-1].purpose == "case_management"


async def test_auditor_may_not_read_cases(client: Client) -> None:
    case = await client.register()

    response = await client.get("auditor", f"/api/cases/{case['case_id']}")

    assert response.status_code == 403


async def test_role_without_personal_permission_gets_facts_only_and_no_vault_read(
    client: Client, runtime: Runtime, vault: FakeVault
) -> None:
    case = await client.register()
    ref = case["people"][0]["person_ref"]
    reads_before = len(await vault.access_log(ref))

    seen = await case_queries.get_case(
        runtime, Principal("u-aud", "auditor"), uuid.UUID(case["case_id"])
    )

    assert seen.personal_data_included is False
    assert seen.people[0].personal is None
    assert seen.people[0].age_band == "18-59"
    assert len(await vault.access_log(ref)) == reads_before


async def test_data_protection_officer_reads_any_office(client: Client) -> None:
    case = await client.register()

    seen = (await client.get("dpo", f"/api/cases/{case['case_id']}")).json()

    assert seen["personal_data_included"] is True


async def test_caseworker_of_another_office_gets_403(client: Client) -> None:
    case = await client.register()

    read = await client.get("cw-other", f"/api/cases/{case['case_id']}")
    move = await client.move(case["case_id"], "withdrawn", user="cw-other", reason_code="x_y")

    assert read.status_code == 403
    assert move.status_code == 403


async def test_cannot_register_for_another_office(client: Client, db: ServiceDatabase) -> None:
    response = await client.post("cw-other", "/api/cases", case_body())

    assert response.status_code == 403
    assert (await counts(db))["registration_cases"] == 0


def _bad(**changes: Any) -> dict[str, Any]:
    return case_body(**changes)


def _line(**changes: Any) -> dict[str, Any]:
    return {"person": 0, "category": "transport", "amount": "10", "currency": "USD", **changes}


BAD_INPUTS = {
    "unknown vulnerability category": (
        _bad(people=[person_request(vulnerability_categories=["tall"])]),
        "people[0].vulnerability_categories",
    ),
    "date of birth in the future": (
        _bad(people=[person_request(date_of_birth="2999-01-01")]),
        "people[0].date_of_birth",
    ),
    "date of birth in year 1": (
        _bad(people=[person_request(date_of_birth="0001-01-01")]),
        "people[0].date_of_birth",
    ),
    "date of birth 1800": (
        _bad(people=[person_request(date_of_birth="1800-01-01")]),
        "people[0].date_of_birth",
    ),
    "no vulnerability category": (
        _bad(people=[person_request(vulnerability_categories=[])]),
        "people[0].vulnerability_categories",
    ),
    "an adult flagged unaccompanied minor": (
        _bad(
            people=[
                person_request(
                    date_of_birth="1990-01-01", vulnerability_categories=["unaccompanied_minor"]
                )
            ]
        ),
        "people[0].vulnerability_categories",
    ),
    "a child flagged elderly": (
        _bad(
            people=[
                person_request(
                    date_of_birth="2019-01-01", vulnerability_categories=["elderly_over_70"]
                )
            ]
        ),
        "people[0].vulnerability_categories",
    ),
    "departure equals destination": (
        _bad(departure_country="GT", destination_country="GT"),
        "destination_country",
    ),
    "negative amount": (_bad(requested=[_line(amount="-5")]), "requested.0.amount"),
    "non-numeric amount": (_bad(requested=[_line(amount="ten")]), "requested.0.amount"),
    "amount in Arabic-Indic digits": (
        _bad(requested=[_line(amount="١٠٠")]),
        "requested.0.amount",
    ),
    "amount in full-width digits": (_bad(requested=[_line(amount="１００")]), "requested.0.amount"),
    "three decimals": (_bad(requested=[_line(amount="1.234")]), "requested.0.amount"),
    "country not ISO alpha-2": (_bad(destination_country="GTM"), "destination_country"),
    "unknown country": (_bad(departure_country="XX"), "departure_country"),
    "nationality not ISO": (
        _bad(people=[person_request(nationality="ZZ")]),
        "people.0.nationality",
    ),
    "unknown currency": (_bad(requested=[_line(currency="XXY")]), "requested.0.currency"),
    "empty people list": (_bad(people=[]), "body.people"),
    "unknown cost category": (_bad(requested=[_line(category="bribes")]), "requested[0].category"),
    "unknown field": (_bad(notes="she said..."), "body.notes"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
async def test_bad_input_gets_422_naming_the_field_and_stores_nothing(
    case: str, client: Client, db: ServiceDatabase, vault: FakeVault
) -> None:
    body, field = BAD_INPUTS[case]

    response = await client.post("cw", "/api/cases", body)

    assert response.status_code == 422, response.text
    problem = response.json()
    assert any(field in e["field"] for e in problem["errors"]), problem
    assert all(n == 0 for n in (await counts(db)).values())
    assert vault.keys == {}


async def test_lists_cases_of_my_offices_by_page(client: Client) -> None:
    for _ in range(3):
        await client.register()
    await client.register(
        user="sup",
        office="GT-GUA",
        departure_country="GT",
        destination_country="HN",
        people=[person_request(nationality="HN")],
    )

    mine = (await client.get("cw", "/api/cases", page_size=2)).json()
    page2 = (await client.get("cw", "/api/cases", page_size=2, page=2)).json()
    everything = (await client.get("sup", "/api/cases")).json()
    other = await client.get("cw", "/api/cases", office="GT-GUA")

    assert mine["total"] == 3 and len(mine["items"]) == 2 and len(page2["items"]) == 1
    assert {i["office"] for i in mine["items"] + page2["items"]} == {"MX-TAP"}
    assert everything["total"] == 4
    assert other.status_code == 403
    assert "people" not in mine["items"][0]


async def test_lists_by_status(client: Client) -> None:
    first = await client.register()
    await client.register()
    await client.move(first["case_id"], "withdrawn", reason_code="changed_mind")

    withdrawn = (await client.get("cw", "/api/cases", status="withdrawn")).json()

    assert [i["case_id"] for i in withdrawn["items"]] == [first["case_id"]]


async def test_subject_access_returns_everything_readable(client: Client) -> None:
    case = await client.register()
    ref = case["people"][0]["person_ref"]
    await client.move(
        case["case_id"],
        "withdrawn",
        reason_code="changed_mind",
        reason_detail="Quiere quedarse con su hermana",
    )
    await client.get("cw", f"/api/cases/{case['case_id']}")  # a read of stored data, logged

    report = (await client.get("dpo", f"/api/people/{ref}/data")).json()
    refused = await client.get("cw", f"/api/people/{ref}/data")

    assert report["person"]["personal"]["family_name"] == "Lopez"
    assert report["history"][-1]["reason_detail"] == "Quiere quedarse con su hermana"
    assert report["consents"][0]["purpose"] == "assistance"
    assert {a["actor_id"] for a in report["access_log"]} >= {"u-cw", "u-dpo"}
    assert report["requested"][0]["amount"] == "250.00"
    assert refused.status_code == 403


async def test_times_in_answers_carry_their_utc_offset(client: Client) -> None:
    """SQLite keeps no offset; the answers must still say the times are UTC."""
    from datetime import UTC, datetime

    case_id = (await client.register())["case_id"]

    listed = (await client.get("cw", "/api/cases")).json()["items"][0]["updated_at"]
    detail = (await client.get("cw", f"/api/cases/{case_id}")).json()

    for text in (listed, detail["updated_at"], *(t["at"] for t in detail["history"])):
        assert datetime.fromisoformat(text).utcoffset() is not None, text
        assert abs((datetime.fromisoformat(text) - datetime.now(UTC)).total_seconds()) < 600
