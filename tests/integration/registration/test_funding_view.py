"""The funding decision is visible on the case: registration keeps funding's decisions in the
case's read model, and GET /api/cases/{id} (and the list, briefly) shows them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from db.uow import ServiceDatabase
from events.envelope import Actor, Envelope, Payload, new_envelope
from events.funding import (
    CaseFundingDecided,
    CommitmentApproved,
    CommitmentRejected,
    CommittedLine,
)
from services.kit.definition import Runtime
from tests.integration.registration.conftest import Client
from tests.integration.registration.helpers import apply, funds_known, parked
from tests.support import person_request

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def event(payload: Payload, at: datetime = T0) -> Envelope:
    return new_envelope(payload, actor=Actor.service("funding"), occurred_at=at)


def rejected(case_id: str, ref: str, reason: str, **cents: int) -> CommitmentRejected:
    values = {"requested_cents": 25_000, "remaining_cap_cents": 0, "available_cents": 0}
    values.update(cents)
    return CommitmentRejected(
        period=str(T0.year), case_id=uuid.UUID(case_id), person_ref=ref, reason=reason, **values
    )


def approved(case_id: str, ref: str, amount: int, requested: int, left: int) -> CommitmentApproved:
    return CommitmentApproved(
        commitment_id=uuid.uuid4(),
        period=str(T0.year),
        case_id=uuid.UUID(case_id),
        person_ref=ref,
        requested_cents=requested,
        amount_cents=amount,
        lines=[CommittedLine(category="transport", amount_cents=amount)],
        partial=amount < requested,
        remaining_cap_cents=left,
    )


def decided(case_id: str, ok: bool, committed: int, requested: int) -> CaseFundingDecided:
    return CaseFundingDecided(
        period=str(T0.year),
        case_id=uuid.UUID(case_id),
        approved=ok,
        committed_cents=committed,
        requested_cents=requested,
    )


async def eligible_family(client: Client) -> tuple[str, list[str]]:
    case = await client.register(people=[person_request(), person_request(given_names="Luis")])
    await client.move(case["case_id"], "eligible", reason_code="meets_criteria")
    return case["case_id"], [p["person_ref"] for p in case["people"]]


async def test_a_case_refused_for_cap_exhaustion_shows_why_with_the_remaining_cap(
    client: Client, db: ServiceDatabase
) -> None:
    case_id, [ana, luis] = await eligible_family(client)

    await apply(db, event(approved(case_id, ana, 25_000, 25_000, 75_000)))
    await apply(db, event(rejected(case_id, luis, "cap_exhausted", remaining_cap_cents=4_050)))
    await apply(db, event(decided(case_id, True, 25_000, 50_000)))
    seen = (await client.get("cw", f"/api/cases/{case_id}")).json()
    listed = (await client.get("sup", "/api/cases")).json()["items"]

    funding = seen["funding"]
    assert (funding["decision"], funding["currency"]) == ("approved", "USD")
    assert (funding["committed"], funding["committed_cents"]) == ("250.00", 25_000)
    assert (funding["requested"], funding["requested_cents"]) == ("500.00", 50_000)
    first, second = funding["people"]
    assert (first["person_ref"], first["outcome"], first["reason"]) == (ana, "approved", None)
    assert (second["person_ref"], second["outcome"]) == (luis, "refused")
    assert second["reason"] == "cap_exhausted"
    assert (second["remaining_cap"], second["remaining_cap_cents"]) == ("40.50", 4_050)
    assert "cap has only 40.50 USD left" in second["explanation"]
    assert second["decided_at"].startswith(T0.date().isoformat())
    [brief] = [c["funding"] for c in listed if c["case_id"] == case_id]
    assert brief["decision"] == "approved" and brief["committed"] == "250.00"
    assert "people" not in brief


async def test_a_refused_case_stays_eligible_and_says_so_with_the_funds_available_amount(
    client: Client, db: ServiceDatabase
) -> None:
    case_id, [ana, luis] = await eligible_family(client)

    for ref in (ana, luis):
        shortfall = rejected(case_id, ref, "insufficient_fund_balance", available_cents=12_345)
        await apply(db, event(shortfall))
    await apply(db, event(decided(case_id, False, 0, 50_000)))
    seen = (await client.get("cw", f"/api/cases/{case_id}")).json()

    assert seen["status"] == "eligible"
    assert seen["funding"]["decision"] == "refused" and seen["funding"]["committed"] == "0.00"
    reasons = {(p["reason"], p["available"]) for p in seen["funding"]["people"]}
    assert reasons == {("insufficient_fund_balance", "123.45")}
    assert "fund has only 123.45 USD available" in seen["funding"]["people"][0]["explanation"]


async def test_a_later_manual_approval_replaces_the_refusal_and_an_older_one_changes_nothing(
    client: Client, db: ServiceDatabase
) -> None:
    case_id, [ana, _] = await eligible_family(client)
    later = T0 + timedelta(hours=1)

    await apply(db, event(rejected(case_id, ana, "cap_exhausted"), T0))
    await apply(db, event(decided(case_id, False, 0, 25_000), T0))
    await apply(db, event(approved(case_id, ana, 10_000, 25_000, 0), later))
    await apply(db, event(decided(case_id, True, 10_000, 25_000), later))
    redelivered_old = event(rejected(case_id, ana, "unknown_fund"), T0 - timedelta(minutes=1))
    await apply(db, redelivered_old)
    await apply(db, event(decided(case_id, False, 0, 1), T0 - timedelta(minutes=1)))
    seen = (await client.get("cw", f"/api/cases/{case_id}")).json()

    assert seen["status"] == "funding_approved"
    assert seen["funding"]["decision"] == "approved"
    [ana_funding] = [p for p in seen["funding"]["people"] if p["person_ref"] == ana]
    assert (ana_funding["outcome"], ana_funding["partial"]) == ("approved", True)
    assert ana_funding["committed"] == "100.00" and "in part" in ana_funding["explanation"]


async def test_a_redelivered_decision_is_applied_once(client: Client, db: ServiceDatabase) -> None:
    case_id, [ana, _] = await eligible_family(client)
    once = event(rejected(case_id, ana, "currency_mismatch"))

    await apply(db, once)
    await apply(db, once)
    seen = (await client.get("cw", f"/api/cases/{case_id}")).json()

    assert seen["funding"] is None  # no case decision yet: the people's wait for it
    await apply(db, event(decided(case_id, False, 0, 50_000)))
    seen = (await client.get("cw", f"/api/cases/{case_id}")).json()
    assert [p["reason"] for p in seen["funding"]["people"]] == ["currency_mismatch"]


@pytest.mark.parametrize("kind", ["decided", "approved", "rejected"])
async def test_a_decision_before_the_case_waits_for_it(db: ServiceDatabase, kind: str) -> None:
    case_id, ref = str(uuid.uuid4()), "p_" + uuid.uuid4().hex
    payload: Payload = {
        "decided": decided(case_id, False, 0, 1),
        "approved": approved(case_id, ref, 1, 1, 0),
        "rejected": rejected(case_id, ref, "cap_exhausted"),
    }[kind]

    early = event(payload)
    await apply(db, early)  # the runner parks it

    assert await parked(db) == [(early.type, f"case_id:{case_id}")]


async def test_a_case_of_a_fund_in_another_currency_shows_that_currency(
    client: Client, runtime: Runtime, db: ServiceDatabase
) -> None:
    await funds_known(db, "2030-EUR", currency="EUR")
    body = {"fund_period": "2030-EUR"}
    line = {"person": "all", "category": "transport", "amount": "80.00", "currency": "EUR"}
    case = await client.register(**body, requested=[line])
    case_id, ref = case["case_id"], case["people"][0]["person_ref"]
    await client.move(case_id, "eligible", reason_code="meets_criteria")

    refusal = rejected(case_id, ref, "cap_exhausted", remaining_cap_cents=0)
    await apply(db, event(refusal.model_copy(update={"period": "2030-EUR"})))
    await apply(
        db, event(decided(case_id, False, 0, 8_000).model_copy(update={"period": "2030-EUR"}))
    )
    seen = (await client.get("cw", f"/api/cases/{case_id}")).json()

    assert seen["funding"]["currency"] == "EUR"
    assert "0.00 EUR left" in seen["funding"]["people"][0]["explanation"]
