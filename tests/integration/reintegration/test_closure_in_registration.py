"""Reintegration with the other services, in process over the real app
(``tests.support.InProcessFlow``): a closed follow-up closes the registration case once every
person's is closed; cash assistance received becomes a ``reintegration_grant`` commitment in
funding, within the person's cap."""

from __future__ import annotations

from pathlib import Path

import pytest

from events.funding import CommitmentApproved, CommitmentRejected
from events.reintegration import FollowUpClosed, PlanCreated
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
    person_request,
)

pytestmark = pytest.mark.integration


async def test_the_case_closes_when_the_last_of_its_people_has_their_follow_up_closed(
    tmp_path: Path,
) -> None:
    services = all_services()
    rt = await open_runtime(Settings(data_dir=tmp_path), services)
    flow = InProcessFlow(rt, services)
    sup, cw = bearer("supervisor"), bearer("caseworker")
    try:
        async with client(make_app(rt, services)) as http:
            period = str(rt.clock().year)
            assert (
                await http.post("/api/funds", json=fund_request(period), headers=sup)
            ).is_success
            receipt = {"member": "CA", "amount": "60000.00"}
            assert (
                await http.post(f"/api/funds/{period}/receipts", json=receipt, headers=sup)
            ).is_success
            await flow.run()
            child = person_request(
                given_names="Luis",
                date_of_birth=f"{rt.clock().year - 8}-01-01",
                sex="male",
                travel_document={"type": "passport", "number": "P7654321"},
                vulnerability_categories=["unaccompanied_minor"],
            )
            body = case_request(fund_period=period, people=[person_request(), child])
            created = await http.post("/api/cases", json=body, headers=cw)
            assert created.status_code == 201, created.text
            case_id = created.json()["case_id"]
            url = f"/api/cases/{case_id}/transitions"
            screen = {"to": "eligible", "reason_code": "meets_criteria"}
            assert (await http.post(url, json=screen, headers=cw)).status_code == 200
            await flow.run()
            for to in ("documents_ready", "departed", "arrived"):
                moved = await http.post(url, json={"to": to}, headers=cw)
                assert moved.status_code == 200, moved.text
            await flow.run()
            plans = [
                e.parse(PlanCreated)
                for e in await outbox(rt, "reintegration")
                if e.type == PlanCreated.type_name()
            ]
            assert len(plans) == 2
            today = rt.clock().date().isoformat()

            first = await http.post(
                f"/api/monitoring/plans/{plans[0].plan_id}/closure",
                json={"on": today, "reason": "declined"},
                headers=cw,
            )
            assert first.status_code == 201, first.text
            await flow.run()
            case = (await http.get(f"/api/cases/{case_id}", headers=cw)).json()
            assert case["status"] == "arrived"  # the other person is still followed up

            second = await http.post(
                f"/api/monitoring/plans/{plans[1].plan_id}/closure",
                json={"on": today, "reason": "re_migrated"},
                headers=cw,
            )
            assert second.status_code == 201, second.text
            await flow.run()
            await flow.run()  # a redelivery of everything changes nothing
            case = (await http.get(f"/api/cases/{case_id}", headers=cw)).json()
            assert case["status"] == "closed"
            closures = [
                e for e in await outbox(rt, "registration") if e.type == "registration.case_closed"
            ]
            assert len(closures) == 1
            assert closures[0].payload["reason_code"] == "follow_up_closed"  # mixed reasons
    finally:
        await close_runtime(rt)


async def test_cash_assistance_received_is_committed_in_funding_within_the_persons_cap(
    tmp_path: Path,
) -> None:
    services = all_services()
    rt = await open_runtime(Settings(data_dir=tmp_path), services)
    flow = InProcessFlow(rt, services)
    sup, cw = bearer("supervisor"), bearer("caseworker")
    try:
        async with client(make_app(rt, services)) as http:
            period = str(rt.clock().year)
            assert (
                await http.post("/api/funds", json=fund_request(period), headers=sup)
            ).is_success
            receipt = {"member": "CA", "amount": "60000.00"}
            assert (
                await http.post(f"/api/funds/{period}/receipts", json=receipt, headers=sup)
            ).is_success
            await flow.run()
            created = await http.post(
                "/api/cases", json=case_request(fund_period=period), headers=cw
            )  # 250.00 of transport for the one person
            case_id = created.json()["case_id"]
            url = f"/api/cases/{case_id}/transitions"
            screen = {"to": "eligible", "reason_code": "meets_criteria"}
            assert (await http.post(url, json=screen, headers=cw)).status_code == 200
            await flow.run()
            for to in ("documents_ready", "departed", "arrived"):
                assert (await http.post(url, json={"to": to}, headers=cw)).status_code == 200
            await flow.run()
            [plan] = [
                e.parse(PlanCreated)
                for e in await outbox(rt, "reintegration")
                if e.type == PlanCreated.type_name()
            ]
            today = rt.clock().date().isoformat()
            assistance = f"/api/monitoring/plans/{plan.plan_id}/assistance"

            def cash(amount: str) -> dict[str, object]:
                item = {"category": "business_start_up", "kind": "cash", "amount": amount}
                return {"stage": "received", "on": today, "items": [item]}

            assert (await http.post(assistance, json=cash("400.00"), headers=cw)).is_success
            await flow.run()
            assert (await http.post(assistance, json=cash("900.00"), headers=cw)).is_success
            await flow.run()
            await flow.run()  # a redelivery commits nothing twice

            funding = await outbox(rt, "funding")
            approved = [
                e.parse(CommitmentApproved)
                for e in funding
                if e.type == CommitmentApproved.type_name()
            ]
            grants = [c for c in approved if c.lines[0].category == "reintegration_grant"]
            assert [(g.person_ref, g.amount_cents) for g in grants] == [(plan.person_ref, 40_000)]
            rejected = [
                e.parse(CommitmentRejected)
                for e in funding
                if e.type == CommitmentRejected.type_name()
            ]
            assert len(rejected) == 1 and rejected[0].reason == "cap_exhausted"
            view = await http.get(f"/api/monitoring/plans/{plan.plan_id}", headers=cw)
            grants = [
                (g["requested_cents"], g["status"], g["committed_cents"], g["refusal_reason"])
                for g in view.json()["grants"]
            ]
            assert grants == [
                (40_000, "committed", 40_000, None),
                (90_000, "refused", None, "cap_exhausted"),  # a clear state, not silence
            ]
            position = await http.get(f"/api/people/{plan.person_ref}/funding", headers=sup)
            assert position.status_code == 200, position.text
    finally:
        await close_runtime(rt)


