"""A person who comes back through another office: registered there without the owning
office's personal data, which that office reads only after an approved transfer."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from db.uow import ServiceDatabase
from services.kit.definition import Runtime
from services.registration import store
from tests.integration.registration.conftest import Client, case_body
from tests.integration.registration.fakes import FakeVault
from tests.integration.registration.helpers import outbox
from tests.integration.registration.test_lifecycle_api import funding_decided

# what the GT-GUA record holds (conftest.person) and must not reach MX-TAP without a transfer
SENTINELS = ("Ana Maria", "Lopez", "1990-03-04", "P1234567", "1234 5678", "ana@example.org")
FRESH = {
    "given_names": "Rosa Elena",
    "family_name": "Quispe",
    "date_of_birth": "1991-07-08",
    "travel_document": {"type": "national_id", "number": "MXID998877"},
}


def leaks(text: str) -> list[str]:
    return [s for s in SENTINELS if s in text]


async def closed_gt_case(client: Client, runtime: Runtime, db: ServiceDatabase) -> str:
    """A GT-GUA case of the person of ``conftest.person``, run to closure; their ref."""
    first = await client.register("cw-other", office="GT-GUA")
    case_id = first["case_id"]
    assert (
        await client.move(case_id, "eligible", "cw-other", reason_code="meets_criteria")
    ).is_success
    await funding_decided(runtime, db, case_id, approved=True)
    for to in ("documents_ready", "departed", "arrived", "closed"):
        assert (await client.move(case_id, to, "cw-other")).is_success
    return str(first["people"][0]["person_ref"])


def returning(ref: str, **changes: Any) -> dict[str, Any]:
    return {"person_ref": ref, "vulnerability_categories": ["woman_at_risk"], **changes}


async def request(client: Client, ref: str, user: str = "cw", **body: Any) -> Any:
    payload = {"office": "MX-TAP", "reason_code": "person_returned", **body}
    return await client.post(user, f"/api/people/{ref}/transfers", payload)


async def decide(client: Client, transfer_id: str, user: str, decision: str) -> Any:
    body = {"decision": decision, "reason_code": "same_person_confirmed"}
    return await client.post(user, f"/api/transfers/{transfer_id}/decision", body)


async def test_another_office_registers_a_returning_person_without_their_record(
    client: Client, runtime: Runtime, db: ServiceDatabase, vault: FakeVault
) -> None:
    ref = await closed_gt_case(client, runtime, db)

    response = await client.post("cw", "/api/cases", case_body(people=[returning(ref)]))
    again = await client.get("cw", f"/api/cases/{response.json()['case_id']}")
    record = await client.get("cw", f"/api/people/{ref}/record")

    assert response.status_code == 201, response.text
    [seen] = response.json()["people"]
    assert seen["person_ref"] == ref and seen["personal"] is None
    assert seen["record_access"] == "withheld" and seen["age_years"] is None
    assert (seen["sex"], seen["nationality"], seen["age_band"]) == ("female", "GT", "18-59")
    assert seen["vulnerability_categories"] == ["woman_at_risk"]
    assert leaks(response.text) == [] and leaks(again.text) == []
    assert again.json()["people"][0]["record_access"] == "withheld"
    assert record.status_code == 403 and leaks(record.text) == []
    reads = [(a.actor_id, a.purpose, a.fields) for a in await vault.access_log(ref)]
    assert ("u-cw", "registration_returning_person_age_only", ("date_of_birth",)) in reads
    assert not any(actor == "u-cw" and fields != ("date_of_birth",) for actor, _, fields in reads)


async def test_another_office_keeps_what_it_entered_itself_as_its_own_record(
    client: Client, runtime: Runtime, db: ServiceDatabase
) -> None:
    ref = await closed_gt_case(client, runtime, db)
    gt_case = (await client.get("cw-other", "/api/cases", office="GT-GUA")).json()["items"][0]

    response = await client.post(
        "cw", "/api/cases", case_body(people=[returning(ref, personal=FRESH)])
    )
    gt_view = await client.get("cw-other", f"/api/cases/{gt_case['case_id']}")
    report = await client.get("dpo", f"/api/people/{ref}/data")

    assert response.status_code == 201, response.text
    [seen] = response.json()["people"]
    assert seen["record_access"] == "own" and seen["record_office"] == "MX-TAP"
    assert seen["personal"]["given_names"] == "Rosa Elena"
    assert seen["personal"]["travel_document_number"] == "MXID998877"
    assert seen["age_years"] is not None
    assert leaks(response.text) == []
    assert gt_view.json()["people"][0]["personal"]["given_names"] == "Ana Maria"
    assert "Rosa" not in gt_view.text
    assert report.json()["owning_office"] == "GT-GUA"
    assert report.json()["person"]["personal"]["given_names"] == "Ana Maria"
    [mx] = report.json()["office_records"]
    assert mx["office"] == "MX-TAP" and mx["personal"]["family_name"] == "Quispe"
    async with db.sessions() as session:
        assert await store.ciphertexts(session, ref)  # the owner's record is untouched
        assert set(await store.record_offices(session, ref)) == {"MX-TAP"}


async def test_the_owning_office_cannot_replace_its_record_at_re_registration(
    client: Client, runtime: Runtime, db: ServiceDatabase
) -> None:
    ref = await closed_gt_case(client, runtime, db)

    response = await client.post(
        "cw-other",
        "/api/cases",
        case_body(office="GT-GUA", people=[returning(ref, personal=FRESH)]),
    )

    assert response.status_code == 422
    async with db.sessions() as session:
        assert await store.record_offices(session, ref) == set()


async def test_an_approved_transfer_lets_the_requesting_office_read_the_record(
    client: Client, runtime: Runtime, db: ServiceDatabase, vault: FakeVault
) -> None:
    ref = await closed_gt_case(client, runtime, db)
    case = await client.post("cw", "/api/cases", case_body(people=[returning(ref)]))
    case_id = case.json()["case_id"]

    asked = await request(client, ref)
    transfer_id = asked.json()["transfer_id"]
    twice = await request(client, ref)
    by_caseworker = await decide(client, transfer_id, "cw-other", "approve")
    by_requester = await decide(client, transfer_id, "sup-mx", "approve")
    before = await client.get("cw", f"/api/cases/{case_id}")
    approved = await decide(client, transfer_id, "sup-gt", "approve")
    after = await client.get("cw", f"/api/cases/{case_id}")
    record = await client.get("cw", f"/api/people/{ref}/record")
    again = await decide(client, transfer_id, "dpo", "refuse")

    assert asked.status_code == 201, asked.text
    assert asked.json()["from_office"] == "GT-GUA" and asked.json()["status"] == "requested"
    assert twice.status_code == 409
    assert twice.json()["type"] == "urn:retorno:problem:transfer-pending"
    assert by_caseworker.status_code == 403  # caseworkers do not decide
    assert by_requester.status_code == 403  # nor the requesting office's supervisor
    assert before.json()["people"][0]["record_access"] == "withheld"
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert approved.json()["decided_by"] == "u-sup-gt"
    [person_after] = after.json()["people"]
    assert person_after["record_access"] == "transfer"
    assert person_after["record_office"] == "GT-GUA"
    assert person_after["personal"]["given_names"] == "Ana Maria"
    assert record.status_code == 200
    assert record.json()["record_access"] == "transfer"
    assert record.json()["personal"]["travel_document_number"] == "P1234567"
    assert again.status_code == 409
    assert again.json()["type"] == "urn:retorno:problem:transfer-already-decided"
    purposes = {a.purpose for a in await vault.access_log(ref) if a.actor_id == "u-cw"}
    assert {"transferred_record", "case_management_transferred_record"} <= purposes
    events = [e for e in await outbox(db) if "record_transfer" in e.type]
    assert [e.type for e in events] == [
        "registration.record_transfer_requested",
        "registration.record_transfer_approved",
    ]
    assert events[1].payload["reason_code"] == "same_person_confirmed"
    assert all(leaks(e.model_dump_json()) == [] for e in events)


async def test_a_refused_transfer_keeps_the_record_withheld_and_may_be_asked_again(
    client: Client, runtime: Runtime, db: ServiceDatabase
) -> None:
    ref = await closed_gt_case(client, runtime, db)

    asked = await request(client, ref)
    refused = await decide(client, asked.json()["transfer_id"], "dpo", "refuse")
    record = await client.get("cw", f"/api/people/{ref}/record")
    asked_again = await request(client, ref)

    assert refused.status_code == 200 and refused.json()["status"] == "refused"
    assert record.status_code == 403
    assert asked_again.status_code == 201
    types = [e.type for e in await outbox(db) if "record_transfer" in e.type]
    assert types.count("registration.record_transfer_refused") == 1


@pytest.mark.parametrize(
    ("user", "body", "status"),
    [
        ("cw", {"reason_code": "Person Returned"}, 422),
        ("cw", {"office": ""}, 422),
        ("cw", {"extra": 1}, 422),
        ("cw", {"office": "GT-GUA"}, 403),  # not the caseworker's office
        ("cw-other", {"office": "GT-GUA"}, 409),  # the owning office holds the record
    ],
)
async def test_a_bad_transfer_request_is_refused_and_stores_nothing(
    client: Client,
    runtime: Runtime,
    db: ServiceDatabase,
    user: str,
    body: dict[str, Any],
    status: int,
) -> None:
    ref = await closed_gt_case(client, runtime, db)
    events = len(await outbox(db))

    response = await request(client, ref, user, **body)

    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert len(await outbox(db)) == events
    async with db.sessions() as session:
        assert await store.transfers_of(session, ref) == []


async def test_transfers_of_unknown_people_or_ids_are_not_found(client: Client) -> None:
    unknown = "p_" + "0" * 32

    asked = await request(client, unknown)
    decided = await decide(client, str(uuid.uuid4()), "sup-gt", "approve")
    read = await client.get("cw", f"/api/transfers/{uuid.uuid4()}")
    record = await client.get("cw", f"/api/people/{unknown}/record")

    assert (asked.status_code, decided.status_code, read.status_code) == (404, 404, 404)
    assert record.status_code == 404


async def test_transfers_are_listed_for_their_two_offices_and_the_dpo_only(
    client: Client, runtime: Runtime, db: ServiceDatabase
) -> None:
    ref = await closed_gt_case(client, runtime, db)
    transfer_id = (await request(client, ref)).json()["transfer_id"]

    listed = {
        user: [t["transfer_id"] for t in (await client.get(user, "/api/transfers")).json()["items"]]
        for user in ("cw", "cw-other", "dpo", "cw-cr")
    }
    pending = await client.get("sup-gt", "/api/transfers", status="requested", person_ref=ref)
    outsider = await client.get("cw-cr", f"/api/transfers/{transfer_id}")
    outsider_decides = await decide(client, transfer_id, "cw-cr", "approve")

    assert listed == {
        "cw": [transfer_id],
        "cw-other": [transfer_id],
        "dpo": [transfer_id],
        "cw-cr": [],
    }
    assert [t["transfer_id"] for t in pending.json()["items"]] == [transfer_id]
    assert outsider.status_code == 403
    assert outsider_decides.status_code == 403  # a caseworker: no transfers.decide


async def test_breaking_the_glass_needs_a_reason_is_logged_and_listed_for_the_dpo(
    client: Client, runtime: Runtime, db: ServiceDatabase, vault: FakeVault
) -> None:
    ref = await closed_gt_case(client, runtime, db)
    url = f"/api/people/{ref}/emergency-read"

    no_reason = await client.post("cw", url, {"office": "MX-TAP"})
    not_mine = await client.post(
        "cw", url, {"office": "GT-GUA", "reason_code": "medical_emergency"}
    )
    owner = await client.post(
        "cw-other", url, {"office": "GT-GUA", "reason_code": "medical_emergency"}
    )
    listed_before = await client.get("dpo", "/api/emergency-reads")
    read = await client.post("cw", url, {"office": "MX-TAP", "reason_code": "medical_emergency"})
    listed = await client.get("dpo", "/api/emergency-reads", person_ref=ref)

    assert (no_reason.status_code, not_mine.status_code, owner.status_code) == (422, 403, 409)
    assert listed_before.json()["items"] == []
    assert read.status_code == 200, read.text
    assert read.json()["record_access"] == "break_glass"
    assert read.json()["personal"]["given_names"] == "Ana Maria"
    [entry] = listed.json()["items"]
    assert (entry["office"], entry["owning_office"], entry["actor_id"]) == (
        "MX-TAP",
        "GT-GUA",
        "u-cw",
    )
    assert entry["reason_code"] == "medical_emergency"
    assert ("u-cw", "break_the_glass:medical_emergency") in {
        (a.actor_id, a.purpose) for a in await vault.access_log(ref)
    }
    [event] = [e for e in await outbox(db) if e.type == "registration.record_emergency_read"]
    assert (
        event.payload["reason_code"] == "medical_emergency" and leaks(event.model_dump_json()) == []
    )
