"""Request bodies and responses of the evaluation API and CLI."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from events.evaluation import ExportFormat
from services.evaluation.domain.settings import DisclosureSettings

TableName = Literal[
    "returns",
    "returns_by_category",
    "lifecycle",
    "assistance",
    "outcomes",
    "outcomes_by_category",
    "outcomes_over_time",
    "residence",
    "remigration_intention",
    "closures",
]
TABLE_NAMES: tuple[TableName, ...] = (
    "returns",
    "returns_by_category",
    "lifecycle",
    "assistance",
    "outcomes",
    "outcomes_by_category",
    "outcomes_over_time",
    "residence",
    "remigration_intention",
    "closures",
)


class ExportIn(BaseModel):
    """A period as a preset (``period``) or as whole months from ``from`` to ``to``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    period: str | None = Field(
        default=None,
        max_length=12,
        description="A year (2026), half-year (2026-H1), quarter (2026-Q3) or month (2026-05)",
        examples=["2026-H1"],
    )
    first_day: date | None = Field(
        default=None, alias="from", description="First day: its whole month is included"
    )
    last_day: date | None = Field(
        default=None, alias="to", description="Last day: its whole month is included"
    )
    tables: list[TableName] = Field(
        default_factory=lambda: list(TABLE_NAMES), min_length=1, max_length=len(TABLE_NAMES)
    )
    format: ExportFormat = "csv"


class FileOut(BaseModel):
    name: str
    sha256: str
    size_bytes: int
    url: str


class TableOut(BaseModel):
    name: str
    rows: int
    cells: int
    suppressed_cells: int
    primary_cells: int


class ExportOut(BaseModel):
    """An export's provenance: who, when, with which parameters, what it holds."""

    id: uuid.UUID
    created_at: datetime
    created_by: str
    role: str
    trigger: str
    period: str
    first_month: str
    last_month: str
    format: ExportFormat
    rules: DisclosureSettings
    age_bands: list[str]
    tables: list[TableOut]
    files: list[FileOut]


class ExportList(BaseModel):
    items: list[ExportOut]
    limit: int
    offset: int


def export_out(row: dict[str, Any]) -> ExportOut:
    """The provenance of a stored export (a row of ``evaluation_exports``)."""
    export_id = row["export_id"]
    parameters = row["parameters"]
    counts = row["row_counts"]
    return ExportOut(
        id=export_id,
        created_at=row["created_at"],
        created_by=row["created_by"],
        role=row["role"],
        trigger=row["trigger"],
        period=row["period"],
        first_month=row["first_month"],
        last_month=row["last_month"],
        format=row["format"],
        rules=DisclosureSettings.model_validate(parameters["rules"]),
        age_bands=list(parameters["age_bands"]),
        tables=[
            TableOut(
                name=name,
                rows=counts[name],
                cells=row["suppressed"][name]["cells"],
                suppressed_cells=row["suppressed"][name]["suppressed"],
                primary_cells=row["suppressed"][name]["primary"],
            )
            for name in row["tables"]
        ],
        files=[
            FileOut(**f, url=f"/api/exports/{export_id}/files/{f['name']}") for f in row["files"]
        ],
    )
