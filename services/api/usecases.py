"""Adding users and tokens, revoking tokens: each its own unit of work. The CLI and the admin
routes call them."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.uow import ServiceDatabase
from events.api import SignedIn, SignedOut, SignInFailed
from events.envelope import Actor
from services.api import store
from services.api.domain import (
    SESSION_PREFIX,
    AccountLockedError,
    CurrentPasswordWrongError,
    LockoutPolicy,
    PasswordRejectedError,
    SessionPolicy,
    SignInRefusedError,
    TokenInfo,
    UnknownTokenError,
    UnknownUserError,
    User,
    UserNameTakenError,
    check_new_password,
    check_user,
    hash_token,
    is_locked,
    new_one_time_password,
    new_session_token,
    new_token,
    parse_token_id,
)
from services.api.domain import oidc as oidc_rules
from services.api.domain.oidc import (
    FLOW_LIFETIME,
    OidcNotConfiguredError,
    OidcProviderUnavailableError,
    OidcSignInRefusedError,
    OidcUnknownUserError,
)
from services.api.settings import OidcSettings
from services.kit.definition import Runtime
from services.kit.identity import Principal


async def add_user(
    rt: Runtime, name: str, role: str, offices: Iterable[str] = ()
) -> tuple[User, str]:
    """Create a user and a first API token; the token is returned once and never again."""
    user, _info, token = await add_user_with_token(rt, name, role, offices)
    return user, token


async def add_user_with_token(
    rt: Runtime, name: str, role: str, offices: Iterable[str] = ()
) -> tuple[User, TokenInfo, str]:
    office_codes = check_user(name, role, offices)
    db = rt.db("api")
    user = User(uuid.uuid4(), name, role, office_codes, db.clock())
    token = new_token()
    async with db.unit_of_work() as uow:
        try:
            await store.insert_user(uow.session, user)
        except IntegrityError as e:
            raise UserNameTakenError(f"A user named {name!r} already exists.") from e
        info = await _insert_token(db, uow.session, user.id, token)
        await uow.commit()
    return user, info, token


async def issue_token(rt: Runtime, name: str) -> tuple[TokenInfo, str]:
    """Another token for an existing user (e.g. after revoking a lost one)."""
    db = rt.db("api")
    token = new_token()
    async with db.unit_of_work() as uow:
        user_id = await store.user_id_named(uow.session, name)
        if user_id is None:
            raise UnknownUserError(f"No user named {name!r}; list users to see who exists.")
        info = await _insert_token(db, uow.session, user_id, token)
        await uow.commit()
    return info, token


async def _insert_token(
    db: ServiceDatabase, session: AsyncSession, user_id: uuid.UUID, token: str
) -> TokenInfo:
    info = TokenInfo(uuid.uuid4(), db.clock(), None)
    await store.insert_token(session, user_id, info, hash_token(token))
    return info


async def revoke_token(rt: Runtime, token_id: uuid.UUID | str) -> None:
    """Revoke a token; it stops working on the next request. Revoking twice is harmless."""
    key = parse_token_id(token_id)
    db = rt.db("api")
    async with db.unit_of_work() as uow:
        if not await store.token_exists(uow.session, key):
            raise UnknownTokenError(f"No token with id {key}; list users to see token ids.")
        await store.revoke(uow.session, key, db.clock())
        await uow.commit()


# --- people signing in to the web UI ---------------------------------------------------

# argon2id with the RFC 9106 low-memory profile (argon2-cffi's default): about 50 ms of CPU
# a check on this machine, run in a thread so the event loop keeps serving others.
_hasher = PasswordHasher()
# Verified against when no account has the name given, so that an unknown name costs the
# same time as a wrong password and response times do not tell which names exist.
_DUMMY_HASH = _hasher.hash("retorno: no such user")
LOCKOUT = LockoutPolicy()
SESSIONS = SessionPolicy()


def _matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class SignIn:
    """A session just opened: its token goes in the cookie, once."""

    token: str
    csrf_secret: str
    principal: Principal
    must_change_password: bool
    language: str | None


@dataclass(frozen=True)
class SignedInSession:
    """The person behind a session cookie, for one request."""

    principal: Principal
    user_id: uuid.UUID
    csrf_secret: str
    must_change_password: bool
    language: str | None


async def set_password(rt: Runtime, name: str, password: str | None = None) -> str | None:
    """Set a user's password for the web UI. Without one, make a one-time password (returned,
    shown once) that must be changed at the first sign-in. Unlocks the account."""
    if password is not None:
        check_new_password(password, name)
    one_time = new_one_time_password() if password is None else None
    hashed = await asyncio.to_thread(_hasher.hash, password or one_time or "")
    async with rt.db("api").unit_of_work() as uow:
        account = await store.account_named(uow.session, name, lock=True)
        if account is None:
            raise UnknownUserError(f"No user named {name!r}; list users to see who exists.")
        await store.set_password(uow.session, account.id, hashed, must_change=one_time is not None)
        await uow.commit()
    return one_time


async def sign_in(rt: Runtime, name: str, password: str) -> SignIn:
    """Open a web session for ``name`` if the password is right and the account not locked.

    Every outcome is an event for the audit log (``api.signed_in`` / ``api.sign_in_failed``).
    A wrong name and a wrong password get the same refusal; after ``LOCKOUT.threshold``
    failures in a row the account refuses sign-ins for ``LOCKOUT.lock``."""
    db = rt.db("api")
    async with db.unit_of_work() as uow:
        account = await store.account_named(uow.session, name, lock=True)
        now = rt.clock()
        if account is None:
            await asyncio.to_thread(_matches, _DUMMY_HASH, password)
            uow.emit(SignInFailed(user_id=None, reason="unknown_user"), actor=_anonymous())
            await uow.commit()
            raise _refused()
        actor = Actor.user(account.name, account.role)
        if is_locked(account.locked_until, now):
            uow.emit(SignInFailed(user_id=account.id, reason="locked"), actor=actor)
            await uow.commit()
            raise _locked(account.locked_until)
        if account.password_hash is None:
            await asyncio.to_thread(_matches, _DUMMY_HASH, password)
            uow.emit(SignInFailed(user_id=account.id, reason="no_password"), actor=actor)
            await uow.commit()
            raise _refused()
        if not await asyncio.to_thread(_matches, account.password_hash, password):
            failures, locked_until = LOCKOUT.after_failure(account.failed_sign_ins, now)
            await store.set_sign_in_state(uow.session, account.id, failures, locked_until)
            uow.emit(
                SignInFailed(
                    user_id=account.id, reason="wrong_password", locked_now=locked_until is not None
                ),
                actor=actor,
            )
            await uow.commit()
            raise _locked(locked_until) if locked_until is not None else _refused()
        token, csrf_secret = new_session_token(), secrets.token_hex(32)
        await store.set_sign_in_state(uow.session, account.id, 0, None)
        await store.insert_session(uow.session, hash_token(token), account.id, csrf_secret, now)
        uow.emit(SignedIn(user_id=account.id, role=account.role, method="password"), actor=actor)
        await uow.commit()
    return SignIn(
        token, csrf_secret, _principal(account), account.password_must_change, account.language
    )


async def resume_session(rt: Runtime, token: str) -> SignedInSession | None:
    """The person a session cookie stands for, or None if the session is unknown, ended, idle
    too long or too old. Refreshes its last-seen time at most once a minute."""
    if not token.startswith(SESSION_PREFIX):
        return None
    db = rt.db("api")
    key = hash_token(token)
    now = rt.clock()
    async with db.reading() as session:
        found = await store.open_session(session, key)
        account = await store.account_by_id(session, found.user_id) if found else None
    if found is None or account is None:
        return None
    if not SESSIONS.alive(found.created_at, found.last_seen_at, now):
        return None
    if SESSIONS.needs_touch(found.last_seen_at, now):
        async with db.unit_of_work() as uow:
            await store.touch_session(uow.session, key, now)
            await uow.commit()
    return SignedInSession(
        _principal(account),
        account.id,
        found.csrf_secret,
        account.password_must_change,
        account.language,
    )


async def sign_out(rt: Runtime, token: str) -> None:
    """End the session (signing out twice is harmless)."""
    async with rt.db("api").unit_of_work() as uow:
        user_id = await store.end_session(uow.session, hash_token(token), rt.clock())
        account = await store.account_by_id(uow.session, user_id) if user_id else None
        if account is not None:
            uow.emit(
                SignedOut(user_id=account.id, reason="user"),
                actor=Actor.user(account.name, account.role),
            )
        await uow.commit()


async def change_password(rt: Runtime, token: str, current: str, new: str) -> None:
    """Change the signed-in person's password: the current one must be right; every other
    session of theirs ends."""
    signed_in = await resume_session(rt, token)
    if signed_in is None:
        raise _refused()
    name = signed_in.principal.user_id
    check_new_password(new, name)
    hashed = await asyncio.to_thread(_hasher.hash, new)
    async with rt.db("api").unit_of_work() as uow:
        account = await store.account_named(uow.session, name, lock=True)
        if account is None or account.password_hash is None:
            raise _refused()
        if not await asyncio.to_thread(_matches, account.password_hash, current):
            raise CurrentPasswordWrongError(
                "The current password is not right; type the password you signed in with."
            )
        if current == new:
            raise PasswordRejectedError("The new password must differ from the current one.")
        await store.set_password(uow.session, account.id, hashed, must_change=False)
        await store.end_sessions_of(uow.session, account.id, rt.clock(), keep=hash_token(token))
        uow.emit(
            SignedOut(user_id=account.id, reason="password_changed"),
            actor=Actor.user(account.name, account.role),
        )
        await uow.commit()


async def choose_language(rt: Runtime, user_id: uuid.UUID, language: str) -> None:
    async with rt.db("api").unit_of_work() as uow:
        await store.set_language(uow.session, user_id, language)
        await uow.commit()


def _principal(account: store.Account) -> Principal:
    return Principal(user_id=account.name, role=account.role, offices=frozenset(account.offices))


def _anonymous() -> Actor:
    return Actor.service("api")


def _refused() -> SignInRefusedError:
    return SignInRefusedError("The user name or the password is not right; try again.")


def _locked(until: datetime | None) -> AccountLockedError:
    return AccountLockedError(
        "Too many failed sign-ins: this account is locked for a while. Try again later, "
        "or ask an admin to set a new password.",
        locked_until=until,
    )


# --- OpenID Connect sign-in (authorization code, PKCE, state and nonce) ------------------
#
# The protocol's parts come from Authlib (the authorization URL, the PKCE S256 challenge, the
# token request) and joserfc (the id_token's signature against the provider's JWKS and its
# claims); the HTTP calls to the provider are plain httpx. Rules: ``services.api.domain.oidc``.

OIDC_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class OidcStart:
    """Where to send the browser, and the secret its cookie must carry back."""

    url: str
    browser_secret: str


def oidc_settings(rt: Runtime) -> OidcSettings:
    settings = rt.settings_for(OidcSettings)
    if not settings.sign_in_configured:
        raise OidcNotConfiguredError("Sign-in with OpenID Connect is not configured here.")
    return settings


async def _provider(http: httpx.AsyncClient, settings: OidcSettings) -> dict[str, Any]:
    """The provider's discovery document; its issuer must be the one configured."""
    issuer = str(settings.issuer).rstrip("/")
    try:
        answer = await http.get(f"{issuer}/.well-known/openid-configuration")
        answer.raise_for_status()
        found = answer.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise OidcProviderUnavailableError(
            "The sign-in provider cannot be reached; try again later or sign in with a password."
        ) from exc
    needed = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
    if not isinstance(found, dict) or any(not isinstance(found.get(k), str) for k in needed):
        raise OidcProviderUnavailableError("The sign-in provider's discovery document is invalid.")
    if found["issuer"].rstrip("/") != issuer:
        raise OidcProviderUnavailableError("The sign-in provider names another issuer.")
    return found


