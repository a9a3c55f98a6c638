"""Signing in and out, and changing one's password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.api import usecases as users
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
