"""The cases of the person's offices, and the search of them by name or document number."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from services.kit.errors import InvalidInputError
from services.kit.identity import can
from services.registration.domain import STATUSES
from services.registration.queries import cases as case_queries
from services.registration.queries import search as search_queries
from services.web.pages.common import (
    Rt,
    SignedIn,
    guard,
    guard_form,
    page,
    page_count,
    problem_of,
)

CASES_PER_PAGE = 50
SEARCH_PERMISSION = "cases.read_personal"


def results(
    request: Request,
    signed_in: SignedIn,
    searched: str,
    found: Sequence[object],
    total: int,
    problem: str | None,
) -> Response:
    """The cases page showing what a search found (422 with the reason when refused)."""
    return page(
        request,
        "cases.html",
        signed_in=signed_in,
        status_code=200 if problem is None else 422,
        cases=found,
        total=total,
        page_number=1,
        pages=1,
        status=None,
        statuses=STATUSES,
        may_search=True,
        searched=searched,
        search_problem=problem,
    )


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
        pages = page_count(found.total, CASES_PER_PAGE)
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
            may_search=can(signed_in.principal, SEARCH_PERMISSION),
        )

    @routes.post("/search/cases", response_class=HTMLResponse)
    async def search_page(
        request: Request,
        rt: Rt,
        q: Annotated[str, Form(max_length=400)] = "",
        csrf_token: Annotated[str, Form(max_length=128)] = "",
    ) -> Response:
        """The cases found by a name or a document number: the same query as
        ``POST /api/search/cases``. A form post, so the text typed (personal data) is never in
        a URL (history, proxy logs, Referer); the page is not cached."""
        signed_in = await guard_form(request, rt, SEARCH_PERMISSION, csrf_token)
        if isinstance(signed_in, Response):
            return signed_in
        try:
            found = await search_queries.search_cases(
                rt, signed_in.principal, q, page=1, size=CASES_PER_PAGE
            )
        except InvalidInputError as error:
            return results(request, signed_in, q, [], 0, problem_of(request, signed_in, error))
        return results(request, signed_in, q, found.items, found.total, None)

    return routes
