"""The whole HTTP API on real databases: every service that exists, real tokens per role."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.api import usecases
from services.edge.app import create_app
from services.kit.definition import Runtime, ServiceDef
from services.kit.identity import ROLES
from services.kit.settings import Settings
from tests.support import open_service_db

SERVICE_MODULES = (
    "services.registration.service",
    "services.funding.service",
    "services.audit.service",
    "privacy.service",
    "services.api.service",
)
OFFICE = "OFFICE-A"


def available_services() -> list[ServiceDef]:
    """Every service's ServiceDef. A service that fails to import fails the tests (a route
    matrix that quietly ran without a router would prove nothing about its routes)."""
    return [importlib.import_module(name).SERVICE for name in SERVICE_MODULES]


@dataclass
class Api:
    app: FastAPI
    rt: Runtime
    tokens: dict[str, str]  # role -> token
    http: httpx.AsyncClient

    def bearer(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    """SQLite files per service (as in the embedded default), each migrated, started."""
    settings = Settings(data_dir=tmp_path)
    services = available_services()
    databases = {
        s.name: await open_service_db(s, settings.database_url_for(s.name)) for s in services
    }
    rt = Runtime(settings=settings, databases=databases)
    for service in services:
        if service.on_start is not None:
            await service.on_start(rt)
    tokens: dict[str, str] = {}
    for role in ROLES:
        offices = [OFFICE] if role in ("caseworker", "supervisor") else []
        _, tokens[role] = await usecases.add_user(
            rt, f"test-{role}".replace("_", "-"), role, offices
        )
    app = create_app(rt, services)
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield Api(app, rt, tokens, http)
    for db in databases.values():
        await db.engine.dispose()
