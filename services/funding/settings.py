"""The funding service's settings section, read with ``rt.settings_for(FundingSettings)``.

Its variable kept the name it had before services had sections, without a service prefix:
``RETORNO_DEFAULT_PER_PERSON_CAP_CENTS``."""

from __future__ import annotations

from pydantic import Field

from services.kit.settings import SettingsSection, section_config


class FundingSettings(SettingsSection):
    model_config = section_config("RETORNO_")

    default_per_person_cap_cents: int = Field(
        default=100_000,
        gt=0,
        description="A new fund's per-person cap when its request names none",
    )
