"""The home page: what the signed-in person may do, by permission; for a caseworker or a
supervisor, what needs action in their offices (the same queries as the API's lists)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.api import usecases as users
from services.kit.definition import Runtime
from services.kit.errors import InvalidInputError
from services.kit.identity import can
from services.registration.queries import cases as case_queries
from services.reintegration import queries as follow_up
from services.reintegration.domain.worklist import DueStatus
from services.web import i18n
from services.web.pages import casetext
from services.web.pages.common import Rt, SignedIn, guard, language_of, page

SHOWN = 10  # rows listed under each heading; the count says how many there are
SCANNED = 200  # eligible cases looked at for a refused funding decision
FOLLOW_UPS: tuple[DueStatus, ...] = ("overdue", "due_this_week", "plan_missing")


async def work(rt: Runtime, signed_in: SignedIn, as_of: str = "") -> dict[str, Any]:
    """What needs action: cases to screen, funding refused, follow-ups overdue or due this
    week and plans missing (``GET /api/monitoring/due``'s query), each counted; the
    follow-ups as they will stand on ``as_of`` (a later day, YYYY-MM-DD) when asked. A part
    whose service this process does not run (no database here) is left out."""
    principal = signed_in.principal
    found: dict[str, Any] = {}
    if can(principal, "cases.transition") and "registration" in rt.databases:
        to_screen = await case_queries.list_cases(
            rt, principal, status="registered", office=None, page=1, size=SHOWN
        )
        found["to_screen"] = to_screen
        eligible = await case_queries.list_cases(
            rt, principal, status="eligible", office=None, page=1, size=SCANNED
        )
        found["refused"] = [
            c for c in eligible.items if c.funding is not None and c.funding.decision == "refused"
        ]
    if can(principal, "monitoring.read") and "reintegration" in rt.databases:
        ahead: date | None = None
        found.update(as_of=None, as_of_refused=False, as_of_typed="")
        try:
            ahead = date.fromisoformat(as_of) if as_of else None
            where = follow_up.DueFilter(statuses=FOLLOW_UPS, page_size=200, as_of=ahead)
            due = await follow_up.due(rt, principal, where)
        except (ValueError, InvalidInputError):  # not a day, or a day before today
            found["as_of_refused"], found["as_of_typed"] = True, as_of
            where = follow_up.DueFilter(statuses=FOLLOW_UPS, page_size=200)
            due = await follow_up.due(rt, principal, where)
        else:
            found["as_of"] = ahead
        found["due_on"] = due.on
        found["due_counts"] = due.counts
        found["due"] = {
            status: [i for i in due.items if i.status == status][:SHOWN] for status in FOLLOW_UPS
        }
    return found


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
        return page(
            request,
            "home.html",
            signed_in=signed_in,
            work=await work(rt, signed_in, request.query_params.get("as_of", "")[:40]),
            follow_ups=FOLLOW_UPS,
            names=casetext.names(language_of(request, signed_in)),
        )

    return routes
