"""The funding routes in the real app (the ``api`` fixture of this package's conftest)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi import APIRouter
from fastapi.routing import APIRoute
from sqlalchemy import update

from db.uow import ServiceDatabase
from services.funding import store
from services.funding.api import router
from services.kit.identity import Principal
from tests.integration.funding.conftest import Api, eligible_case, fund_body, funded
from tests.integration.funding.factories import (
    OFFICE,
    deliver,
    outbox,
    person_ref,
    registered,
    screened,
)


def required_actions(routes: APIRouter) -> dict[str, Any]:
    """Each route's principal dependency (the ``require(...)`` guard), by method and path."""
    found = {}
    for route in routes.routes:
        assert isinstance(route, APIRoute)
        for dep in route.dependant.dependencies:
            if dep.name == "principal":
                found[f"{min(route.methods)} {route.path}"] = dep.call
    return found


def test_every_route_requires_its_permission() -> None:
    actions = {
        key: getattr(guard, "action", None) for key, guard in required_actions(router()).items()
    }

    if any(a is None for a in actions.values()):
        pytest.skip("services.kit.identity does not expose the required action yet")
    assert actions == {
        "POST /api/funds": "funds.manage",
        "GET /api/funds/{period}": "funds.read",
        "POST /api/funds/{period}/pledges": "funds.manage",
        "POST /api/funds/{period}/receipts": "funds.manage",
        "POST /api/cases/{case_id}/commitments": "funding.commit",
        "POST /api/commitments/{commitment_id}/disbursements": "funding.disburse",
        "GET /api/people/{person_ref}/funding": "funding.read",
        "GET /api/funds/{period}/pledges": "funds.read",
        "GET /api/funds/{period}/receipts": "funds.read",
        "POST /api/funds/{period}/pledges/{entry_id}/reversal": "funds.manage",
        "POST /api/funds/{period}/receipts/{entry_id}/reversal": "funds.manage",
        "GET /api/commitments": "funding.read",
        "GET /api/commitments/{commitment_id}": "funding.read",
        "GET /api/payments": "funding.read",
        "POST /api/payments/{payment_id}/reversal": "funding.disburse",
    }


async def test_creates_a_fund_with_expected_contributions_by_share(api: Api) -> None:
    response = await api.post("/api/funds", fund_body("2026"))

    assert response.status_code == 201
    fund = (await api.get("/api/funds/2026")).json()
    expected = {m["member"]: m["expected"] for m in fund["members"]}
    assert expected == {"CA": "15000.00", "MX": "20100.00", "US": "24900.00"}
    assert fund["target"] == "60000.00"
    assert fund["per_person_cap_cents"] == 100_000


async def test_tracks_pledged_and_received_separately(api: Api) -> None:
    await api.post("/api/funds", fund_body("2026"))

    await api.post("/api/funds/2026/pledges", {"member": "CA", "amount": "15000"})
    await api.post("/api/funds/2026/receipts", {"member": "CA", "amount": 5000.5})

    fund = (await api.get("/api/funds/2026")).json()
    ca = next(m for m in fund["members"] if m["member"] == "CA")
    assert (ca["pledged"], ca["received"]) == ("15000.00", "5000.50")
    assert fund["available"] == "5000.50"


@pytest.mark.parametrize(
    "over",
    [
        {"target": "-1.00"},
        {"target": "0"},
        {"target": "100.005"},
        {"currency": "XYZ"},
        {"per_person_cap": "10.123"},
        {"shares": [{"member": "CA", "share_percent": "99.99"}]},
        {
            "shares": [
                {"member": "CA", "share_percent": "50"},
                {"member": "CA", "share_percent": "50"},
            ]
        },
        {"shares": [{"member": "ZZ", "share_percent": "100"}]},
        {"unexpected": True},
    ],
)
async def test_refuses_bad_fund_definitions_and_stores_nothing(
    api: Api, db: ServiceDatabase, over: dict[str, Any]
) -> None:
    response = await api.post("/api/funds", fund_body("2026", **over))

    assert response.status_code == 422
    assert (await api.get("/api/funds/2026")).status_code == 404
    assert await outbox(db) == []


async def test_refuses_a_second_fund_for_the_same_period(api: Api) -> None:
    await api.post("/api/funds", fund_body("2026"))

    assert (await api.post("/api/funds", fund_body("2026"))).status_code == 409


