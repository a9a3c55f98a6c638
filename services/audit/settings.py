"""The audit service's settings section: ``RETORNO_AUDIT_*``, read with
``rt.settings_for(AuditSettings)`` (a test puts its own with ``rt.put_settings``)."""

from __future__ import annotations

from pydantic import Field

from services.kit.settings import SettingsSection, section_config


class AuditSettings(SettingsSection):
    model_config = section_config("RETORNO_AUDIT_")

    checkpoint_interval_seconds: float = Field(
        default=60,
        gt=0,
        description="How often the audit service verifies its log (from where it last "
        "verified) and, if it grew, signs and publishes a checkpoint",
    )
    checkpoint_every_events: int = Field(
        default=1000,
        ge=0,
        description="The audit log also signs and publishes a checkpoint every this many "
        "events (0: only on the interval)",
    )
    broker_timeout_seconds: float = Field(
        default=2,
        gt=0,
        description="How long 'retorno audit verify' waits for the broker to cross-check the "
        "log's tail and its published checkpoints",
    )
