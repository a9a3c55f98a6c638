"""The cases of the person's offices."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from services.registration.domain import STATUSES
from services.registration.queries import cases as case_queries
from services.web.pages.common import Rt, guard, page

CASES_PER_PAGE = 50


def router() -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get("/cases", response_class=HTMLResponse)
    async def cases_page(
        request: Request,
        rt: Rt,
        status: Annotated[str | None, Query(max_length=40)] = None,
        number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
    ) -> Response:
        """The cases of the person's offices (every office for the DPO), newest first: the
        same query as ``GET /api/cases``, so office scope is the API's."""
        signed_in = await guard(request, rt, "cases.read")
        if isinstance(signed_in, Response):
            return signed_in
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

    return routes
