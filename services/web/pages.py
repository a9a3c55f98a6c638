"""The web UI's routes: pages rendered on the server, its stylesheet and vendored scripts."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from services.web import i18n
from services.web.templating import render

STATIC_DIR = Path(__file__).parent / "static"
LANGUAGE_COOKIE = "retorno_lang"


def language_of(request: Request) -> str:
    return i18n.negotiate(
        request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE),
        request.headers.get("accept-language"),
    )


def page(
    request: Request, template: str, status_code: int = 200, **context: object
) -> HTMLResponse:
    """A rendered page in the request's language; a ``?lang=`` choice is remembered."""
    language = language_of(request)
    context.setdefault("htmx", (STATIC_DIR / "vendor" / "htmx.min.js").is_file())
    response = HTMLResponse(render(template, language, **context), status_code=status_code)
    chosen = request.query_params.get("lang")
    if chosen in i18n.LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE, chosen, max_age=365 * 24 * 3600, httponly=True, samesite="lax"
        )
    response.headers["Content-Language"] = language
    response.headers["Cache-Control"] = "no-store"  # pages may show personal data
    return response


def router() -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get("/sign-in", response_class=HTMLResponse)
    async def sign_in_form(request: Request) -> HTMLResponse:
        return page(request, "sign_in.html", csrf_token="", username="", problem=None)

    return routes


def mount(app: FastAPI) -> None:
    """Serve the UI on ``app``: its pages, ``/static`` (our stylesheet and the scripts
    installed from npm into ``static/vendor``: never a CDN)."""
    app.include_router(router())
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
