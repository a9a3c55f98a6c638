"""The web UI's pages over a whole system in process (every service's real SQLite file, the
real app with its sessions and CSRF checks, ``InProcessFlow`` for the events), driven by an
httpx client per person: sign-in through the form, then the pages' own forms."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.api import usecases
from services.edge.app import create_app
from services.kit.definition import Runtime
from services.kit.settings import Settings
from services.runtime.composition import close_runtime
from services.runtime.registry import all_services
from tests.support import (
    InProcessFlow,
    case_request,
    client,
    fund_request,
    open_runtime,
    register_case,
)

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class System:
    rt: Runtime
    app: FastAPI
    flow: InProcessFlow


@pytest.fixture
async def system(tmp_path: Path) -> AsyncIterator[System]:
    services = all_services()
    rt = await open_runtime(Settings(data_dir=tmp_path), services)
    try:
        yield System(rt, create_app(rt, services), InProcessFlow(rt, services))
    finally:
        await close_runtime(rt)


@dataclass
class Person:
    """A signed-in person's browser: its cookies, the form token of its session, its token
    for the API."""

    http: httpx.AsyncClient
    csrf: str
    token: str
    name: str

    @property
    def api(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@asynccontextmanager
async def person(
    s: System, role: str, offices: list[str], language: str = "es"
) -> AsyncIterator[Person]:
    name = f"{role[:4]}-{uuid.uuid4().hex[:6]}"
    _user, token = await usecases.add_user(s.rt, name, role, offices)
    await usecases.set_password(s.rt, name, PASSWORD)
    async with client(s.app) as http:
        http.headers["Accept-Language"] = language
        form = await http.get("/sign-in")
        found = CSRF.search(form.text)
        assert found is not None
        data = {"username": name, "password": PASSWORD, "csrf_token": found[1], "next": "/"}
        signed = await http.post("/sign-in", data=data)
        assert signed.status_code == 303, signed.text
        home = await http.get("/")
        token_of_session = CSRF.search(home.text)
        assert token_of_session is not None
        yield Person(http, token_of_session[1], token, name)


async def fund_and_case(
    s: System, supervisor: Person, caseworker: Person, office: str, receipt: str = "5000.00"
) -> tuple[str, str, str]:
    """A fund of this year with a receipt, and a case of ``office`` screened eligible (so
    funding committed its registered USD 250 of transport): (period, case id, person ref)."""
    period = str(s.rt.clock().year)
    made = await supervisor.http.post(
        "/api/funds", json=fund_request(period), headers=supervisor.api
    )
    assert made.status_code == 201, made.text
    got = await supervisor.http.post(
        f"/api/funds/{period}/receipts",
        json={"member": "CA", "amount": receipt},
        headers=supervisor.api,
    )
    assert got.status_code == 201, got.text
    await s.flow.run()
    body = case_request(office=office, fund_period=period)
    created = await register_case(caseworker.http, body, caseworker.api)
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]
    screened = await caseworker.http.post(
        f"/api/cases/{case_id}/transitions",
        json={"to": "eligible", "reason_code": "meets_criteria"},
        headers=caseworker.api,
    )
    assert screened.status_code == 200, screened.text
    await s.flow.run()
    return period, case_id, created.json()["people"][0]["person_ref"]