@pytest.mark.parametrize(
    "body",
    [
        {"member": "CA", "amount": "-5"},
        {"member": "CA", "amount": 0},
        {"member": "CA", "amount": "1.001"},
        {"member": "CA", "amount": "5", "currency": "EUR"},
        {"member": "CA", "amount": "5", "currency": "QQQ"},
        {"member": "FR", "amount": "5"},
        {"member": "C1", "amount": "5"},
        {"member": "CA", "amount": "٥"},
        {"member": "CA", "amount": "５"},
        {"member": "CA", "amount": "5", "on": "0001-01-01"},
        {"member": "CA", "amount": "5", "on": "9999-12-31"},
    ],
)
async def test_refuses_bad_receipts_and_stores_nothing(
    api: Api, db: ServiceDatabase, body: dict[str, Any]
) -> None:
    await api.post("/api/funds", fund_body("2026"))
    before = len(await outbox(db))

    response = await api.post("/api/funds/2026/receipts", body)

    assert response.status_code == 422
    assert len(await outbox(db)) == before
    assert (await api.get("/api/funds/2026")).json()["received_cents"] == 0


async def test_receipt_for_an_unknown_fund_is_not_found(api: Api) -> None:
    response = await api.post("/api/funds/1999/receipts", {"member": "CA", "amount": "5"})

    assert response.status_code == 404


async def test_caseworker_commits_and_supervisor_disburses_with_attribution(
    api: Api, db: ServiceDatabase
) -> None:
    period = await funded(api)
    ref = person_ref()
    case_id = await eligible_case(db, period, ref, 30_000)

    commit = await api.post(
        f"/api/cases/{case_id}/commitments",
        {"person_ref": ref, "lines": [{"category": "reintegration_grant", "amount": "500.00"}]},
    )
    paid = await api.post(
        f"/api/commitments/{commit.json()['commitment_id']}/disbursements",
        {"amount": "333.33", "category": "reintegration_grant", "paid_on": "2026-04-01"},
    )

    assert commit.status_code == 201, commit.text
    assert commit.json()["remaining_cap"] == "200.00"
    assert paid.status_code == 201, paid.text
    parts = {a["member"]: a["amount_cents"] for a in paid.json()["attributions"]}
    assert sum(parts.values()) == 33_333
    person = (await api.get(f"/api/people/{ref}/funding")).json()["funds"][0]
    assert (person["cap"], person["committed"], person["disbursed"], person["remaining"]) == (
        "1000.00",
        "800.00",
        "333.33",
        "200.00",
    )
    fund = (await api.get(f"/api/funds/{period}")).json()
    assert (fund["committed"], fund["disbursed"], fund["available"]) == (
        "800.00",
        "333.33",
        "59200.00",
    )


async def test_commitment_above_the_cap_is_refused_with_remaining_amounts(
    api: Api, db: ServiceDatabase
) -> None:
    period = await funded(api)
    ref = person_ref()
    case_id = await eligible_case(db, period, ref, 90_000)

    response = await api.post(
        f"/api/cases/{case_id}/commitments",
        {"person_ref": ref, "lines": [{"category": "transport", "amount": "200"}]},
    )

    assert response.status_code == 409
    assert response.json()["reason"] == "cap_exhausted"
    assert response.json()["remaining_cap"] == "100.00"


async def test_partial_request_is_approved_up_to_the_remaining_cap(
    api: Api, db: ServiceDatabase
) -> None:
    period = await funded(api)
    ref = person_ref()
    case_id = await eligible_case(db, period, ref, 90_000)

    response = await api.post(
        f"/api/cases/{case_id}/commitments",
        {
            "person_ref": ref,
            "allow_partial": True,
            "lines": [{"category": "transport", "amount": "200"}],
        },
    )

    assert response.status_code == 201
    assert (response.json()["outcome"], response.json()["amount"]) == (
        "partially_approved",
        "100.00",
    )


async def test_commitment_for_unknown_or_ineligible_case_is_refused(
    api: Api, db: ServiceDatabase
) -> None:
    period = await funded(api)
    ref = person_ref()
    reg = registered(period, {ref: [("transport", 1_000)]})
    await deliver(db, reg)
    await deliver(db, screened(uuid.UUID(reg.payload["case_id"]), eligible=False))
    body = {"person_ref": ref, "lines": [{"category": "transport", "amount": "10"}]}
    before = len(await outbox(db))

    unknown = await api.post(f"/api/cases/{uuid.uuid4()}/commitments", body)
    ineligible = await api.post(f"/api/cases/{reg.payload['case_id']}/commitments", body)

    assert unknown.status_code == 409
    assert ineligible.status_code == 409
    assert len(await outbox(db)) == before


async def test_commitment_in_another_office_is_forbidden(api: Api, db: ServiceDatabase) -> None:
    period = await funded(api)
    ref = person_ref()
    case_id = await eligible_case(db, period, ref, 1_000)
    api.principal = Principal("u_other", "caseworker", frozenset({"HN-02"}))

    response = await api.post(
        f"/api/cases/{case_id}/commitments",
        {"person_ref": ref, "lines": [{"category": "transport", "amount": "10"}]},
    )

    assert OFFICE != "HN-02"
    assert response.status_code == 403


