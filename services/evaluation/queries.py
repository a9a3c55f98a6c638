"""Read use cases of the evaluation service: the exports made and their files."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from services.evaluation import store
from services.evaluation.domain.errors import ExportFileNotFoundError, ExportNotFoundError
from services.evaluation.schemas import ExportList, ExportOut, export_out
from services.kit.definition import Runtime
from services.kit.identity import Principal

MEDIA_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class ExportFile:
    path: Path
    name: str
    media_type: str
    sha256: str


async def list_exports(
    rt: Runtime, principal: Principal, limit: int = 50, offset: int = 0
) -> ExportList:
    async with rt.db("evaluation").reading() as session:
        rows = await store.all_exports(session, limit, offset)
    return ExportList(items=[export_out(r) for r in rows], limit=limit, offset=offset)


async def get_export(rt: Runtime, principal: Principal, export_id: uuid.UUID) -> ExportOut:
    async with rt.db("evaluation").reading() as session:
        row = await store.export(session, export_id)
    if row is None:
        raise ExportNotFoundError("No export with this id; list them with GET /api/exports.")
    return export_out(row)


async def export_file(
    rt: Runtime, principal: Principal, export_id: uuid.UUID, name: str
) -> ExportFile:
    made = await get_export(rt, principal, export_id)
    for f in made.files:
        if f.name == name:
            path = store.export_dir(rt.settings.data_dir, export_id) / f.name
            if not path.is_file():
                break
            return ExportFile(path, f.name, MEDIA_TYPES[path.suffix], f.sha256)
    raise ExportFileNotFoundError(
        "This export has no such file (or it was removed from the data directory); its files"
        " are listed in GET /api/exports/{id}."
    )
