"""Privacy's settings section, read with ``rt.settings_for(PrivacySettings)``.

Its variables have kept the names they had before services had sections, without a service
prefix: ``RETORNO_MASTER_KEY`` (also the secret file ``retorno_master_key``),
``RETORNO_SEARCH_KEY`` (the blind index's key; secret file ``retorno_search_key``),
``RETORNO_RETENTION_YEARS_AFTER_CLOSURE``, ``RETORNO_RETENTION_INTERVAL_SECONDS``."""

from __future__ import annotations

from pydantic import Field

from services.kit.settings import SettingsSection, section_config


class PrivacySettings(SettingsSection):
    model_config = section_config("RETORNO_")

    master_key: str | None = Field(
        default=None,
        description="Base64 master key(s), comma-separated, first active; default: the key "
        "file in the data directory",
    )
    search_key: str | None = Field(
        default=None,
        description="Base64 key (32 bytes) of the blind index of names and document numbers, "
        "apart from the master keys; default: the key file keys/search.key in the data "
        "directory",
    )
    retention_years_after_closure: int = Field(
        default=5, ge=0, description="Personal data is erased this long after a case ends"
    )
    retention_interval_seconds: float = Field(
        default=3600, gt=0, description="How often the retention job looks for what is due"
    )
