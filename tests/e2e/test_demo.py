"""`retorno demo` against the whole system in one process: it loads, and what it says it
did is true."""

from __future__ import annotations

from datetime import date

import pytest

from services.demo.loader import (
    DEMO_NOTE,
    PLANS,
    WITHDRAWAL_NOTE,
    DemoError,
    load_demo,
    wait_for_api,
)

from .conftest import System, eventually
from .scenario import files_containing

pytestmark = pytest.mark.e2e


async def test_demo_loads_a_sample_a_person_can_explore(system: System) -> None:
    s = system
    assert s.node.runtime is not None
    report = await load_demo(str(s.http.base_url), s.node.runtime)

    assert not report.already_loaded
    assert len(report.cases) == len(PLANS) == 36
    tokens = {role: token for _name, role, _offices, token in report.users}
    sup = {"Authorization": f"Bearer {tokens['supervisor']}"}
    listed = (await s.http.get("/api/cases?page_size=200", headers=sup)).json()["items"]
    status = {item["case_id"]: item["status"] for item in listed}
    assert set(report.cases) <= set(status)
    # Funding decisions came from the funding service, through the broker.
    assert "funding_approved" in status.values()
    assert {status[c] for c, plan in report.cases.items() if plan == "closed"} == {"closed"}
    assert {status[c] for c, plan in report.cases.items() if plan == "withdrawn"} == {"withdrawn"}
    fund = (await s.http.get(f"/api/funds/{report.period}", headers=sup)).json()
    assert fund["target_cents"] == 6_000_000
    assert {m["member"]: m["expected_cents"] for m in fund["members"]}["CA"] == 1_500_000
    assert fund["disbursed_cents"] > 0

    dpo = {"Authorization": f"Bearer {tokens['data_protection_officer']}"}

    async def erased() -> bool:
        response = await s.http.get(f"/api/people/{report.erased_person}/data", headers=dpo)
        return response.status_code == 200 and response.json()["person"]["erased"]

    await eventually(erased)

    auditor = {"Authorization": f"Bearer {tokens['auditor']}"}

    async def audit_intact_and_caught_up() -> bool:
        body = (await s.http.get("/api/audit/verify", headers=auditor)).json()
        erasures = await s.http.get(
            "/api/audit/events?type=privacy.personal_data_erased", headers=auditor
        )
        return body.get("intact") is True and len(erasures.json()) == 1

    await eventually(audit_intact_and_caught_up)

    # follow-up contacts were recorded for the people in monitoring, and the evaluator made
    # an export they can list and download
    follow = report.follow_ups
    assert follow is not None and follow.contacts > 0 and follow.scores > 0
    assert follow.not_reached == 1 and follow.re_migrated == 1 and follow.grants == 1
    # the working lists show what the demo left, as the summary says: plans missing (every
    # fourth) and the person not reached, counted per office by the API itself
    shown: dict[str, int] = {}
    for office in ("GT-GUA", "MX-TAP", "CR-SJO"):
        due = await s.http.get(f"/api/monitoring/due?office={office}", headers=sup)
        assert due.status_code == 200, due.text
        for status_, count in due.json()["counts"].items():
            shown[status_] = shown.get(status_, 0) + count
    assert shown == follow.due
    assert shown["plan_missing"] >= 1 and shown["not_reached"] == 1
    assert shown["overdue"] == 0  # every return arrived today
    # the same lists once the first contacts' windows have closed: the contacts nobody made
    # are overdue then, and so are the plans still missing
    assert follow.ahead["overdue"] >= 1
    assert follow.ahead["plan_missing"] == shown["plan_missing"]
    scored = await s.http.get(
        "/api/audit/events?type=reintegration.score_recorded&limit=1000", headers=auditor
    )
    assert scored.status_code == 200 and len(scored.json()) >= follow.scores

    async def grant_answered() -> bool:  # funding answers the cash grant through the broker
        plan = await s.http.get(f"/api/monitoring/plans/{follow.grant_plan}", headers=sup)
        grants = plan.json()["grants"]
        return len(grants) == 1 and grants[0]["status"] in ("committed", "refused")

    await eventually(grant_answered)
    # the demo's free text and contact details are stored sealed: readable through the
    # logged paths (so the scan below can fail), in no file in plaintext
    plan = (await s.http.get(f"/api/monitoring/plans/{follow.grant_plan}", headers=sup)).json()
    contact_id = plan["contacts"][0]["contact_id"]
    note = await s.http.get(
        f"/api/monitoring/plans/{follow.grant_plan}/contacts/{contact_id}/note", headers=sup
    )
    assert note.status_code == 200 and note.json()["note"] == DEMO_NOTE, note.text
    case = (await s.http.get(f"/api/cases/{plan['case_id']}", headers=sup)).json()
    phone = case["people"][0]["personal"]["phone"]
    assert phone.startswith("+000 555 ")

    async def re_migrated_closure_chained() -> bool:
        # every closure, not the first page: most follow-ups close with their case
        closed = await s.http.get(
            "/api/audit/events?type=reintegration.case_closed&limit=1000", headers=auditor
        )
        return "re_migrated" in {row["payload"]["reason_code"] for row in closed.json()}

    await eventually(re_migrated_closure_chained)
    evaluator = {"Authorization": f"Bearer {tokens['evaluator']}"}
    export = (await s.http.get(f"/api/exports/{report.export_id}", headers=evaluator)).json()
    names = [f["name"] for f in export["files"]]
    assert any(name.endswith(".xlsx") for name in names), export
    download = await s.http.get(
        f"/api/exports/{report.export_id}/files/{names[0]}", headers=evaluator
    )
    assert download.status_code == 200 and download.content

    await s.node.stop()  # flush everything to disk before looking at the files
    assert files_containing(s.data_dir, ["Casa del Migrante Demo"]), "the scan sees plaintext"
    assert files_containing(s.data_dir, [DEMO_NOTE, WITHDRAWAL_NOTE, phone, "@example.org"]) == []


async def test_demo_run_again_only_issues_fresh_tokens(system: System) -> None:
    s = system
    assert s.node.runtime is not None
    fund = {
        "period": str(date.today().year),
        "currency": "USD",
        "target": "1000.00",
        "shares": [{"member": "CA", "share_percent": "100"}],
    }
    created = await s.http.post("/api/funds", json=fund, headers=s.auth("supervisor"))
    assert created.status_code == 201, created.text
    first = await load_demo(str(s.http.base_url), s.node.runtime)

    again = await load_demo(str(s.http.base_url), s.node.runtime)

    assert first.already_loaded and again.already_loaded and not again.cases
    assert [u[0] for u in again.users] == [u[0] for u in first.users]
    assert {u[3] for u in again.users}.isdisjoint(u[3] for u in first.users)
    me = await s.http.get("/api/me", headers={"Authorization": f"Bearer {again.users[0][3]}"})
    assert me.status_code == 200


async def test_demo_says_how_to_start_the_system_when_it_is_not_running() -> None:
    with pytest.raises(DemoError, match="make run"):
        await wait_for_api("http://127.0.0.1:9")
