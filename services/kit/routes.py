"""What a service's routes use from FastAPI: the guard ``require(action)`` and the runtime.

Routes declare ``principal: Principal = require("<service>.<action>")``. ``require``
authenticates the bearer token (401 with ``WWW-Authenticate`` when it is missing or invalid)
and authorizes the action against the permission table of ``services.kit.identity`` (403).
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.kit.definition import Runtime
from services.kit.identity import ACTIONS, AUTHENTICATOR, Authenticator, Principal, can


def get_runtime(request: Request) -> Runtime:
    """The runtime the app was built with (``Depends(get_runtime)``)."""
    runtime: Runtime = request.app.state.runtime
    return runtime


_bearer = HTTPBearer(auto_error=False, scheme_name="bearerAuth", description="API token (rt_...)")


class AuthenticationRequiredError(HTTPException):
    """401: no usable credentials. An HTTPException so it works in any FastAPI app."""

    problem_type = "urn:retorno:problem:authentication-required"

    def __init__(self, detail: str, error: str | None = None) -> None:
        challenge = 'Bearer realm="retorno"' + (f', error="{error}"' if error else "")
        super().__init__(401, detail=detail, headers={"WWW-Authenticate": challenge})


class PermissionDeniedError(HTTPException):
    """403: the role's permissions do not include the action."""

    problem_type = "urn:retorno:problem:permission-denied"

    def __init__(self, role: str, action: str) -> None:
        super().__init__(403, detail=f"Your role '{role}' may not do '{action}'.")
        self.action = action


class Requirement:
    """The dependency behind ``require(action)``; the action is kept for introspection."""

    def __init__(self, action: str) -> None:
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}; add it to services.kit.identity.ACTIONS")
        self.action = action

    async def __call__(
        self,
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    ) -> Principal:
        if credentials is None or not credentials.credentials:
            raise AuthenticationRequiredError(
                "Send an API token as 'Authorization: Bearer <token>'."
            )
        authenticator = _authenticator(request)
        principal = await authenticator.authenticate(credentials.credentials)
        if principal is None:
            raise AuthenticationRequiredError(
                "The token is unknown, expired or revoked; ask an admin for a new one.",
                "invalid_token",
            )
        if not can(principal, self.action):
            raise PermissionDeniedError(principal.role, self.action)
        request.state.principal = principal
        return principal


def _authenticator(request: Request) -> Authenticator:
    return get_runtime(request).part(AUTHENTICATOR)


def require(action: str) -> Any:
    """``principal: Principal = require("cases.read")``: authenticate, then authorize."""
    return Depends(Requirement(action))
