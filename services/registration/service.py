"""The registration service as the runtime sees it."""

from __future__ import annotations

from services.kit.definition import ServiceDef
from services.registration import api, cli, handlers, store

SERVICE = ServiceDef(
    name="registration",
    metadata=store.metadata,
    tables=store.messaging,
    handlers=handlers.handlers,
    router=api.router,
    cli=cli.install,
)
