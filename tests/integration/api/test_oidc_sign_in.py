"""OpenID Connect sign-in to the web UI, against a real provider run in the test: a small ASGI
app on a loopback port serving discovery, JWKS, authorize and token, signing id_tokens with
a real RSA key. Retorno's side is the real app on a real database; the exchange between the
two is real HTTP (discovery, the code for tokens with PKCE and client secret, the JWKS)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from services.api import usecases
from services.api.queries.users import list_users
from services.api.service import SERVICE
from services.api.settings import OidcSettings
from services.edge.app import create_app
from services.kit.definition import Runtime
from services.kit.settings import Settings
from services.runtime.composition import start_services
from tests.browser.conftest import Served
from tests.support import open_service_db

pytestmark = pytest.mark.integration

CLIENT_ID = "retorno-test"
CLIENT_SECRET = secrets.token_urlsafe(24)
REDIRECT = "http://test/sign-in/oidc/callback"


@dataclass
class Provider:
    """A minimal OpenID provider: whoever the test says is signed in there gets a code."""

    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    stray_key: RSAKey = field(
        default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"})
    )
    subject: str = "ana"
    issuer: str = ""
    tamper: str | None = None  # "nonce", "audience", "signature"
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/jwks", self.jwks),
                Route("/authorize", self.authorize),
                Route("/token", self.token, methods=["POST"]),
            ]
        )

    async def discovery(self, request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
            }
        )

    async def jwks(self, request: Request) -> Response:
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})

    async def authorize(self, request: Request) -> Response:
        q = request.query_params
        assert q["response_type"] == "code" and q["client_id"] == CLIENT_ID
        assert q["redirect_uri"] == REDIRECT and q["code_challenge_method"] == "S256"
        assert "openid" in q["scope"].split()
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"nonce": q["nonce"], "challenge": q["code_challenge"]}
        return RedirectResponse(
            f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q['state']})}", 302
        )

    async def token(self, request: Request) -> Response:
        form = dict(await request.form())
        self.token_requests.append({k: str(v) for k, v in form.items()})
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return JSONResponse({"error": "invalid_client"}, 401)
        issued = self.codes.pop(str(form.get("code")), None)
        verifier = str(form.get("code_verifier", ""))
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        if issued is None or challenge != issued["challenge"]:
            return JSONResponse({"error": "invalid_grant"}, 400)
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": f"sub-{self.subject}",
            "aud": "someone-else" if self.tamper == "audience" else CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": "another-nonce" if self.tamper == "nonce" else issued["nonce"],
            "preferred_username": self.subject,
        }
        signer = self.stray_key if self.tamper == "signature" else self.key
        id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, signer)
        return JSONResponse({"access_token": "at", "token_type": "Bearer", "id_token": id_token})


@dataclass
class World:
    rt: Runtime
    provider: Provider
    app: Any

    def browser(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(self.app), base_url="http://test")

    async def to_provider(self, browser: httpx.AsyncClient, next_path: str = "/") -> str:
        """Start at Retorno, follow to the provider (real HTTP); the callback URL it sends
        the browser back to."""
        started = await browser.get("/sign-in/oidc", params={"next": next_path})
        assert started.status_code == 303, started.text
        assert started.headers["location"].startswith(self.provider.issuer + "/authorize?")
        async with httpx.AsyncClient() as out:
            answer = await out.get(started.headers["location"])
        assert answer.status_code == 302
        return str(answer.headers["location"])

    async def events(self) -> list[tuple[str, dict[str, Any]]]:
        outbox = self.rt.db("api").tables.outbox
        async with self.rt.db("api").reading() as session:
            bodies = (await session.execute(select(outbox.c.body).order_by(outbox.c.seq))).all()
        found = [json.loads(b[0]) for b in bodies]
        return [(e["type"], e["payload"]) for e in found]


@pytest.fixture
async def world(database_url: str, tmp_path: Path) -> AsyncIterator[World]:
    provider = Provider()
    async with Served(provider.app()) as served:
        provider.issuer = served.url
        db = await open_service_db(SERVICE, database_url)
        rt = Runtime(settings=Settings(data_dir=tmp_path), databases={"api": db})
        rt.put_settings(
            OidcSettings(
                issuer=served.url,
                client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET,
                redirect_url=REDIRECT,
                provider_name="Agencia ID",
            )
        )
        await start_services(rt, [SERVICE])
        await usecases.add_user(rt, "ana", "caseworker", ["GT-GUA"])
        yield World(rt, provider, create_app(rt, [SERVICE]))
        await db.engine.dispose()


async def test_the_code_flow_signs_an_existing_user_in_with_a_server_side_session(
    world: World,
) -> None:
    async with world.browser() as browser:
        page = await browser.get("/sign-in")
        assert "Iniciar sesión con Agencia ID" in page.text  # Spanish by default
        callback = await world.to_provider(browser, "/cases")
        back = await browser.get(callback)
        assert back.status_code == 303, back.text
        assert back.headers["location"] == "/cases"
        home = await browser.get("/")
        assert home.status_code == 200 and "ana" in home.text
    request = world.provider.token_requests[-1]
    assert request["grant_type"] == "authorization_code" and len(request["code_verifier"]) >= 43
    assert "client_secret" not in request  # sent as HTTP Basic, not in the body
    signed_in = [p for kind, p in await world.events() if kind == "api.signed_in"]
    assert [(p["method"], p["role"]) for p in signed_in] == [("oidc", "caseworker")]


async def test_a_wrong_or_reused_state_is_refused(world: World) -> None:
    async with world.browser() as browser:
        callback = await world.to_provider(browser)
        parts = urlsplit(callback)
        code = parse_qs(parts.query)["code"][0]
        wrong = await browser.get("/sign-in/oidc/callback", params={"code": code, "state": "x"})
        assert wrong.status_code == 403
        assert (await browser.get("/")).status_code == 303  # not signed in

    async with world.browser() as browser:
        callback = await world.to_provider(browser)
        assert (await browser.get(callback)).status_code == 303
    async with world.browser() as again:  # the same answer replayed: the state was used
        assert (await again.get(callback)).status_code == 403
    failures = [p["reason"] for kind, p in await world.events() if kind == "api.sign_in_failed"]
    assert failures == ["oidc_refused", "oidc_refused"]


async def test_an_answer_in_another_browser_is_refused(world: World) -> None:
    async with world.browser() as started:
        callback = await world.to_provider(started)
    async with world.browser() as other:
        answer = await other.get(callback)
        assert answer.status_code == 403
        assert "retorno_session" not in answer.cookies


@pytest.mark.parametrize("tamper", ["nonce", "audience", "signature"])
async def test_an_id_token_that_does_not_verify_is_refused(world: World, tamper: str) -> None:
    world.provider.tamper = tamper
    async with world.browser() as browser:
        callback = await world.to_provider(browser)
        answer = await browser.get(callback)
        assert answer.status_code == 403, answer.text
        assert (await browser.get("/")).status_code == 303
    kinds = [(kind, p.get("reason")) for kind, p in await world.events()]
    assert ("api.sign_in_failed", "oidc_refused") in kinds
    assert "api.signed_in" not in [k for k, _ in kinds]


async def test_an_unknown_subject_gets_no_session_and_no_user_is_made(world: World) -> None:
    world.provider.subject = f"nobody-{uuid.uuid4().hex[:6]}"
    async with world.browser() as browser:
        callback = await world.to_provider(browser)
        answer = await browser.get(callback)
        assert answer.status_code == 403
        assert "administrador" in answer.text or "administrator" in answer.text
        assert (await browser.get("/")).status_code == 303
    reasons = [p["reason"] for kind, p in await world.events() if kind == "api.sign_in_failed"]
    assert reasons == ["oidc_unknown_user"]
    assert [listed.user.name for listed in await list_users(world.rt)] == ["ana"]


async def test_without_settings_there_is_no_button_and_the_route_says_so(
    database_url: str, tmp_path: Path
) -> None:
    db = await open_service_db(SERVICE, database_url)
    rt = Runtime(settings=Settings(data_dir=tmp_path), databases={"api": db})
    rt.put_settings(OidcSettings())
    await start_services(rt, [SERVICE])
    app = create_app(rt, [SERVICE])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as b:
        assert "/sign-in/oidc" not in (await b.get("/sign-in")).text
        assert (await b.get("/sign-in/oidc")).status_code == 404
    await db.engine.dispose()
