"""The authenticator the users service installs (``services.kit.identity.AUTHENTICATOR``): its
own token store, then OIDC JWTs if configured."""

from __future__ import annotations

from collections.abc import Sequence

from db.uow import ServiceDatabase
from services.api import store
from services.api.domain import TOKEN_PREFIX, hash_token
from services.api.queries.oidc import oidc_from_settings
from services.api.settings import OidcSettings
from services.kit.definition import Runtime
from services.kit.identity import Authenticator, Principal


class TokenAuthenticator:
    """Checks ``rt_`` tokens against the hashes in the users service's database."""

    def __init__(self, db: ServiceDatabase) -> None:
        self.db = db

    async def authenticate(self, token: str) -> Principal | None:
        if not token.startswith(TOKEN_PREFIX):
            return None
        async with self.db.reading() as session:
            row = await store.holder_of(session, hash_token(token))
        if row is None:
            return None
        return Principal(user_id=row.name, role=row.role, offices=frozenset(row.offices))


class ChainAuthenticator:
    """Asks each authenticator in turn; the first that knows the token wins."""

    def __init__(self, authenticators: Sequence[Authenticator]) -> None:
        self.authenticators = tuple(authenticators)

    async def authenticate(self, token: str) -> Principal | None:
        for authenticator in self.authenticators:
            principal = await authenticator.authenticate(token)
            if principal is not None:
                return principal
        return None


def build_authenticator(rt: Runtime) -> Authenticator:
    chain: list[Authenticator] = []
    if "api" in rt.databases:
        chain.append(TokenAuthenticator(rt.db("api")))
    oidc = oidc_from_settings(rt.settings_for(OidcSettings))
    if oidc is not None:
        chain.append(oidc)
    return ChainAuthenticator(chain)
