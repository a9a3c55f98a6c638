"""The API service: users and tokens. Its app (``services.api.app``) mounts every router."""

from __future__ import annotations

from services.api import api, store
from services.kit.definition import ServiceDef

SERVICE = ServiceDef(
    name="api",
    metadata=store.metadata,
    tables=store.messaging,
    router=api.router,
)
