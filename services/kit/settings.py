"""Settings from the environment (``RETORNO_*``) and an optional ``retorno.toml``-free .env file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SecretsSettingsSource,
    SettingsConfigDict,
)

from services.kit.defaults import DEFAULT_CATEGORIES, DEFAULT_COST_CATEGORIES

# Compose and Kubernetes secrets: a file per setting, named like its variable in lower case
# (``/run/secrets/retorno_master_key``), in RETORNO_SECRETS_DIR. The environment wins.
DEFAULT_SECRETS_DIR = "/run/secrets"


class SettingsSection(BaseSettings):
    """Base of every settings class: ``RETORNO_*`` variables, the ``.env`` file and the
    secrets directory, the environment first.

    A service declares its own section beside its code, with the variable names it always
    had (``class AuditSettings(SettingsSection)`` with ``model_config =
    section_config("RETORNO_AUDIT_")`` and a field ``checkpoint_interval_seconds`` reads
    ``RETORNO_AUDIT_CHECKPOINT_INTERVAL_SECONDS``), and reads it with
    ``rt.settings_for(AuditSettings)``. A test gives its own with ``rt.put_settings(...)``.

    Unknown variables in the environment are ignored (others' sections), but an unknown
    keyword in code is an error: a knob moved to a section cannot be set on the wrong class
    and silently do nothing."""

    model_config = SettingsConfigDict(
        env_prefix="RETORNO_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    def __init__(self, **values: Any) -> None:
        unknown = sorted(
            k for k in values if not k.startswith("_") and k not in type(self).model_fields
        )
        if unknown:
            raise TypeError(
                f"{type(self).__name__} has no setting {', '.join(unknown)}: it may be in a "
                "service's own settings section (rt.settings_for(...))"
            )
        super().__init__(**values)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources = [init_settings, env_settings, dotenv_settings]
        secrets = Path(os.environ.get("RETORNO_SECRETS_DIR", DEFAULT_SECRETS_DIR))
        if secrets.is_dir():
            sources.append(SecretsSettingsSource(settings_cls, secrets_dir=secrets))
        return tuple(sources)


def section_config(env_prefix: str) -> SettingsConfigDict:
    """The configuration of a section whose variables share ``env_prefix`` (``RETORNO_AUDIT_``)."""
    return SettingsConfigDict(
        env_prefix=env_prefix, env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )


class Settings(SettingsSection):
    """The platform's settings (data, databases, broker, HTTP, delivery) and the category
    lists every service shares. A service's own knobs are its section (``AuditSettings``,
    ``PrivacySettings``, ``FundingSettings``, ``OidcSettings``)."""

    data_dir: Path = Field(
        default=Path("./var"), description="Where databases, broker store and keys live"
    )
    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL; '{service}' is replaced by the service name. Default: one SQLite file "
            "per service under the data directory. Without '{service}' every service shares the "
            "database (tables are prefixed by service)."
        ),
    )
    database_urls: dict[str, str] = Field(
        default_factory=dict,
        description="Per service, its own database URL with its own credentials (JSON); "
        "overrides database_url for the services it names",
    )
    database_pool_size: int = Field(
        default=10,
        ge=1,
        description="PostgreSQL connections each process keeps per service database (replicas "
        "x services x (pool + overflow) must stay below the server's max_connections)",
    )
    database_max_overflow: int = Field(
        default=10, ge=0, description="Extra PostgreSQL connections a process opens under load"
    )
    nats_url: str | None = Field(
        default=None, description="External NATS; unset starts the embedded server"
    )
    nats_port: int = Field(default=4333, description="Client port of the embedded nats-server")
    nats_monitor_port: int = Field(
        default=8333, description="Monitoring port of the embedded nats-server"
    )
    stream_replicas: int = Field(
        default=1,
        ge=1,
        le=5,
        description="Replicas of the event stream, the dead-letter stream and every durable "
        "consumer (3 on a 3-node cluster)",
    )
    stream_placement_cluster: str | None = Field(
        default=None,
        description="Place the streams in this JetStream cluster (the nats-server cluster name; "
        "unset: wherever the server chooses)",
    )
    stream_placement_tags: list[str] = Field(
        default_factory=list, description="Place the streams on servers with these tags (JSON)"
    )
    startup_retry_max_seconds: float = Field(
        default=10,
        gt=0,
        description="A service starting before its broker or database waits for them, the delay "
        "between attempts doubling up to this",
    )
    duplicate_window_seconds: int = Field(default=120, ge=1)
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    processes: int = Field(
        default=2,
        ge=1,
        description="Python processes `retorno up` runs: 1 = everything in one; N >= 2 = every "
        "service's consumers and jobs in one, the HTTP API in the N-1 others",
    )
    log_level: str = "INFO"
    max_deliver: int = Field(
        default=5, ge=1, description="Deliveries before an event is dead-lettered"
    )
    batch_size: int = Field(default=256, ge=1)
    parked_retry_seconds: float = Field(
        default=30, gt=0, description="How often parked (early) events are all tried again"
    )
    parked_max_hours: float = Field(
        default=72,
        gt=0,
        description="A parked event whose prerequisite never came is dead-lettered after this",
    )
    relay_batch_size: int = Field(default=500, ge=1)
    relay_poll_seconds: float = Field(default=0.5, gt=0)
    outbox_keep_hours: float = Field(
        default=168, gt=0, description="How long published outbox rows are kept before pruning"
    )
    # Shared by several services (registration checks requests against them, funding its
    # payments, the evaluation tables list them): one list for all, so they stay here.
    vulnerability_categories: list[str] = Field(default_factory=lambda: list(DEFAULT_CATEGORIES))
    cost_categories: list[str] = Field(default_factory=lambda: list(DEFAULT_COST_CATEGORIES))

    def database_url_for(self, service: str) -> str:
        if service in self.database_urls:
            return self.database_urls[service]
        if self.database_url is None:
            return f"sqlite+aiosqlite:///{self.data_dir.resolve() / service}.db"
        return self.database_url.replace("{service}", service)
