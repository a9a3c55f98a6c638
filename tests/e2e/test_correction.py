"""A case corrected before screening, through HTTP and the broker: funding commits the
corrected lines, audit chains the correction, and no personal value is in any file."""

from __future__ import annotations

import logging
import uuid

import pytest

from .conftest import System, eventually
from .scenario import case_body, create_fund, files_containing

pytestmark = pytest.mark.e2e

NEW_GIVEN = "Wqolvandrix" + uuid.uuid4().hex[:8]
NEW_DOCUMENT = "CRX" + uuid.uuid4().hex[:12].upper()
NEW_BORN = "1985-09-17"


async def test_screening_commits_the_corrected_lines_and_nothing_personal_leaves(
    system: System, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    s = system
    await create_fund(s)
    created = await s.http.post("/api/cases", json=case_body(), headers=s.auth("caseworker"))
    assert created.status_code == 201, created.text
    case = created.json()
    case_id, ref = case["case_id"], case["people"][0]["person_ref"]

    fixed = await s.http.patch(
        f"/api/cases/{case_id}",
        json={
            "version": case["version"],
            "destination_country": "SV",
            "requested": [
                {"person": ref, "category": "transport", "amount": "450.00", "currency": "USD"},
                {"person": "all", "category": "medical", "amount": "120.50", "currency": "USD"},
            ],
            "people": [
                {
                    "person_ref": ref,
                    "given_names": NEW_GIVEN,
                    "date_of_birth": NEW_BORN,
                    "nationality": "SV",
                    "travel_document": {"type": "passport", "number": NEW_DOCUMENT},
                }
            ],
        },
        headers=s.auth("caseworker"),
    )
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["people"][0]["personal"]["given_names"] == NEW_GIVEN
    screened = await s.http.post(
        f"/api/cases/{case_id}/transitions",
        json={"to": "eligible", "reason_code": "meets_criteria"},
        headers=s.auth("caseworker"),
    )
    assert screened.status_code == 200, screened.text

    async def funding_approved() -> object:
        seen = (await s.http.get(f"/api/cases/{case_id}", headers=s.auth("caseworker"))).json()
        return seen if seen["status"] == "funding_approved" else None

    seen = await eventually(funding_approved)
    assert [h["kind"] for h in seen["history"]][:2] == ["transition", "correction"]
    funding = (await s.http.get(f"/api/people/{ref}/funding", headers=s.auth("caseworker"))).json()
    [period] = funding["funds"]
    assert period["committed_cents"] == 57_050  # 450.00 + 120.50, not the 900.00 registered
    refused = await s.http.patch(
        f"/api/cases/{case_id}",
        json={"version": seen["version"], "destination_country": "HN"},
        headers=s.auth("caseworker"),
    )
    assert refused.status_code == 409 and refused.json()["current_status"] == "funding_approved"

    async def audited() -> object:
        response = await s.http.get(
            "/api/audit/events",
            params={"case_id": case_id, "type": "registration.case_corrected"},
            headers=s.auth("auditor"),
        )
        return response.json() if response.status_code == 200 and response.json() else None

    [logged] = await eventually(audited)
    assert logged["actor_id"] and logged["payload"]["personal_fields"] == [
        {
            "person_ref": ref,
            "fields": ["date_of_birth", "given_names", "travel_document"],
        }
    ]
    assert logged["payload"]["people"][0]["nationality"] == "SV"

    async def intact() -> object:
        body = (await s.http.get("/api/audit/verify", headers=s.auth("auditor"))).json()
        return body if body.get("intact") is True else None

    await eventually(intact)
    await s.node.stop()  # flush everything to disk before looking at the files
    leaks = files_containing(s.data_dir, [NEW_GIVEN, NEW_DOCUMENT, NEW_BORN])
    assert leaks == []
    for sentinel in (NEW_GIVEN, NEW_DOCUMENT, NEW_BORN):
        assert sentinel not in caplog.text
