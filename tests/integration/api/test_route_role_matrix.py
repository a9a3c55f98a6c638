"""Every route of the OpenAPI x every role: the permission table is what is enforced.

No token: 401. A role the table does not grant the route's action: 403 permission-denied.
A role it grants: anything but 401 or permission-denied (404 or 422 on dummy input is fine).
Never a 5xx.
"""

from __future__ import annotations

import importlib.abc
import sys
import uuid
from typing import Any

import pytest
from fastapi.routing import APIRoute

from services.kit.identity import PERMISSIONS, ROLES
from services.runtime.registry import all_services, service_names
from tests.integration.api.conftest import Api
from tests.support import api_routes, requirements

PUBLIC = {"/health", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
# The web UI's pages (services/web) authenticate by session cookie, not bearer token: they
# call the same use cases, which check office scope; tests/browser covers them.
WEB_UI = {
    "/",
    "/sign-in",
    "/sign-out",
    "/password",
    "/cases",
    "/cases/new",
    "/search/cases",
    "/sign-in/oidc",
    "/sign-in/oidc/callback",
    "/cases/new/check",
    "/cases/{case_id:uuid}",
    "/cases/{case_id:uuid}/personal",
    "/cases/{case_id:uuid}/transitions",
    "/cases/{case_id:uuid}/plans/{plan_id:uuid}/contacts",
    "/privacy",
    "/privacy/people/{person_ref}",
    "/privacy/people/{person_ref}/data",
    "/privacy/people/{person_ref}/legal-holds",
    "/privacy/people/{person_ref}/legal-holds/{hold_id}/lift",
    "/privacy/people/{person_ref}/consents",
    "/privacy/people/{person_ref}/erasure",
    "/privacy/access-log",
    "/privacy/emergency-reads",
    "/audit",
    "/audit/verify",
    "/audit/reports/{name}",
    "/audit/reports/{name}/csv",
    "/audit/summary",
    "/audit/summary/csv",
}
WEB_UI |= {  # the supervisor's and the evaluator's pages
    "/funds",
    "/funds/{period}",
    "/funds/{period}/pledges",
    "/funds/{period}/receipts",
    "/funds/{period}/pledges/{entry_id}/reversal",
    "/funds/{period}/receipts/{entry_id}/reversal",
    "/commitments",
    "/commitments/{commitment_id}",
    "/commitments/{commitment_id}/payments",
    "/payments",
    "/payments/{payment_id}/reversal",
    "/exports",
    "/exports/{export_id}/files/{name}",
}
DENIED = "urn:retorno:problem:permission-denied"


def route_actions(api: Api) -> dict[tuple[str, str], str]:
    """(method, path) -> the one action its require(...) names."""
    actions: dict[tuple[str, str], str] = {}
    for path, methods, route in api_routes(api.app):
        if path in PUBLIC or path in WEB_UI:
            continue
        required = {r.action for r in requirements(route.dependant)}
        assert len(required) == 1, f"{path} must require exactly one action, has {required}"
        for method in methods:
            actions[(method, path)] = next(iter(required))
    return actions


def _dummy(schema: dict[str, Any]) -> str:
    if schema.get("format") == "uuid":
        return str(uuid.uuid4())
    if schema.get("type") == "integer":
        return "1"
    if "enum" in schema:
        return str(schema["enum"][0])
    return "x"


def concrete(path: str, operation: dict[str, Any]) -> str:
    for param in operation.get("parameters", []):
        if param["in"] == "path":
            path = path.replace("{" + param["name"] + "}", _dummy(param.get("schema", {})))
    return path


def operations(api: Api) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path, item in api.app.openapi()["paths"].items():
        for method, operation in item.items():
            found.append((method.upper(), path, operation))
    return found


async def test_every_route_but_health_requires_exactly_one_known_action(api: Api) -> None:
    actions = route_actions(api)

    assert actions, "no routes mounted"
    documented = {(m, p) for m, p, _ in operations(api) if p not in PUBLIC}
    assert documented <= set(actions)
    for method, path, operation in operations(api):
        if path not in PUBLIC:
            assert operation.get("security") == [{"bearerAuth": []}], (method, path)


async def test_route_by_role_follows_the_permission_table(api: Api) -> None:
    actions = route_actions(api)
    failures: list[str] = []
    checked = 0

    for method, path, operation in operations(api):
        if path in PUBLIC:
            continue
        url = concrete(path, operation)
        body = {"json": {}} if "requestBody" in operation else {}
        action = actions[(method, path)]

        anonymous = await api.http.request(method, url, **body)
        if anonymous.status_code != 401 or "www-authenticate" not in anonymous.headers:
            failures.append(f"{method} {path} without token: {anonymous.status_code}")

        for role in ROLES:
            response = await api.http.request(method, url, headers=api.bearer(role), **body)
            checked += 1
            status = response.status_code
            denied = status == 403 and response.json().get("type") == DENIED
            allowed = action in PERMISSIONS[role]
            if status >= 500:
                failures.append(f"{method} {path} as {role}: {status} {response.text[:200]}")
            elif allowed and (status == 401 or denied):
                failures.append(f"{method} {path} as {role} ({action} granted): {status}")
            elif not allowed and not denied:
                failures.append(f"{method} {path} as {role} ({action} not granted): {status}")

    assert not failures, "\n".join(failures)
    assert checked >= len(ROLES)


async def test_every_route_of_every_service_of_the_registry_is_in_the_matrix(api: Api) -> None:
    """The matrix covers the services of the registry, each router whole: none is left out
    quietly (e.g. one skipped because it failed to import)."""
    actions = route_actions(api)
    routers = [s for s in all_services() if s.router is not None]

    assert {s.name for s in routers} == set(service_names())  # every service has routes
    for service in routers:
        assert service.router is not None
        mine = {(m, r.path) for r in service.router().routes if isinstance(r, APIRoute)
                for m in r.methods}  # fmt: skip
        assert mine, f"{service.name} mounts no route"
        assert mine <= set(actions), f"{service.name}: {sorted(mine - set(actions))}"


def test_a_service_that_fails_to_import_fails_the_matrix(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the ``api`` fixture does first, ``all_services()``, raises when a service's module
    does not import (a syntax error in funding): every matrix test errors, none passes."""
    broken = "services.funding.service"

    class Broken(importlib.abc.MetaPathFinder):
        def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
            if name == broken:
                raise SyntaxError("invalid syntax (service.py, line 1)")
            return None

    monkeypatch.delitem(sys.modules, broken)
    monkeypatch.setattr(sys, "meta_path", [Broken(), *sys.meta_path])
    with pytest.raises(SyntaxError):
        all_services()
