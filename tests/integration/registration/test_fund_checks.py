"""Registration refuses a case for a period without a fund, or cost lines in another currency,
from its own projection of funding.fund_created; refused before the vault is touched."""

from __future__ import annotations

from sqlalchemy import select

from db.uow import ServiceDatabase
from services.kit.definition import Runtime
from services.registration import store
from tests.integration.registration.conftest import Client, case_body
from tests.integration.registration.fakes import FakeVault
from tests.integration.registration.helpers import apply, counts, fund_created, funds_known
from tests.integration.registration.test_refused_leaves_no_trace import returning
from tests.support import person_request


def line(amount: str, currency: str, who: int | str = "all") -> dict[str, str | int]:
    return {"person": who, "category": "transport", "amount": amount, "currency": currency}


async def test_a_period_without_a_fund_is_refused_saying_who_creates_it_and_that_it_may_lag(
    client: Client, db: ServiceDatabase, vault: FakeVault
) -> None:
    before = await counts(db)

    response = await client.post("cw", "/api/cases", case_body(fund_period="2031-B"))

    assert response.status_code == 422, response.text
    body = response.json()
    assert [e["field"] for e in body["errors"]] == ["fund_period"]
    problem = body["errors"][0]["problem"]
    assert "no fund is known for period '2031-B'" in problem
    assert "supervisor" in problem and "POST /api/funds" in problem
    assert "may take a moment to reach registration" in problem
    assert await counts(db) == before
    assert vault.keys == {} and vault.consent_log == {} and vault.reads == {}


async def test_the_default_period_is_the_registration_year_and_needs_a_fund_too(
    client: Client, runtime: Runtime, db: ServiceDatabase
) -> None:
    later = runtime.clock().replace(year=runtime.clock().year + 3)
    runtime.clock = lambda: later  # type: ignore[method-assign]

    refused = await client.post("cw", "/api/cases", case_body())
    await funds_known(db, str(later.year))
    accepted = await client.post("cw", "/api/cases", case_body())

    assert refused.status_code == 422
    assert "the default: the year of registration" in refused.json()["detail"]
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["fund_period"] == str(later.year)


async def test_a_cost_line_in_another_currency_than_the_funds_is_refused_naming_it(
    client: Client, db: ServiceDatabase, vault: FakeVault
) -> None:
    await funds_known(db, "2030-EUR", currency="EUR")
    body = case_body(
        fund_period="2030-EUR",
        people=[person_request(), person_request(given_names="Luis")],
        requested=[line("100.00", "EUR"), line("50.00", "USD", 1), line("20.00", "GTQ", 0)],
    )

    response = await client.post("cw", "/api/cases", body)

    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == ["requested[1].currency", "requested[2].currency"]
    assert "kept in EUR" in errors[0]["problem"] and "is USD" in errors[0]["problem"]
    assert vault.keys == {}


async def test_fund_checks_come_before_a_returning_persons_logged_read(
    client: Client, vault: FakeVault
) -> None:
    first = await client.register()
    ref = first["people"][0]["person_ref"]
    await client.move(first["case_id"], "withdrawn", reason_code="changed_mind")
    reads_before = len(await vault.access_log(ref))

    response = await client.post(
        "cw", "/api/cases", case_body(people=[returning(ref)], requested=[line("9.00", "MXN")])
    )

    assert response.status_code == 422
    assert len(await vault.access_log(ref)) == reads_before


async def test_the_fund_projection_applies_a_fund_created_once_and_keeps_its_currency(
    db: ServiceDatabase,
) -> None:
    event = fund_created("2029", "EUR")

    await apply(db, event)
    await apply(db, event)
    await apply(db, fund_created("2029", "USD"))  # funding refuses a second fund anyway

    async with db.sessions() as session:
        rows = (await session.execute(select(store.funds))).mappings().all()
    assert [(r["period"], r["currency"]) for r in rows] == [("2029", "EUR")]
