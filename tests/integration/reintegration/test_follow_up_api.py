"""The follow-up over HTTP on a real database: a plan on arrival, contacts (consent checked
through the vault), scores with their instrument version, assistance, closure."""

from __future__ import annotations

import logging
import uuid
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from events.reintegration import ContactRecorded, PlanCreated, ScoreRecorded
from services.reintegration import store
from tests.integration.reintegration.conftest import (
    ALL_ANSWERS,
    ARRIVED,
    arrive,
    arrived,
    deliver,
    new_ref,
    outbox,
    reached,
    registered,
)


async def test_an_arrival_makes_a_plan_per_person_with_the_default_schedule(runtime, db, vault):
    plan_ids = await arrive(runtime, vault, people=2)

    events = [e for e in await outbox(db) if e.type == PlanCreated.type_name()]
    assert len(events) == 2 == len(plan_ids)
    plan = events[0].parse(PlanCreated)
    assert plan.arrived_on == ARRIVED and plan.plan_due_on == date(2026, 2, 14)
    assert [(c.slot, c.due_on, c.opens_on, c.closes_on) for c in plan.contacts] == [
        (1, date(2026, 4, 15), date(2026, 4, 1), date(2026, 4, 29)),
        (2, date(2026, 7, 15), date(2026, 7, 1), date(2026, 7, 29)),
        (3, date(2027, 1, 15), date(2027, 1, 1), date(2027, 1, 29)),
    ]


async def test_an_arrival_delivered_twice_makes_one_plan(runtime, db, vault):
    case_id = uuid.uuid4()
    await deliver(runtime, registered(case_id, [new_ref()]))
    event = arrived(case_id)
    await deliver(runtime, event)
    await deliver(runtime, arrived(case_id))
    async with db.reading() as session:
        count = await session.execute(select(func.count()).select_from(store.plans))
    assert count.scalar_one() == 1


async def test_a_case_followed_from_arrival_through_three_contacts_closes_completed(
    runtime, client, clock, db, vault
):
    (plan_id,) = await arrive(runtime, vault)
    url = f"/api/monitoring/plans/{plan_id}"

    planned = await client.post(
        "cw",
        f"{url}/assistance",
        {
            "stage": "planned",
            "on": "2026-01-20",
            "items": [
                {"category": "business_start_up", "kind": "cash", "amount": "400.00"},
                {"category": "psychosocial", "kind": "in_kind"},
            ],
        },
    )
    assert planned.status_code == 201, planned.text
    assert planned.json()[0]["amount_cents"] == 40_000

    clock.on(date(2026, 4, 16))
    first = await client.post(
        "cw", f"{url}/contacts", reached("2026-04-16", survey={"answers": ALL_ANSWERS})
    )
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["contact"]["slot"] == 1 and body["contact"]["slot_status"] == "done"
    assert body["score"]["instrument_version"] == "illustrative-1"
    assert body["score"]["composite"] is not None and not body["closed"]

    clock.on(date(2026, 7, 10))
    second = await client.post(
        "cw",
        f"{url}/contacts",
        reached(
            "2026-07-10",
            residence="urban_centre",
            assistance_received=[{"category": "training", "kind": "in_kind"}],
        ),
    )
    assert second.status_code == 201, second.text
    assert second.json()["contact"]["slot"] == 2

    clock.on(date(2027, 1, 20))
    third = await client.post(
        "cw", f"{url}/contacts", reached("2027-01-20", residence="abroad_again")
    )
    assert third.status_code == 201, third.text
    assert third.json()["closed"] is True

    plan = (await client.get("cw", url)).json()
    assert plan["closure_reason"] == "completed" and plan["closed_on"] == "2027-01-20"
    assert [s["status"] for s in plan["schedule"]] == ["done", "done", "done"]
    assert [a["stage"] for a in plan["assistance"]] == ["planned", "planned", "received"]
    types = [e.type for e in await outbox(db)]
    assert types.count("reintegration.contact_recorded") == 3
    assert types[-1] == "reintegration.case_closed"
    later = await client.post("cw", f"{url}/contacts", reached("2027-01-20"))
    assert later.status_code == 409
    assert later.json()["type"] == "urn:retorno:problem:plan-closed"


async def test_without_consent_only_no_consent_is_recorded_and_no_note_is_sealed(
    runtime, client, clock, db, vault
):
    (plan_id,) = await arrive(runtime, vault, consent=False)
    url = f"/api/monitoring/plans/{plan_id}/contacts"
    clock.on(date(2026, 4, 16))

    refused = await client.post("cw", url, reached("2026-04-16", note="spoke with her sister"))
    assert refused.status_code == 403
    assert refused.json()["type"] == "urn:retorno:problem:no-follow-up-consent"
    assert vault.asked and vault.asked[-1][1] == "follow_up_contact"
    assert not vault.keys  # nothing was sealed

    recorded = await client.post(
        "cw", url, {"on": "2026-04-16", "method": "call", "outcome": "no_consent"}
    )
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["contact"]["slot_status"] == "no_consent"
    async with db.reading() as session:
        rows = (await session.execute(select(store.contacts))).mappings().all()
    assert len(rows) == 1 and rows[0]["note_sealed"] is None