async def begin_oidc_sign_in(rt: Runtime, next_path: str) -> OidcStart:
    """Start a sign-in at the provider: a state, a nonce and a PKCE verifier, kept
    server-side (single use, ``FLOW_LIFETIME``) and bound to this browser's cookie secret."""
    settings = oidc_settings(rt)
    async with httpx.AsyncClient(timeout=OIDC_TIMEOUT_SECONDS) as http:
        provider = await _provider(http, settings)
    state, nonce, verifier = generate_token(43), generate_token(43), generate_token(64)
    browser_secret = secrets.token_hex(32)
    now = rt.clock()
    flow = store.OidcFlow(hash_token(browser_secret), nonce, verifier, next_path, now)
    async with rt.db("api").unit_of_work() as uow:
        await store.drop_oidc_flows_before(uow.session, now - FLOW_LIFETIME)
        await store.insert_oidc_flow(uow.session, hash_token(state), flow)
        await uow.commit()
    url = prepare_grant_uri(
        provider["authorization_endpoint"],
        settings.client_id,
        "code",
        redirect_uri=settings.redirect_url,
        scope=settings.scopes,
        state=state,
        nonce=nonce,
        code_challenge=create_s256_code_challenge(verifier),
        code_challenge_method="S256",
    )
    return OidcStart(url, browser_secret)


