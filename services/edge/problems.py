"""RFC 9457 problem details for every error the API returns.

Clients get ``application/problem+json`` with ``type``, ``title``, ``status``, ``detail`` and
``instance``; validation problems add ``errors`` (each ``field`` and its ``problem``). Input
values are never echoed back and stack traces never leave the server.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.kit.errors import RetornoError

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)


def problem(
    status: int,
    detail: str,
    *,
    instance: str,
    title: str | None = None,
    type_: str = "about:blank",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": type_,
        "title": title or _phrase(status),
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    body.update(jsonable_encoder(extra))
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _type_for(error: RetornoError) -> str:
    name = type(error).__name__.removesuffix("Error") or "Retorno"
    return "urn:retorno:problem:" + re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


async def retorno_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RetornoError)
    if exc.status_code >= 500:
        log.warning("%s on %s %s", type(exc).__name__, request.method, request.url.path)
    return problem(
        exc.status_code,
        exc.detail,
        instance=request.url.path,
        title=exc.title,
        type_=_type_for(exc),
        **exc.extra,
    )


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc) or "request"


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"field": _field(e.get("loc", ())), "problem": str(e.get("msg", ""))} for e in exc.errors()
    ]
    listed = "; ".join(f"{e['field']}: {e['problem']}" for e in errors[:5])
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return problem(
        422,
        f"The request is not valid: {listed}{more}. See /docs for the expected shape.",
        instance=request.url.path,
        title="Invalid input",
        type_="urn:retorno:problem:invalid-input",
        errors=errors,
    )


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    detail = exc.detail if isinstance(exc.detail, str) else _phrase(status)
    if status == 404 and detail == "Not Found":
        detail = f"Nothing is at {request.url.path}; see /docs for the routes."
    headers = dict(exc.headers) if exc.headers else None
    if status == 405:
        # The router names only the methods of the first route that matched the path; the
        # path may have several (GET and POST /api/cases are two routes): name them all.
        allowed = _allowed_methods(request) or (exc.headers or {}).get("Allow", "")
        headers = {**(headers or {}), "Allow": allowed}
        if detail == "Method Not Allowed":
            detail = f"{request.method} is not allowed on {request.url.path}; allowed: {allowed}."
    return problem(
        status,
        detail,
        instance=request.url.path,
        type_=getattr(exc, "problem_type", "about:blank"),
        headers=headers,
    )


_HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def _allowed_methods(request: Request) -> str | None:
    """Every method the OpenAPI document declares for the requested path, or None when the
    path is not an API operation (e.g. /openapi.json, whose own route answers)."""
    app = request.app
    paths = app.openapi().get("paths", {}) if isinstance(app, FastAPI) else {}
    found: set[str] = set()
    for template, operations in paths.items():
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, request.url.path):
            found |= {m.upper() for m in operations if m in _HTTP_METHODS}
    return ", ".join(sorted(found)) or None


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RetornoError, retorno_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
