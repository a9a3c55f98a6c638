"""HTTP routes of the evaluation service (the evaluator role): make, list and download
anonymized exports."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import FileResponse

from services.evaluation import queries, usecases
from services.evaluation.schemas import ExportIn, ExportList, ExportOut
from services.kit.definition import Runtime
from services.kit.identity import Principal
from services.kit.routes import get_runtime, require

FILE_NAME = r"^[a-z0-9_]{1,40}\.(csv|xlsx|html|txt)$"


def router() -> APIRouter:
    r = APIRouter(prefix="/api/exports", tags=["evaluation"])

    @r.post("", status_code=201, response_model=ExportOut)
    async def create_export(
        body: ExportIn,
        rt: Runtime = Depends(get_runtime),
        principal: Principal = require("exports.create"),
    ) -> ExportOut:
        """Make an export of a period (``period`` such as ``2026-H1``, or ``from``/``to``):
        tables protected by primary and complementary suppression, audited, and guarded
        against differencing with earlier releases (409 ``overlapping-release-refused``)."""
        return await usecases.create_export(rt, principal, body)

    @r.get("", response_model=ExportList)
    async def list_exports(
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
        rt: Runtime = Depends(get_runtime),
        principal: Principal = require("exports.read"),
    ) -> ExportList:
        return await queries.list_exports(rt, principal, limit, offset)

    @r.get("/{export_id}", response_model=ExportOut)
    async def get_export(
        export_id: uuid.UUID,
        rt: Runtime = Depends(get_runtime),
        principal: Principal = require("exports.read"),
    ) -> ExportOut:
        return await queries.get_export(rt, principal, export_id)

    @r.get(
        "/{export_id}/files/{name}",
        response_class=FileResponse,
        responses={200: {"description": "The file, as stored (its SHA-256 in the export)"}},
    )
    async def download(
        export_id: uuid.UUID,
        name: Annotated[str, Path(pattern=FILE_NAME)],
        rt: Runtime = Depends(get_runtime),
        principal: Principal = require("exports.read"),
    ) -> FileResponse:
        found = await queries.export_file(rt, principal, export_id, name)
        return FileResponse(
            found.path,
            media_type=found.media_type,
            filename=found.name,
            headers={"ETag": f'"{found.sha256}"'},
        )

    return r
