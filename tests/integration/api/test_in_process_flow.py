"""A return across services without a broker: registration -> funding -> audit, with the
events carried in process by ``tests.support.InProcessFlow`` over the real HTTP app."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.kit.settings import Settings
from services.runtime.composition import close_runtime
from services.runtime.registry import all_services
from tests.support import (
    InProcessFlow,
    bearer,
    case_request,
    client,
    fund_request,
    make_app,
    open_runtime,
    outbox,
)

pytestmark = pytest.mark.integration


async def test_a_registered_eligible_case_is_funded_and_every_event_is_in_the_audit_log(
    tmp_path: Path,
) -> None:
    services = all_services()
    rt = await open_runtime(Settings(data_dir=tmp_path), services)
    flow = InProcessFlow(rt, services)
    sup, cw, auditor = bearer("supervisor"), bearer("caseworker"), bearer("auditor")
    try:
        async with client(make_app(rt, services)) as http:
            period = str(rt.clock().year)
            fund = fund_request(period)
            assert (await http.post("/api/funds", json=fund, headers=sup)).status_code == 201
            receipt = {"member": "CA", "amount": "60000.00"}
            url = f"/api/funds/{period}/receipts"
            assert (await http.post(url, json=receipt, headers=sup)).status_code == 201
            await flow.run()  # registration learns of the fund

            created = await http.post(
                "/api/cases", json=case_request(fund_period=period), headers=cw
            )
            assert created.status_code == 201, created.text
            case_id = created.json()["case_id"]
            screen = {"to": "eligible", "reason_code": "meets_criteria"}
            moved = await http.post(f"/api/cases/{case_id}/transitions", json=screen, headers=cw)
            assert moved.status_code == 200, moved.text
            await flow.run()

            case = (await http.get(f"/api/cases/{case_id}", headers=cw)).json()
            assert case["status"] == "funding_approved"
            funding = [e.type for e in await outbox(rt, "funding")]
            assert "funding.commitment_approved" in funding

            logged = await http.get("/api/audit/events", params={"limit": 1000}, headers=auditor)
            assert logged.status_code == 200, logged.text
            every = {e.event_id for s in services for e in await outbox(rt, s.name)}
            assert {row["event_id"] for row in logged.json()} == {str(i) for i in every}
            verified = (await http.get("/api/audit/verify", headers=auditor)).json()
            assert verified["intact"] is True
    finally:
        await close_runtime(rt)
