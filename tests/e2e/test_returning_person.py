"""A person returning in a second case keeps their person_ref, so the funding cap adds up
across both cases through the broker."""

from __future__ import annotations

import pytest

from tests.support import register_case

from .conftest import System, eventually
from .scenario import case_body, create_fund

pytestmark = pytest.mark.e2e


async def _move(s: System, case_id: str, to: str, **extra: str) -> None:
    response = await s.http.post(
        f"/api/cases/{case_id}/transitions", json={"to": to, **extra}, headers=s.auth("caseworker")
    )
    assert response.status_code == 200, response.text


async def _status(s: System, case_id: str, wanted: str) -> bool:
    case = (await s.http.get(f"/api/cases/{case_id}", headers=s.auth("caseworker"))).json()
    return bool(case["status"] == wanted)


async def test_the_cap_adds_up_across_the_cases_of_one_person(system: System) -> None:
    s = system
    await create_fund(s)
    first = await register_case(s.http, case_body(), s.auth("caseworker"))
    assert first.status_code == 201, first.text
    case_id = first.json()["case_id"]
    ref = first.json()["people"][0]["person_ref"]
    await _move(s, case_id, "eligible", reason_code="meets_criteria")
    await eventually(lambda: _status(s, case_id, "funding_approved"))
    for to in ("documents_ready", "departed", "arrived", "closed"):
        await _move(s, case_id, to)

    body = case_body()
    body["people"] = [{"person_ref": ref, "vulnerability_categories": ["woman_at_risk"]}]
    body["requested"] = [
        {"person": 0, "category": "transport", "amount": "300.00", "currency": "USD"}
    ]
    body["allow_partial"] = True
    second = await s.http.post("/api/cases", json=body, headers=s.auth("caseworker"))
    assert second.status_code == 201, second.text
    second_id = second.json()["case_id"]
    assert second.json()["people"][0]["person_ref"] == ref
    await _move(s, second_id, "eligible", reason_code="meets_criteria")
    await eventually(lambda: _status(s, second_id, "funding_approved"))

    funding = (await s.http.get(f"/api/people/{ref}/funding", headers=s.auth("caseworker"))).json()
    [period] = funding["funds"]
    assert period["committed_cents"] == 100_000  # 900.00 + 100.00 of the 300.00 asked
    assert period["remaining_cents"] == 0
