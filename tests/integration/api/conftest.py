"""The whole API on real databases: every service of the registry, real tokens per role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.api import usecases
from services.kit.definition import Runtime
from services.kit.identity import ROLES
from services.kit.settings import Settings
from services.runtime.composition import close_runtime
from services.runtime.registry import all_services
from tests.support import OFFICE, client, make_app, open_runtime

__all__ = ["OFFICE", "Api", "all_services"]


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
    """SQLite files per service (as in the embedded default), each migrated, started; a
    token per role from the users service (the real token store, not fixed tokens).

    The services come from the registry, which imports each one plainly: a service that
    fails to import fails every test here (a route matrix that quietly ran without a
    router would prove nothing about its routes)."""
    services = all_services()
    rt = await open_runtime(Settings(data_dir=tmp_path), services)
    tokens: dict[str, str] = {}
    for role in ROLES:
        offices = [OFFICE] if role in ("caseworker", "supervisor") else []
        _, tokens[role] = await usecases.add_user(
            rt, f"test-{role}".replace("_", "-"), role, offices
        )
    app = make_app(rt, services, tokens=None)  # the users service's authenticator
    async with client(app) as http:
        yield Api(app, rt, tokens, http)
    await close_runtime(rt)
