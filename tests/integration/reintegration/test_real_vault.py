"""With privacy's own vault (not a fake): the consent collected at registration decides
whether a contact may be recorded; a note is sealed under the person's key, opened with the
read logged, and in no file in plaintext."""

from __future__ import annotations

import base64
import os
import uuid
from datetime import date
from pathlib import Path

import httpx
from sqlalchemy import select

from events.registration import ConsentGiven
from privacy.service import SERVICE as PRIVACY
from privacy.settings import PrivacySettings
from services.edge.app import create_app
from services.kit.identity import AUTHENTICATOR, StaticAuthenticator
from services.kit.settings import Settings
from services.kit.vault import VAULT
from services.reintegration import store
from services.reintegration.service import SERVICE
from services.runtime.composition import build_runtime, close_runtime, start_services
from tests.integration.reintegration.conftest import (
    USERS,
    FakeClock,
    arrived,
    new_ref,
    reached,
    registered,
)
from tests.support import open_service_db


async def test_privacys_vault_checks_consent_and_seals_notes_under_the_persons_key(
    tmp_path: Path, clock: FakeClock
):
    settings = Settings(data_dir=tmp_path)
    dbs = {
        s.name: await open_service_db(s, f"sqlite+aiosqlite:///{tmp_path / s.name}.db")
        for s in (PRIVACY, SERVICE)
    }
    rt = build_runtime(settings, [PRIVACY, SERVICE], clock=clock, databases=dbs)
    rt.put_settings(PrivacySettings(master_key=base64.b64encode(os.urandom(32)).decode()))
    await start_services(rt, [PRIVACY, SERVICE])
    rt.put(AUTHENTICATOR, StaticAuthenticator(USERS))
    try:
        yes, no = new_ref(), new_ref()
        case_id = uuid.uuid4()
        event = registered(case_id, [yes, no])
        payload = dict(event.payload)
        payload["consents"] = [
            ConsentGiven(person_ref=yes, purpose="follow_up_contact", granted=True).model_dump(),
            ConsentGiven(person_ref=no, purpose="follow_up_contact", granted=False).model_dump(),
        ]
        event = event.model_copy(update={"payload": payload})
        for service in (PRIVACY, SERVICE):
            handle = service.handlers(rt)[event.type]
            async with rt.db(service.name).unit_of_work(cause=event) as uow:
                await handle(uow, event)
                await uow.commit()
        arrival = arrived(case_id)
        async with rt.db(SERVICE.name).unit_of_work(cause=arrival) as uow:
            await SERVICE.handlers(rt)[arrival.type](uow, arrival)
            await uow.commit()
        async with rt.db(SERVICE.name).reading() as session:
            plans = dict(
                (ref, str(pid))
                for pid, ref in await session.execute(
                    select(store.plans.c.plan_id, store.plans.c.person_ref)
                )
            )

        app = create_app(rt, [SERVICE])
        clock.on(date(2026, 4, 16))
        headers = {"Authorization": "Bearer cw"}
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as http:
            refused = await http.post(
                f"/api/monitoring/plans/{plans[no]}/contacts",
                json=reached("2026-04-16"),
                headers=headers,
            )
            assert refused.status_code == 403
            ok = await http.post(
                f"/api/monitoring/plans/{plans[yes]}/contacts",
                json=reached("2026-04-16", note="SENTINEL-REAL works nights"),
                headers=headers,
            )
            assert ok.status_code == 201, ok.text
            contact_id = ok.json()["contact"]["contact_id"]
            url = f"/api/monitoring/plans/{plans[yes]}/contacts/{contact_id}/note"
            opened = await http.get(url, headers=headers)
            assert opened.json()["note"] == "SENTINEL-REAL works nights"

            vault = rt.part(VAULT)
            assert [a.purpose for a in await vault.access_log(yes)] == ["follow_up_contact"]
    finally:
        await close_runtime(rt)
    assert _files_holding(tmp_path, b"SENTINEL-REAL") == []


def _files_holding(directory: Path, needle: bytes) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file() and needle in p.read_bytes()]
