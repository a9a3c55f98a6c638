"""An app with demo routes and fixed tokens: no database, no broker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from db.schema import MessagingTables, service_metadata
from services.edge.app import create_app
from services.kit.definition import Runtime, ServiceDef
from services.kit.errors import ConflictError, NotFoundError
from services.kit.identity import AUTHENTICATOR, Principal, StaticAuthenticator, ensure_office
from services.kit.routes import require
from services.kit.settings import Settings

TOKENS = {
    "cw-a": Principal("ana", "caseworker", frozenset({"OFFICE-A"})),
    "auditor": Principal("aud", "auditor"),
    "admin": Principal("root", "admin"),
}
RECORD_OFFICES = {"rec-a": "OFFICE-A", "rec-b": "OFFICE-B"}


class Thing(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    count: int


def demo_router() -> APIRouter:
    r = APIRouter(prefix="/api/demo")

    @r.get("/records/{record_id}")
    async def read_record(record_id: str, p: Principal = require("cases.read")) -> dict[str, str]:
        office = RECORD_OFFICES.get(record_id)
        if office is None:
            raise NotFoundError(f"No record {record_id}.")
        ensure_office(p, office)
        return {"id": record_id, "office": office}

    @r.post("/things")
    async def make_thing(thing: Thing, p: Principal = require("cases.create")) -> dict[str, Any]:
        return {"name": thing.name}

    @r.post("/conflict")
    async def conflict(p: Principal = require("cases.create")) -> None:
        raise ConflictError("The case is 'departed'; it cannot be withdrawn.", state="departed")

    @r.get("/teapot")
    async def teapot(p: Principal = require("cases.read")) -> None:
        raise HTTPException(418, detail="I am a teapot.")

    @r.get("/boom")
    async def boom(p: Principal = require("cases.read")) -> None:
        raise RuntimeError("Maria Lopez, born 1990-01-02")  # personal data in a message

    return r


DEMO = ServiceDef(
    name="demo",
    metadata=service_metadata(),
    tables=MessagingTables(service_metadata(), "demo"),
    router=demo_router,
)


def build_app(tmp_path: Path, **kwargs: Any) -> Any:
    rt = Runtime(settings=Settings(data_dir=tmp_path), databases={})
    rt.put(AUTHENTICATOR, StaticAuthenticator(TOKENS))
    return create_app(rt, [DEMO], **kwargs)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(tmp_path, max_body_bytes=1024)
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c
