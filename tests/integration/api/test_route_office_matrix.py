"""Every route of the OpenAPI that touches a case or a person x every role x two offices.

A GT-GUA case (one person, funded, a commitment, a transfer asked by a third office, a legal
hold) is made through the HTTP API, with events carried between the services in process.
Then, for each route with a case, person, commitment, transfer or hold in its path:

- a role the permission table does not grant the route's action: 403 permission-denied;
- a caseworker or supervisor of the other office (MX-TAP): 403 and none of the person's
  personal data, never a 2xx. Two documented exceptions (``OTHER_OFFICE_MAY``): asking for a
  transfer (201, no personal data), and breaking the glass (200 with the record, by design,
  with a reason code; the test then checks the DPO's list has that read);
- the owning office and the unscoped roles that hold the action: their normal answer (not
  401, 403 or 404; never a 5xx).

Listings (``GET /api/cases``, ``GET /api/transfers``) answer the other office without the
GT-GUA case or transfer in them. The set of such routes is asserted exactly, so a router that
fails to import, or a new route nobody classified here, fails this test.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.api import usecases
from services.kit.definition import Runtime
from services.kit.identity import OFFICE_SCOPED_ROLES, PERMISSIONS, ROLES
from services.kit.settings import Settings
from services.runtime.composition import close_runtime
from services.runtime.registry import all_services
from tests.integration.api.test_route_role_matrix import route_actions
from tests.support import (
    InProcessFlow,
    case_request,
    client,
    fund_request,
    make_app,
    open_runtime,
    outbox,
    person_request,
)

OWNER, OTHER, THIRD = "GT-GUA", "MX-TAP", "CR-SJO"
DENIED = "urn:retorno:problem:permission-denied"
SENTINELS = ("Xochitl Maribel", "Zacarias-Oyuela", "1987-11-23", "PX7716220", "770 1234", "xz@")

SCOPED: set[tuple[str, str]] = {
    ("GET", "/api/cases/{case_id}"),
    ("PATCH", "/api/cases/{case_id}"),
    ("POST", "/api/cases/{case_id}/transitions"),
    ("POST", "/api/cases/{case_id}/commitments"),
    ("POST", "/api/commitments/{commitment_id}/disbursements"),
    ("GET", "/api/commitments/{commitment_id}"),
    ("POST", "/api/payments/{payment_id}/reversal"),
    ("GET", "/api/people/{person_ref}/data"),
    ("GET", "/api/people/{person_ref}/record"),
    ("GET", "/api/people/{person_ref}/funding"),
    ("POST", "/api/people/{person_ref}/transfers"),
    ("POST", "/api/people/{person_ref}/emergency-read"),
    ("POST", "/api/people/{person_ref}/consents"),
    ("POST", "/api/people/{person_ref}/erasure"),
    ("POST", "/api/people/{person_ref}/legal-holds"),
    ("DELETE", "/api/people/{person_ref}/legal-holds/{hold_id}"),
    ("GET", "/api/transfers/{transfer_id}"),
    ("POST", "/api/transfers/{transfer_id}/decision"),
}
"""Every route with a case, a person or a thing of theirs in its path."""

LISTINGS: set[tuple[str, str]] = {
    ("GET", "/api/cases"),
    ("GET", "/api/transfers"),
    ("GET", "/api/emergency-reads"),
    ("GET", "/api/commitments"),
    ("GET", "/api/payments"),
}
SCOPED_PARAMS = {"case_id", "person_ref", "commitment_id", "payment_id", "transfer_id", "hold_id"}

OTHER_OFFICE_MAY: dict[tuple[str, str], set[int]] = {
    # The other office asks for the record: 201 (then 409, already asked). No personal data.
    ("POST", "/api/people/{person_ref}/transfers"): {201, 409},
    # Break the glass: the other office reads the record, by design, with a reason code;
    # the read is listed for the DPO (checked below).
    ("POST", "/api/people/{person_ref}/emergency-read"): {200},
}
SHOWS_PERSONAL_BY_DESIGN = {("POST", "/api/people/{person_ref}/emergency-read")}


def _bodies(ref: str) -> dict[tuple[str, str], Callable[[str | None], dict[str, Any]]]:
    """A valid body per scoped route with a request body, for a principal of ``office``: it
    passes validation, so the answer shows the scoping, and is harmless for the owner (an
    illegal transition, a refused erasure under the legal hold)."""
    return {
        ("POST", "/api/cases/{case_id}/transitions"): lambda _: {"to": "closed"},
        # a correction of the funded case: 409 for the owner (no longer 'registered')
        ("PATCH", "/api/cases/{case_id}"): lambda _: {
            "version": 3,
            "people": [{"person_ref": ref, "given_names": "Someone Else"}],
        },
        ("POST", "/api/cases/{case_id}/commitments"): lambda _: {
            "person_ref": ref,
            "lines": [{"category": "transport", "amount": "1.00"}],
        },
        ("POST", "/api/commitments/{commitment_id}/disbursements"): lambda _: {
            "amount": "1.00",
            "category": "transport",
        },
        ("POST", "/api/payments/{payment_id}/reversal"): lambda _: {
            "reason_code": "payment_failed"
        },
        ("POST", "/api/people/{person_ref}/transfers"): lambda office: {
            "office": office or OTHER,
            "reason_code": "person_returned",
        },
        ("POST", "/api/people/{person_ref}/emergency-read"): lambda office: {
            "office": office or OTHER,
            "reason_code": "medical_emergency",
        },
        ("POST", "/api/people/{person_ref}/consents"): lambda _: {
            "purpose": "follow_up_contact",
            "granted": True,
        },
        ("POST", "/api/people/{person_ref}/legal-holds"): lambda _: {"reason": "court order"},
        ("POST", "/api/people/{person_ref}/erasure"): lambda _: {
            "override_reason": "data_subject_objection"
        },
        ("POST", "/api/transfers/{transfer_id}/decision"): lambda _: {
            "decision": "approve",
            "reason_code": "same_person_confirmed",
        },
    }


@dataclass
class World:
    app: FastAPI
    rt: Runtime
    http: httpx.AsyncClient
    tokens: dict[tuple[str, str | None], str]
    ids: dict[str, str]

    def auth(self, role: str, office: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[(role, office)]}"}


def case_body(fund_period: str) -> dict[str, Any]:
    person = person_request(
        given_names="Xochitl Maribel",
        family_name="Zacarias-Oyuela",
        date_of_birth="1987-11-23",
        travel_document={"type": "passport", "number": "PX7716220"},
        contact={"phone": "+502 770 1234", "email": "xz@example.org"},
    )
    return case_request(OWNER, fund_period, people=[person])


async def _ok(response: httpx.Response, status: int = 201) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    services = all_services()
    rt = await open_runtime(Settings(data_dir=tmp_path), services)
    tokens: dict[tuple[str, str | None], str] = {}
    for role in ROLES:
        offices = (OWNER, OTHER, THIRD) if role in OFFICE_SCOPED_ROLES else (None,)
        for office in offices:
            name = f"{role}-{office or 'all'}".lower().replace("_", "-")
            _, tokens[(role, office)] = await usecases.add_user(
                rt, name, role, [office] if office else []
            )
    app = make_app(rt, services, tokens=None)  # the users service's real tokens
    async with client(app) as http:
        w = World(app, rt, http, tokens, {})
        flow = InProcessFlow(rt, services)
        sup, cw = w.auth("supervisor", OWNER), w.auth("caseworker", OWNER)
        period = str(rt.clock().year)
        await _ok(await http.post("/api/funds", json=fund_request(period), headers=sup))
        receipt = {"member": "CA", "amount": "60000.00"}
        await _ok(await http.post(f"/api/funds/{period}/receipts", json=receipt, headers=sup))
        await flow.run()  # registration learns of the fund
        case = await _ok(await http.post("/api/cases", json=case_body(period), headers=cw))
        case_id, ref = case["case_id"], case["people"][0]["person_ref"]
        await flow.run()
        screen = {"to": "eligible", "reason_code": "meets_criteria"}
        await _ok(
            await http.post(f"/api/cases/{case_id}/transitions", json=screen, headers=cw), 200
        )
        await flow.run()
        approved = [
            e for e in await outbox(rt, "funding") if e.type == "funding.commitment_approved"
        ]
        assert approved, "funding committed nothing for the eligible case"
        assert (await _ok(await http.get(f"/api/cases/{case_id}", headers=cw), 200))["status"] == (
            "funding_approved"
        )
        commitment_id = str(approved[0].payload["commitment_id"])
        pay = {"amount": "10.00", "category": "transport"}
        paid = await _ok(
            await http.post(
                f"/api/commitments/{commitment_id}/disbursements",
                json=pay,
                headers=w.auth("supervisor", OWNER),
            )
        )
        ask = {"office": THIRD, "reason_code": "person_returned"}
        third = w.auth("caseworker", THIRD)
        transfer = await _ok(
            await http.post(f"/api/people/{ref}/transfers", json=ask, headers=third)
        )
        dpo = w.auth("data_protection_officer")
        hold = {"reason": "court order"}
        placed = await _ok(
            await http.post(f"/api/people/{ref}/legal-holds", json=hold, headers=dpo)
        )
        await _ok(await http.post(f"/api/people/{ref}/legal-holds", json=hold, headers=dpo))
        await flow.run()
        w.ids = {
            "case_id": case_id,
            "person_ref": ref,
            "commitment_id": commitment_id,
            "payment_id": str(paid["disbursement_id"]),
            "transfer_id": transfer["transfer_id"],
            "hold_id": placed["hold_id"],
            "token_id": str(uuid.uuid4()),
            "period": period,
        }
        yield w
    await close_runtime(rt)


def _url(world: World, path: str) -> str:
    for name, value in world.ids.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, f"no value for a path parameter of {path}; add it to World.ids"
    return path


def _leaks(text: str) -> list[str]:
    return [s for s in SENTINELS if s in text]


async def test_routes_of_cases_and_people_are_scoped_to_the_owning_office(world: World) -> None:
    w = world
    actions = route_actions(w)  # type: ignore[arg-type]  # it reads .app only
    paths = w.app.openapi()["paths"]
    operations = [(m.upper(), p, op) for p, item in paths.items() for m, op in item.items()]
    scoped = {
        (m, p)
        for m, p, op in operations
        if any(x["in"] == "path" and x["name"] in SCOPED_PARAMS for x in op.get("parameters", []))
    }
    assert scoped == SCOPED, (
        f"missing (a router did not load?): {sorted(SCOPED - scoped)}; "
        f"unclassified new routes: {sorted(scoped - SCOPED)}"
    )
    assert {(m, p) for m, p, _ in operations} >= LISTINGS
    bodies = _bodies(w.ids["person_ref"])
    failures: list[str] = []
    checked = 0

    for method, path, operation in operations:
        if (method, path) not in SCOPED:
            continue
        if "requestBody" in operation:
            assert (method, path) in bodies, f"add a valid example body for {method} {path}"
        action = actions[(method, path)]
        url = _url(w, path)
        for role in ROLES:
            for office in (OTHER, OWNER) if role in OFFICE_SCOPED_ROLES else (None,):
                body = bodies.get((method, path))
                kwargs = {"json": body(office)} if body else {}
                response = await w.http.request(method, url, headers=w.auth(role, office), **kwargs)
                checked += 1
                status, who = response.status_code, f"{method} {path} as {role} of {office}"
                problem = response.json() if status >= 400 else {}
                if status >= 500:
                    failures.append(f"{who}: {status} {response.text[:200]}")
                elif action not in PERMISSIONS[role]:
                    if not (status == 403 and problem.get("type") == DENIED):
                        failures.append(f"{who} ({action} not granted): {status}")
                elif office == OTHER:
                    allowed = OTHER_OFFICE_MAY.get((method, path), {403})
                    if status not in allowed or problem.get("type") == DENIED:
                        failures.append(f"{who} (other office): {status} {response.text[:200]}")
                    if _leaks(response.text) and (method, path) not in SHOWS_PERSONAL_BY_DESIGN:
                        failures.append(f"{who} (other office) shows {_leaks(response.text)}")
                elif status in (401, 403, 404):
                    failures.append(f"{who} (owner or unscoped): {status} {response.text[:200]}")

    assert not failures, "\n".join(failures)
    assert checked >= len(SCOPED) * len(ROLES)
    reads = await w.http.get("/api/emergency-reads", headers=w.auth("data_protection_officer"))
    assert {(r["office"], r["reason_code"]) for r in reads.json()["items"]} == {
        (OTHER, "medical_emergency")
    }, "every break-the-glass read of the other office is listed for the DPO"


async def test_listings_show_the_other_office_nothing_of_the_owning_office(world: World) -> None:
    w = world
    case_id, transfer_id = w.ids["case_id"], w.ids["transfer_id"]
    commitment_id, payment_id = w.ids["commitment_id"], w.ids["payment_id"]
    failures: list[str] = []

    for role in ("caseworker", "supervisor"):
        for url, marker in (
            ("/api/cases", case_id),
            ("/api/transfers", transfer_id),
            ("/api/commitments", commitment_id),
            ("/api/payments", payment_id),
        ):
            mine = await w.http.get(url, headers=w.auth(role, OWNER))
            theirs = await w.http.get(url, headers=w.auth(role, OTHER))
            if mine.status_code != 200 or marker not in mine.text:
                failures.append(f"{url} as {role} of {OWNER}: {mine.status_code}, not listed")
            if theirs.status_code != 200 or marker in theirs.text or _leaks(theirs.text):
                failures.append(f"{url} as {role} of {OTHER}: {theirs.status_code}, listed")
        for url in ("/api/cases", "/api/commitments", "/api/payments"):
            asked = await w.http.get(f"{url}?office={OWNER}", headers=w.auth(role, OTHER))
            if asked.status_code != 403:
                failures.append(f"{url}?office={OWNER} as {role} of {OTHER}: {asked.status_code}")
    for url, marker in (("/api/commitments", commitment_id), ("/api/payments", payment_id)):
        unscoped = await w.http.get(url, headers=w.auth("auditor"))
        if unscoped.status_code != 200 or marker not in unscoped.text:
            failures.append(f"{url} as auditor: {unscoped.status_code}, not listed")

    assert not failures, "\n".join(failures)
