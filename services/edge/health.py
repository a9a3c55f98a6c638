"""``GET /health``: no token needed; 200 when every check is ok, 503 otherwise."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from db.health import probe
from services.kit.definition import Runtime

HealthCheck = Callable[[], Awaitable[dict[str, Any]]]
log = logging.getLogger(__name__)


def is_healthy(report: Any) -> bool:
    """A check is ok when it is ``True``, ``"ok"``, or a mapping with ``ok: true`` or
    ``status: "ok"``; a mapping without either is ok when every value in it is."""
    if isinstance(report, bool):
        return report
    if isinstance(report, str):
        return report == "ok"
    if isinstance(report, dict):
        if "ok" in report:
            return report["ok"] is True
        if "status" in report:
            return report["status"] == "ok"
        return all(is_healthy(value) for value in report.values())
    return True


def database_health(rt: Runtime) -> HealthCheck:
    """The default check: every service database answers ``SELECT 1``."""

    async def check() -> dict[str, Any]:
        databases = {name: await probe(db) for name, db in rt.databases.items()}
        for name, found in databases.items():
            if not found["ok"]:
                log.warning("database %s is not healthy: %s", name, found["error"])
        return {"databases": databases}

    return check


def health_router(check: HealthCheck) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get(
        "/health",
        summary="Whether the system is up",
        responses={503: {"description": "Some part is not healthy"}},
    )
    async def health() -> JSONResponse:
        try:
            report = await check()
        except Exception as e:
            log.warning("health check failed: %s", type(e).__name__)
            report = {"status": "error"}
        return JSONResponse(report, status_code=200 if is_healthy(report) else 503)

    return router
