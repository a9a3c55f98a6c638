"""Signing in and out, and changing one's password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.api import usecases as users
from services.api.domain.oidc import FLOW_LIFETIME
from services.api.settings import OidcSettings
from services.kit.errors import RetornoError
from services.web import i18n, messages, security
from services.web.pages.common import (
    Rt,
    current_session,
    gettext_for,
    language_of,
    page,
    problem_of,
    refused_form,
    safe_next,
    to_sign_in,
)

OIDC_COOKIE = "retorno_oidc"  # binds a sign-in at the provider to the browser that began it


def oidc_button(request: Request) -> str | None:
    """The provider's name for the "Sign in with ..." button, when OIDC sign-in is configured."""
    settings = request.app.state.runtime.settings_for(OidcSettings)
    return settings.provider_name if settings.sign_in_configured else None


def sign_in_page(
    request: Request, *, username: str = "", problem: str | None = None, status_code: int = 200
) -> HTMLResponse:
    secret = request.cookies.get(security.FORM_COOKIE) or security.new_form_secret()
    response = page(
        request,
        "sign_in.html",
        csrf_token=secret,
        username=username,
        problem=problem,
        next=safe_next(request.query_params.get("next")),
        oidc_provider=oidc_button(request),
        status_code=status_code,
    )
    security.set_cookie(request, response, security.FORM_COOKIE, secret, 3600)
    return response


def router() -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get("/sign-in", response_class=HTMLResponse)
    async def sign_in_form(request: Request, rt: Rt) -> Response:
        if await current_session(request, rt) is not None:
            return RedirectResponse("/", status_code=303)
        return sign_in_page(request)

    @routes.post("/sign-in", response_class=HTMLResponse)
    async def sign_in(
        request: Request,
        rt: Rt,
        username: Annotated[str, Form(max_length=64)] = "",
        password: Annotated[str, Form(max_length=256)] = "",
        csrf_token: Annotated[str, Form(max_length=128)] = "",
        next: Annotated[str, Form(max_length=2000)] = "/",
    ) -> Response:
        language = language_of(request)
        expected = request.cookies.get(security.FORM_COOKIE)
        if not security.same_origin(request) or not security.same_token(expected, csrf_token):
            return sign_in_page(
                request,
                username=username,
                problem=i18n.translations(language).gettext("This form expired. Sign in again."),
                status_code=403,
            )
        try:
            opened = await users.sign_in(rt, username.strip(), password)
        except RetornoError as error:
            return sign_in_page(
                request,
                username=username,
                problem=messages.for_error(error, language),
                status_code=error.status_code,
            )
        target = "/password" if opened.must_change_password else safe_next(next)
        response = RedirectResponse(target, status_code=303)
        max_age = int(users.SESSIONS.absolute.total_seconds())
        security.set_cookie(request, response, security.SESSION_COOKIE, opened.token, max_age)
        security.clear_cookie(response, security.FORM_COOKIE)
        return response

    @routes.get("/sign-in/oidc")
    async def oidc_begin(
        request: Request, rt: Rt, next: Annotated[str, Query(max_length=2000)] = "/"
    ) -> Response:
        """Send the browser to the provider (authorization code flow with PKCE)."""
        try:
            started = await users.begin_oidc_sign_in(rt, safe_next(next))
        except RetornoError as error:
            problem = messages.for_error(error, language_of(request))
            return sign_in_page(request, problem=problem, status_code=error.status_code)
        response = RedirectResponse(started.url, status_code=303)
        lifetime = int(FLOW_LIFETIME.total_seconds())
        security.set_cookie(request, response, OIDC_COOKIE, started.browser_secret, lifetime)
        return response

    @routes.get("/sign-in/oidc/callback")
    async def oidc_callback(
        request: Request,
        rt: Rt,
        state: Annotated[str | None, Query(max_length=512)] = None,
        code: Annotated[str | None, Query(max_length=4096)] = None,
        error: Annotated[str | None, Query(max_length=256)] = None,
    ) -> Response:
        """Where the provider sends the browser back (``RETORNO_OIDC_REDIRECT_URL``)."""
        try:
            opened, target = await users.finish_oidc_sign_in(
                rt,
                state=state,
                code=code,
                error=error,
                browser_secret=request.cookies.get(OIDC_COOKIE),
            )
        except RetornoError as refused:
            problem = messages.for_error(refused, language_of(request))
            shown = sign_in_page(request, problem=problem, status_code=refused.status_code)
            security.clear_cookie(shown, OIDC_COOKIE)
            return shown
        response = RedirectResponse(safe_next(target), status_code=303)
        max_age = int(users.SESSIONS.absolute.total_seconds())
        security.set_cookie(request, response, security.SESSION_COOKIE, opened.token, max_age)
        security.clear_cookie(response, OIDC_COOKIE)
        return response

    @routes.post("/sign-out")
    async def sign_out(
        request: Request, rt: Rt, csrf_token: Annotated[str, Form(max_length=128)] = ""
    ) -> Response:
        signed_in = await current_session(request, rt)
        token = request.cookies.get(security.SESSION_COOKIE)
        if signed_in is not None and token is not None:
            if (refused := refused_form(request, signed_in, csrf_token)) is not None:
                return refused
            await users.sign_out(rt, token)
        response = RedirectResponse("/sign-in", status_code=303)
        security.clear_cookie(response, security.SESSION_COOKIE)
        return response

    @routes.get("/password", response_class=HTMLResponse)
    async def password_form(request: Request, rt: Rt) -> Response:
        signed_in = await current_session(request, rt)
        if signed_in is None:
            return to_sign_in(request)
        return page(request, "password.html", signed_in=signed_in, problem=None)

    @routes.post("/password", response_class=HTMLResponse)
    async def change_password(
        request: Request,
        rt: Rt,
        current: Annotated[str, Form(max_length=256)] = "",
        new: Annotated[str, Form(max_length=256)] = "",
        repeat: Annotated[str, Form(max_length=256)] = "",
        csrf_token: Annotated[str, Form(max_length=128)] = "",
    ) -> Response:
        signed_in = await current_session(request, rt)
        token = request.cookies.get(security.SESSION_COOKIE)
        if signed_in is None or token is None:
            return to_sign_in(request)
        if (refused := refused_form(request, signed_in, csrf_token)) is not None:
            return refused
        if new != repeat:
            gettext = gettext_for(request, signed_in)
            problem = gettext("The two new passwords differ. Type the same one twice.")
            return page(
                request, "password.html", signed_in=signed_in, problem=problem, status_code=422
            )
        try:
            await users.change_password(rt, token, current, new)
        except RetornoError as error:
            return page(
                request,
                "password.html",
                signed_in=signed_in,
                problem=problem_of(request, signed_in, error),
                status_code=error.status_code,
            )
        return RedirectResponse("/", status_code=303)

    return routes
