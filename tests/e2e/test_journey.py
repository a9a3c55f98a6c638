"""A whole return through HTTP and the broker: fund, registration, screening, the funding
decision arriving by event, disbursement, audit; and no personal data in any file."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import pytest

from tests.support import register_case

from .conftest import System, eventually

pytestmark = pytest.mark.e2e

SENTINEL_GIVEN = "Zyxwqvetha" + uuid.uuid4().hex[:8]
SENTINEL_FAMILY = "Qorvandelis" + uuid.uuid4().hex[:8]
SENTINEL_DOCUMENT = "DOC" + uuid.uuid4().hex[:12].upper()
SENTINEL_PHONE = "+502 5" + str(uuid.uuid4().int)[:7]


def case_body() -> dict:
    return {
        "requester": {"type": "international_organisation", "name": "Regional Office"},
        "office": "GT-GUA",
        "fund_period": "2026",
        "departure_country": "GT",
        "destination_country": "HN",
        "people": [
            {
                "given_names": SENTINEL_GIVEN,
                "family_name": SENTINEL_FAMILY,
                "date_of_birth": "1990-04-02",
                "sex": "female",
                "nationality": "HN",
                "travel_document": {"type": "passport", "number": SENTINEL_DOCUMENT},
                "contact": {"phone": SENTINEL_PHONE},
                "vulnerability_categories": ["woman_at_risk"],
                "consents": [{"purpose": "assistance", "granted": True}],
            }
        ],
        "requested": [
            {"person": 0, "category": "transport", "amount": "600.00", "currency": "USD"},
            {"person": 0, "category": "reintegration_grant", "amount": "300.00", "currency": "USD"},
        ],
    }


async def create_fund(s: System) -> None:
    fund = {
        "period": "2026",
        "currency": "USD",
        "target": "60000.00",
        "per_person_cap": "1000.00",
        "shares": [
            {"member": "CA", "share_percent": "25"},
            {"member": "MX", "share_percent": "40"},
            {"member": "US", "share_percent": "35"},
        ],
    }
    response = await s.http.post("/api/funds", json=fund, headers=s.auth("supervisor"))
    assert response.status_code in (200, 201), response.text
    for member, amount in [("CA", "15000.00"), ("MX", "24000.00"), ("US", "21000.00")]:
        response = await s.http.post(
            "/api/funds/2026/receipts",
            json={"member": member, "amount": amount, "on": "2026-01-15"},
            headers=s.auth("supervisor"),
        )
        assert response.status_code in (200, 201), response.text


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

    leaks = _files_containing(
        s.data_dir, [SENTINEL_GIVEN, SENTINEL_FAMILY, SENTINEL_DOCUMENT, SENTINEL_PHONE]
    )
    assert leaks == []
    assert any((s.data_dir / "nats").rglob("*.blk")), "the JetStream store was not searched"
    for sentinel in (SENTINEL_GIVEN, SENTINEL_FAMILY, SENTINEL_DOCUMENT):
        assert sentinel not in caplog.text


def _files_containing(root: Path, needles: list[str]) -> list[str]:
    found = []
    encoded = [n.encode() for n in needles] + [n.encode("utf-16-le") for n in needles]
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path}: {n!r}" for n in encoded if n in data]
    return found
