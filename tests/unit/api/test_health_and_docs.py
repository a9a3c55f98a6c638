"""/health needs no token and reports 503 when a part is down; the OpenAPI documents auth."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.edge.health import is_healthy
from tests.support import client
from tests.unit.api.conftest import build_app


async def _get(app: Any, path: str) -> httpx.Response:
    async with client(app) as c:
        return await c.get(path)


@pytest.mark.parametrize(
    ("report", "healthy"),
    [
        ({"status": "ok", "checks": {"broker": {"ok": True}}}, True),
        ({"status": "degraded", "checks": {}}, False),
        ({"broker": {"ok": True}, "database:api": {"ok": False}}, False),
        ({"databases": {"api": "ok", "funding": "unavailable"}}, False),
        ({"databases": {"api": "ok"}}, True),
    ],
)
def test_health_report_is_ok_only_when_every_check_is(report: dict, healthy: bool) -> None:
    assert is_healthy(report) is healthy


async def test_health_is_200_without_a_token_when_all_is_ok(tmp_path: Path) -> None:
    async def check() -> dict[str, Any]:
        return {"status": "ok", "checks": {"broker": {"ok": True}}}

    response = await _get(build_app(tmp_path, health=check), "/health")

    assert response.status_code == 200
    assert response.json()["checks"]["broker"]["ok"] is True


async def test_health_is_503_when_a_part_is_down(tmp_path: Path) -> None:
    async def check() -> dict[str, Any]:
        return {"status": "degraded", "checks": {"broker": {"ok": False}}}

    response = await _get(build_app(tmp_path, health=check), "/health")

    assert response.status_code == 503


async def test_health_is_503_when_the_check_itself_fails(tmp_path: Path) -> None:
    async def check() -> dict[str, Any]:
        raise ConnectionError("down")

    response = await _get(build_app(tmp_path, health=check), "/health")

    assert response.status_code == 503


async def test_openapi_declares_bearer_auth_on_protected_routes_only(tmp_path: Path) -> None:
    schema = (await _get(build_app(tmp_path), "/openapi.json")).json()

    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert "security" not in schema["paths"]["/health"]["get"]
    operation = schema["paths"]["/api/demo/things"]["post"]
    assert operation["security"] == [{"bearerAuth": []}]
    for status in ("401", "403", "413", "422", "default"):
        assert "application/problem+json" in operation["responses"][status]["content"]


async def test_docs_page_is_served_with_its_own_assets_not_a_cdn(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    response = await _get(app, "/docs")

    assert response.status_code == 200
    assert "swagger" in response.text.lower()
    assets = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert assets and not [a for a in assets if "//" in a]  # nothing from another host
    for asset in assets:
        served = await _get(app, asset)
        assert served.status_code == 200, asset
        assert len(served.content) > 100
