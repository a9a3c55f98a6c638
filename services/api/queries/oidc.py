"""Optional: accept RS256 JWTs from an external OpenID Connect provider (production).

Inert unless settings name an issuer, an audience and a JWKS URL. The role comes from a claim
(``retorno_role`` by default), the offices from another (``retorno_offices``: a list or a
space- or comma-separated string), the user id from ``preferred_username`` or ``sub``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import jwt

from services.api.settings import OidcSettings
from services.kit.identity import OFFICE_SCOPED_ROLES, ROLES, Principal

log = logging.getLogger(__name__)

KeyResolver = Callable[[str], Any]  # token -> public key (blocking; run in a thread)


class OidcAuthenticator:
    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        key_for: KeyResolver,
        role_claim: str = "retorno_role",
        offices_claim: str = "retorno_offices",
        leeway_seconds: int = 30,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.key_for = key_for
        self.role_claim = role_claim
        self.offices_claim = offices_claim
        self.leeway_seconds = leeway_seconds

    async def authenticate(self, token: str) -> Principal | None:
        if token.count(".") != 2:
            return None
        try:
            claims = await asyncio.to_thread(self._decode, token)
        except (jwt.PyJWTError, ValueError) as e:
            log.info("rejected a JWT: %s", type(e).__name__)
            return None
        return self._principal(claims)

    def _decode(self, token: str) -> dict[str, Any]:
        return jwt.decode(
            token,
            key=self.key_for(token),
            algorithms=["RS256"],
            audience=self.audience,
            issuer=self.issuer,
            leeway=self.leeway_seconds,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )

    def _principal(self, claims: dict[str, Any]) -> Principal | None:
        role = claims.get(self.role_claim)
        if role not in ROLES:
            log.info("rejected a JWT without a known role claim %r", self.role_claim)
            return None
        raw = claims.get(self.offices_claim) or []
        if isinstance(raw, str):
            raw = raw.replace(",", " ").split()
        offices = frozenset(str(o) for o in raw) if isinstance(raw, list) else frozenset()
        if role in OFFICE_SCOPED_ROLES and not offices:
            return None
        user_id = str(claims.get("preferred_username") or claims["sub"])[:120]
        return Principal(user_id=user_id, role=str(role), offices=offices)


def oidc_from_settings(settings: OidcSettings) -> OidcAuthenticator | None:
    """An authenticator when settings configure OIDC, else None.

    Reads ``issuer``, ``audience``, ``jwks_url`` and optionally ``role_claim`` and
    ``offices_claim`` (``RETORNO_OIDC_*``).
    """
    issuer, audience, jwks_url = settings.issuer, settings.audience, settings.jwks_url
    if not (issuer and audience and jwks_url):
        return None
    client = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300)
    return OidcAuthenticator(
        issuer=issuer,
        audience=audience,
        key_for=lambda token: client.get_signing_key_from_jwt(token).key,
        role_claim=settings.role_claim,
        offices_claim=settings.offices_claim,
    )
