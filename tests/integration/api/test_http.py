"""The whole API over HTTP with real tokens: admin flows and office scoping."""

from __future__ import annotations

from services.api import usecases
from tests.integration.api.conftest import Api, all_services
from tests.support import InProcessFlow, case_request, fund_request


async def test_admin_adds_a_user_whose_token_works_until_revoked(api: Api) -> None:
    created = await api.http.post(
        "/api/users",
        headers=api.bearer("admin"),
        json={"name": "lucia", "role": "caseworker", "offices": ["GT-01"]},
    )
    token = created.json()["token"]
    me = await api.http.get("/api/me", headers={"Authorization": f"Bearer {token}"})

    revoked = await api.http.delete(
        f"/api/tokens/{created.json()['token_id']}", headers=api.bearer("admin")
    )
    after = await api.http.get("/api/me", headers={"Authorization": f"Bearer {token}"})

    assert created.status_code == 201
    assert me.json() == {
        "user_id": "lucia",
        "role": "caseworker",
        "offices": ["GT-01"],
        "actions": sorted(me.json()["actions"]),
    }
    assert "cases.read_personal" in me.json()["actions"]
    assert revoked.status_code == 204
    assert after.status_code == 401


async def test_user_list_never_contains_tokens(api: Api) -> None:
    response = await api.http.get("/api/users", headers=api.bearer("admin"))

    assert response.status_code == 200
    assert not any(token in response.text for token in api.tokens.values())
    assert "token_hash" not in response.text


async def test_caseworker_of_another_office_cannot_read_or_move_a_case(api: Api) -> None:
    _, owner = await usecases.add_user(api.rt, "cw-mx", "caseworker", ["MX-TAP"])
    fund = fund_request(str(api.rt.clock().year))
    made = await api.http.post("/api/funds", json=fund, headers=api.bearer("supervisor"))
    assert made.status_code == 201, made.text
    await InProcessFlow(api.rt, all_services()).run()  # registration learns of the fund
    created = await api.http.post(
        "/api/cases",
        headers={"Authorization": f"Bearer {owner}"},
        json=case_request(office="MX-TAP"),
    )
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]

    read = await api.http.get(f"/api/cases/{case_id}", headers=api.bearer("caseworker"))
    own = await api.http.get(f"/api/cases/{case_id}", headers={"Authorization": f"Bearer {owner}"})

    assert own.status_code == 200
    assert read.status_code == 403
    assert read.headers["content-type"] == "application/problem+json"
    assert read.json()["type"] != "urn:retorno:problem:permission-denied"  # office, not role
