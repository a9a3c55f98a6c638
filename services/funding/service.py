"""The funding service as the runtime sees it."""

from __future__ import annotations

from services.funding import api, cli, handlers, store
from services.kit.definition import ServiceDef

SERVICE = ServiceDef(
    name="funding",
    metadata=store.metadata,
    tables=store.messaging,
    handlers=handlers.handlers,
    router=api.router,
    cli=cli.install,
)
