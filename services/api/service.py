"""The users service (named ``api``: it owns the API's users and tokens, in ``api.db``). It
installs the authenticator every route's guard uses; the HTTP edge is ``services.edge``."""

from __future__ import annotations

from services.api import api, cli, store
from services.api.queries.authn import build_authenticator
from services.kit.definition import Runtime, ServiceDef
from services.kit.identity import AUTHENTICATOR


async def start(rt: Runtime) -> None:
    """Install the token (and OIDC) authenticator, unless the runtime has one (a test's)."""
    if rt.find(AUTHENTICATOR) is None:
        rt.put(AUTHENTICATOR, build_authenticator(rt))


SERVICE = ServiceDef(
    name="api",
    metadata=store.metadata,
    tables=store.messaging,
    router=api.router,
    on_start=start,
    cli=cli.install,
)
