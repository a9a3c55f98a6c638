"""Every error is an RFC 9457 problem; nothing internal reaches the client."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.unit.api.conftest import bearer

PROBLEM = "application/problem+json"


def assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= body.keys()
    assert body["status"] == status
    return body


async def test_missing_token_is_401_with_a_bearer_challenge(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/demo/records/rec-a")

    body = assert_problem(response, 401)
    assert response.headers["www-authenticate"] == 'Bearer realm="retorno"'
    assert "Authorization: Bearer" in body["detail"]


async def test_unknown_token_is_401_invalid_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/demo/records/rec-a", headers=bearer("nope"))

    assert_problem(response, 401)
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_non_bearer_scheme_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/demo/records/rec-a", headers={"Authorization": "Basic YTpi"})

    assert_problem(response, 401)


async def test_role_without_the_action_is_403_permission_denied(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/demo/records/rec-a", headers=bearer("auditor"))

    body = assert_problem(response, 403)
    assert body["type"] == "urn:retorno:problem:permission-denied"
    assert "auditor" in body["detail"] and "cases.read" in body["detail"]


async def test_caseworker_reads_own_office_record(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/demo/records/rec-a", headers=bearer("cw-a"))

    assert response.status_code == 200


async def test_caseworker_of_office_a_gets_403_on_office_b_record(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/demo/records/rec-b", headers=bearer("cw-a"))

    body = assert_problem(response, 403)
    assert body["type"] == "urn:retorno:problem:forbidden"
    assert "OFFICE-B" in body["detail"]


async def test_retorno_not_found_error_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/demo/records/rec-x", headers=bearer("cw-a"))

    body = assert_problem(response, 404)
    assert body["type"] == "urn:retorno:problem:not-found"
    assert body["instance"] == "/api/demo/records/rec-x"


async def test_conflict_error_carries_its_extra_members(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/demo/conflict", headers=bearer("cw-a"))

    body = assert_problem(response, 409)
    assert body["title"] == "Conflict with the current state"
    assert body["state"] == "departed"


async def test_validation_error_names_each_field_without_echoing_input(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/api/demo/things",
        headers=bearer("cw-a"),
        json={"name": "", "count": "many", "secret": "Maria Lopez"},
    )

    body = assert_problem(response, 422)
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"body.name", "body.count", "body.secret"}
    assert all(e["problem"] for e in body["errors"])
    assert "Maria" not in response.text and "many" not in response.text


async def test_malformed_json_is_a_422_problem(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/demo/things",
        headers={**bearer("cw-a"), "Content-Type": "application/json"},
        content=b"{not json",
    )

    assert_problem(response, 422)


async def test_http_exception_keeps_its_status_and_detail(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/demo/teapot", headers=bearer("cw-a"))

    body = assert_problem(response, 418)
    assert body["detail"] == "I am a teapot."


async def test_unknown_route_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/nothing-here")

    body = assert_problem(response, 404)
    assert "/docs" in body["detail"]


async def test_wrong_method_is_a_405_problem_with_allow(client: httpx.AsyncClient) -> None:
    response = await client.delete("/api/demo/things")

    body = assert_problem(response, 405)
    assert response.headers["allow"] == "POST"
    assert "POST" in body["detail"]


async def test_unhandled_error_is_a_generic_500_with_an_error_id(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        response = await client.get("/api/demo/boom", headers=bearer("cw-a"))

    body = assert_problem(response, 500)
    assert body["error_id"] in body["detail"]
    assert "Maria" not in response.text and "Traceback" not in response.text
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert body["error_id"] in logged and "RuntimeError" in logged
    assert "Maria" not in logged


async def test_declared_body_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/demo/things", headers=bearer("cw-a"), content=b"x" * 2048)

    body = assert_problem(response, 413)
    assert "1024" in body["detail"]


async def test_streamed_body_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(8):
            yield b"y" * 200

    response = await client.post("/api/demo/things", headers=bearer("cw-a"), content=chunks())

    assert_problem(response, 413)


async def test_body_under_the_limit_reaches_the_route(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/demo/things", headers=bearer("cw-a"), json={"name": "a" * 900, "count": 1}
    )

    assert response.status_code == 200