async def test_three_failed_attempts_make_a_contact_not_reached_and_move_on(
    runtime, client, clock, vault
):
    (plan_id,) = await arrive(runtime, vault)
    url = f"/api/monitoring/plans/{plan_id}/contacts"
    clock.on(date(2026, 4, 20))
    for day in ("2026-04-14", "2026-04-17", "2026-04-20"):
        r = await client.post("cw", url, {"on": day, "method": "call", "outcome": "not_reached"})
        assert r.status_code == 201, r.text
    assert r.json()["contact"]["attempt"] == 3
    assert r.json()["contact"]["slot_status"] == "not_reached"

    due = (await client.get("cw", "/api/monitoring/due", status="not_reached")).json()
    assert [(i["plan_id"], i["slot"]) for i in due["items"]] == [(plan_id, 1)]
    again = await client.post(
        "cw",
        url,
        {
            "on": "2026-04-20",
            "method": "visit",
            "outcome": "reached",
            "residence": "same_community",
            "slot": 1,
        },
    )
    assert again.status_code == 409
    assert again.json()["type"] == "urn:retorno:problem:slot-already-settled"


async def test_a_note_is_sealed_by_the_vault_and_never_in_an_event_a_file_or_a_log(
    runtime, client, clock, db, vault, caplog
):
    caplog.set_level(logging.DEBUG)
    (plan_id,) = await arrive(runtime, vault)
    clock.on(date(2026, 4, 16))
    note = "SENTINEL-NOTE lives with her uncle near the market"
    r = await client.post(
        "cw", f"/api/monitoring/plans/{plan_id}/contacts", reached("2026-04-16", note=note)
    )
    assert r.status_code == 201, r.text
    assert r.json()["contact"]["has_note"] is True
    assert "SENTINEL" not in r.text

    async with db.reading() as session:
        sealed = (await session.execute(select(store.contacts.c.note_sealed))).scalar_one()
    assert sealed and b"SENTINEL" not in sealed
    (ref,) = vault.keys
    opened = await vault.decrypt_many(
        ref, {"contact_note": sealed}, actor_id="t", role="caseworker", purpose="test"
    )
    assert opened == {"contact_note": note}
    for event in await outbox(db):
        assert "SENTINEL" not in event.model_dump_json()
    recorded = [e for e in await outbox(db) if e.type == ContactRecorded.type_name()]
    assert recorded[0].parse(ContactRecorded).has_note is True
    plan = await client.get("cw", f"/api/monitoring/plans/{plan_id}")
    assert "SENTINEL" not in plan.text
    assert "SENTINEL" not in caplog.text
    await db.engine.dispose()  # SQLite: everything checkpointed into the files
    database = db.engine.url.database
    if db.engine.url.get_backend_name() == "sqlite" and database:
        for path in Path(database).parent.iterdir():
            assert b"SENTINEL" not in path.read_bytes(), path


async def test_a_rescore_under_a_new_version_keeps_the_old_score(
    runtime, client, clock, db, vault, tmp_path
):
    from services.reintegration.domain.scoring import parse_instrument
    from services.reintegration.settings import CONFIG, SHIPPED_INSTRUMENTS

    cfg = runtime.part(CONFIG)
    text = (
        (SHIPPED_INSTRUMENTS / "illustrative-1.toml")
        .read_text()
        .replace('version = "illustrative-1"', 'version = "official-2"')
        .replace('economic = "1"', 'economic = "3"')
    )
    cfg.instruments["official-2"] = parse_instrument(text)
    (plan_id,) = await arrive(runtime, vault)
    clock.on(date(2026, 4, 16))
    answers = dict(ALL_ANSWERS, income_source="none", employment_access="no")
    first = await client.post(
        "cw",
        f"/api/monitoring/plans/{plan_id}/contacts",
        reached("2026-04-16", survey={"answers": answers}),
    )
    assert first.status_code == 201, first.text

    again = await client.post(
        "cw", f"/api/monitoring/plans/{plan_id}/scores", {"instrument_version": "official-2"}
    )
    assert again.status_code == 201, again.text
    twice = await client.post(
        "cw", f"/api/monitoring/plans/{plan_id}/scores", {"instrument_version": "official-2"}
    )
    assert twice.status_code == 409

    scores = (await client.get("cw", f"/api/monitoring/plans/{plan_id}")).json()["scores"]
    assert [s["instrument_version"] for s in scores] == ["illustrative-1", "official-2"]
    assert scores[0]["composite"] == first.json()["score"]["composite"]
    assert scores[0]["composite"] != scores[1]["composite"]
    assert scores[1]["source"] == "rescore"
    events = [
        e.parse(ScoreRecorded) for e in await outbox(db) if e.type == ScoreRecorded.type_name()
    ]
    assert [e.instrument_version for e in events] == ["illustrative-1", "official-2"]
    assert all(e.survey_id == events[0].survey_id for e in events)


async def test_a_caseworker_closes_a_follow_up_with_a_reason_code(
    runtime, client, clock, db, vault
):
    (plan_id,) = await arrive(runtime, vault)
    clock.on(date(2026, 3, 1))
    r = await client.post(
        "cw",
        f"/api/monitoring/plans/{plan_id}/closure",
        {"on": "2026-02-28", "reason": "re_migrated"},
    )
    assert r.status_code == 201, r.text
    last = (await outbox(db))[-1]
    assert last.type == "reintegration.case_closed"
    assert last.payload["reason_code"] == "re_migrated"
    assert last.payload["closed_by"] == "caseworker"
    assert last.actor.id == "u-cw"