async def _oidc_failed(rt: Runtime, reason: str, account: store.Account | None = None) -> None:
    async with rt.db("api").unit_of_work() as uow:
        actor = Actor.user(account.name, account.role) if account else _anonymous()
        failed = SignInFailed(user_id=account.id if account else None, reason=reason)  # type: ignore[arg-type]
        uow.emit(failed, actor=actor)
        await uow.commit()


async def _id_token_claims(
    http: httpx.AsyncClient,
    settings: OidcSettings,
    provider: dict[str, Any],
    code: str,
    flow: store.OidcFlow,
) -> dict[str, Any]:
    """Exchange the code (with the PKCE verifier, the client authenticated with its secret)
    and verify the id_token: RS256 signature by a key of the provider's JWKS, issuer,
    audience, expiry and our nonce. ``refused`` on any failure."""
    body = prepare_token_request(
        "authorization_code",
        code=code,
        redirect_uri=settings.redirect_url,
        code_verifier=flow.code_verifier,
    )
    try:
        answer = await http.post(
            provider["token_endpoint"],
            content=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            auth=(str(settings.client_id), str(settings.client_secret)),
        )
        tokens = answer.json() if answer.status_code == 200 else {}
        keys = await http.get(provider["jwks_uri"])
        keys.raise_for_status()
        key_set = KeySet.import_key_set(keys.json())
    except (httpx.HTTPError, ValueError, JoseError) as exc:
        raise oidc_rules.refused("the provider did not answer as expected") from exc
    id_token = tokens.get("id_token") if isinstance(tokens, dict) else None
    if not isinstance(id_token, str):
        raise oidc_rules.refused("the provider refused the code")
    try:
        decoded = jwt.decode(id_token, key_set, algorithms=["RS256"])
        jwt.JWTClaimsRegistry(
            leeway=60,
            iss={"essential": True, "value": provider["issuer"]},
            aud={"essential": True, "value": str(settings.client_id)},
            sub={"essential": True},
            exp={"essential": True},
            nonce={"essential": True, "value": flow.nonce},
        ).validate(decoded.claims)
    except (JoseError, ValueError) as exc:
        raise oidc_rules.refused("the identity token did not verify") from exc
    return dict(decoded.claims)


