"""A whole return through HTTP and the broker: fund, registration, screening, the funding
decision arriving by event, disbursement, audit; and no personal data in any file."""

from __future__ import annotations

import logging

import pytest

from tests.support import register_case

from .conftest import System, eventually
from .scenario import (
    SENTINEL_DOCUMENT,
    SENTINEL_FAMILY,
    SENTINEL_GIVEN,
    SENTINEL_PHONE,
    case_body,
    create_fund,
    files_containing,
)

pytestmark = pytest.mark.e2e


async def test_registered_case_gets_its_funding_decision_through_the_broker(system: System, caplog):
    caplog.set_level(logging.DEBUG)
    s = system
    await create_fund(s)
    fund = (await s.http.get("/api/funds/2026", headers=s.auth("auditor"))).json()
    assert {m["member"]: m["expected_cents"] for m in fund["members"]}["CA"] == 1_500_000

    created = await register_case(s.http, case_body(), s.auth("caseworker"))
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]
    person_ref = created.json()["people"][0]["person_ref"]
    screened = await s.http.post(
        f"/api/cases/{case_id}/transitions",
        json={"to": "eligible", "reason_code": "meets_criteria"},
        headers=s.auth("caseworker"),
    )
    assert screened.status_code == 200, screened.text

    async def funding_approved():
        case = (await s.http.get(f"/api/cases/{case_id}", headers=s.auth("caseworker"))).json()
        return case if case["status"] == "funding_approved" else None

    case = await eventually(funding_approved)
    assert case["people"][0]["personal"]["family_name"] == SENTINEL_FAMILY
    funding = (
        await s.http.get(f"/api/people/{person_ref}/funding", headers=s.auth("caseworker"))
    ).json()
    [period] = funding["funds"]
    assert period["committed_cents"] == 90_000
    assert period["remaining_cents"] == 10_000

    # Another office's caseworker and the auditor never see this person's data.
    other = await s.http.get(f"/api/cases/{case_id}", headers=s.auth("other_office_caseworker"))
    assert other.status_code == 403
    audited = await s.http.get(f"/api/cases/{case_id}", headers=s.auth("auditor"))
    assert audited.status_code == 403

    async def audit_caught_up():
        response = await s.http.get("/api/audit/verify", headers=s.auth("auditor"))
        body = response.json()
        return body.get("intact") is True and body["chain"]["records_checked"] >= 7, body

    async def check():
        done, body = await audit_caught_up()
        checked.append(body)
        return done

    checked: list = []
    try:
        await eventually(check)
    except AssertionError as exc:
        raise AssertionError(f"audit never caught up: {checked[-1]}") from exc
    await s.node.stop()  # flush everything to disk before looking at the files

    leaks = files_containing(
        s.data_dir, [SENTINEL_GIVEN, SENTINEL_FAMILY, SENTINEL_DOCUMENT, SENTINEL_PHONE]
    )
    assert leaks == []
    assert any((s.data_dir / "nats").rglob("*.blk")), "the JetStream store was not searched"
    for sentinel in (SENTINEL_GIVEN, SENTINEL_FAMILY, SENTINEL_DOCUMENT):
        assert sentinel not in caplog.text
