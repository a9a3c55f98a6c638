"""The event catalogue finds every payload of the ``events`` package by itself."""

from __future__ import annotations

import importlib
import pkgutil

import events
from events.catalog import EVENT_TYPES
from events.envelope import Payload


def _subclasses(cls: type[Payload]) -> set[type[Payload]]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def test_every_payload_of_every_events_module_is_in_the_catalogue() -> None:
    for info in pkgutil.iter_modules(events.__path__):
        importlib.import_module(f"events.{info.name}")
    payloads = {
        p for p in _subclasses(Payload) if p.__module__.startswith("events.") and "event" in vars(p)
    }

    assert len(payloads) >= 29
    assert set(EVENT_TYPES.values()) == payloads
    assert all(name == p.type_name() for name, p in EVENT_TYPES.items())
