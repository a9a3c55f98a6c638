"""Every distinct error a client may act on has its own problem ``type`` (a class in
``services.funding.domain.errors``): a client tells them apart without parsing ``detail``."""

from __future__ import annotations

import uuid
from typing import Any

from db.uow import ServiceDatabase
from services.kit.identity import Principal
from tests.integration.funding.conftest import Api, eligible_case, fund_body, funded
from tests.integration.funding.factories import (
    deliver,
    person_ref,
    registered,
    screened,
    withdrawn,
)

PROBLEM = "urn:retorno:problem:"


def problem(response: Any, status: int) -> str:
    """The problem type of a refused request (after checking its status)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status and body["detail"]
    return str(body["type"]).removeprefix(PROBLEM)


async def test_fund_and_contribution_problems_are_named(api: Api) -> None:
    await funded(api, "2026", received="100.00")

    again = await api.post("/api/funds", fund_body("2026"))
    unknown = await api.get("/api/funds/nope")
    unknown_pledge = await api.post("/api/funds/nope/pledges", {"member": "CA", "amount": "5"})
    currency = await api.post(
        "/api/funds/2026/pledges", {"member": "CA", "amount": "5", "currency": "EUR"}
    )
    member = await api.post("/api/funds/2026/pledges", {"member": "FR", "amount": "5"})
    future = await api.post(
        "/api/funds/2026/receipts", {"member": "CA", "amount": "5", "on": "2099-01-01"}
    )
    old = await api.post(
        "/api/funds/2026/receipts", {"member": "CA", "amount": "5", "on": "1926-01-01"}
    )
    entry = await api.post(
        f"/api/funds/2026/receipts/{uuid.uuid4()}/reversal", {"reason_code": "duplicate"}
    )

    assert problem(again, 409) == "fund-already-exists"
    assert problem(unknown, 404) == "unknown-fund"
    assert problem(unknown_pledge, 404) == "unknown-fund"
    assert problem(currency, 422) == "currency-mismatch"
    assert problem(member, 422) == "not-a-member"
    assert problem(future, 422) == "entry-date-in-future"
    assert problem(old, 422) == "entry-date-too-old"
    assert problem(entry, 404) == "unknown-entry"


async def test_a_rejected_commitment_names_its_binding_limit(api: Api, db: ServiceDatabase) -> None:
    await funded(api, "2026", received="1500.00")  # per-person cap 1000.00
    ref, other = person_ref(), person_ref()
    case_id = await eligible_case(db, "2026", ref, 10_000)
    other_case = await eligible_case(db, "2026", other, 10_000)

    cap = await api.post(
        f"/api/cases/{case_id}/commitments",
        {"person_ref": ref, "lines": [{"category": "transport", "amount": "950.00"}]},
    )
    approved = await api.post(
        f"/api/cases/{other_case}/commitments",
        {"person_ref": other, "lines": [{"category": "transport", "amount": "800.00"}]},
    )
    fund_short = await api.post(
        f"/api/cases/{case_id}/commitments",
        {"person_ref": ref, "lines": [{"category": "transport", "amount": "700.00"}]},
    )

    assert problem(cap, 409) == "cap-exhausted"
    assert cap.json()["reason"] == "cap_exhausted"
    assert cap.json()["remaining_cap"] == "900.00"
    assert approved.status_code == 201, approved.text
    assert problem(fund_short, 409) == "insufficient-fund-balance"
    assert fund_short.json()["reason"] == "insufficient_fund_balance"


async def test_commitment_request_problems_are_named(api: Api, db: ServiceDatabase) -> None:
    await funded(api, "2026")
    ref, stranger, without = person_ref(), person_ref(), person_ref()
    case_id = await eligible_case(db, "2026", ref, 10_000)
    ineligible = registered("2026", {ref: [("transport", 10_000)]})
    await deliver(db, ineligible)
    ineligible_id = uuid.UUID(ineligible.payload["case_id"])
    await deliver(db, screened(ineligible_id, eligible=False))
    bare = registered("2026", {ref: [("transport", 10_000)], without: []})
    await deliver(db, bare)
    await deliver(db, screened(uuid.UUID(bare.payload["case_id"])))

    def request(person: str, lines: list[Any] | None = None) -> dict[str, Any]:
        return {"person_ref": person} | ({"lines": lines} if lines is not None else {})

    unknown = await api.post(f"/api/cases/{uuid.uuid4()}/commitments", request(ref))
    not_eligible = await api.post(f"/api/cases/{ineligible_id}/commitments", request(ref))
    not_in_case = await api.post(f"/api/cases/{case_id}/commitments", request(stranger))
    no_lines = await api.post(f"/api/cases/{bare.payload['case_id']}/commitments", request(without))
    category = await api.post(
        f"/api/cases/{case_id}/commitments",
        request(ref, [{"category": "spaceflight", "amount": "5"}]),
    )
    api.principal = Principal("u_other", "supervisor", frozenset({"HN-02"}))
    elsewhere = await api.post(f"/api/cases/{case_id}/commitments", request(ref))
    person_elsewhere = await api.get(f"/api/people/{ref}/funding")
    unknown_person = await api.get(f"/api/people/{person_ref()}/funding")

    assert problem(unknown, 409) == "case-not-known"
    assert problem(not_eligible, 409) == "case-not-eligible"
    assert problem(not_in_case, 422) == "not-in-case"
    assert problem(no_lines, 422) == "no-cost-lines"
    assert problem(category, 422) == "unknown-category"
    assert problem(elsewhere, 403) == "case-of-another-office"
    assert problem(person_elsewhere, 403) == "forbidden"
    assert problem(unknown_person, 404) == "unknown-person"


async def test_payment_problems_are_named(api: Api, db: ServiceDatabase) -> None:
    await funded(api, "2026")
    ref = person_ref()
    reg = registered("2026", {ref: [("transport", 10_000), ("medical", 10_000)]})
    await deliver(db, reg)
    case_id = uuid.UUID(reg.payload["case_id"])
    await deliver(db, screened(case_id))
    [made] = (await api.get(f"/api/commitments?case_id={case_id}")).json()["items"]
    url = f"/api/commitments/{made['commitment_id']}/disbursements"

    over = await api.post(url, {"amount": "200.01", "category": "transport"})
    line = await api.post(url, {"amount": "150.00", "category": "transport"})
    no_line = await api.post(url, {"amount": "1.00", "category": "escort"})
    unknown = await api.post(
        f"/api/commitments/{uuid.uuid4()}/disbursements", {"amount": "1", "category": "transport"}
    )
    paid = await api.post(url, {"amount": "10.00", "category": "transport"})
    reversal = f"/api/payments/{paid.json()['disbursement_id']}/reversal"
    first = await api.post(reversal, {"reason_code": "duplicate"})
    second = await api.post(reversal, {"reason_code": "duplicate"})
    no_payment = await api.post(
        f"/api/payments/{uuid.uuid4()}/reversal", {"reason_code": "duplicate"}
    )
    await deliver(db, withdrawn(case_id))
    released = await api.post(url, {"amount": "1.00", "category": "transport"})

    assert problem(over, 409) == "over-disbursement"
    assert problem(line, 409) == "line-overpaid"
    assert problem(no_line, 409) == "no-such-line"
    assert problem(unknown, 404) == "unknown-commitment"
    assert paid.status_code == 201 and first.status_code == 201
    assert problem(second, 409) == "already-reversed"
    assert problem(no_payment, 404) == "unknown-payment"
    assert problem(released, 409) == "commitment-released"


async def test_receipt_reversal_problems_name_the_limit_they_would_break(
    api: Api, db: ServiceDatabase
) -> None:
    await funded(api, "2026", received="1000.00")  # from US
    ca = await api.post(
        "/api/funds/2026/receipts", {"member": "CA", "amount": "1000.00", "on": "2026-01-10"}
    )
    assert ca.status_code == 201
    case_id = await eligible_case(db, "2026", person_ref(), 100_000)
    [made] = (await api.get(f"/api/commitments?case_id={case_id}")).json()["items"]
    paid = await api.post(
        f"/api/commitments/{made['commitment_id']}/disbursements",
        {"amount": "1000.00", "category": "transport"},
    )
    assert paid.status_code == 201, paid.text
    receipts = {r["member"]: r for r in (await api.get("/api/funds/2026/receipts")).json()["items"]}
    await funded(api, "2027", received="1000.00")
    await eligible_case(db, "2027", person_ref(), 40_000)
    [receipt_2027] = (await api.get("/api/funds/2027/receipts")).json()["items"]

    # 2026: reversing CA's 1000.00 leaves 0 available, but 500.00 of it paid the payment.
    attributed = await api.post(
        f"/api/funds/2026/receipts/{receipts['CA']['entry_id']}/reversal",
        {"reason_code": "wrong_amount"},
    )
    # 2027: reversing the only receipt leaves 400.00 committed and nothing received.
    short = await api.post(
        f"/api/funds/2027/receipts/{receipt_2027['entry_id']}/reversal",
        {"reason_code": "wrong_amount"},
    )

    assert problem(attributed, 409) == "member-over-attributed"
    assert problem(short, 409) == "fund-balance-short"
    assert short.json()["shortfall_cents"] == 40_000
