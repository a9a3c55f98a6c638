"""The web UI's routes: sign-in for people, their session, and the pages.

Pages are rendered on the server from the same use cases and queries as the JSON API, for a
principal that a session cookie stands for, so permissions and office scope are the API's.
Every form posts back with a CSRF token; a refused form is shown again with what was typed
(never a password) and the reason, in the user's language.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from services.api import usecases as users
from services.kit.definition import Runtime
from services.kit.errors import RetornoError
from services.kit.identity import can
from services.kit.routes import get_runtime
from services.registration.domain import STATUSES
from services.registration.queries import cases as case_queries
from services.web import i18n, messages, security
from services.web.templating import render

STATIC_DIR = Path(__file__).parent / "static"
YEAR = 365 * 24 * 3600
CASES_PER_PAGE = 50
Rt = Annotated[Runtime, Depends(get_runtime)]


def language_of(request: Request, signed_in: users.SignedInSession | None = None) -> str:
    chosen = request.query_params.get("lang")
    if chosen not in i18n.LANGUAGES:
        chosen = (signed_in.language if signed_in else None) or request.cookies.get(
            security.LANGUAGE_COOKIE
        )
    return i18n.negotiate(chosen, request.headers.get("accept-language"))


def page(
    request: Request,
    template: str,
    *,
    signed_in: users.SignedInSession | None = None,
    status_code: int = 200,
    **context: object,
) -> HTMLResponse:
    """A rendered page in the request's language; a ``?lang=`` choice is remembered."""
    language = language_of(request, signed_in)
    context.setdefault("htmx", (STATIC_DIR / "vendor" / "htmx.min.js").is_file())
    context.setdefault("principal", signed_in.principal if signed_in else None)
    if signed_in is not None:
        context.setdefault("csrf_token", security.session_csrf_token(signed_in.csrf_secret))
    response = HTMLResponse(render(template, language, **context), status_code=status_code)
    if request.query_params.get("lang") in i18n.LANGUAGES:
        security.set_cookie(request, response, security.LANGUAGE_COOKIE, language, YEAR)
    response.headers["Content-Language"] = language
    response.headers["Cache-Control"] = "no-store"  # pages may show personal data
    return response


async def current_session(request: Request, rt: Runtime) -> users.SignedInSession | None:
    token = request.cookies.get(security.SESSION_COOKIE)
    return await users.resume_session(rt, token) if token else None


def to_sign_in(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/sign-in?next={quote(target)}", status_code=303)


def safe_next(value: str | None) -> str:
    """Only a path of this site (``/...``, not ``//other``) may be where sign-in leads."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


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
            expected = security.session_csrf_token(signed_in.csrf_secret)
            if not security.same_origin(request) or not security.same_token(expected, csrf_token):
                return page(request, "expired.html", signed_in=signed_in, status_code=403)
            await users.sign_out(rt, token)
        response = RedirectResponse("/sign-in", status_code=303)
        security.clear_cookie(response, security.SESSION_COOKIE)
        return response

    @routes.get("/", response_class=HTMLResponse)
    async def home(request: Request, rt: Rt) -> Response:
        signed_in = await current_session(request, rt)
        if signed_in is None:
            return to_sign_in(request)
        if signed_in.must_change_password:
            return RedirectResponse("/password", status_code=303)
        chosen = request.query_params.get("lang")
        if chosen in i18n.LANGUAGES and chosen != signed_in.language:
            await users.choose_language(rt, signed_in.user_id, chosen)
        return page(request, "home.html", signed_in=signed_in)

    @routes.get("/cases", response_class=HTMLResponse)
    async def cases_page(
        request: Request,
        rt: Rt,
        status: Annotated[str | None, Query(max_length=40)] = None,
        number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
    ) -> Response:
        """The cases of the person's offices (every office for the DPO), newest first: the
        same query as ``GET /api/cases``, so office scope is the API's."""
        signed_in = await current_session(request, rt)
        if signed_in is None:
            return to_sign_in(request)
        if not can(signed_in.principal, "cases.read"):
            return page(request, "forbidden.html", signed_in=signed_in, status_code=403)
        chosen = status if status in STATUSES else None
        found = await case_queries.list_cases(
            rt, signed_in.principal, status=chosen, office=None, page=number, size=CASES_PER_PAGE
        )
        pages = max(1, -(-found.total // CASES_PER_PAGE))
        return page(
            request,
            "cases.html",
            signed_in=signed_in,
            cases=found.items,
            total=found.total,
            page_number=number,
            pages=pages,
            status=chosen,
            statuses=STATUSES,
        )

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
        language = language_of(request, signed_in)
        gettext = i18n.translations(language).gettext
        expected = security.session_csrf_token(signed_in.csrf_secret)
        if not security.same_origin(request) or not security.same_token(expected, csrf_token):
            return page(request, "expired.html", signed_in=signed_in, status_code=403)
        if new != repeat:
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
                problem=messages.for_error(error, language),
                status_code=error.status_code,
            )
        return RedirectResponse("/", status_code=303)

    return routes


def mount(app: FastAPI) -> None:
    """Serve the UI on ``app``: its pages, ``/static`` (our stylesheet and the scripts
    installed from npm into ``static/vendor``: never a CDN)."""
    app.include_router(router())
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
