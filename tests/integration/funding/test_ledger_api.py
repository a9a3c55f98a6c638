"""Listings and reversals of the funding ledger through the funding routes (SQLite, PostgreSQL)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from db.uow import ServiceDatabase
from events.funding import ContributionReversed, DisbursementReversed
from services.funding import store
from services.kit.identity import Principal
from tests.integration.funding.conftest import (
    Api,
    eligible_case,
    fund_body,
    funded,
)
from tests.integration.funding.factories import (
    OFFICE,
    SUPERVISOR,
    deliver,
    of_type,
    outbox,
    person_ref,
    withdrawn,
)

OTHER = Principal("u_other", "supervisor", frozenset({"HN-02"}))
AUDITOR = Principal("u_auditor", "auditor")


async def ok(response: Any, status: int = 201) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def receipts(api: Api, period: str, query: str = "") -> Any:
    return await ok(await api.get(f"/api/funds/{period}/receipts{query}"), 200)


async def commitment(api: Api, db: ServiceDatabase, period: str, lines: list[Any]) -> Any:
    ref = person_ref()
    case_id = await eligible_case(db, period, ref, 1_000)
    body = {"person_ref": ref, "lines": lines}
    return await ok(await api.post(f"/api/cases/{case_id}/commitments", body)) | {
        "case_id": str(case_id),
        "person_ref": ref,
    }


async def pay(api: Api, commitment_id: str, amount: str, category: str = "transport") -> Any:
    body = {"amount": amount, "category": category, "paid_on": "2026-04-01"}
    return await ok(await api.post(f"/api/commitments/{commitment_id}/disbursements", body))


async def test_a_reversed_receipt_stays_listed_marked_and_the_fund_shows_net_figures(
    api: Api, db: ServiceDatabase
) -> None:
    await ok(await api.post("/api/funds", fund_body("2026")))
    for amount in ("100.00", "250.00"):
        body = {"member": "CA", "amount": amount, "on": "2026-01-10"}
        await ok(await api.post("/api/funds/2026/receipts", body))
    listed = await receipts(api, "2026")
    newest = listed["items"][0]

    done = await ok(
        await api.post(
            f"/api/funds/2026/receipts/{newest['entry_id']}/reversal",
            {"reason_code": "duplicate"},
        )
    )
    after = await receipts(api, "2026")
    fund = await ok(await api.get("/api/funds/2026"), 200)
    events = await outbox(db)

    assert (listed["total"], [i["amount"] for i in listed["items"]]) == (2, ["250.00", "100.00"])
    assert (done["kind"], done["amount"], done["amount_cents"]) == ("receipt", "250.00", 25_000)
    marked = next(i for i in after["items"] if i["entry_id"] == newest["entry_id"])
    assert marked["reversed"] is True
    assert marked["reversal"]["reversal_id"] == done["reversal_id"]
    assert marked["reversal"]["reason_code"] == "duplicate"
    assert [i["reversed"] for i in after["items"]] == [True, False]
    ca = next(m for m in fund["members"] if m["member"] == "CA")
    assert (fund["received"], fund["available"], ca["received"]) == ("100.00", "100.00", "100.00")
    [reversed_event] = of_type(events, ContributionReversed.type_name())
    assert reversed_event == {
        "reversal_id": done["reversal_id"],
        "entry_id": newest["entry_id"],
        "kind": "receipt",
        "period": "2026",
        "member": "CA",
        "amount_cents": 25_000,
        "reason_code": "duplicate",
        "reversed_on": done["reversed_on"],
    }
    received = of_type(events, "funding.contribution_received")
    assert {e["entry_id"] for e in received} == {i["entry_id"] for i in listed["items"]}


async def test_an_entry_is_reversed_once_the_second_time_is_a_409_naming_it(
    api: Api, db: ServiceDatabase
) -> None:
    await ok(await api.post("/api/funds", fund_body("2026")))
    await ok(await api.post("/api/funds/2026/pledges", {"member": "MX", "amount": "500.00"}))
    [pledge] = (await ok(await api.get("/api/funds/2026/pledges"), 200))["items"]
    url = f"/api/funds/2026/pledges/{pledge['entry_id']}/reversal"

    first = await ok(await api.post(url, {"reason_code": "wrong_member"}))
    before = len(await outbox(db))
    second = await api.post(url, {"reason_code": "duplicate"})

    assert second.status_code == 409
    assert first["reversal_id"] in second.json()["detail"]
    assert "wrong_member" in second.json()["detail"]
    assert len(await outbox(db)) == before
    fund = await ok(await api.get("/api/funds/2026"), 200)
    assert fund["pledged_cents"] == 0


async def test_a_receipt_reversal_that_would_leave_the_balance_negative_is_refused(
    api: Api, db: ServiceDatabase
) -> None:
    period = await funded(api, received="1000.00")
    await commitment(api, db, period, [{"category": "transport", "amount": "400.00"}])
    [entry] = (await receipts(api, period))["items"]
    before = len(await outbox(db))

    refused = await api.post(
        f"/api/funds/{period}/receipts/{entry['entry_id']}/reversal",
        {"reason_code": "entered_in_error"},
    )

    assert refused.status_code == 409
    assert refused.json()["shortfall_cents"] == 41_000  # 400.00 + 10.00 from the screening
    assert "410.00 short" in refused.json()["detail"]
    assert "Release commitments" in refused.json()["detail"]
    assert len(await outbox(db)) == before
    assert (await receipts(api, period))["items"][0]["reversed"] is False
    assert (await ok(await api.get(f"/api/funds/{period}"), 200))["received"] == "1000.00"


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("receipts/{entry}", {"reason_code": "oops"}, 422),
        ("receipts/{entry}", {"reason_code": "duplicate", "note": "typed by Ana"}, 422),
        ("receipts/{entry}", {}, 422),
        ("receipts/{entry}", {"reason_code": "payment_failed"}, 422),
        ("receipts/not-a-uuid", {"reason_code": "duplicate"}, 422),
        ("receipts/{unknown}", {"reason_code": "duplicate"}, 404),
        ("pledges/{entry}", {"reason_code": "duplicate"}, 404),  # it is a receipt
    ],
)
async def test_bad_contribution_reversals_are_refused_and_store_nothing(
    api: Api, db: ServiceDatabase, path: str, body: dict[str, Any], status: int
) -> None:
    period = await funded(api)
    [entry] = (await receipts(api, period))["items"]
    before = len(await outbox(db))
    url = path.format(entry=entry["entry_id"], unknown=uuid.uuid4())

    response = await api.post(f"/api/funds/{period}/{url}/reversal", body)

    assert response.status_code == status, response.text
    assert len(await outbox(db)) == before
    assert (await receipts(api, period))["items"][0]["reversed"] is False


async def test_a_reversed_payment_gives_its_line_back_and_takes_back_its_attribution(
    api: Api, db: ServiceDatabase
) -> None:
    period = await funded(api)
    await ok(await api.post(f"/api/funds/{period}/receipts", {"member": "CA", "amount": "3.00"}))
    made = await commitment(
        api,
        db,
        period,
        [
            {"category": "transport", "amount": "500.00"},
            {"category": "medical", "amount": "100.00"},
        ],
    )
    cid = made["commitment_id"]
    async with db.reading() as session:
        unused_before = await store.unused_receipts(session, period)
    paid = await pay(api, cid, "300.01")
    await pay(api, cid, "50.00", "medical")

    done = await ok(
        await api.post(
            f"/api/payments/{paid['disbursement_id']}/reversal", {"reason_code": "payment_failed"}
        )
    )
    detail = await ok(await api.get(f"/api/commitments/{cid}"), 200)
    async with db.reading() as session:
        unused_after = await store.unused_receipts(session, period)
        attributed = await store.member_attributed(session, period)
    person = (await ok(await api.get(f"/api/people/{made['person_ref']}/funding"), 200))["funds"]
    fund = await ok(await api.get(f"/api/funds/{period}"), 200)
    [event] = of_type(await outbox(db), DisbursementReversed.type_name())

    assert {a["member"]: a["amount_cents"] for a in done["attributions"]} == {
        a["member"]: a["amount_cents"] for a in paid["attributions"]
    }
    assert sum(a["amount_cents"] for a in done["attributions"]) == 30_001
    lines = {x["category"]: (x["paid"], x["remaining"]) for x in detail["lines"]}
    assert lines == {"transport": ("0.00", "500.00"), "medical": ("50.00", "50.00")}
    assert (detail["disbursed"], detail["remaining"]) == ("50.00", "550.00")
    assert [(p["amount"], p["reversed"]) for p in detail["payments"]] == [
        ("300.01", True),
        ("50.00", False),
    ]
    assert detail["payments"][0]["reversal"]["reason_code"] == "payment_failed"
    assert sum(attributed.values()) == 5_000 == fund["disbursed_cents"]
    assert sum(unused_before.values()) - sum(unused_after.values()) == 5_000
    assert person[0]["disbursed"] == "50.00"
    assert event["disbursement_id"] == paid["disbursement_id"]
    assert (event["amount_cents"], event["reason_code"], event["category"]) == (
        30_001,
        "payment_failed",
        "transport",
    )
    assert event["attributions"] == [
        {"member": a["member"], "amount_cents": a["amount_cents"]} for a in paid["attributions"]
    ]
    again = await pay(api, cid, "500.00")  # the line can be paid again, correctly
    assert again["amount_cents"] == 50_000


async def test_a_payment_is_reversed_once_and_only_by_its_office(
    api: Api, db: ServiceDatabase
) -> None:
    period = await funded(api)
    made = await commitment(api, db, period, [{"category": "transport", "amount": "500.00"}])
    paid = await pay(api, made["commitment_id"], "100.00")
    url = f"/api/payments/{paid['disbursement_id']}/reversal"
    body = {"reason_code": "duplicate"}

    api.principal = OTHER
    foreign = await api.post(url, body)
    api.principal = SUPERVISOR
    first = await ok(await api.post(url, body))
    before = len(await outbox(db))
    second = await api.post(url, body)
    unknown = await api.post(f"/api/payments/{uuid.uuid4()}/reversal", body)
    free_text = await api.post(url, {"reason_code": "duplicate", "reason": "typed by hand"})

    assert foreign.status_code == 403
    assert second.status_code == 409 and first["reversal_id"] in second.json()["detail"]
    assert unknown.status_code == 404
    assert free_text.status_code == 422
    assert len(await outbox(db)) == before


async def test_reversing_a_payment_of_a_released_commitment_releases_it_to_the_cap(
    api: Api, db: ServiceDatabase
) -> None:
    period = await funded(api)
    made = await commitment(api, db, period, [{"category": "transport", "amount": "500.00"}])
    paid = await pay(api, made["commitment_id"], "200.00")
    await deliver(db, withdrawn(uuid.UUID(made["case_id"])))

    await ok(
        await api.post(
            f"/api/payments/{paid['disbursement_id']}/reversal",
            {"reason_code": "returned_by_recipient"},
        )
    )
    detail = await ok(await api.get(f"/api/commitments/{made['commitment_id']}"), 200)
    person = (await ok(await api.get(f"/api/people/{made['person_ref']}/funding"), 200))["funds"]
    fund = await ok(await api.get(f"/api/funds/{period}"), 200)
    released = [
        e
        for e in of_type(await outbox(db), "funding.commitment_released")
        if e["commitment_id"] == made["commitment_id"]
    ]

    assert (detail["status"], detail["disbursed"], detail["released"]) == (
        "released",
        "0.00",
        "500.00",
    )
    assert (person[0]["committed"], person[0]["disbursed"]) == ("0.00", "0.00")
    assert (fund["committed"], fund["disbursed"]) == ("0.00", "0.00")
    assert [(e["released_cents"], e["reason_code"]) for e in released] == [
        (30_000, "case_withdrawn"),
        (20_000, "payment_reversed"),
    ]


async def test_commitments_are_paged_in_a_stable_order_with_a_total(
    api: Api, db: ServiceDatabase
) -> None:
    period = await funded(api)
    made = [
        await commitment(api, db, period, [{"category": "transport", "amount": "10.00"}])
        for _ in range(3)
    ]
    automatic = len(of_type(await outbox(db), "funding.commitment_approved")) - len(made)

    pages = [
        await ok(await api.get(f"/api/commitments?period={period}&page={n}&page_size=2"), 200)
        for n in (1, 2, 3, 4)
    ]

    ids = [i["commitment_id"] for p in pages for i in p["items"]]
    assert automatic == 3  # one per screening
    assert [p["total"] for p in pages] == [6] * 4
    assert [len(p["items"]) for p in pages] == [2, 2, 2, 0]
    assert len(ids) == len(set(ids)) == 6
    assert {m["commitment_id"] for m in made} <= set(ids)
    assert pages[0]["page_size"] == 2
    first = pages[0]["items"][0]
    assert first["office"] == OFFICE and first["status"] == "active"
    assert (first["amount"], first["remaining"]) == ("10.00", "10.00")


async def test_commitment_and_payment_listings_filter_by_person_case_status_and_fund(
    api: Api, db: ServiceDatabase
) -> None:
    period = await funded(api)
    one = await commitment(api, db, period, [{"category": "transport", "amount": "10.00"}])
    two = await commitment(api, db, period, [{"category": "transport", "amount": "20.00"}])
    await pay(api, one["commitment_id"], "5.00")
    await pay(api, two["commitment_id"], "6.00")
    await deliver(db, withdrawn(uuid.UUID(two["case_id"])))

    def url(base: str, **q: str) -> str:
        return base + "?" + "&".join(f"{k}={v}" for k, v in q.items())

    by_person = await ok(await api.get(url("/api/commitments", person_ref=one["person_ref"])), 200)
    by_case = await ok(await api.get(url("/api/payments", case_id=two["case_id"])), 200)
    released = await ok(await api.get(url("/api/commitments", status="released")), 200)
    other_fund = await ok(await api.get(url("/api/payments", period="1999")), 200)
    of_one = await ok(await api.get(url("/api/payments", commitment_id=one["commitment_id"])), 200)

    assert {i["person_ref"] for i in by_person["items"]} == {one["person_ref"]}
    assert [i["amount"] for i in by_case["items"]] == ["6.00"]
    assert {i["case_id"] for i in released["items"]} == {two["case_id"]}
    assert other_fund == {"items": [], "page": 1, "page_size": 50, "total": 0}
    assert [(i["amount"], i["reversed"]) for i in of_one["items"]] == [("5.00", False)]
    assert sum(a["amount_cents"] for a in of_one["items"][0]["attributions"]) == 500


PAGING = ["page=0", "page=-1", "page=x", "page=1000001", "page_size=0", "page_size=201"]
FILTERS = ["case_id=nope", "person_ref=bob", "period=bad%20period", "office="]


@pytest.mark.parametrize(
    ("base", "query"),
    [("/api/commitments", q) for q in [*PAGING, *FILTERS, "status=paid"]]
    + [("/api/payments", q) for q in [*PAGING, *FILTERS, "commitment_id=1"]]
    + [("/api/funds/2026/receipts", q) for q in [*PAGING, "member=ca"]]
    + [("/api/funds/2026/pledges", q) for q in PAGING],
)
async def test_bad_listing_parameters_are_a_422(api: Api, base: str, query: str) -> None:
    await ok(await api.post("/api/funds", fund_body("2026")))

    response = await api.get(f"{base}?{query}")

    assert response.status_code == 422, response.text


async def test_a_listing_of_an_unknown_fund_is_not_found(api: Api) -> None:
    assert (await api.get("/api/funds/1999/receipts")).status_code == 404
    assert (await api.get("/api/funds/1999/pledges")).status_code == 404


async def test_listings_are_scoped_to_the_principals_offices(api: Api, db: ServiceDatabase) -> None:
    period = await funded(api)
    made = await commitment(api, db, period, [{"category": "transport", "amount": "10.00"}])
    await pay(api, made["commitment_id"], "1.00")
    seen = {}

    for who in (SUPERVISOR, OTHER, AUDITOR):
        api.principal = who
        for base in ("/api/commitments", "/api/payments"):
            page = await ok(await api.get(base), 200)
            seen[(who.user_id, base)] = page["total"]
    api.principal = OTHER
    asked = await api.get(f"/api/commitments?office={OFFICE}")
    detail = await api.get(f"/api/commitments/{made['commitment_id']}")
    own = await ok(await api.get("/api/payments?office=HN-02"), 200)

    assert seen[(SUPERVISOR.user_id, "/api/commitments")] >= 1
    assert seen[(SUPERVISOR.user_id, "/api/payments")] == 1
    assert seen[(OTHER.user_id, "/api/commitments")] == seen[(OTHER.user_id, "/api/payments")] == 0
    assert seen[(AUDITOR.user_id, "/api/payments")] == 1
    assert (
        seen[(AUDITOR.user_id, "/api/commitments")]
        == seen[(SUPERVISOR.user_id, "/api/commitments")]
    )
    assert asked.status_code == 403 and detail.status_code == 403
    problem = detail.json()
    assert problem.pop("instance") == f"/api/commitments/{made['commitment_id']}"  # its own path
    assert made["commitment_id"] not in json.dumps(problem)
    assert own["total"] == 0
    api.principal = AUDITOR
    assert (await api.get(f"/api/commitments/{uuid.uuid4()}")).status_code == 404
