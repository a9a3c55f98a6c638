"""The evaluation service's own settings (``RETORNO_EXPORT_...``) and the table settings it
builds from the project's (categories, cost categories)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from services.evaluation.domain.periods import Schedule
from services.evaluation.domain.settings import DisclosureSettings, TableSettings
from services.kit.settings import Settings, SettingsSection, section_config

# Whose facts the tables are, in the ledger: every office's returns together.
POPULATION = "retorno"


class ExportSettings(SettingsSection):
    model_config = section_config("RETORNO_EXPORT_")

    schedule: Schedule = Field(
        default="off",
        description="Produce the export of each closed period by itself: month, quarter,"
        " half-year or year (off: only on request)",
    )
    schedule_format: Literal["csv", "xlsx", "html"] = "xlsx"
    schedule_check_seconds: float = Field(default=3600.0, gt=0)
    k: int = Field(default=5, ge=2, description="Counts below k are suppressed")


def export_settings() -> ExportSettings:
    return ExportSettings()


def table_settings(settings: Settings) -> TableSettings:
    return TableSettings(
        categories=tuple(settings.vulnerability_categories),
        cost_categories=tuple(settings.cost_categories),
    )


def disclosure_settings() -> DisclosureSettings:
    return DisclosureSettings(k=export_settings().k)
