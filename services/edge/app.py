"""The HTTP API: every service's routes behind one auth layer, errors as problem details."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from starlette.requests import Request
from starlette.responses import JSONResponse

from services.edge.health import HealthCheck, database_health, health_router
from services.edge.middleware import (
    DEFAULT_MAX_BODY_BYTES,
    BodyLimitMiddleware,
    UnhandledErrorMiddleware,
)
from services.edge.openapi import install_problem_openapi
from services.edge.problems import install_problem_handlers
from services.kit.definition import Runtime, ServiceDef
from services.kit.identity import AUTHENTICATOR
from services.runtime.asyncapi import asyncapi_document

DESCRIPTION = """Case tracker for assisted return of vulnerable migrants.

Every route but `/health` needs `Authorization: Bearer <token>`; `retorno users add` makes
tokens. People use the web UI at `/` (sign-in with a password). What each role may do is in `docs/roles.md`. Errors are RFC 9457 problem details."""


def create_app(
    rt: Runtime,
    services: Sequence[ServiceDef],
    *,
    health: HealthCheck | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> FastAPI:
    """Build the app over a started runtime: the users service's ``on_start`` installed the
    authenticator (a test may put its own ``StaticAuthenticator`` instead)."""
    if rt.find(AUTHENTICATOR) is None:
        raise RuntimeError(
            "no authenticator in the runtime: run services.runtime.composition.start_services "
            "(the users service installs it) or put one under services.kit.identity.AUTHENTICATOR"
        )
    # Swagger UI and ReDoc from files served by us (the fastapi-offline package), not a CDN:
    # /docs works on an office network without the internet.
    app = FastAPIOffline(title="Retorno", version="0.1.0", description=DESCRIPTION)
    app.state.runtime = rt
    app.include_router(health_router(health or database_health(rt)))
    for service in services:
        if service.router is not None:
            app.include_router(service.router())
    if "api" in rt.databases:  # the web UI signs people in through the users service
        from services.web.pages import mount

        mount(app)
    install_problem_handlers(app)
    install_problem_openapi(app)
    install_asyncapi(app, services)
    app.add_middleware(UnhandledErrorMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes)
    return app


# --- AsyncAPI ---------------------------------------------------------------------------


def install_asyncapi(app: FastAPI, services: Sequence[ServiceDef]) -> None:
    """``GET /asyncapi.json``: the event contracts (no token, like ``/openapi.json``). A plain
    route, not an API route: it is not an operation of the OpenAPI and needs no permission."""
    cache: dict[str, Any] = {}

    async def asyncapi_json(_request: Request) -> JSONResponse:
        if "document" not in cache:
            cache["document"] = asyncapi_document(services)
        return JSONResponse(cache["document"])

    app.add_route("/asyncapi.json", asyncapi_json, methods=["GET"], include_in_schema=False)