async def test_closing_the_case_in_registration_closes_its_open_follow_ups_with_a_reason(
    tmp_path: Path,
) -> None:
    services = all_services()
    rt = await open_runtime(Settings(data_dir=tmp_path), services)
    flow = InProcessFlow(rt, services)
    sup, cw = bearer("supervisor"), bearer("caseworker")
    try:
        async with client(make_app(rt, services)) as http:
            period = str(rt.clock().year)
            assert (
                await http.post("/api/funds", json=fund_request(period), headers=sup)
            ).is_success
            receipt = {"member": "CA", "amount": "60000.00"}
            assert (
                await http.post(f"/api/funds/{period}/receipts", json=receipt, headers=sup)
            ).is_success
            await flow.run()
            body = case_request(fund_period=period, people=[person_request(), person_request()])
            case_id = (await http.post("/api/cases", json=body, headers=cw)).json()["case_id"]
            url = f"/api/cases/{case_id}/transitions"
            screen = {"to": "eligible", "reason_code": "meets_criteria"}
            assert (await http.post(url, json=screen, headers=cw)).status_code == 200
            await flow.run()
            for to in ("documents_ready", "departed", "arrived"):
                assert (await http.post(url, json={"to": to}, headers=cw)).status_code == 200
            await flow.run()
            plans = [
                e.parse(PlanCreated)
                for e in await outbox(rt, "reintegration")
                if e.type == PlanCreated.type_name()
            ]
            assert len(plans) == 2
            today = rt.clock().date().isoformat()
            # one person's follow-up is closed already, by a caseworker of reintegration
            first = await http.post(
                f"/api/monitoring/plans/{plans[0].plan_id}/closure",
                json={"on": today, "reason": "deceased"},
                headers=cw,
            )
            assert first.status_code == 201, first.text
            await flow.run()

            closed = await http.post(
                url, json={"to": "closed", "reason_code": "re_migrated"}, headers=cw
            )
            assert closed.status_code == 200, closed.text
            await flow.run()
            await flow.run()  # a redelivery closes nothing twice

            closures = [
                e.parse(FollowUpClosed)
                for e in await outbox(rt, "reintegration")
                if e.type == FollowUpClosed.type_name()
            ]
            assert [(c.plan_id, c.reason_code, c.closed_by) for c in closures] == [
                (plans[0].plan_id, "deceased", "caseworker"),
                (plans[1].plan_id, "re_migrated", "registration"),
            ]
            for plan, reason in ((plans[0], "deceased"), (plans[1], "re_migrated")):
                view = await http.get(f"/api/monitoring/plans/{plan.plan_id}", headers=cw)
                assert view.json()["closure_reason"] == reason
            due = (await http.get("/api/monitoring/due", headers=cw)).json()
            assert due["total"] == 0, due
            case = (await http.get(f"/api/cases/{case_id}", headers=cw)).json()
            assert case["status"] == "closed"
            registration_closures = [
                e for e in await outbox(rt, "registration") if e.type == "registration.case_closed"
            ]
            assert len(registration_closures) == 1  # reintegration's closures change nothing
    finally:
        await close_runtime(rt)


def test_a_registration_reason_maps_to_a_follow_up_reason_or_case_closed() -> None:
    from services.reintegration.usecases import closure_reason_of

    assert closure_reason_of("re_migrated") == "re_migrated"
    assert closure_reason_of("follow_up_lost_contact") == "lost_contact"
    assert closure_reason_of("duplicate_case") == "case_closed"
    assert closure_reason_of(None) == "case_closed"