@pytest.mark.parametrize(
    "line",
    [
        {"category": "transport", "amount": "-10"},
        {"category": "transport", "amount": "10.001"},
        {"category": "yacht", "amount": "10"},
    ],
)
async def test_refuses_bad_commitment_lines(
    api: Api, db: ServiceDatabase, line: dict[str, Any]
) -> None:
    period = await funded(api)
    ref = person_ref()
    case_id = await eligible_case(db, period, ref, 1_000)
    before = len(await outbox(db))

    response = await api.post(
        f"/api/cases/{case_id}/commitments", {"person_ref": ref, "lines": [line]}
    )

    assert response.status_code == 422
    assert len(await outbox(db)) == before


async def test_disbursement_above_unspent_commitment_is_refused(
    api: Api, db: ServiceDatabase
) -> None:
    period = await funded(api)
    ref = person_ref()
    await eligible_case(db, period, ref, 10_000)
    [approved] = [e.payload for e in await outbox(db) if e.type == "funding.commitment_approved"]
    url = f"/api/commitments/{approved['commitment_id']}/disbursements"

    first = await api.post(url, {"amount": "60", "category": "transport"})
    second = await api.post(url, {"amount": "40.01", "category": "transport"})
    missing = await api.post(
        f"/api/commitments/{uuid.uuid4()}/disbursements", {"amount": "1", "category": "transport"}
    )

    assert first.status_code == 201
    assert second.status_code == 409
    assert missing.status_code == 404


async def test_person_funding_for_unknown_person_is_not_found(api: Api) -> None:
    assert (await api.get(f"/api/people/{person_ref()}/funding")).status_code == 404
    assert (await api.get("/api/people/not-a-ref/funding")).status_code == 422


async def test_a_payment_stays_within_its_commitment_line_and_category(
    api: Api, db: ServiceDatabase
) -> None:
    period = await funded(api)
    ref = person_ref()
    case_id = await eligible_case(db, period, ref, 10_000)
    commit = await api.post(
        f"/api/cases/{case_id}/commitments",
        {
            "person_ref": ref,
            "lines": [
                {"category": "transport", "amount": "600.00"},
                {"category": "reintegration_grant", "amount": "200.00"},
            ],
        },
    )
    assert commit.status_code == 201, commit.text
    url = f"/api/commitments/{commit.json()['commitment_id']}/disbursements"
    before = len(await outbox(db))

    above = await api.post(url, {"amount": "600.01", "category": "transport"})
    elsewhere = await api.post(url, {"amount": "10.00", "category": "medical"})

    assert above.status_code == 409 and "'transport' line" in above.json()["detail"]
    assert elsewhere.status_code == 409 and "no 'medical' line" in elsewhere.json()["detail"]
    assert len(await outbox(db)) == before
    assert (await api.post(url, {"amount": "600.00", "category": "transport"})).status_code == 201


async def test_person_funding_is_scoped_to_the_offices_of_the_persons_cases(
    api: Api, db: ServiceDatabase
) -> None:
    period = await funded(api)
    ref = person_ref()
    await eligible_case(db, period, ref, 10_000)  # a case of OFFICE
    answers = {}

    for role in ("caseworker", "supervisor"):
        for office in (OFFICE, "MX-TAP"):
            api.principal = Principal(f"u-{role}", role, frozenset({office}))
            response = await api.get(f"/api/people/{ref}/funding")
            answers[(role, office)] = response.status_code
            if office != OFFICE:
                assert "committed" not in response.text
    api.principal = Principal("u-aud", "auditor")
    auditor = await api.get(f"/api/people/{ref}/funding")
    api.principal = Principal("u-cw", "caseworker", frozenset({"MX-TAP"}))
    unknown = await api.get(f"/api/people/{person_ref()}/funding?period={period}")

    assert answers == {
        ("caseworker", OFFICE): 200,
        ("supervisor", OFFICE): 200,
        ("caseworker", "MX-TAP"): 403,
        ("supervisor", "MX-TAP"): 403,
    }
    assert auditor.status_code == 200
    assert unknown.status_code == 404


async def test_the_fund_never_shows_a_negative_available_balance(
    api: Api, db: ServiceDatabase
) -> None:
    """The read uses the domain's rule (``available_cents``, what decisions use): received
    below committed (e.g. totals carried over from before receipt reversals were checked)
    shows 0.00 available, as the commitment decisions see it."""
    period = await funded(api, received="500.00")
    await eligible_case(db, period, person_ref(), 40_000)
    async with db.unit_of_work() as uow:
        await uow.session.execute(
            update(store.funds).where(store.funds.c.period == period).values(received_cents=10_000)
        )
        await uow.commit()

    fund = (await api.get(f"/api/funds/{period}")).json()

    assert (fund["received_cents"], fund["committed_cents"]) == (10_000, 40_000)
    assert (fund["available_cents"], fund["available"]) == (0, "0.00")