async def finish_oidc_sign_in(
    rt: Runtime,
    *,
    state: str | None,
    code: str | None,
    error: str | None,
    browser_secret: str | None,
) -> tuple[SignIn, str]:
    """Complete a sign-in the provider sent back: the state must be one this browser started
    (used once, not expired), the id_token must verify, and its user claim must name an
    existing Retorno user. Opens the same server-side session as a password sign-in; every
    outcome is an event (``api.signed_in`` method ``oidc``, or ``api.sign_in_failed``).
    Returns the session and the path to go to."""
    settings = oidc_settings(rt)
    now = rt.clock()
    flow = None
    if state:
        async with rt.db("api").unit_of_work() as uow:
            flow = await store.take_oidc_flow(uow.session, hash_token(state))
            await uow.commit()
    if flow is None or error or not code:
        await _oidc_failed(rt, "oidc_refused")
        why = "the provider said no" if error else "this sign-in is unknown or was used"
        raise oidc_rules.refused(why)
    if not browser_secret or not secrets.compare_digest(
        flow.browser_hash, hash_token(browser_secret)
    ):
        await _oidc_failed(rt, "oidc_refused")
        raise oidc_rules.refused("it was started in another browser")
    if oidc_rules.flow_expired(flow.created_at, now):
        await _oidc_failed(rt, "oidc_refused")
        raise oidc_rules.refused("it took too long")
    try:
        async with httpx.AsyncClient(timeout=OIDC_TIMEOUT_SECONDS) as http:
            provider = await _provider(http, settings)
            claims = await _id_token_claims(http, settings, provider, code, flow)
    except OidcSignInRefusedError:
        await _oidc_failed(rt, "oidc_refused")
        raise
    name = oidc_rules.user_name_of(claims, settings.user_claim)
    async with rt.db("api").unit_of_work() as uow:
        account = await store.account_named(uow.session, name, lock=True) if name else None
        if account is None:
            uow.emit(SignInFailed(user_id=None, reason="oidc_unknown_user"), actor=_anonymous())
            await uow.commit()
            raise OidcUnknownUserError(
                "Your account at the provider is not a Retorno user; ask an administrator to "
                "add you (retorno users add) with your user name there."
            )
        token, csrf_secret = new_session_token(), secrets.token_hex(32)
        await store.insert_session(uow.session, hash_token(token), account.id, csrf_secret, now)
        actor = Actor.user(account.name, account.role)
        uow.emit(SignedIn(user_id=account.id, role=account.role, method="oidc"), actor=actor)
        await uow.commit()
    opened = SignIn(token, csrf_secret, _principal(account), False, account.language)
    return opened, flow.next_path
