"""Bad input: a 4xx problem naming the field (or a named conflict), and nothing stored."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from services.reintegration import store
from tests.integration.reintegration.conftest import ALL_ANSWERS, arrive, reached

TABLES = (store.contacts, store.surveys, store.scores, store.assistance, store.messaging.outbox)


async def _counts(db) -> dict[str, int]:
    async with db.reading() as session:
        return {
            t.name: (await session.execute(select(func.count()).select_from(t))).scalar_one()
            for t in TABLES
        }


CASES: list[tuple[str, dict[str, Any], int, str, str]] = [
    (
        "an answer outside the indicator's scale",
        reached("2026-04-16", survey={"answers": dict(ALL_ANSWERS, debt="always")}),
        422,
        "survey-answers-invalid",
        "survey.answers.debt",
    ),
    (
        "an unknown indicator",
        reached("2026-04-16", survey={"answers": {"shoe_size": "large"}}),
        422,
        "survey-answers-invalid",
        "survey.answers.shoe_size",
    ),
    (
        "an unknown instrument version",
        reached("2026-04-16", survey={"instrument_version": "official-9", "answers": {}}),
        422,
        "unknown-instrument",
        "survey.instrument_version",
    ),
    (
        "a contact date in the future",
        reached("2026-04-17"),
        422,
        "contact-date-in-future",
        "on",
    ),
    (
        "a contact date before arrival",
        reached("2026-01-14"),
        422,
        "contact-before-arrival",
        "on",
    ),
    (
        "a reached contact without residence",
        {"on": "2026-04-16", "method": "call", "outcome": "reached"},
        422,
        "not-applicable-for-outcome",
        "residence",
    ),
    (
        "a survey on a contact not reached",
        {"on": "2026-04-16", "method": "call", "outcome": "not_reached", "survey": {"answers": {}}},
        422,
        "not-applicable-for-outcome",
        "survey",
    ),
    (
        "a slot the schedule does not have",
        reached("2026-04-16", slot=4),
        422,
        "unknown-slot",
        "slot",
    ),
    (
        "an unknown residence code",
        reached("2026-04-16", residence="mars"),
        422,
        "invalid-input",
        "residence",
    ),
    (
        "cash without its amount",
        reached("2026-04-16", assistance_received=[{"category": "housing", "kind": "cash"}]),
        422,
        "invalid-input",
        "assistance_received",
    ),
    (
        "an amount with three decimals",
        reached(
            "2026-04-16",
            assistance_received=[{"category": "housing", "kind": "cash", "amount": "1.005"}],
        ),
        422,
        "invalid-input",
        "assistance_received",
    ),
    (
        "an unexpected field",
        reached("2026-04-16", phone_number="+52 1"),
        422,
        "invalid-input",
        "phone_number",
    ),
]


@pytest.mark.parametrize(
    ("what", "body", "status", "problem", "field"), CASES, ids=[c[0] for c in CASES]
)
async def test_a_bad_contact_is_refused_naming_the_field_and_nothing_is_stored(
    runtime, client, clock, db, vault, what, body, status, problem, field
):
    (plan_id,) = await arrive(runtime, vault)
    clock.on(date(2026, 4, 16))
    before = await _counts(db)

    response = await client.post("cw", f"/api/monitoring/plans/{plan_id}/contacts", body)

    assert response.status_code == status, response.text
    problem_doc = response.json()
    assert problem_doc["type"] == f"urn:retorno:problem:{problem}"
    assert any(field in e["field"] for e in problem_doc.get("errors", [])), problem_doc
    assert await _counts(db) == before
    assert not vault.keys  # nothing sealed either


async def test_a_second_contact_for_a_slot_already_done_is_a_conflict(
    runtime, client, clock, db, vault
):
    (plan_id,) = await arrive(runtime, vault)
    clock.on(date(2026, 4, 16))
    url = f"/api/monitoring/plans/{plan_id}/contacts"
    assert (await client.post("cw", url, reached("2026-04-16", slot=1))).status_code == 201
    before = await _counts(db)
    again = await client.post("cw", url, reached("2026-04-16", slot=1))
    assert again.status_code == 409
    assert again.json()["type"] == "urn:retorno:problem:slot-already-settled"
    assert await _counts(db) == before


async def test_a_closure_in_the_future_or_with_an_unknown_reason_is_refused(
    runtime, client, clock, db, vault
):
    (plan_id,) = await arrive(runtime, vault)
    clock.on(date(2026, 2, 1))
    url = f"/api/monitoring/plans/{plan_id}/closure"
    before = await _counts(db)
    future = await client.post("cw", url, {"on": "2026-02-02", "reason": "completed"})
    assert future.status_code == 422
    assert future.json()["type"] == "urn:retorno:problem:date-out-of-range"
    unknown = await client.post("cw", url, {"on": "2026-02-01", "reason": "bored"})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"].endswith("reason")
    assert await _counts(db) == before


async def test_a_contact_for_a_case_that_has_not_arrived_finds_no_plan_and_stores_nothing(
    runtime, client, clock, db, vault
):
    """Plans are made on arrival: before it there is no plan to record a contact on."""
    import uuid

    await arrive(runtime, vault)
    clock.on(date(2026, 4, 16))
    before = await _counts(db)

    response = await client.post(
        "cw", f"/api/monitoring/plans/{uuid.uuid4()}/contacts", reached("2026-04-16")
    )

    assert response.status_code == 404, response.text
    assert response.json()["type"] == "urn:retorno:problem:plan-not-found"
    assert await _counts(db) == before


async def test_a_caseworker_cannot_give_the_reason_kept_for_a_closure_in_registration(
    runtime, client, clock, db, vault
):
    (plan_id,) = await arrive(runtime, vault)
    clock.on(date(2026, 2, 1))
    before = await _counts(db)
    refused = await client.post(
        "cw",
        f"/api/monitoring/plans/{plan_id}/closure",
        {"on": "2026-02-01", "reason": "case_closed"},
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"].endswith("reason")
    assert await _counts(db) == before


async def test_a_rescore_under_an_unknown_instrument_version_names_it_and_stores_nothing(
    runtime, client, clock, db, vault
):
    (plan_id,) = await arrive(runtime, vault)
    clock.on(date(2026, 4, 16))
    url = f"/api/monitoring/plans/{plan_id}"
    surveyed = reached("2026-04-16", survey={"answers": ALL_ANSWERS})
    assert (await client.post("cw", f"{url}/contacts", surveyed)).status_code == 201
    before = await _counts(db)

    refused = await client.post("cw", f"{url}/scores", {"instrument_version": "official-9"})

    assert refused.status_code == 422, refused.text
    assert refused.json()["type"] == "urn:retorno:problem:unknown-instrument"
    assert any(e["field"].endswith("instrument_version") for e in refused.json()["errors"])
    assert await _counts(db) == before
