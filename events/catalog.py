"""Every event type the system knows, by type name: each ``Payload`` with an ``event`` of
every module of the ``events`` package, found there (a new ``events/<name>.py`` needs no
line here)."""

from __future__ import annotations

import importlib
import pkgutil

import events
from events.envelope import Payload


def _payloads() -> dict[str, type[Payload]]:
    found: dict[str, type[Payload]] = {}
    for info in sorted(pkgutil.iter_modules(events.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{events.__name__}.{info.name}")
        for value in vars(module).values():
            if not (isinstance(value, type) and issubclass(value, Payload)):
                continue
            if "event" not in vars(value) or value.__module__ != module.__name__:
                continue  # a base class, or a payload of another module imported here
            name = value.type_name()
            if name in found and found[name] is not value:
                raise TypeError(f"two payloads are {name!r}: {found[name]!r} and {value!r}")
            found[name] = value
    return found


EVENT_TYPES: dict[str, type[Payload]] = _payloads()
