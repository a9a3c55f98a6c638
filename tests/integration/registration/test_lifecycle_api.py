"""Moving a case through its lifecycle over HTTP and by the funding service's events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from db.uow import ServiceDatabase
from events.envelope import Actor, new_envelope
from events.funding import CaseFundingDecided
from events.privacy import PersonalDataErased
from events.registration import CaseFundingApproved, CaseScreened
from services.kit.definition import Runtime
from services.registration.service import SERVICE
from tests.integration.registration.conftest import Client
from tests.integration.registration.fakes import FakeVault
from tests.integration.registration.helpers import outbox, parked
from tests.support import deliver, person_request


async def funding_decided(rt: Runtime, db: ServiceDatabase, case_id: str, approved: bool) -> None:
    decided = CaseFundingDecided(
        period="2025",
        case_id=uuid.UUID(case_id),
        approved=approved,
        committed_cents=25_000 if approved else 0,
        requested_cents=25_000,
    )
    await deliver(rt, SERVICE, new_envelope(decided, actor=Actor.service("funding")))


async def test_a_case_travels_from_registration_to_closure(
    client: Client, runtime: Runtime, db: ServiceDatabase
) -> None:
    case_id = (await client.register())["case_id"]

    screened = await client.move(case_id, "eligible", reason_code="meets_criteria")
    await funding_decided(runtime, db, case_id, approved=True)
    steps = [
        await client.move(case_id, to)
        for to in ("documents_ready", "departed", "arrived", "monitoring", "closed")
    ]

    assert screened.status_code == 200, screened.text
    assert [s.status_code for s in steps] == [200] * 5
    events = await outbox(db)
    assert [e.type.split(".")[1] for e in events] == [
        "return_registered",
        "case_screened",
        "case_funding_approved",
        "case_documents_ready",
        "case_departed",
        "case_arrived",
        "case_monitoring_started",
        "case_closed",
    ]
    approved = events[2]
    assert approved.actor == Actor.service("registration")
    assert approved.causation_id is not None
    history = (await client.get("cw", f"/api/cases/{case_id}")).json()["history"]
    assert [h["to_status"] for h in history][-1] == "closed"
    assert history[1]["actor_id"] == "u-cw" and history[1]["reason_code"] == "meets_criteria"


async def test_illegal_transition_is_409_naming_current_and_allowed(client: Client) -> None:
    case_id = (await client.register())["case_id"]

    response = await client.move(case_id, "departed")

    assert response.status_code == 409
    problem = response.json()
    assert problem["type"] == "urn:retorno:problem:illegal-transition"
    assert problem["current_status"] == "registered"
    assert problem["allowed_next"] == ["eligible", "ineligible", "withdrawn", "cancelled"]
    assert "'registered'" in problem["detail"]


async def test_eligible_is_refused_while_checks_fail(client: Client, db: ServiceDatabase) -> None:
    case_id = (await client.register(people=[person_request(nationality="HN")]))["case_id"]

    response = await client.move(case_id, "eligible", reason_code="meets_criteria")

    assert response.status_code == 409
    assert response.json()["failed_checks"] == ["destination_not_nationality"]
    assert response.json()["type"] == "urn:retorno:problem:eligibility-checks-failed"
    assert len(await outbox(db)) == 1


async def test_ineligible_ends_the_case_with_reason_and_failed_checks(
    client: Client, db: ServiceDatabase
) -> None:
    case_id = (await client.register(people=[person_request(nationality="HN")]))["case_id"]

    done = (await client.move(case_id, "ineligible", reason_code="not_vulnerable")).json()
    again = await client.move(case_id, "withdrawn", reason_code="changed_mind")

    assert done["allowed_next"] == []
    screened = (await outbox(db))[-1].parse(CaseScreened)
    assert screened.eligible is False and screened.reason_code == "not_vulnerable"
    assert screened.failed_checks == ["destination_not_nationality"]
    assert again.status_code == 409


async def test_nationality_exception_is_recorded_as_a_code(
    client: Client, db: ServiceDatabase
) -> None:
    case_id = (await client.register(people=[person_request(nationality="HN")]))["case_id"]

    refused = await client.move(case_id, "eligible", reason_code="meets_criteria")
    accepted = await client.move(
        case_id,
        "eligible",
        reason_code="meets_criteria",
        eligibility_exception_reason="habitual_residence",
    )

    assert refused.status_code == 409
    assert accepted.status_code == 200
    screened = (await outbox(db))[-1].parse(CaseScreened)
    assert screened.eligibility_exception == "habitual_residence"


async def test_exits_need_a_reason_and_funding_approval_cannot_be_requested(
    client: Client,
) -> None:
    case_id = (await client.register())["case_id"]

    no_reason = await client.move(case_id, "withdrawn")
    funding = await client.move(case_id, "funding_approved")
    unknown = await client.post(
        "cw",
        f"/api/cases/{uuid.uuid4()}/transitions",
        {"to": "withdrawn", "reason_code": "changed_mind"},
    )

    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason_code"
    assert funding.status_code == 422
    assert unknown.status_code == 404


async def test_withdrawal_stores_free_text_only_encrypted(
    client: Client, db: ServiceDatabase
) -> None:
    case_id = (await client.register())["case_id"]

    await client.move(
        case_id, "withdrawn", reason_code="changed_mind", reason_detail="SENTINEL-NOTE-93"
    )

    [*_, withdrawn] = await outbox(db)
    assert b"SENTINEL-NOTE-93" not in withdrawn.to_bytes()
    seen = (await client.get("cw", f"/api/cases/{case_id}")).json()
    assert seen["history"][-1]["reason_detail"] == "SENTINEL-NOTE-93"


async def test_funding_events_are_applied_once_and_rejections_change_nothing(
    client: Client, runtime: Runtime, db: ServiceDatabase
) -> None:
    case_id = (await client.register())["case_id"]
    await client.move(case_id, "eligible", reason_code="meets_criteria")

    await funding_decided(runtime, db, case_id, approved=False)
    status_after_rejection = (await client.get("cw", f"/api/cases/{case_id}")).json()["status"]
    await funding_decided(runtime, db, case_id, approved=True)
    await funding_decided(runtime, db, case_id, approved=True)
    unknown = str(uuid.uuid4())
    await funding_decided(runtime, db, unknown, approved=True)  # a case not stored (yet): parked

    assert await parked(db) == [(CaseFundingDecided.type_name(), f"case_id:{unknown}")]
    assert status_after_rejection == "eligible"
    approvals = [e for e in await outbox(db) if e.type == CaseFundingApproved.type_name()]
    assert len(approvals) == 1


async def test_funding_decision_after_withdrawal_changes_nothing(
    client: Client, runtime: Runtime, db: ServiceDatabase
) -> None:
    case_id = (await client.register())["case_id"]
    await client.move(case_id, "eligible", reason_code="meets_criteria")
    await client.move(case_id, "withdrawn", reason_code="changed_mind")

    await funding_decided(runtime, db, case_id, approved=True)

    assert (await client.get("cw", f"/api/cases/{case_id}")).json()["status"] == "withdrawn"


async def test_erasure_purges_ciphertexts_and_marks_the_person(
    client: Client, runtime: Runtime, db: ServiceDatabase, vault: FakeVault
) -> None:
    case = await client.register()
    ref = case["people"][0]["person_ref"]
    await client.move(
        case["case_id"], "withdrawn", reason_code="changed_mind", reason_detail="nota"
    )
    await vault.erase(ref)
    erased = PersonalDataErased(
        person_ref=ref, erased_at=datetime.now(UTC), trigger="request", key_fingerprint="ab"
    )
    envelope = new_envelope(erased, actor=Actor.service("privacy"))

    await deliver(runtime, SERVICE, envelope, envelope)  # a redelivery is harmless

    seen = (await client.get("cw", f"/api/cases/{case['case_id']}")).json()
    assert seen["people"][0]["erased"] is True
    assert seen["people"][0]["personal"]["given_names"] is None
    assert seen["people"][0]["age_band"] == "18-59"
    assert seen["history"][-1]["reason_detail"] is None
    blocked = await client.move(case["case_id"], "cancelled", reason_code="x_y")
    assert blocked.status_code == 409
