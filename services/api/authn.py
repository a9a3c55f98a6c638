"""The authenticator the API installs: its own token store, then OIDC JWTs if configured."""

from __future__ import annotations

from collections.abc import Sequence

from services.api.oidc import oidc_from_settings
from services.api.users import TokenAuthenticator
from services.kit.definition import Runtime
from services.kit.identity import Authenticator, Principal


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
    oidc = oidc_from_settings(rt.settings)
    if oidc is not None:
        chain.append(oidc)
    return ChainAuthenticator(chain)
