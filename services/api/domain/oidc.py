"""OpenID Connect sign-in to the web UI: the rules of a flow, pure.

A sign-in under way is kept server-side by the SHA-256 of its ``state`` and bound to the
browser that started it (the SHA-256 of a secret in an HttpOnly cookie); it is used once and
lives ``FLOW_LIFETIME``. The provider's answer must carry that state, and the id_token (its
signature checked against the provider's JWKS) that nonce, this client as audience and the
provider as issuer. The account is an existing Retorno user named by a claim: no user is
ever created from a provider's say-so, so roles and offices stay Retorno's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from services.kit.errors import ForbiddenError, NotFoundError, StorageError

FLOW_LIFETIME = timedelta(minutes=10)
USER_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


class OidcNotConfiguredError(NotFoundError):
    """Sign-in with OpenID Connect is not configured here."""


class OidcProviderUnavailableError(StorageError):
    """The provider cannot be reached, or its discovery document is not valid (503)."""


class OidcSignInRefusedError(ForbiddenError):
    """The provider's answer did not complete a sign-in this browser started (state unknown,
    used or expired, another browser's, an error from the provider, an id_token that does not
    verify or whose nonce is another)."""


class OidcUnknownUserError(ForbiddenError):
    """The provider's account maps to no Retorno user."""


def flow_expired(created_at: datetime, now: datetime) -> bool:
    return now - created_at > FLOW_LIFETIME


def user_name_of(claims: Mapping[str, Any], claim: str) -> str | None:
    """The Retorno user name the id_token's ``claim`` holds (lower case), or None when the
    claim is missing or cannot be a user name."""
    value = claims.get(claim)
    if not isinstance(value, str):
        return None
    name = value.strip().lower()
    return name if USER_NAME.fullmatch(name) else None


def refused(why: str) -> OidcSignInRefusedError:
    return OidcSignInRefusedError(
        f"The sign-in with the provider did not complete ({why}); start it again from the "
        "sign-in page."
    )
