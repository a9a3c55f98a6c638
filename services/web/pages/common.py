"""What every page module shares: rendering a page in the person's language, the session a
cookie stands for, the guard of a page by permission, and the CSRF check of a form.

A page module defines ``router() -> APIRouter`` and is listed in ``services.web.pages``.
Its routes call the services' use cases and queries with ``signed_in.principal``, exactly as
the JSON API does, so permissions and office scope are the API's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from services.api import usecases as users
from services.kit.definition import Runtime
from services.kit.errors import RetornoError
from services.kit.identity import can
from services.kit.routes import get_runtime
from services.web import i18n, messages, security
from services.web.templating import render

STATIC_DIR = Path(__file__).parent.parent / "static"
YEAR = 365 * 24 * 3600
Rt = Annotated[Runtime, Depends(get_runtime)]
SignedIn = users.SignedInSession


def language_of(request: Request, signed_in: SignedIn | None = None) -> str:
    chosen = request.query_params.get("lang")
    if chosen not in i18n.LANGUAGES:
        chosen = (signed_in.language if signed_in else None) or request.cookies.get(
            security.LANGUAGE_COOKIE
        )
    return i18n.negotiate(chosen, request.headers.get("accept-language"))


def gettext_for(request: Request, signed_in: SignedIn | None = None) -> Callable[[str], str]:
    """The ``gettext`` of the request's language, for messages a route composes."""
    return i18n.translations(language_of(request, signed_in)).gettext


def page(
    request: Request,
    template: str,
    *,
    signed_in: SignedIn | None = None,
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


async def current_session(request: Request, rt: Runtime) -> SignedIn | None:
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


async def guard(
    request: Request, rt: Runtime, permission: str | None = None
) -> SignedIn | Response:
    """The signed-in person, or the response that stands instead of the page: the sign-in
    page when nobody is signed in, the password page while a new one is owed, and the 403
    page when the person's role lacks ``permission``."""
    signed_in = await current_session(request, rt)
    if signed_in is None:
        return to_sign_in(request)
    if signed_in.must_change_password:
        return RedirectResponse("/password", status_code=303)
    if permission is not None and not can(signed_in.principal, permission):
        return page(request, "forbidden.html", signed_in=signed_in, status_code=403)
    return signed_in


def refused_form(request: Request, signed_in: SignedIn, csrf_token: str) -> Response | None:
    """The "form expired" page when a posted form's CSRF token or origin is not this
    session's; None when the form may be acted on."""
    expected = security.session_csrf_token(signed_in.csrf_secret)
    if not security.same_origin(request) or not security.same_token(expected, csrf_token):
        return page(request, "expired.html", signed_in=signed_in, status_code=403)
    return None


async def guard_form(
    request: Request, rt: Runtime, permission: str, csrf_token: str
) -> SignedIn | Response:
    """``guard`` for a posted form: also the "form expired" page when its CSRF token or
    origin is not this session's."""
    signed_in = await guard(request, rt, permission)
    if isinstance(signed_in, Response):
        return signed_in
    return refused_form(request, signed_in, csrf_token) or signed_in


def token_of(form: FormData) -> str:
    """The CSRF token of a form read whole (``await request.form()``); "" when absent."""
    token = form.get("csrf_token")
    return token if isinstance(token, str) else ""


def page_count(total: int, per_page: int) -> int:
    """How many pages ``total`` rows fill, ``per_page`` a page: at least one (an empty list
    is one empty page)."""
    return max(1, -(-total // per_page))


def problem_of(request: Request, signed_in: SignedIn | None, error: RetornoError) -> str:
    """What to show at the top of a refused form, in the person's language."""
    return messages.for_error(error, language_of(request, signed_in))
