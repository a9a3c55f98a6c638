"""An approved record transfer lets the receiving office follow the person up; a note is read
back only under cases.read_personal, opened by the vault (which logs the read)."""

from __future__ import annotations

import uuid
from datetime import date

from events.envelope import Actor, new_envelope
from events.registration import RecordTransferApproved
from tests.integration.reintegration.conftest import arrive, deliver, reached


async def _person_of(client, plan_id: str) -> str:
    return (await client.get("sup", f"/api/monitoring/plans/{plan_id}")).json()["person_ref"]


async def test_an_approved_transfer_lets_the_receiving_office_follow_the_person_up(
    runtime, client, clock, vault
):
    (plan_id,) = await arrive(runtime, vault, office="MX-TAP")
    ref = await _person_of(client, plan_id)
    assert (await client.get("cw-other", f"/api/monitoring/plans/{plan_id}")).status_code == 403

    approved = RecordTransferApproved(
        transfer_id=uuid.uuid4(),
        person_ref=ref,
        from_office="MX-TAP",
        to_office="GT-GUA",
        reason_code="moved_home",
    )
    event = new_envelope(approved, actor=Actor.user("u-sup", "supervisor"))
    await deliver(runtime, event)
    await deliver(runtime, event)  # safe to re-run

    assert (await client.get("cw-other", f"/api/monitoring/plans/{plan_id}")).status_code == 200
    listed = (await client.get("cw-other", "/api/monitoring/due", office="GT-GUA")).json()
    assert {i["plan_id"] for i in listed["items"]} == {plan_id}
    clock.on(date(2026, 4, 16))
    r = await client.post(
        "cw-other", f"/api/monitoring/plans/{plan_id}/contacts", reached("2026-04-16")
    )
    assert r.status_code == 201, r.text


async def test_a_note_is_read_back_only_with_personal_data_rights_and_the_read_is_logged(
    runtime, client, clock, vault
):
    (plan_id,) = await arrive(runtime, vault)
    clock.on(date(2026, 4, 16))
    r = await client.post(
        "cw",
        f"/api/monitoring/plans/{plan_id}/contacts",
        reached("2026-04-16", note="works at the bakery now"),
    )
    contact_id = r.json()["contact"]["contact_id"]
    url = f"/api/monitoring/plans/{plan_id}/contacts/{contact_id}/note"

    opened = await client.get("cw", url)
    assert opened.status_code == 200, opened.text
    assert opened.json()["note"] == "works at the bakery now"
    ref = await _person_of(client, plan_id)
    (read,) = await vault.access_log(ref)
    assert (read.actor_id, read.purpose, read.fields) == (
        "u-cw",
        "follow_up_contact",
        ("contact_note",),
    )

    assert (await client.get("auditor", url)).status_code == 403
    assert (await client.get("cw-other", url)).status_code == 403
    missing = await client.get(
        "cw", f"/api/monitoring/plans/{plan_id}/contacts/{uuid.uuid4()}/note"
    )
    assert missing.json()["type"] == "urn:retorno:problem:note-not-found"

    await vault.erase(ref)
    assert (await client.get("cw", url)).json()["note"] is None


async def test_erasing_a_person_drops_their_answers_and_notes_but_keeps_the_scores(
    runtime, client, clock, db, vault
):
    from datetime import UTC, datetime

    from sqlalchemy import select

    from events.privacy import PersonalDataErased
    from services.reintegration import store
    from tests.integration.reintegration.conftest import ALL_ANSWERS

    (plan_id,) = await arrive(runtime, vault)
    clock.on(date(2026, 4, 16))
    r = await client.post(
        "cw",
        f"/api/monitoring/plans/{plan_id}/contacts",
        reached("2026-04-16", note="a note", survey={"answers": ALL_ANSWERS}),
    )
    assert r.status_code == 201, r.text
    ref = await _person_of(client, plan_id)
    erased = PersonalDataErased(
        person_ref=ref,
        erased_at=datetime(2026, 4, 17, tzinfo=UTC),
        trigger="request",
        key_fingerprint="0" * 64,
    )
    await deliver(runtime, new_envelope(erased, actor=Actor.service("privacy")))

    async with db.reading() as session:
        answers = (await session.execute(select(store.surveys.c.answers))).scalar_one()
        notes = (await session.execute(select(store.contacts.c.note_sealed))).scalar_one()
    assert answers == {} and notes is None
    plan = (await client.get("cw", f"/api/monitoring/plans/{plan_id}")).json()
    assert plan["scores"][0]["composite"] is not None
    again = await client.post(
        "cw", f"/api/monitoring/plans/{plan_id}/scores", {"instrument_version": "illustrative-1"}
    )
    assert again.json()["type"] == "urn:retorno:problem:no-survey-to-rescore"
