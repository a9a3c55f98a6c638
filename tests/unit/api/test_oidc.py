"""OpenID Connect JWTs: RS256 from the configured issuer and audience, role from a claim."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from services.api.queries.oidc import OidcAuthenticator, oidc_from_settings
from services.api.settings import OidcSettings

ISSUER = "https://id.example.org/realms/retorno"
AUDIENCE = "retorno-api"


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def jwks_url(key: rsa.RSAPrivateKey) -> Iterator[str]:
    """A local HTTP server publishing the key set, as an identity provider would."""
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    server.shutdown()
    server.server_close()


@pytest.fixture
def authenticator(jwks_url: str) -> OidcAuthenticator:
    """Built from settings, fetching the key set through PyJWKClient."""
    settings = OidcSettings(issuer=ISSUER, audience=AUDIENCE, jwks_url=jwks_url)
    built = oidc_from_settings(settings)
    assert built is not None
    return built


def make_token(key: Any, **overrides: Any) -> str:
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "3f1c",
        "preferred_username": "ana",
        "exp": int(time.time()) + 300,
        "retorno_role": "caseworker",
        "retorno_offices": ["GT-01", "GT-02"],
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})


async def test_valid_token_gives_role_and_offices_from_claims(
    authenticator: OidcAuthenticator, key: rsa.RSAPrivateKey
) -> None:
    principal = await authenticator.authenticate(make_token(key))

    assert principal is not None
    assert (principal.user_id, principal.role) == ("ana", "caseworker")
    assert principal.offices == {"GT-01", "GT-02"}


async def test_offices_may_be_a_space_separated_string(
    authenticator: OidcAuthenticator, key: rsa.RSAPrivateKey
) -> None:
    principal = await authenticator.authenticate(make_token(key, retorno_offices="GT-01 GT-03"))

    assert principal is not None and principal.offices == {"GT-01", "GT-03"}


@pytest.mark.parametrize(
    "overrides",
    [
        {"aud": "someone-else"},
        {"iss": "https://evil.example.org"},
        {"exp": int(time.time()) - 3600},
        {"exp": None},
        {"retorno_role": "superuser"},
        {"retorno_role": None},
        {"retorno_offices": None},  # a caseworker without offices
    ],
)
async def test_rejects_tokens_that_do_not_fit(
    authenticator: OidcAuthenticator, key: rsa.RSAPrivateKey, overrides: dict[str, Any]
) -> None:
    assert await authenticator.authenticate(make_token(key, **overrides)) is None


async def test_rejects_a_token_signed_by_another_key(authenticator: OidcAuthenticator) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    assert await authenticator.authenticate(make_token(other)) is None


async def test_rejects_an_hs256_token_even_with_the_public_key_as_secret(
    authenticator: OidcAuthenticator,
) -> None:
    forged = jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "sub": "x"}, "s" * 40, algorithm="HS256")

    assert await authenticator.authenticate(forged) is None


async def test_ignores_tokens_that_are_not_jwts(authenticator: OidcAuthenticator) -> None:
    assert await authenticator.authenticate("rt_abc") is None


def test_is_inert_without_settings() -> None:
    assert oidc_from_settings(OidcSettings(_env_file=None)) is None  # type: ignore[call-arg]
