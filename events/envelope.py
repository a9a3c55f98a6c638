"""The envelope every event travels in, and the base class of every payload.

Payloads never hold personal data: people are named by a random pseudonymous
``person_ref``; what other services need (sex, age band, countries, categories)
travels as plain, non-identifying fields.
"""

from __future__ import annotations

import builtins
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

STREAM_NAME = "RETORNO"
SUBJECT_PREFIX = "retorno"
DEAD_LETTER_PREFIX = "retorno_dlq"


class Actor(BaseModel):
    """Who caused an event: a user (id and role) or a service."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["user", "service"]
    id: str = Field(min_length=1, max_length=120)
    role: str | None = None

    @classmethod
    def service(cls, name: str) -> Actor:
        return cls(kind="service", id=name)

    @classmethod
    def user(cls, user_id: str, role: str) -> Actor:
        return cls(kind="user", id=user_id, role=role)


class Payload(BaseModel):
    """Base of every event payload. Subclasses set ``service``, ``event`` and ``version``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    service: ClassVar[str]
    event: ClassVar[str]
    version: ClassVar[int] = 1

    @classmethod
    def type_name(cls) -> str:
        return f"{cls.service}.{cls.event}"

    @classmethod
    def subject(cls) -> str:
        return f"{SUBJECT_PREFIX}.{cls.service}.{cls.event}"


class Envelope(BaseModel):
    """Event metadata plus its payload (kept as plain JSON data on the wire)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: uuid.UUID
    type: str = Field(pattern=r"^[a-z_]+\.[a-z_]+$")
    version: int = Field(ge=1)
    occurred_at: AwareDatetime
    actor: Actor
    correlation_id: uuid.UUID
    causation_id: uuid.UUID | None = None
    payload: dict[str, Any]

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @property
    def subject(self) -> str:
        return f"{SUBJECT_PREFIX}.{self.type}"

    @property
    def service(self) -> str:
        return self.type.split(".", 1)[0]

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Envelope:
        return cls.model_validate_json(data)

    def parse(self, model: builtins.type[P]) -> P:
        """The payload as its typed model (raises if the type does not match)."""
        if model.type_name() != self.type:
            raise ValueError(f"event {self.type} is not {model.type_name()}")
        return model.model_validate(self.payload)


P = TypeVar("P", bound=Payload)


def new_envelope(
    payload: Payload,
    *,
    actor: Actor,
    occurred_at: datetime | None = None,
    cause: Envelope | None = None,
    correlation_id: uuid.UUID | None = None,
    event_id: uuid.UUID | None = None,
) -> Envelope:
    """Wrap a payload. A caused event inherits the correlation id of its cause."""
    correlation = cause.correlation_id if cause is not None else correlation_id or uuid.uuid4()
    return Envelope(
        event_id=event_id or uuid.uuid4(),
        type=payload.type_name(),
        version=payload.version,
        occurred_at=occurred_at or datetime.now(UTC),
        actor=actor,
        correlation_id=correlation,
        causation_id=cause.event_id if cause else None,
        payload=payload.model_dump(mode="json"),
    )
