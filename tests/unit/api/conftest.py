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
from services.kit.definition import ServiceDef
from services.kit.errors import ConflictError, NotFoundError
from services.kit.identity import Principal, ensure_office
from services.kit.routes import require
from services.kit.settings import Settings
from tests.support import bearer, client, make_app, make_runtime

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
    """The real app over the demo routes, with ``TOKENS``; no database."""
    return make_app(make_runtime(Settings(data_dir=tmp_path), {}), [DEMO], tokens=TOKENS, **kwargs)


__all__ = ["TOKENS", "bearer", "build_app"]


@pytest.fixture(name="client")
async def client_fixture(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with client(build_app(tmp_path, max_body_bytes=1024)) as c:
        yield c
