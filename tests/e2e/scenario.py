"""What the end-to-end tests share: a case whose personal data are sentinels (searched for
in every file afterwards), the 2026 fund with its contributions, and the file search."""

from __future__ import annotations

import uuid
from pathlib import Path

from .conftest import System

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


def files_containing(root: Path, needles: list[str]) -> list[str]:
    found = []
    encoded = [n.encode() for n in needles] + [n.encode("utf-16-le") for n in needles]
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path}: {n!r}" for n in encoded if n in data]
    return found
