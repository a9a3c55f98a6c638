"""Events of the evaluation service: anonymized exports made.

No personal data: an export is aggregates only; the event says which period, tables and
format, how many rows and suppressed cells, and the SHA-256 of each file. Who made it is the
envelope's actor.
"""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from events.envelope import Payload

ExportFormat = Literal["csv", "xlsx", "html"]


class ExportedFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9_]{1,40}\.(csv|xlsx|html|txt)$")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size_bytes: int = Field(ge=0)


class ExportCreated(Payload):
    service = "evaluation"
    event = "export_created"

    export_id: uuid.UUID
    period: str = Field(min_length=1, max_length=20)
    first_month: str = Field(pattern=r"^[0-9]{4}-[0-9]{2}$")
    last_month: str = Field(pattern=r"^[0-9]{4}-[0-9]{2}$")
    tables: list[str] = Field(min_length=1)
    format: ExportFormat
    trigger: Literal["request", "schedule"]
    rows: int = Field(ge=0, description="Rows published over every table")
    suppressed_cells: int = Field(ge=0)
    files: list[ExportedFile] = Field(min_length=1)
