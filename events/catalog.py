"""Every event type the system knows, by type name."""

from __future__ import annotations

from events import audit, evaluation, funding, privacy, registration
from events.envelope import Payload


def _payloads() -> dict[str, type[Payload]]:
    found: dict[str, type[Payload]] = {}
    for module in (registration, funding, privacy, audit, evaluation):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Payload) and "event" in vars(value):
                found[value.type_name()] = value
    return found


EVENT_TYPES: dict[str, type[Payload]] = _payloads()
