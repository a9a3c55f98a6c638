"""Services together on a real nats-server: a case that funding refuses for cap exhaustion
stays eligible, and registration shows the refusal, its reason and the remaining cap."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import register_case

from .conftest import System, eventually
from .scenario import case_body, create_fund

pytestmark = pytest.mark.e2e


async def test_a_case_refused_for_cap_exhaustion_shows_the_reason_and_the_remaining_cap(
    system: System,
) -> None:
    s = system
    await create_fund(s)  # cap 1,000.00 per person
    body = case_body()
    body["requested"] = [
        {"person": 0, "category": "transport", "amount": "1200.00", "currency": "USD"}
    ]
    created = await register_case(s.http, body, s.auth("caseworker"))
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]
    ref = created.json()["people"][0]["person_ref"]
    screened = await s.http.post(
        f"/api/cases/{case_id}/transitions",
        json={"to": "eligible", "reason_code": "meets_criteria"},
        headers=s.auth("caseworker"),
    )
    assert screened.status_code == 200, screened.text

    async def decided() -> dict[str, Any] | None:
        case = (await s.http.get(f"/api/cases/{case_id}", headers=s.auth("caseworker"))).json()
        return case if case["funding"] is not None and case["funding"]["people"] else None

    case = await eventually(decided, timeout=30)
    listed = (await s.http.get("/api/cases", headers=s.auth("supervisor"))).json()["items"]

    assert case["status"] == "eligible"
    funding = case["funding"]
    assert (funding["decision"], funding["committed"], funding["requested"]) == (
        "refused",
        "0.00",
        "1200.00",
    )
    [person] = funding["people"]
    assert (person["person_ref"], person["outcome"], person["reason"]) == (
        ref,
        "refused",
        "cap_exhausted",
    )
    assert (person["remaining_cap"], person["remaining_cap_cents"]) == ("1000.00", 100_000)
    assert person["explanation"] == (
        "refused: 1200.00 USD asked, but the person's cap has only 1000.00 USD left"
    )
    [brief] = [c["funding"] for c in listed if c["case_id"] == case_id]
    assert brief["decision"] == "refused"
