"""The home page: what the signed-in person may do, by permission."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.api import usecases as users
from services.web import i18n
from services.web.pages.common import Rt, guard, page


def router() -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get("/", response_class=HTMLResponse)
    async def home(request: Request, rt: Rt) -> Response:
        signed_in = await guard(request, rt)
        if isinstance(signed_in, Response):
            return signed_in
        chosen = request.query_params.get("lang")
        if chosen in i18n.LANGUAGES and chosen != signed_in.language:
            await users.choose_language(rt, signed_in.user_id, chosen)
        return page(request, "home.html", signed_in=signed_in)

    return routes
