"""Events of the users service (named ``api``): people signing in to the web UI and out.

They carry the account's id and role, never the name typed, the password or the address a
request came from: a user name field may hold anything a person typed (even a password).
The audit log chains them like every event.
"""

from __future__ import annotations

import uuid
from typing import Literal

from events.envelope import Payload

SignInMethod = Literal["password", "oidc"]


class SignedIn(Payload):
    service = "api"
    event = "signed_in"

    user_id: uuid.UUID
    role: str
    method: SignInMethod


class SignInFailed(Payload):
    """A refused sign-in. ``user_id`` is null when no account has the name given."""

    service = "api"
    event = "sign_in_failed"

    user_id: uuid.UUID | None
    reason: Literal[
        "unknown_user",
        "wrong_password",
        "no_password",
        "locked",
        "oidc_refused",  # OpenID Connect: state, nonce or id_token did not verify
        "oidc_unknown_user",  # OpenID Connect: the account maps to no Retorno user
    ]
    locked_now: bool = False


class SignedOut(Payload):
    service = "api"
    event = "signed_out"

    user_id: uuid.UUID
    reason: Literal["user", "password_changed"]
