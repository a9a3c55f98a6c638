"""Privacy's and the users service's distinct errors reach a client as distinct problem types
through the real app (a client tells them apart by ``type``, never by ``detail``)."""

from __future__ import annotations

import secrets
import uuid

import httpx

from services.kit.vault import VAULT
from tests.integration.api.conftest import Api

PROBLEM = "urn:retorno:problem:"


def problem_type(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return str(response.json()["type"]).removeprefix(PROBLEM)


async def known_person(api: Api) -> str:
    ref = f"p_{secrets.token_hex(16)}"
    await api.rt.part(VAULT).new_person(ref)
    return ref


async def test_legal_hold_errors_have_their_own_problem_types(api: Api) -> None:
    dpo = api.bearer("data_protection_officer")
    ref = await known_person(api)
    holds = f"/api/people/{ref}/legal-holds"

    placed = await api.http.post(holds, json={"reason": "court order"}, headers=dpo)
    hold = placed.json()
    held = await api.http.post(f"/api/people/{ref}/erasure", headers=dpo)
    lifted = await api.http.delete(f"{holds}/{hold['hold_id']}", headers=dpo)
    twice = await api.http.delete(f"{holds}/{hold['hold_id']}", headers=dpo)
    unknown = await api.http.delete(f"{holds}/{uuid.uuid4()}", headers=dpo)

    assert placed.status_code == 201 and hold["lifted_at"] is None and "reason" not in hold
    assert problem_type(held, 409) == "legal-hold-active"
    assert (
        lifted.status_code == 200 and lifted.json()["lifted_by"] == "test-data-protection-officer"
    )
    assert problem_type(twice, 409) == "legal-hold-already-lifted"
    assert problem_type(unknown, 404) == "legal-hold-not-found"


async def test_unknown_people_are_told_apart_from_people_without_a_key(api: Api) -> None:
    dpo = api.bearer("data_protection_officer")
    ref = f"p_{secrets.token_hex(16)}"
    consent = {"purpose": "assistance", "granted": True}

    no_key = await api.http.post(f"/api/people/{ref}/erasure", headers=dpo)
    unknown = await api.http.post(f"/api/people/{ref}/consents", json=consent, headers=dpo)

    assert problem_type(no_key, 404) == "person-key-not-found"
    assert problem_type(unknown, 404) == "unknown-person"


async def test_an_erasure_answers_its_typed_proof(api: Api) -> None:
    dpo = api.bearer("data_protection_officer")
    ref = await known_person(api)

    erased = await api.http.post(f"/api/people/{ref}/erasure", headers=dpo)
    again = await api.http.post(f"/api/people/{ref}/erasure", headers=dpo)

    assert erased.status_code == 200
    assert set(erased.json()) == {"person_ref", "erased_at", "trigger", "key_fingerprint"}
    assert again.json() == erased.json()


async def test_user_errors_have_their_own_problem_types(api: Api) -> None:
    admin = api.bearer("admin")
    body = {"name": "dup-user", "role": "auditor"}

    first = await api.http.post("/api/users", json=body, headers=admin)
    taken = await api.http.post("/api/users", json=body, headers=admin)
    unknown = await api.http.delete(f"/api/tokens/{uuid.uuid4()}", headers=admin)

    assert first.status_code == 201
    assert problem_type(taken, 409) == "user-name-taken"
    assert problem_type(unknown, 404) == "unknown-token"
