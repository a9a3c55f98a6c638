"""The working list and the overdue check: computed from the stored schedule, the attempts
and the (frozen) clock; office scoping; the auditor's counts."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from events.reintegration import ContactOverdue
from services.kit.errors import WaitingForEvent
from services.reintegration import usecases
from tests.integration.reintegration.conftest import (
    arrive,
    arrived,
    deliver,
    outbox,
    reached,
)


async def test_an_arrival_before_its_registration_waits_for_it(runtime):
    with pytest.raises(WaitingForEvent) as waiting:
        await deliver(runtime, arrived(uuid.uuid4()))
    assert waiting.value.key.startswith("case_id:")


async def test_a_plan_not_drawn_up_within_a_month_is_itself_overdue(runtime, client, clock, vault):
    (plan_id,) = await arrive(runtime, vault, on=date(2026, 1, 15))
    clock.on(date(2026, 2, 14))
    items = (await client.get("cw", "/api/monitoring/due")).json()["items"]
    assert [(i["status"], i["plan_overdue"]) for i in items if i["plan_id"] == plan_id] == [
        ("plan_missing", False),
        ("upcoming", False),
    ]
    clock.on(date(2026, 2, 15))
    items = (await client.get("cw", "/api/monitoring/due", status="plan_missing")).json()["items"]
    assert items[0]["plan_overdue"] is True and items[0]["due_on"] == "2026-02-14"

    drawn = await client.post(
        "cw",
        f"/api/monitoring/plans/{plan_id}/assistance",
        {"stage": "planned", "on": "2026-02-15", "items": []},
    )
    assert drawn.status_code == 201, drawn.text
    page = (await client.get("cw", "/api/monitoring/due")).json()
    assert page["counts"]["plan_missing"] == 0
    twice = await client.post(
        "cw",
        f"/api/monitoring/plans/{plan_id}/assistance",
        {"stage": "planned", "on": "2026-02-15", "items": []},
    )
    assert twice.json()["type"] == "urn:retorno:problem:plan-already-drawn-up"


async def test_the_list_says_due_this_week_then_overdue_as_the_clock_moves(
    runtime, client, clock, vault
):
    (plan_id,) = await arrive(runtime, vault, on=date(2026, 1, 15))

    def first_contact(page):
        return [(i["status"], i["slot"]) for i in page["items"] if i["slot"] == 1]

    clock.on(date(2026, 3, 20))
    assert first_contact((await client.get("cw", "/api/monitoring/due")).json()) == [
        ("upcoming", 1)
    ]
    clock.on(date(2026, 3, 26))  # the window opens on 1 April: within a week
    assert first_contact((await client.get("cw", "/api/monitoring/due")).json()) == [
        ("due_this_week", 1)
    ]
    clock.on(date(2026, 4, 29))
    assert first_contact((await client.get("cw", "/api/monitoring/due")).json()) == [
        ("due_this_week", 1)
    ]
    clock.on(date(2026, 4, 30))
    page = (await client.get("cw", "/api/monitoring/due")).json()
    assert first_contact(page) == [("overdue", 1)]
    assert page["items"][0]["status"] == "plan_missing"  # most urgent first
    before = (await client.get("cw", "/api/monitoring/due", before="2026-04-01")).json()
    assert {i["status"] for i in before["items"]} == {"plan_missing"}


async def test_the_list_as_of_a_later_day_shows_what_falls_overdue_by_then(
    runtime, client, clock, vault
):
    (plan_id,) = await arrive(runtime, vault, on=date(2026, 1, 15))
    clock.on(date(2026, 3, 20))
    today = (await client.get("cw", "/api/monitoring/due")).json()
    assert today["on"] == "2026-03-20" and today["counts"]["overdue"] == 0
    ahead = (await client.get("cw", "/api/monitoring/due", as_of="2026-04-30")).json()
    assert ahead["on"] == "2026-04-30"
    assert [(i["status"], i["slot"]) for i in ahead["items"] if i["plan_id"] == plan_id] == [
        ("plan_missing", None),
        ("overdue", 1),
        ("upcoming", 2),
    ]
    assert ahead["items"][0]["plan_overdue"] is True
    again = (await client.get("cw", "/api/monitoring/due")).json()
    assert again == today  # a look ahead changes nothing

    past = await client.get("cw", "/api/monitoring/due", as_of="2026-03-19")
    assert past.status_code == 422
    assert [e["field"] for e in past.json()["errors"]] == ["as_of"]
    garbled = await client.get("cw", "/api/monitoring/due", as_of="next-month")
    assert garbled.status_code == 422 and "as_of" in garbled.text


async def test_the_list_is_scoped_to_the_callers_offices_and_paged(runtime, client, clock, vault):
    mine = await arrive(runtime, vault, people=3, office="MX-TAP")
    theirs = await arrive(runtime, vault, office="GT-GUA")
    clock.on(date(2026, 1, 20))

    page = (await client.get("cw", "/api/monitoring/due", status="plan_missing")).json()
    assert sorted(i["plan_id"] for i in page["items"]) == sorted(mine)
    assert page["total"] == 3
    paged = (
        await client.get("cw", "/api/monitoring/due", status="plan_missing", page_size=2, page=2)
    ).json()
    assert len(paged["items"]) == 1 and paged["total"] == 3

    other = await client.get("cw", "/api/monitoring/due", office="GT-GUA")
    assert other.status_code == 403
    plan = await client.get("cw", f"/api/monitoring/plans/{theirs[0]}")
    assert plan.status_code == 403
    contact = await client.post(
        "cw", f"/api/monitoring/plans/{theirs[0]}/contacts", reached("2026-01-20")
    )
    assert contact.status_code == 403
    sup = (await client.get("sup", "/api/monitoring/due", status="plan_missing")).json()
    assert sup["total"] == 4
    unknown = await client.get("cw", f"/api/monitoring/plans/{uuid.uuid4()}")
    assert unknown.status_code == 404
    assert unknown.json()["type"] == "urn:retorno:problem:plan-not-found"


async def test_the_overdue_check_emits_once_per_contact_that_became_overdue(
    runtime, client, clock, db, vault
):
    late, settled = await arrive(runtime, vault, people=2, on=date(2026, 1, 15))
    clock.on(date(2026, 4, 20))
    done = await client.post(
        "cw", f"/api/monitoring/plans/{settled}/contacts", reached("2026-04-20")
    )
    assert done.status_code == 201, done.text

    clock.on(date(2026, 4, 29))  # the window's last day: not overdue yet
    assert await usecases.report_overdue(runtime) == 0
    clock.on(date(2026, 4, 30))
    assert await usecases.report_overdue(runtime) == 1
    assert await usecases.report_overdue(runtime) == 0
    clock.on(date(2026, 5, 10))
    assert await usecases.report_overdue(runtime) == 0

    overdue = [
        e.parse(ContactOverdue) for e in await outbox(db) if e.type == ContactOverdue.type_name()
    ]
    assert [(str(e.plan_id), e.slot, e.closes_on) for e in overdue] == [
        (late, 1, date(2026, 4, 29))
    ]
    assert overdue[0].failed_attempts == 0


async def test_the_auditor_sees_counts_and_timeliness_never_a_plan(runtime, client, clock, vault):
    on_time, late, unreached, waiting = await arrive(runtime, vault, people=4)
    clock.on(date(2026, 4, 20))
    await client.post("cw", f"/api/monitoring/plans/{on_time}/contacts", reached("2026-04-20"))
    for day in ("2026-04-14", "2026-04-16", "2026-04-18"):
        await client.post(
            "cw",
            f"/api/monitoring/plans/{unreached}/contacts",
            {"on": day, "method": "call", "outcome": "not_reached"},
        )
    clock.on(date(2026, 5, 5))
    await client.post("cw", f"/api/monitoring/plans/{late}/contacts", reached("2026-05-05"))

    counts = await client.get(
        "auditor", "/api/monitoring/counts", **{"from": "2026-04-01", "to": "2026-04-30"}
    )
    assert counts.status_code == 200, counts.text
    (office,) = counts.json()["offices"]
    assert office["office"] == "MX-TAP"
    assert (
        office["contacts_due"],
        office["done"],
        office["done_on_time"],
        office["done_late"],
    ) == (4, 2, 1, 1)
    assert (office["not_reached"], office["overdue"]) == (1, 1)
    assert "SENTINEL" not in counts.text and "answers" not in counts.text

    assert (await client.get("auditor", "/api/monitoring/due")).status_code == 403
    assert (await client.get("auditor", f"/api/monitoring/plans/{waiting}")).status_code == 403
    assert (
        await client.get(
            "evaluator", "/api/monitoring/counts", **{"from": "2026-04-01", "to": "2026-04-30"}
        )
    ).status_code == 403
